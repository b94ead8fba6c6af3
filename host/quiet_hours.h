/*
 * Quiet hours and proactive-message caps: may a proactive message (a
 * follow-up, a reminder, anything that does not answer a message received
 * within the last minute) go to this recipient now, and if not, when is the
 * earliest moment it may? The recipient's local time comes from the phone
 * number's area code (every zone the code covers must be inside the window),
 * else from the clinic's zone. The tenant's window (default 08:00-21:00) is
 * narrowed by a rule for the recipient's state or province when the tenant
 * has one (Florida: 08:00-20:00 and at most 3 per 24 hours). Pure
 * computation on the host clock's instants: no I/O, no global state.
 */
#ifndef BW_HOST_QUIET_HOURS_H
#define BW_HOST_QUIET_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "area_codes.h"

#define QH_E_INVAL (-1) /* a malformed policy or argument */
#define QH_E_ZONE  (-2) /* the clinic's zone is not an IANA zone */
#define QH_E_NEVER (-3) /* the windows of the recipient's zones never overlap */
#define QH_E_TZ    (-4) /* the zone arithmetic failed (out of memory, out of range) */

#define QH_DEFAULT_START (8 * 60)
#define QH_DEFAULT_END (21 * 60)
#define QH_MAX_STATE_RULES 16
#define QH_MAX_RECENT 256       /* recent sends considered; more is refused */
#define QH_REPLY_WINDOW_US (60LL * 1000000)
#define QH_CAP_PERIOD_US (24LL * 3600 * 1000000)

/* A stricter rule for recipients in one state or province. */
struct qh_state_rule {
    char region[3];  /* "FL": two capital letters, as area_codes reports them */
    int start_min;   /* window in local minutes since midnight, [start, end) */
    int end_min;
    int max_per_24h; /* 0: no cap beyond the tenant's */
};

/* A tenant's policy. The window is [start_min, end_min) in the recipient's
 * local minutes since midnight, 0 <= start_min < end_min <= 1440. */
struct qh_policy {
    int start_min;
    int end_min;
    int max_per_24h; /* proactive messages per contact in any 24 hours; 0: no cap */
    int n_rules;
    struct qh_state_rule rules[QH_MAX_STATE_RULES];
};

/* Who the message is for. Borrowed for the call. */
struct qh_recipient {
    const char *phone;              /* E.164, or NULL for a channel without a number */
    const char *clinic_zone;        /* IANA zone of the clinic: the fallback */
    const int64_t *recent_sends_us; /* proactive sends to this contact, any order; a send
                                       counts for 24 hours (one later than now counts as now) */
    size_t n_recent;
};

#define QH_REASON_WINDOW 1 /* outside the window in some zone of the recipient */
#define QH_REASON_CAP    2 /* the 24-hour cap is reached */

struct qh_decision {
    bool send_now;
    int64_t earliest_us; /* now when send_now; else the first instant inside every window
                            with the cap clear (assuming nothing else is sent meanwhile) */
    int reasons;         /* QH_REASON_* why not now; 0 when send_now */
    char region[3];      /* the recipient's state or province, "" when unknown */
    int n_zones;
    const char *zones[AREA_CODES_MAX_ZONES]; /* the zones judged: static names, or the
                                                recipient's clinic_zone pointer */
    int start_min, end_min, max_per_24h;     /* the rule applied */
};

/* 08:00-21:00, no cap, no state rules. */
void quiet_hours_policy_init(struct qh_policy *p);

/* Adds a rule for region ("FL"). Returns 0, or QH_E_INVAL for a bad region
 * or window, a duplicate region, or a full table. */
int quiet_hours_policy_add_state(struct qh_policy *p, const char *region, int start_min,
                                 int end_min, int max_per_24h);

/* Parses "HH:MM" (00:00-24:00) into minutes since midnight. Returns 0 or
 * QH_E_INVAL. */
int quiet_hours_parse_hhmm(const char *s, int *minutes);

/* True when a message sent at now_us answers an inbound message received at
 * last_inbound_us within the last minute: not proactive, not subject to quiet
 * hours. last_inbound_us <= 0 means none. */
bool quiet_hours_is_reply(int64_t now_us, int64_t last_inbound_us);

/* Decides for a proactive message at now_us. Returns 0 and fills out, or
 * QH_E_*. */
int quiet_hours_decide(const struct qh_policy *p, const struct qh_recipient *r, int64_t now_us,
                       struct qh_decision *out);

#endif
