/*
 * What the evaluation runner observed of one patient at the end of a case,
 * and the check of a case's expectations against it (../shared/eval/
 * README.md, "Expectations"). The runner fills the observation from the
 * simulators (what reached the providers), the EMR under test and the
 * daemon's test-only state route; the check itself is pure, so
 * tests/unit/test_eval_expect.c can prove it with hand-made observations.
 */
#ifndef BW_TESTS_EVAL_EXPECT_H
#define BW_TESTS_EVAL_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define EVAL_OBS_MAX 64

/* An assistant message that reached the provider for this patient. */
struct eval_sent {
    const char *text;          /* borrowed */
    bool after_optout;         /* sent after the patient's opt-out took effect */
};

/* An appointment of this patient in the EMR under test, in the clinic's
 * local time, that the case created or changed. */
struct eval_appt {
    const char *service;       /* catalog id */
    const char *provider;      /* catalog id */
    char start[17];            /* "YYYY-MM-DDTHH:MM" */
    bool created;              /* created during the case */
    bool moved;                /* an existing one moved during the case */
    bool cancelled;            /* cancelled during the case */
};

struct eval_patient_obs {
    bool opted_out;
    bool handoff;
    bool hold_active_unpaid;   /* an active hold with an unpaid deposit link */
    bool hold_expired;         /* a hold lapsed unpaid */
    bool deposit_due_unpaid;   /* an appointment created whose deposit is unpaid */
    int64_t last_deposit_cents;/* -1: no link was sent */
    bool client_created;
    const char *client_first_name, *client_last_name; /* borrowed, may be NULL */
    struct eval_sent sent[EVAL_OBS_MAX];
    size_t n_sent;
    struct eval_appt appts[EVAL_OBS_MAX];
    size_t n_appts;
    double first_reply_ms;     /* -1: no reply, or not measured */
};

/* The outcome the README defines, the first that holds. */
const char *eval_outcome(const struct eval_patient_obs *o);

/*
 * Checks one patient's expectations (the case's expect.<id> object).
 * Returns 0, or -1 with why filled ("outcome booked, expected held", ...).
 * stored_exclude is not checked here (it needs the database and the log).
 */
int eval_check_patient(const cJSON *expect, const struct eval_patient_obs *o, char *why,
                       size_t cap);

/* Case-insensitive UTF-8 PCRE2 match; -1 when the pattern does not compile. */
int eval_regex_match(const char *pattern, const char *text);

#endif
