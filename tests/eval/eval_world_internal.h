/*
 * The evaluation world's state, shared by its parts: eval_world.c (the
 * processes and their configuration), eval_steps.c (the script's steps as
 * provider webhooks) and eval_observe.c (what the product did). Not for use
 * outside tests/eval/.
 */
#ifndef BW_TESTS_EVAL_WORLD_INTERNAL_H
#define BW_TESTS_EVAL_WORLD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "eval/eval_world.h"
#include "support/sim_proc.h"

#define EVAL_TWILIO_ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define EVAL_TWILIO_TOKEN "eval-twilio-auth-token-0123456789"
#define EVAL_SQUARE_TOKEN "eval-square-access-token"
#define EVAL_SQUARE_SIGNATURE_KEY "eval-square-signature-key"
#define EVAL_SQUARE_MERCHANT "MLEVALMERCHANT1"
#define EVAL_SQUARE_LOCATION "LEVALLOCATION1"
#define EVAL_FORWARD_NUMBER "+14155550999"
#define EVAL_IG_ACCOUNT "17841400000000000"
#define EVAL_IG_APP_SECRET "eval-instagram-app-secret"
#define EVAL_IG_VERIFY_TOKEN "eval-instagram-verify-token"
#define EVAL_IG_ACCESS_TOKEN "eval-instagram-access-token"
#define EVAL_WEBCHAT_SECRET "eval-webchat-token-secret-0123456789"
#define EVAL_EVENTS_MAX 256

/* A patient's own action (message, call, payment) on the business clock. */
struct eval_event {
    const char *patient;       /* the patient id, borrowed from the case */
    int64_t biz_us;
};

/* A patient as the product knows them: the address of their contact (the
 * phone, the Instagram-scoped id, or the visitor id the web chat session
 * gave), and the web chat session (token, last stream event read). */
struct eval_patient_run {
    char address[96];
    char token[256];
    long last_event;
};

struct eval_world {
    struct eval_world_opts o;
    const struct eval_case *c;
    const char *tenant;        /* the clinic id, borrowed */
    const char *timezone;      /* borrowed from the clinic */
    const char *clinic_phone;  /* borrowed */
    char *db;                  /* the case's database (conninfo, owned) */
    char dir[256];             /* configuration, secrets, logs */
    char log_path[320];
    pid_t daemon;
    unsigned public_port, admin_port;
    char public_url[64], admin_url[64];
    struct test_sim twilio, square, emr_sim, instagram;
    bool have_emr_sim;         /* the EMR's simulator runs (emr_sim) */
    bool have_emr_conf;        /* the EMR is configured from tests/eval/emr/<name>.conf */
    char emr_plugin[72];       /* its plugin id ("#@plugin" line, default "emr.<name>") */
    bool have_instagram;       /* a patient of the case is on Instagram */
    bool have_webchat;         /* a patient of the case is on web chat */
    char widget_key[96];       /* the web chat binding's widget key */
    bool duplicate;            /* duplicate_webhooks is on */
    bool emr_down;
    unsigned seq;              /* provider ids made up by the runner */
    struct eval_event events[EVAL_EVENTS_MAX];
    size_t n_events;
    double first_webhook_ms[EVAL_PATIENTS_MAX]; /* real time of the revealing webhook, 0: none */
    struct eval_patient_run run[EVAL_PATIENTS_MAX];
    unsigned calls[EVAL_PATIENTS_MAX]; /* missed calls the script made, per patient */
    cJSON *seen;               /* web chat messages seen: [{sid, to, body, received_ms}] */
    cJSON *transcript;         /* the steps and what came back (owned) */
    cJSON *emr_before;         /* the EMR's appointments when the case started (owned) */
    cJSON *emr_caps;           /* the EMR instance's capabilities: ["book", ...] (owned) */
    cJSON *state;              /* the last test-only state document (owned) */
    cJSON *sent;               /* every message that reached a patient's provider:
                                * {"messages": [{sid, to, body, received_ms}]} */
};

/* The patient index of p in the case. */
int eval_world_patient_index(const struct eval_world *w, const struct eval_patient_def *p);

/* The business clock now (from the daemon), or -1. */
int64_t eval_world_clock(struct eval_world *w);

/* Waits until the daemon is idle. */
int eval_world_wait_idle(struct eval_world *w, char *err, size_t cap);

/* Calls an EMR op through the daemon's test route; *result receives the
 * op's output document (owned) on success. */
int eval_world_emr_call(struct eval_world *w, const char *op, const cJSON *input, cJSON **result,
                        char *err, size_t cap);

/* Whether the EMR instance declares the capability ("book", "cancel",
 * "appointment_list", ...). */
bool eval_world_emr_can(const struct eval_world *w, const char *capability);

/* Refreshes w->state and w->sent (the Twilio simulator's messages, the
 * Instagram simulator's Send API requests, the web chat streams). */
int eval_world_refresh(struct eval_world *w, char *err, size_t cap);

/* Reads the web chat messages that are new since the last look into
 * w->seen, stamped with the real time they were first seen (the widget's
 * event stream carries no wall-clock time of its own). */
void eval_world_collect(struct eval_world *w);

/* The product's address of patient p ("" before a web chat session). */
const char *eval_world_address(const struct eval_world *w, const struct eval_patient_def *p);

#endif
