/*
 * What happens to a paid deposit, by the tenant's policy: applied to the
 * treatment when the patient shows; refunded (or kept as credit, when the
 * policy says so) when the patient cancels at least the policy's window
 * before the start; forfeited on a later cancellation or a no-show;
 * refunded in full when the clinic cancels; and, for a payment that arrived
 * after its hold lapsed and whose slot was gone, refunded once the policy's
 * grace period passes without a new booking.
 *
 * The policy comes from the clinic document (docs/catalog.md): an optional
 * "deposit_policy" object {"cancel_window_hours", "in_window": "refund" |
 * "credit", "lost_slot_refund_hours"}; without it, the window is read from
 * the cancellation policy text the patient was shown ("at least 24 hours",
 * "48 hrs", "2 days"), and "credit" in that text means credit. Pure
 * computation: no database, no clock.
 */
#ifndef BW_HOST_DEPOSIT_POLICY_H
#define BW_HOST_DEPOSIT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define DEPOSIT_POLICY_WINDOW_DEFAULT_MIN (24 * 60)
#define DEPOSIT_POLICY_LOST_SLOT_DEFAULT_MIN (48 * 60)

struct deposit_policy {
    int cancel_window_min;    /* a patient cancelling at least this long ahead keeps the money */
    bool in_window_credit;    /* ... as credit at the clinic rather than a refund */
    int lost_slot_refund_min; /* a paid-for lost slot is refunded this long after the payment */
    char source[16];          /* "deposit_policy", "text" or "default": recorded as evidence */
};

enum deposit_occasion {
    DEPOSIT_OCC_SHOWED = 0,
    DEPOSIT_OCC_NO_SHOW,
    DEPOSIT_OCC_PATIENT_CANCEL,
    DEPOSIT_OCC_CLINIC_CANCEL,
    DEPOSIT_OCC_LOST_SLOT,    /* paid after the hold lapsed, the slot taken meanwhile */
    DEPOSIT_OCC_COUNT
};

enum deposit_fate {
    DEPOSIT_FATE_APPLIED = 0, /* counts toward the treatment */
    DEPOSIT_FATE_REFUNDED,
    DEPOSIT_FATE_CREDIT,
    DEPOSIT_FATE_FORFEITED,
};

/* The policy of a clinic document (the catalog as imported; NULL gives the
 * defaults). Returns 0, or -1 when "deposit_policy" is present but out of
 * shape (*out then holds the defaults). */
int deposit_policy_from_doc(const cJSON *clinic, struct deposit_policy *out);

/* The deposit's fate on occasion at now_us for an appointment starting at
 * start_us (both host clock microseconds). */
enum deposit_fate deposit_policy_fate(const struct deposit_policy *p, enum deposit_occasion occ,
                                      int64_t now_us, int64_t start_us);

/* Stable names ("showed", "no_show", "patient_cancelled", "clinic_cancelled",
 * "lost_slot"; "applied", "refunded", "credit", "forfeited"), and the
 * occasion of a name (-1: none). */
const char *deposit_occasion_name(enum deposit_occasion o);
int deposit_occasion_parse(const char *name);
const char *deposit_fate_name(enum deposit_fate f);

#endif
