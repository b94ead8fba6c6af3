/*
 * The send gate: the last word on whether one outbound message may go out
 * now, must wait until a given instant, or must never go. The send worker
 * (outbound.c) asks it just before calling the channel; what it judges is a
 * struct send_gate_input (the message, the contact, the clinic, and facts
 * read from the database), what it answers a struct send_gate_decision.
 *
 * Built-in rules, in order: an opted-out contact gets nothing but the one
 * opt-out confirmation; at most one missed-call text-back per caller per 24
 * hours; anything proactive (kind "proactive", or any message that does not
 * answer the contact's own message or call of the last minute) obeys quiet
 * hours and the per-contact caps of the tenant's policy (quiet_hours.h); a
 * "notice" about the contact's booking obeys quiet hours but not the caps.
 * Further rules (CASL, retention...) are added with send_gate_add_rule at
 * start-up; each sees the decision so far and may only make it stricter
 * (SEND -> HOLD -> DROP). Library code: no logging.
 */
#ifndef BW_HOST_SEND_GATE_H
#define BW_HOST_SEND_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "quiet_hours.h"

#define SEND_GATE_E_INVAL (-1)
#define SEND_GATE_E_DB    (-2)
#define SEND_GATE_E_FULL  (-3) /* too many rules */

#define SEND_GATE_MAX_RULES 16
#define SEND_GATE_TEXTBACK_PERIOD_US (24LL * 3600 * 1000000)

enum send_verdict {
    SEND_GATE_SEND = 0,
    SEND_GATE_HOLD, /* not now: try again at hold_until_us */
    SEND_GATE_DROP, /* never: the message is cancelled with reason */
};

/* One outbound message as the gate judges it. Strings are borrowed. */
struct send_gate_input {
    const char *tenant_id;
    int64_t message_id;
    int64_t contact_id;
    const char *kind;          /* messages.kind: reply, textback, proactive, ... */
    const char *channel;       /* contacts.channel */
    const char *address;       /* contacts.address (the consent ledger's contact) */
    const char *phone;         /* E.164, or NULL */
    const char *clinic_zone;   /* the tenant's IANA zone */
    const char *country;       /* the tenant's country ("US", "CA") */
    int64_t created_us;        /* when the message was written */
    int64_t now_us;            /* host clock at the decision */

    /* Facts, filled by send_gate_load. */
    bool opted_out;
    int64_t last_inbound_us;   /* the contact's last message or call to the clinic; 0: none */
    int64_t recent_proactive_us[QH_MAX_RECENT]; /* proactive sends of the last 24 hours */
    size_t n_recent;
    int other_textbacks;       /* other text-backs to the contact in the last 24 hours */
};

struct send_gate_decision {
    int verdict;               /* enum send_verdict */
    int64_t hold_until_us;     /* HOLD: when to ask again */
    char reason[48];           /* HOLD/DROP: "opted_out", "quiet_hours", "frequency_cap",
                                  "textback_limit", or a rule's own; "" for SEND */
    bool proactive;            /* judged proactive (quiet hours and caps applied) */
    struct qh_decision qh;     /* when proactive: the quiet-hours answer */
};

/* A further rule: may make d stricter (never looser), reading c inside the
 * worker's transaction. Returns 0, or a negative error (the send retries). */
typedef int (*send_gate_rule_fn)(struct db_conn *c, const struct send_gate_input *in,
                                 struct send_gate_decision *d, void *ctx);

/* Adds a rule (at start-up, before any send). ctx must outlive the daemon.
 * Returns 0 or SEND_GATE_E_FULL. */
int send_gate_add_rule(const char *name, send_gate_rule_fn fn, void *ctx);
/* Removes every added rule (tests). */
void send_gate_clear_rules(void);

/*
 * The tenant's quiet-hours policy from its messaging settings: quiet_start,
 * quiet_end, proactive_max_per_24h and state_rules ("FL 08:00-20:00 3;
 * OK 08:00-20:00"; the cap is optional). Returns 0, or SEND_GATE_E_INVAL
 * with a reason in why.
 */
int send_gate_policy_parse(const struct tenant_config *t, struct qh_policy *p, char *why,
                           size_t whycap);

/* Reads the facts of in (opted_out .. other_textbacks) on c. */
int send_gate_load(struct db_conn *c, struct send_gate_input *in);

/* The built-in rules on loaded facts; pure. Returns 0 or a QH_E_* error. */
int send_gate_decide(const struct qh_policy *p, const struct send_gate_input *in,
                     struct send_gate_decision *out);

/* send_gate_load, send_gate_decide, then every added rule. */
int send_gate_run(struct db_conn *c, const struct qh_policy *p, struct send_gate_input *in,
                  struct send_gate_decision *out);

/* "send", "hold", "drop". */
const char *send_gate_verdict_name(int verdict);

#endif
