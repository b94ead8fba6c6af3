/*
 * The consent ledger and opt-out state (tables in sql/0003_consent.sql).
 * Every consent a contact gives a tenant (an inbound call or text, a web
 * form with the wording shown, staff entry) and every opt-out and opt-in is
 * appended, never changed; the current opt-out per (tenant, contact) is kept
 * beside it and changes in the same transaction as the event that explains
 * it. An opt-out covers every channel of the tenant until an opt-in.
 *
 * The functions run inside the caller's transaction when one is open (so an
 * opt-out commits or rolls back with the caller's other writes); with none
 * open they run in a transaction of their own. Messages are redacted (card
 * numbers, health details) before they are stored. Arguments are checked
 * before any SQL runs, so CONSENT_E_INVAL never disturbs the caller's
 * transaction; after CONSENT_E_DB it is aborted and must be rolled back.
 */
#ifndef BW_HOST_CONSENT_H
#define BW_HOST_CONSENT_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

#define CONSENT_E_INVAL (-1) /* a malformed entry */
#define CONSENT_E_DB    (-2) /* the database failed */
#define CONSENT_E_NOMEM (-3)

#define CONSENT_CONTACT_MAX 255
#define CONSENT_TEXT_MAX 4096 /* bytes of consent wording or message kept; longer is cut */

/* Where a consent or an opt-out/opt-in came from. */
enum consent_source {
    CONSENT_SRC_INBOUND_CALL = 1, /* the contact called the clinic */
    CONSENT_SRC_INBOUND_TEXT,     /* the contact texted (SMS, MMS, RCS) */
    CONSENT_SRC_INBOUND_CHAT,     /* web chat, Instagram, other messaging */
    CONSENT_SRC_WEB_FORM,         /* a form that showed consent_text */
    CONSENT_SRC_STAFF,            /* entered by clinic staff */
    CONSENT_SRC_PROVIDER,         /* the provider reported it (Twilio 21610: unsubscribed) */
};

enum consent_scope {
    CONSENT_SCOPE_CONVERSATIONAL = 1, /* replies, booking, reminders of what was booked */
    CONSENT_SCOPE_MARKETING,          /* promotions, follow-ups nobody asked for */
    CONSENT_SCOPE_ALL,
};

/* For CASL: express consent, or implied by an inquiry (lapses after 6
 * months) or by a purchase (lapses after 2 years). */
enum consent_basis {
    CONSENT_BASIS_NONE = 0,
    CONSENT_BASIS_EXPRESS,
    CONSENT_BASIS_IMPLIED_INQUIRY,
    CONSENT_BASIS_IMPLIED_PURCHASE,
};

/* One ledger entry. Borrowed for the call. */
struct consent_entry {
    const char *tenant_id;
    const char *contact;      /* E.164 number or a channel identity, 1-255 bytes */
    int source;               /* enum consent_source */
    int scope;                /* enum consent_scope; opt-outs and opt-ins are always "all" */
    int basis;                /* enum consent_basis; consents only */
    const char *channel;      /* "sms", "instagram", "webchat", "voice", "any": [a-z0-9_.-]{1,32} */
    const char *campaign;     /* NULL when none; 1-128 bytes */
    const char *consent_text; /* the wording shown (web form); NULL when none */
    const char *message;      /* what the contact sent that caused it; NULL when none */
    int64_t at_us;            /* business time; 0: clock_now_us() */
};

/* Appends a consent. The opt-out state does not change: an opted-out
 * contact who texts again stays opted out until an opt-in. */
int consent_record(struct db_conn *c, const struct consent_entry *e, int64_t *event_id);

/* Appends an opt-out and marks the contact opted out. *changed (optional)
 * is true when the contact was not opted out before: the one time a
 * confirmation may be sent. */
int consent_opt_out(struct db_conn *c, const struct consent_entry *e, bool *changed,
                    int64_t *event_id);

/* Appends an opt-in and clears the opt-out. *changed as above. */
int consent_opt_in(struct db_conn *c, const struct consent_entry *e, bool *changed,
                   int64_t *event_id);

/* Whether the contact is opted out of everything from tenant_id. A contact
 * never seen is not. An opt-out recorded before a contact with the same key
 * was erased still counts (the ledger keeps it under a hashed key, see
 * contact_erase.h), and an opt-in clears it. */
int consent_is_opted_out(struct db_conn *c, const char *tenant_id, const char *contact,
                         bool *opted_out);

/* The contact's ledger as a JSON array, oldest first, at most limit (1-1000)
 * newest entries: [{"id":..,"kind":"opt_out","source":"inbound_text",
 * "scope":"all","basis":null,"channel":"sms","campaign":null,
 * "consent_text":null,"message":"STOP","at":"2027-03-02T20:15:00.000000Z"}].
 * *json is malloc'd; the caller frees it. */
int consent_history_json(struct db_conn *c, const char *tenant_id, const char *contact, int limit,
                         char **json);

const char *consent_source_name(int source); /* "inbound_text"; NULL when unknown */
const char *consent_scope_name(int scope);   /* "marketing"; NULL when unknown */
const char *consent_basis_name(int basis);   /* "express"; NULL for none or unknown */

#endif
