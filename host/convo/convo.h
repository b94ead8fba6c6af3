/*
 * The conversation engine's decision core: one pure function, convo_decide(),
 * that reads a conversation's state, one event (a patient's message already
 * understood by host/nlu, a missed call, a payment, a hold that lapsed, a
 * failed action, a timer), the tenant's knowledge (catalog, prices, hours,
 * policies, deposit rules, zone) and the facts a driver fetched for it, and
 * returns the actions to take and the new state. It reads no clock (now is an
 * argument), touches no database and does no I/O, so every decision can be
 * replayed and unit-tested.
 *
 * How a driver uses it (one message at a time per conversation, inside the
 * job's transaction):
 *   1. load the state (convo_state_from_json; a new conversation starts from
 *      convo_state_init), understand the message with the context
 *      convo_nlu_context() gives, and call convo_decide() with empty facts;
 *   2. while the result says need_facts, fetch what its query actions ask for
 *      (CONVO_ACT_QUERY_CLIENT, CONVO_ACT_QUERY_AVAILABILITY), add the answers
 *      to the facts and call convo_decide() again with the same state and
 *      event (the same inputs always ask for the same queries, so answers are
 *      matched by convo_query_eq);
 *   3. execute the actions in order. When one fails (a hold lost to another
 *      patient, the EMR unavailable), stop and call convo_decide() with the
 *      state that decision made (greeted and turns put back, as its reply
 *      was not sent) and a CONVO_EV_HOLD_FAILED / CONVO_EV_BOOKING_FAILED /
 *      CONVO_EV_ACTION_FAILED event; actions already executed stay done (the
 *      core puts replies after the side effects they speak of).
 *      convo_turn() (turn.h) is this loop over a table of ports;
 *   4. store the new state (convo_state_to_json) with the rest of the turn.
 * A reply's text may hold CONVO_LINK_MARK: the URL of the conversation's
 * deposit link goes there. Links are made asynchronously (deposits.h: the
 * link job, then its link hook), so the driver keeps such a reply with the
 * deposit and sends it from the link hook with the URL in place of the mark
 * (a link that cannot be made comes back as CONVO_EV_ACTION_FAILED); a reply
 * that re-sends an existing link is sent at once with the stored URL. The
 * deposits paid hook becomes CONVO_EV_PAYMENT, a lapsed hold
 * CONVO_EV_HOLD_EXPIRED, a CONVO_ACT_SCHEDULE a job that comes back as
 * CONVO_EV_TIMER. While the state's stage is CONVO_ST_HANDOFF the
 * conversation's status is 'handoff'.
 */
#ifndef BW_HOST_CONVO_CONVO_H
#define BW_HOST_CONVO_CONVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "convo/knowledge.h"
#include "nlu/nlu.h"

#define CONVO_E_INVAL (-1) /* a bad argument, or a JSON state out of shape */
#define CONVO_E_NOMEM (-2)
#define CONVO_E_TZ    (-3) /* the clinic's zone failed in ICU */

#define CONVO_VISIT_MAX    3   /* services in one visit (back-to-back appointments) */
#define CONVO_OFFERS_MAX   3   /* slots offered at once */
#define CONVO_ACTIONS_MAX  10
#define CONVO_QUERIES_MAX  4   /* availability answers in one set of facts */
#define CONVO_APPTS_MAX    8   /* a client's upcoming appointments in the facts */
#define CONVO_REF_MAX      64  /* an EMR appointment id, with its NUL */
#define CONVO_TEXT_MAX     481 /* a reply: at most 480 bytes, with its NUL */
#define CONVO_REASON_MAX   64

/* Replaced by the driver with the URL of the deposit link created by the
 * CONVO_ACT_DEPOSIT_LINK action of the same list. Budgeted as 120 bytes
 * inside the 480. */
#define CONVO_LINK_MARK "{link}"
#define CONVO_LINK_BUDGET 120

