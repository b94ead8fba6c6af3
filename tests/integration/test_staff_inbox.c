/*
 * The staff inbox through the evaluation world (the real daemon, the Twilio
 * and Square simulators delivering signed webhooks, the built-in
 * understanding and calendar) and the clinic's API key: a patient's
 * missed call and first message are answered by the engine; staff take
 * over, and the engine stays silent on the patient's next message; a staff
 * reply goes out through the outbox and reaches the Twilio simulator; staff
 * hand back, and the engine answers the patient again and books the slot
 * once paid. Each transcript read and the booking's evidence export are
 * rows of the access log, named by the API key's id.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "eval/eval_world_internal.h"
#include "support/daemon_proc.h"

#define PATIENT "+14155550401"
#define STAFF_TEXT "Hi, this is Maria at the front desk. I can help you with that."
#define STAFF_HEALTH_TEXT "Since you are pregnant we would wait on Botox until after the baby."

static struct eval_world *w;
static struct eval_case inbox_case;
static cJSON *clinic;

static const char INBOX_CASE[] =
    "{\"id\":\"staff-inbox\",\"clinic\":\"glow\",\"now\":\"2027-03-02T12:15:00\","
    "\"patients\":[{\"id\":\"p\",\"channel\":\"sms\",\"phone\":\"" PATIENT "\"}],"
    "\"script\":["
    " {\"as\":\"p\",\"missed_call\":true},"
    " {\"as\":\"p\",\"say\":\"Yes, new client, want Botox\"},"
    " {\"as\":\"p\",\"say\":\"Is anyone there?\"},"
    " {\"as\":\"p\",\"say\":\"Friday 3:30 works\"},"
    " {\"as\":\"p\",\"say\":\"Emily Chen\"},"
    " {\"as\":\"p\",\"pay_deposit\":true}],"
    "\"expect\":{}}";

static void inbox_setup(void)
{
    char err[512], path[512], cpath[] = "/tmp/bw-inbox-case-XXXXXX";
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/kit/clinic.json", srcdir ? srcdir : "..");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    size_t n = strlen(INBOX_CASE);
    cr_assert_eq(write(fd, INBOX_CASE, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &inbox_case, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &inbox_case, err, sizeof err), 0, "%s", err);
}

static void inbox_teardown(void)
{
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&inbox_case);
    cJSON_Delete(clinic);
}

/* A new API key of the clinic: the Authorization header and the key's id. */
static void new_key(char *header, size_t cap, char *key_id, size_t id_cap)
{
    char url[256];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/admin/tenants/glow/api-keys", w->admin_url);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(eval_http_json("POST", url, h, NULL, &r, &j), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(header, cap, "Authorization: Bearer %s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "api_key")));
    snprintf(key_id, id_cap, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "key_id")));
    cJSON_Delete(j);
    eval_resp_free(&r);
}

static long api(const char *method, const char *path, const char *auth, const char *body, cJSON **json)
{
    char url[512];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s%s", w->public_url, path);
    const char *h[] = { "Content-Type: application/json", auth, NULL };
    cr_assert_eq(eval_http(method, url, h, body, body ? strlen(body) : 0, &r), 0);
    if (json) {
        *json = cJSON_Parse(r.body ? r.body : "");
        cr_assert_not_null(*json, "%s %s: %s", method, path, r.body);
    }
    long status = r.status;
    eval_resp_free(&r);
    return status;
}

static size_t step(int i, struct eval_patient_obs *obs)
{
    char err[512];
    const cJSON *s = cJSON_GetArrayItem(inbox_case.script, i);
    cr_assert_eq(eval_world_step(w, s, &inbox_case.patients[0], err, sizeof err), 0, "step %d: %s",
                 i + 1, err);
    cr_assert_eq(eval_world_observe(w, &inbox_case.patients[0], obs, err, sizeof err), 0, "%s", err);
    return obs->n_sent;
}

static const char *status_of(const char *auth, int64_t id, cJSON **doc)
{
    char path[64];
    snprintf(path, sizeof path, "/conversations/%lld", (long long)id);
    cr_assert_eq(api("GET", path, auth, NULL, doc), 200);
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*doc, "status"));
}

