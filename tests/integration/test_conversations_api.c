/*
 * Conversations an integrator drives with the clinic's API key, through
 * the evaluation world (the real daemon, the Twilio simulator receiving
 * the assistant's texts, the built-in understanding and calendar): a lead
 * handed over with POST /conversations/start is answered by SMS; POST
 * /conversations/message continues it until a slot is offered; GET
 * /conversations/{id}/state shows the stage and the service and is logged
 * as a transcript read; bad input is 400, an unknown conversation 404, no
 * key 401; a repeated Idempotency-Key queues nothing again; and a STOP
 * handed over opts the contact out: the confirmation is the last text,
 * even when the patient then texts the clinic directly.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eval/eval_http.h"
#include "eval/eval_kit_world.h"
#include "eval/eval_world_internal.h"

#define PATIENT "+14155550501"
#define CONSENT "I agree to receive texts from Glow Aesthetics about my booking."

static struct eval_kit_world kit;
static struct eval_world *w;
static const struct eval_case *api_case;

static const char API_CASE[] =
    "{\"id\":\"conversations-api\",\"clinic\":\"glow\",\"now\":\"2027-03-02T12:15:00\","
    "\"patients\":[{\"id\":\"p\",\"channel\":\"sms\",\"phone\":\"" PATIENT "\"}],"
    "\"script\":[{\"as\":\"p\",\"say\":\"Friday 3:30 works\"}],"
    "\"expect\":{}}";

static void api_setup(void)
{
    char err[512];
    cr_assert_eq(eval_kit_world_start(&kit, API_CASE, err, sizeof err), 0, "%s", err);
    w = kit.w;
    api_case = &kit.c;
}

static void api_teardown(void)
{
    eval_kit_world_stop(&kit);
    w = NULL;
}

/* A new API key of the clinic as an Authorization header. */
static void new_key(char *header, size_t cap)
{
    char err[512];
    cr_assert_eq(eval_kit_api_key(&kit, "glow", header, cap, NULL, 0, err, sizeof err), 0, "%s", err);
}

/* method path as auth (NULL: no key) with extra (a header or NULL). */
static long api(const char *method, const char *path, const char *auth, const char *extra,
                const char *body, cJSON **json)
{
    return eval_kit_api(&kit, method, path, auth, extra, body, json);
}