/* Replaced by the driver with the clinic's own booking page (a link-only
 * EMR's booking_url). Budgeted as 120 bytes inside the 480. */
#define CONVO_BOOKING_MARK "{booking}"
#define CONVO_BOOKING_BUDGET 120

/* ------------------------------------------------------------------ state */

enum convo_stage {
    CONVO_ST_NEW = 0,      /* nothing said yet */
    CONVO_ST_CHAT,         /* talking: questions, qualifying */
    CONVO_ST_OFFERED,      /* slots offered, waiting for a choice */
    CONVO_ST_ACCEPTED,     /* a slot chosen; booking still needs the patient's name */
    CONVO_ST_HELD,         /* held, deposit link sent, unpaid */
    CONVO_ST_PAID,         /* paid; the booking is being written (retrying) */
    CONVO_ST_BOOKED,       /* booked */
    CONVO_ST_EXPIRED,      /* the hold lapsed unpaid */
    CONVO_ST_CANCEL_ASK,   /* asked to confirm cancelling an appointment */
    CONVO_ST_MOVE_OFFERED, /* slots offered to move an appointment to */
    CONVO_ST_HANDOFF,      /* with staff: the assistant stays silent */
    CONVO_ST_CLOSED,       /* wrong number, or done for now */
    CONVO_ST_REQUESTED,    /* link-only EMR: a staff task made; staff enter the booking by hand */
    CONVO_ST_COUNT
};

enum convo_client_kind { CONVO_CLIENT_UNKNOWN = 0, CONVO_CLIENT_NEW, CONVO_CLIENT_EXISTING };

/* One appointment of a visit: indexes into the knowledge's services and
 * providers, its start (UTC microseconds) and length. */
struct convo_part {
    int16_t service;
    int16_t provider;
    int32_t dur_min;
    int64_t start_us;
};

struct convo_visit {
    uint8_t n;
    struct convo_part part[CONVO_VISIT_MAX];
};

/* What the patient wants, as far as told: dates are local days since
 * 1970-01-01 (NLU_DAY_NONE: none), times minutes since local midnight. */
struct convo_want {
    uint8_t nservices;
    int16_t services[CONVO_VISIT_MAX];
    int16_t provider;     /* preferred provider, -1: any */
    int32_t day_from, day_to;
    uint8_t time_kind;    /* enum nlu_time_kind */
    int16_t min_from, min_to;
    uint8_t part;         /* enum nlu_part */
    uint8_t order;        /* enum nlu_order */
    bool approx;
};

/* Per-conversation state, stored as JSON in conversations.state. It holds
 * no message text and nothing medical: ids, times, names, amounts. */
struct convo_state {
    uint8_t stage;         /* enum convo_stage */
    uint8_t resume_stage;  /* the stage to go back to when staff hand back */
    bool greeted;          /* the first reply (which names the clinic) went out */
    uint16_t turns;        /* replies so far: varies the wording */
    uint8_t client;        /* enum convo_client_kind */
    bool said_new;         /* the patient said they are new */
    char first[NLU_PERSON_MAX];
    char last[NLU_PERSON_MAX];
    char email[NLU_EMAIL_MAX];
    struct convo_want want;
    uint8_t noffers;
    struct convo_visit offers[CONVO_OFFERS_MAX];
    bool has_chosen;
    struct convo_visit chosen; /* accepted, held or booked */
    int32_t deposit_cents;     /* of the link sent, -1: none sent */
    bool followed_up;          /* the one follow-up on an unpaid link went out */
    bool delay_told;           /* told that booking after payment is delayed */
    bool expecting_name;
    int32_t credit_cents;      /* paid for a time that was taken meanwhile: goes toward the
                                  next time chosen, or back on REFUND; 0: none */
    char appt_ref[CONVO_REF_MAX]; /* an existing appointment being moved or cancelled */
    struct convo_part appt;
    /* Set by the driver for every decision from the tenant's EMR, never
     * stored: the EMR has no booking API (BW_EMR_CAP_LINK_ONLY), so the core
     * qualifies the patient (services, preferred time, name), asks for the
     * deposit and then makes a staff task or hands out the clinic's booking
     * page (booking_link: one is configured) instead of offering slots. */
    bool link_only;
    bool booking_link;
};