static long count_sql(PGconn *db, const char *sql, const char *p1, const char *p2)
{
    const char *p[] = { p1, p2 };
    PGresult *r = PQexecParams(db, sql, 2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

TestSuite(staff_inbox, .init = inbox_setup, .fini = inbox_teardown, .timeout = 180);

Test(staff_inbox, take_over_reply_and_hand_back_through_the_daemon)
{
    char auth[256], key_id[64], err[512], path[96], body[256];
    struct eval_patient_obs obs;
    size_t n = step(0, &obs);
    cr_assert_geq(n, 1, "the text-back");
    size_t answered = step(1, &obs);
    cr_assert_gt(answered, n, "the engine answers the first message");
    new_key(auth, sizeof auth, key_id, sizeof key_id);

    /* The conversation in the list, with the assistant. */
    cJSON *list = NULL;
    cr_assert_eq(api("GET", "/conversations", auth, NULL, &list), 200);
    const cJSON *convs = cJSON_GetObjectItemCaseSensitive(list, "conversations");
    cr_assert_eq(cJSON_GetArraySize(convs), 1);
    const cJSON *c0 = cJSON_GetArrayItem(convs, 0);
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c0, "id"));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c0, "status")), "open");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c0, "messages")), (double)answered + 1);
    cJSON_Delete(list);

    /* Take over: the patient's next message gets no answer from the engine. */
    snprintf(path, sizeof path, "/conversations/%lld/takeover", (long long)id);
    cJSON *j = NULL;
    cr_assert_eq(api("POST", path, auth, NULL, &j), 200);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "status")), "handoff");
    cJSON_Delete(j);
    cJSON *doc = NULL;
    cr_assert_str_eq(status_of(auth, id, &doc), "handoff");
    cJSON_Delete(doc);
    size_t silent = step(2, &obs);
    cr_assert_eq(silent, answered, "the engine stays silent while staff have the conversation: %s",
                 obs.sent[obs.n_sent - 1].text);
    cr_assert_str_eq(status_of(auth, id, &doc), "handoff");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    const cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "direction")), "in");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "body")), "Is anyone there?");
    cJSON_Delete(doc);

    /* The staff reply goes out on the patient's channel, through the outbox. */
    snprintf(path, sizeof path, "/conversations/%lld/reply", (long long)id);
    cr_assert_eq(api("POST", path, auth, "{\"text\":\"\"}", NULL), 400);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", STAFF_TEXT);
    cr_assert_eq(api("POST", path, auth, body, &j), 202);
    cr_assert_gt(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "message_id")), 0);
    cJSON_Delete(j);
    cr_assert_eq(eval_world_wait_idle(w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(eval_world_observe(w, &inbox_case.patients[0], &obs, err, sizeof err), 0, "%s", err);
    cr_assert_eq(obs.n_sent, silent + 1, "the staff reply reached the Twilio simulator");
    cr_assert_str_eq(obs.sent[obs.n_sent - 1].text, STAFF_TEXT);
    cr_assert_str_eq(status_of(auth, id, &doc), "handoff", "a staff reply keeps the engine silent");
    msgs = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "kind")), "staff");
    cJSON_Delete(doc);

    /* A reply with a patient's health details reaches the patient as
     * written; what is stored is redacted once it is sent. */
    snprintf(path, sizeof path, "/conversations/%lld/reply", (long long)id);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", STAFF_HEALTH_TEXT);
    cr_assert_eq(api("POST", path, auth, body, &j), 202);
    cJSON_Delete(j);
    cr_assert_eq(eval_world_wait_idle(w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(eval_world_observe(w, &inbox_case.patients[0], &obs, err, sizeof err), 0, "%s", err);
    cr_assert_eq(obs.n_sent, silent + 2);
    cr_assert_str_eq(obs.sent[obs.n_sent - 1].text, STAFF_HEALTH_TEXT);
    cr_assert_str_eq(status_of(auth, id, &doc), "handoff");
    msgs = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    const char *stored = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(last, "body"));
    cr_assert_not_null(stored);
    cr_expect(strstr(stored, "pregnan") == NULL && strstr(stored, "[health info]") != NULL,
              "the stored staff reply is redacted: %s", stored);
    cr_expect(strstr(stored, "Botox") != NULL, "what is not health information stays: %s", stored);
    cJSON_Delete(doc);

    /* Hand back: the engine answers again, where it left off, and books. */
    snprintf(path, sizeof path, "/conversations/%lld/handback", (long long)id);
    cr_assert_eq(api("POST", path, auth, NULL, &j), 200);
    cJSON_Delete(j);
    cr_assert_str_eq(status_of(auth, id, &doc), "open");
    cJSON_Delete(doc);
    size_t before = obs.n_sent;
    cr_assert_gt(step(3, &obs), before, "the engine answers after the hand back");
    step(4, &obs);
    step(5, &obs);

    /* The access log: five reads of the transcript and one evidence export,
     * all by this key. */
    PGconn *db = PQconnectdb(w->db);
    cr_assert_eq(PQstatus(db), CONNECTION_OK);
    PGresult *r = PQexec(db, "SELECT b.id FROM bookings b WHERE b.tenant_id = 'glow' AND b.state = 'booked'");
    cr_assert_eq(PQntuples(r), 1, "the patient is booked after the hand back");
    char booking[32];
    snprintf(booking, sizeof booking, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    snprintf(path, sizeof path, "/bookings/%s/evidence", booking);
    cr_assert_eq(api("GET", path, auth, NULL, &j), 200);
    cJSON_Delete(j);
    char actor[96], subject[64];
    snprintf(actor, sizeof actor, "api_key:%s", key_id);
    snprintf(subject, sizeof subject, "conversation:%lld", (long long)id);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM audit_log WHERE tenant_id = 'glow' AND actor = $1 "
                               "AND action = 'view' AND subject = $2", actor, subject), 5);
    snprintf(subject, sizeof subject, "booking:%s:evidence", booking);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM audit_log WHERE tenant_id = 'glow' AND actor = $1 "
                               "AND action = 'export' AND subject = $2", actor, subject), 1);
    cr_assert_eq(count_sql(db, "SELECT count(*) FROM audit_log WHERE $1 <> $2", "a", "b"), 6,
                 "nothing else was logged (listing the inbox is not a transcript read)");
    PQfinish(db);
}
