/*
 * Canada's anti-spam law (CASL) for tenants whose country is "CA": may a
 * commercial message (a follow-up, promotion or any other proactive message
 * that is not a reply or a notice about what the contact booked) go to this
 * contact now, and does its text identify the clinic and say how to
 * unsubscribe? Consent comes from the ledger (consent.h): express consent
 * never lapses; consent implied by an inquiry lapses 6 months after it, by a
 * purchase 2 years after it, counted in calendar months on the clinic's local
 * dates and conservatively: the consent is good through the day before the
 * anniversary (an inquiry on 2027-08-31 is good through 2028-02-28; one on
 * 2027-01-15 through 2027-07-14). Only what followed the contact's last
 * opt-out counts. Everything here but casl_facts_load is pure computation.
 */
#ifndef BW_HOST_CASL_H
#define BW_HOST_CASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define CASL_E_INVAL   (-1) /* a malformed argument */
#define CASL_E_TOOLONG (-2) /* the text and the shortest footer exceed the limit */
#define CASL_E_TZ      (-3) /* the clinic's zone is unknown or the date arithmetic failed */
#define CASL_E_DB      (-4)
#define CASL_E_NOMEM   (-5)

#define CASL_MAX_CHARS 480 /* the longest outbound text, in characters (code points) */
#define CASL_INQUIRY_MONTHS 6
#define CASL_PURCHASE_MONTHS 24

/* What the ledger says about one contact, all times on the host clock
 * (microseconds; 0 = never). Only events after the last opt-out count. */
struct casl_facts {
    bool opted_out;        /* the current opt-out state */
    int64_t express_us;    /* latest express consent covering marketing, or opt-in
                              (START) the contact sent */
    int64_t inquiry_us;    /* latest inquiry: the contact called, texted or wrote */
    int64_t purchase_us;   /* latest purchase (a paid booking) */
};

enum casl_reason {
    CASL_OK_NOT_CA = 0,      /* the tenant is not Canadian: CASL does not apply */
    CASL_OK_NOT_COMMERCIAL,  /* a reply, a text-back, a notice about a booking */
    CASL_OK_EXPRESS,
    CASL_OK_PURCHASE,        /* implied by a purchase within 2 years */
    CASL_OK_INQUIRY,         /* implied by an inquiry within 6 months */
    CASL_NO_OPTED_OUT,
    CASL_NO_LAPSED,          /* implied consent existed and has lapsed */
    CASL_NO_CONSENT,         /* no consent on record at all */
};

struct casl_decision {
    bool allowed;
    int reason;            /* enum casl_reason */
    bool needs_footer;     /* a commercial message to a Canadian tenant's contact */
    int64_t lapses_us;     /* when the consent relied on lapses; 0: never, or not allowed */
};

/* True for the message kinds (messages.kind) that are commercial:
 * "proactive" (follow-ups, offers, recalls). A "notice" about what the
 * contact booked (a confirmation, a change, a reminder) is transactional and
 * is not; neither are replies and text-backs. */
bool casl_kind_commercial(const char *kind);

/* The instant a consent given at given_us lapses after months calendar
 * months: local midnight, in zone, of the anniversary day (its day of month
 * clamped to the month's length). Returns 0 or CASL_E_*. */
int casl_lapse_at(const char *zone, int64_t given_us, int months, int64_t *out);

/* Whether an implied or express consent allows a commercial message at now
 * (CASL_OK_* / CASL_NO_* in out->reason). Opt-out always refuses. Returns 0
 * or CASL_E_*. */
int casl_may_send(const struct casl_facts *f, const char *zone, int64_t now_us,
                  struct casl_decision *out);

/* The send gate's question: country is the tenant's ("CA" applies), zone
 * its IANA zone, commercial from casl_kind_commercial. */
int casl_decide(const char *country, const char *zone, bool commercial,
                const struct casl_facts *f, int64_t now_us, struct casl_decision *out);

/*
 * The identification and unsubscribe footer. Writes into out (cap bytes)
 * the text with " - <clinic>. Reply STOP to unsubscribe." appended when it
 * lacks either part (the clinic's name, any case; the word STOP), or the
 * text as it is when it has both. When the full footer would take the text
 * past CASL_MAX_CHARS a shorter one is used (" <clinic>: STOP to opt out"),
 * and when even that does not fit, CASL_E_TOOLONG: the caller shortens the
 * message, nothing is cut. *added (optional) tells whether a footer was
 * appended. Returns 0 or CASL_E_*.
 */
int casl_footer_apply(const char *text, const char *clinic_name, char *out, size_t cap,
                      bool *added);

/* True when text names the clinic (case-insensitive) and has the word STOP. */
bool casl_footer_present(const char *text, const char *clinic_name);

/*
 * Reads the facts for (tenant_id, contact) from the consent ledger: the
 * state row and the events after the last opt-out. Consents with a basis
 * count as that basis; consents without one count as an inquiry when they
 * came from the contact (an inbound call, text or chat); express consent
 * counts only with the marketing or all scope. Returns 0 or CASL_E_DB.
 */
int casl_facts_load(struct db_conn *c, const char *tenant_id, const char *contact,
                    struct casl_facts *out);

const char *casl_reason_name(int reason); /* "lapsed", "express", ... */

#endif