/* A fresh conversation. */
void convo_state_init(struct convo_state *st);

/* The state as JSON (a new object the caller deletes), or NULL when out of
 * memory. Services and providers are written by id. */
cJSON *convo_state_to_json(const struct convo_knowledge *k, const struct convo_state *st);

/* The state from JSON written by convo_state_to_json; ids the knowledge no
 * longer has are dropped. Returns 0 or CONVO_E_INVAL. */
int convo_state_from_json(const struct convo_knowledge *k, const cJSON *json, struct convo_state *st);

/* The understanding context this state gives the next message. */
void convo_nlu_context(const struct convo_state *st, struct nlu_context *ctx);

/* ------------------------------------------------------------------ events */

/* (Named convo_ev, not convo_event: that is the messaging path's inbound
 * event in convo_hook.h, which the driver turns into one of these.) */

enum convo_ev_kind {
    CONVO_EV_MESSAGE = 0,      /* a patient's message (opt-out and HELP already handled) */
    CONVO_EV_MISSED_CALL,      /* the patient called and nobody answered */
    CONVO_EV_PAYMENT,          /* the deposit was paid (known from the signed webhook) */
    CONVO_EV_HOLD_EXPIRED,     /* the hold lapsed unpaid */
    CONVO_EV_HOLD_FAILED,      /* a CONVO_ACT_HOLD of the last list failed: the slot is taken */
    CONVO_EV_BOOKING_FAILED,   /* a CONVO_ACT_BOOK failed (retryable: the EMR is unavailable) */
    CONVO_EV_ACTION_FAILED,    /* another action failed (retryable: the EMR is unavailable) */
    CONVO_EV_TIMER,            /* a CONVO_ACT_SCHEDULE came due */
    CONVO_EV_STAFF_HANDBACK,   /* staff hand the conversation back */
};

enum convo_timer { CONVO_TIMER_NONE = 0, CONVO_TIMER_FOLLOWUP, CONVO_TIMER_RETRY_BOOK };

struct convo_ev {
    uint8_t kind;                 /* enum convo_ev_kind */
    const struct nlu_result *nlu; /* CONVO_EV_MESSAGE: borrowed; the text itself is never needed */
    bool retryable;               /* *_FAILED: the failure is temporary */
    uint8_t timer;                /* CONVO_EV_TIMER: enum convo_timer */
    int64_t amount_cents;         /* CONVO_EV_PAYMENT */
};

/* ------------------------------------------------------------------ facts */

/* An availability question: free starts of one service (any eligible
 * provider, or one) in [from_us, to_us). */
struct convo_query {
    int16_t service;
    int16_t provider; /* -1: every provider who offers it */
    int64_t from_us, to_us;
};

bool convo_query_eq(const struct convo_query *a, const struct convo_query *b);

/* A free start: where the service fits without overlapping anything booked
 * or held, inside the clinic's and the provider's hours. The driver's
 * calendar applies hours, closed dates, the horizon and minimum notice. */
struct convo_slot {
    int64_t start_us;
    int16_t provider;
};

struct convo_avail {
    struct convo_query q;
    bool failed;                   /* the EMR was unavailable */
    size_t n;
    const struct convo_slot *slots; /* borrowed; ascending start, then provider */
};

/* An upcoming appointment of the client in the EMR. */
struct convo_appt {
    char ref[CONVO_REF_MAX];
    struct convo_part part;
};

struct convo_client {
    bool known; /* the EMR knows this phone */
    char first[NLU_PERSON_MAX];
    char last[NLU_PERSON_MAX];
    size_t nappts;
    struct convo_appt appts[CONVO_APPTS_MAX];
};