static double num(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const char *text_of(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s ? s : "";
}

/* The texts the patient has had, once the daemon is idle. */
static size_t texts(struct eval_patient_obs *obs)
{
    char err[512];
    cr_assert_eq(eval_world_wait_idle(w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(eval_world_observe(w, &api_case->patients[0], obs, err, sizeof err), 0, "%s", err);
    return obs->n_sent;
}

static int n_said, n_reads; /* messages handed over after the lead; state reads */

static void say(const char *auth, long conv, const char *message, const char *key)
{
    char body[512], extra[128];
    snprintf(body, sizeof body, "{\"conversation_id\":%ld,\"message\":\"%s\"}", conv, message);
    snprintf(extra, sizeof extra, "Idempotency-Key: %s", key ? key : "");
    cJSON *j = NULL;
    cr_assert_eq(api("POST", "/conversations/message", auth, key ? extra : NULL, body, &j), 202,
                 "%s", message);
    cr_assert_eq(num(j, "conversation_id"), conv);
    cr_assert_str_neq(text_of(j, "message_ref"), "");
    cJSON_Delete(j);
    n_said++;
}

static cJSON *state_of(const char *auth, long conv)
{
    char path[64];
    snprintf(path, sizeof path, "/conversations/%ld/state", conv);
    cJSON *j = NULL;
    cr_assert_eq(api("GET", path, auth, NULL, NULL, &j), 200);
    n_reads++;
    return j;
}

static long count_sql(PGconn *db, const char *sql, const char *p1)
{
    const char *p[] = { p1 };
    PGresult *r = PQexecParams(db, sql, 1, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

TestSuite(conversations_api, .init = api_setup, .fini = api_teardown, .timeout = 180);

Test(conversations_api, start_continue_read_and_stop_through_the_daemon)
{
    char auth[256];
    struct eval_patient_obs obs;
    new_key(auth, sizeof auth);

    /* Refused before anything is stored. */
    cr_assert_eq(api("POST", "/conversations/start", NULL, NULL,
                     "{\"phone\":\"" PATIENT "\",\"message\":\"Hi\"}", NULL), 401);
    cr_assert_eq(api("POST", "/conversations/start", auth, NULL,
                     "{\"phone\":\"555-12\",\"message\":\"Hi, I want to book Botox\"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/start", auth, NULL,
                     "{\"phone\":\"call me maybe\",\"message\":\"Hi\"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/start", auth, NULL,
                     "{\"phone\":\"" PATIENT "\",\"message\":\"  \"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/start", auth, NULL,
                     "{\"phone\":\"" PATIENT "\"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/start", auth, NULL,
                     "{\"phone\":\"" PATIENT "\",\"message\":\"Hi\",\"channel\":\"fax\"}", NULL), 400);
    cr_assert_eq(texts(&obs), 0);

    /* The lead, its number written as people write it: answered by SMS. */
    cJSON *j = NULL;
    cr_assert_eq(api("POST", "/conversations/start", auth, "Idempotency-Key: lead-1",
                     "{\"phone\":\"(415) 555-0501\",\"message\":\"Hi, I want to book Botox\","
                     "\"consent_text\":\"" CONSENT "\"}", &j), 202);
    long conv = (long)num(j, "conversation_id"), contact = (long)num(j, "contact_id");
    cr_assert_gt(conv, 0);
    cr_assert_gt(contact, 0);
    cJSON_Delete(j);
    size_t answered = texts(&obs);
    cr_assert_geq(answered, 1, "the assistant's reply reached the Twilio simulator");

    /* The same key again: the same conversation, nothing queued again. */
    cr_assert_eq(api("POST", "/conversations/start", auth, "Idempotency-Key: lead-1",
                     "{\"phone\":\"" PATIENT "\",\"message\":\"Hi, I want to book Botox\"}", &j), 202);
    cr_assert_eq(num(j, "conversation_id"), conv);
    cJSON_Delete(j);
    cr_assert_eq(texts(&obs), answered, "a repeated key is not a new message");

    /* The lead's context: slots of the service asked for are offered. */
    cJSON *st = state_of(auth, conv);
    char *printed = cJSON_PrintUnformatted(st);
    cr_assert_str_eq(text_of(st, "stage"), "offered", "%s", printed);
    cr_assert_str_eq(text_of(st, "service"), "botox", "%s", printed);
    cr_assert_eq(num(st, "id"), conv);
    cr_assert_eq(num(st, "contact_id"), contact);
    cr_assert_str_eq(text_of(st, "contact"), PATIENT);
    cr_assert_str_eq(text_of(st, "channel"), "sms");
    cr_assert_str_eq(text_of(st, "status"), "open");
    cr_assert_gt(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "offered")), 0, "%s", printed);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(st, "hold")), "%s", printed);
    cJSON_free(printed);
    cJSON_Delete(st);

    /* Continued: another day asked for, then a slot chosen. */
    size_t before = texts(&obs);
    say(auth, conv, "Do you have anything Friday afternoon?", NULL);
    cr_assert_gt(texts(&obs), before, "the assistant answers");
    st = state_of(auth, conv);
    printed = cJSON_PrintUnformatted(st);
    cr_assert_str_eq(text_of(st, "stage"), "offered", "%s", printed);
    const cJSON *slot = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "offered"), 0), 0);
    cr_assert_str_eq(text_of(slot, "service"), "botox", "%s", printed);
    cr_assert(strncmp(text_of(slot, "start"), "2027-03-05T", 11) == 0, "Friday's slots: %s", printed);
    cr_assert(strstr(printed, "Friday") == NULL && strstr(printed, "Botox") == NULL,
              "no message text in the context: %s", printed);
    cJSON_free(printed);
    cJSON_Delete(st);

    before = texts(&obs);
    say(auth, conv, "Friday 3:30 works", NULL);
    cr_assert_gt(texts(&obs), before, "the assistant answers");
    say(auth, conv, "Emily Chen", NULL);
    cr_assert(strstr(obs.sent[texts(&obs) - 1].text, "deposit") != NULL, "%s", obs.sent[obs.n_sent - 1].text);
    st = state_of(auth, conv);
    printed = cJSON_PrintUnformatted(st);
    cr_assert_str_eq(text_of(st, "stage"), "held", "%s", printed);
    cr_assert_str_eq(text_of(st, "provider"), "dr-smith", "%s", printed);
    const cJSON *hold = cJSON_GetObjectItemCaseSensitive(st, "hold");
    cr_assert_gt(num(hold, "id"), 0, "%s", printed);
    cr_assert_str_eq(text_of(hold, "state"), "active", "%s", printed);
    cr_assert_str_eq(text_of(hold, "start"), "2027-03-05T23:30:00Z", "%s", printed);
    cr_assert_str_neq(text_of(hold, "expires_at"), "", "%s", printed);
    const cJSON *deposit = cJSON_GetObjectItemCaseSensitive(st, "deposit");
    cr_assert_str_eq(text_of(deposit, "status"), "created", "%s", printed);
    cr_assert_eq(num(deposit, "amount_minor"), 5000, "%s", printed);
    cr_assert(strstr(printed, "Emily") == NULL && strstr(printed, "checkout") == NULL,
              "no name or payment link in the context: %s", printed);
    cJSON_free(printed);
    cJSON_Delete(st);

    /* Unknown ids and bad bodies. */
    cr_assert_eq(api("GET", "/conversations/999999/state", auth, NULL, NULL, NULL), 404);
    cr_assert_eq(api("GET", "/conversations/abc/state", auth, NULL, NULL, NULL), 404);
    cr_assert_eq(api("GET", "/conversations/1/state", NULL, NULL, NULL, NULL), 401);
    cr_assert_eq(api("POST", "/conversations/message", auth, NULL,
                     "{\"conversation_id\":999999,\"message\":\"hello\"}", NULL), 404);
    cr_assert_eq(api("POST", "/conversations/message", auth, NULL,
                     "{\"conversation_id\":1,\"message\":\"\"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/message", auth, NULL, "{\"message\":\"hello\"}", NULL), 400);
    cr_assert_eq(api("POST", "/conversations/message", NULL, NULL,
                     "{\"conversation_id\":1,\"message\":\"hello\"}", NULL), 401);

    /* STOP handed over: the contact is opted out; the confirmation is the
     * last text, also when the patient then texts the clinic. */
    before = texts(&obs);
    say(auth, conv, "STOP", "stop-1");
    size_t stopped = texts(&obs);
    cr_assert_eq(stopped, before + 1, "the opt-out confirmation only");
    cr_assert(strstr(obs.sent[stopped - 1].text, "unsubscribed") != NULL, "%s", obs.sent[stopped - 1].text);
    cr_assert(obs.opted_out);
    say(auth, conv, "Friday 3:30 please", NULL);
    cr_assert_eq(texts(&obs), stopped, "no text after the opt-out");
    char err[512];
    cr_assert_eq(eval_world_step(w, cJSON_GetArrayItem(api_case->script, 0), &api_case->patients[0], err,
                                 sizeof err), 0, "%s", err);
    cr_assert_eq(texts(&obs), stopped, "no text after the opt-out, by SMS either");

    /* The ledger: the lead's consent from the web form, with its wording;
     * the opt-out; the messages stored; the context reads logged. */
    PGconn *db = PQconnectdb(w->db);
    cr_assert_eq(PQstatus(db), CONNECTION_OK);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM consent_events WHERE tenant_id = 'glow'"
                               " AND contact = $1 AND source = 'web_form' AND consent_text IS NOT NULL",
                           PATIENT), 1);
    cr_assert_geq(count_sql(db, "SELECT count(*) FROM consent_events WHERE tenant_id = 'glow'"
                                " AND contact = $1 AND kind = 'opt_out' AND source = 'web_form'",
                            PATIENT), 1);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM messages WHERE tenant_id = 'glow'"
                               " AND direction = 'in' AND provider_id LIKE $1", "api:%"),
                 (long)(1 + n_said));
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM messages WHERE tenant_id = 'glow'"
                               " AND provider_id = $1", "api:lead-1"), 1);
    char subject[64];
    snprintf(subject, sizeof subject, "conversation:%ld", conv);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM audit_log WHERE tenant_id = 'glow'"
                               " AND action = 'view' AND subject = $1", subject), (long)n_reads);
    PQfinish(db);
}