struct convo_facts {
    bool has_client;
    bool client_failed; /* the EMR was unavailable */
    struct convo_client client;
    size_t navail;
    struct convo_avail avail[CONVO_QUERIES_MAX];
};

/* ------------------------------------------------------------------ actions */

enum convo_action_kind {
    CONVO_ACT_REPLY = 0,          /* text (CONVO_LINK_MARK replaced), proactive or not */
    CONVO_ACT_QUERY_CLIENT,       /* is this contact a client; their upcoming appointments */
    CONVO_ACT_QUERY_AVAILABILITY, /* query */
    CONVO_ACT_HOLD,               /* visit: hold every part for the clinic's hold_minutes */
    CONVO_ACT_RELEASE_HOLD,       /* release this conversation's active hold */
    CONVO_ACT_DEPOSIT_LINK,       /* cents: a hosted payment link for the held visit */
    CONVO_ACT_BOOK,               /* visit + patient fields: write the appointments */
    CONVO_ACT_CANCEL,             /* ref: cancel an existing appointment */
    CONVO_ACT_RESCHEDULE,         /* ref, visit (one part): move an existing appointment */
    CONVO_ACT_HANDOFF,            /* reason: staff take the conversation */
    CONVO_ACT_STAFF_ALERT,        /* reason: tell staff now (urgent symptoms, a payment for a lost slot) */
    CONVO_ACT_SCHEDULE,           /* timer at at_us: call back with CONVO_EV_TIMER */
    CONVO_ACT_REFUND,             /* cents: refund the conversation's paid deposit now */
    CONVO_ACT_STAFF_TASK,         /* link-only: visit (services, no times), text (the preferred
                                     time, in words), cents (deposit paid), patient fields: staff
                                     enter the booking by hand */
    CONVO_ACT_COUNT
};

struct convo_action {
    uint8_t kind;                  /* enum convo_action_kind */
    bool proactive;                /* REPLY: not an answer to the patient's own act */
    bool textback;                 /* REPLY: the missed-call text-back (messages.kind) */
    char text[CONVO_TEXT_MAX];     /* REPLY; STAFF_TASK: the preferred time */
    struct convo_query query;      /* QUERY_AVAILABILITY */
    struct convo_visit visit;      /* HOLD, BOOK, RESCHEDULE */
    int64_t cents;                 /* DEPOSIT_LINK; BOOK: the deposit paid */
    char ref[CONVO_REF_MAX];       /* CANCEL, RESCHEDULE */
    char reason[CONVO_REASON_MAX]; /* HANDOFF, STAFF_ALERT: a short code, no patient text */
    uint8_t timer;                 /* SCHEDULE: enum convo_timer */
    int64_t at_us;                 /* SCHEDULE */
    bool new_client;               /* BOOK: create the client */
    char first[NLU_PERSON_MAX];    /* BOOK, STAFF_TASK */
    char last[NLU_PERSON_MAX];
    char email[NLU_EMAIL_MAX];
};

struct convo_result {
    bool need_facts;               /* only query actions: fetch, then decide again */
    size_t nactions;
    struct convo_action action[CONVO_ACTIONS_MAX];
    struct convo_state state;      /* the new state (equal to the old one when need_facts) */
};

/* Decides one event. k, st, ev and facts (NULL: none) are borrowed; now_us
 * is the host clock's instant of the event. Fills *out. Returns 0, or
 * CONVO_E_INVAL / CONVO_E_TZ. */
int convo_decide(const struct convo_knowledge *k, const struct convo_state *st, const struct convo_ev *ev,
                 const struct convo_facts *facts, int64_t now_us, struct convo_result *out);

/* Stable lowercase names, for logs and tests. */
const char *convo_stage_name(enum convo_stage s);
const char *convo_action_name(enum convo_action_kind a);

/* The deposit the clinic's rules ask for this visit: the first matching rule
 * per service, the largest over the visit's services. */
int64_t convo_deposit_cents(const struct convo_knowledge *k, const struct convo_visit *v, bool new_client);

#endif
