/*
 * Booking with a link-only EMR (emr.mangomint without partner endpoints:
 * no booking API) end to end, in the world the evaluation runner builds:
 * the real daemon with --test-clock, the Twilio and Square plugins against
 * their simulators, the Glow clinic, a real PostgreSQL, and the tenant's
 * staff phone configured:
 *  - the assistant qualifies the patient (service, preferred time, name)
 *    without offering slots, sends the deposit link, and once Square's
 *    payment arrives makes a staff task with what staff need to enter the
 *    booking by hand, texts it to the staff phone and tells the patient;
 *    GET /staff-tasks lists it; POST /staff-tasks/{id}/done texts the
 *    patient a confirmation, once; erasing the patient erases what the
 *    task, its alert and the staff text held;
 *  - with no deposit due, the clinic's own booking page is sent instead;
 *  - the task routes answer only the key's own tenant: another tenant's
 *    task is neither listed nor closable, and no key is refused.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "eval/eval_world_internal.h"
#include "support/daemon_proc.h"

#define STAFF_PHONE "+14155550199"

static struct eval_world *w;
static struct eval_case c;
static cJSON *clinic;
static PGconn *db;

static const char request_case[] =
    "{\"id\":\"link-only\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"pay_deposit\":true},{\"wait\":\"PT1M\"}],\"expect\":{}}";

static void start(const char *case_json)
{
    char err[512], path[512];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    char cpath[] = "/tmp/bw-linkonly-case-XXXXXX";
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    size_t n = strlen(case_json);
    cr_assert_eq(write(fd, case_json, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "mangomint",
                                 .clinic_path = path, .clinic = clinic, .staff_phone = STAFF_PHONE };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);
    db = PQconnectdb(w->db);
    cr_assert_eq(PQstatus(db), CONNECTION_OK, "%s", PQerrorMessage(db));
}

static void stop(void)
{
    if (db)
        PQfinish(db);
    db = NULL;
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&c);
    cJSON_Delete(clinic);
}

static void step(int i, struct eval_patient_obs *obs)
{
    char err[512];
    const cJSON *s = cJSON_GetArrayItem(c.script, i);
    cr_assert_eq(eval_world_step(w, s, &c.patients[0], err, sizeof err), 0, "step %d: %s", i + 1, err);
    cr_assert_eq(eval_world_observe(w, &c.patients[0], obs, err, sizeof err), 0, "%s", err);
}

static void observe(const struct eval_patient_def *p, struct eval_patient_obs *obs)
{
    char err[512];
    cr_assert_eq(eval_world_observe(w, p, obs, err, sizeof err), 0, "%s", err);
}

static long scalar_long(const char *sql)
{
    PGresult *r = PQexec(db, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db));
    long v = PQntuples(r) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

static void sql(const char *text)
{
    PGresult *r = PQexec(db, text);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", text,
              PQerrorMessage(db));
    PQclear(r);
}

/* A new API key of the clinic as an Authorization header (static). */
static const char *api_key_header(void)
{
    static char header[256];
    char url[256];
    struct eval_resp r;
    cJSON *j = NULL;
    snprintf(url, sizeof url, "%s/admin/tenants/glow/api-keys", w->admin_url);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(eval_http_json("POST", url, h, NULL, &r, &j), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "api_key"));
    cr_assert_not_null(key);
    snprintf(header, sizeof header, "Authorization: Bearer %s", key);
    cJSON_Delete(j);
    eval_resp_free(&r);
    return header;
}

static long call(const char *method, const char *path, const char *auth, const char *body, cJSON **json)
{
    char url[256];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s%s", w->public_url, path);
    const char *h[] = { "Content-Type: application/json", auth, NULL };
    cr_assert_eq(eval_http(method, url, auth ? h : NULL, body, body ? strlen(body) : 0, &r), 0);
    if (json)
        *json = cJSON_Parse(r.body ? r.body : "");
    long status = r.status;
    eval_resp_free(&r);
    return status;
}

static size_t count_matching(const struct eval_patient_obs *obs, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < obs->n_sent; i++)
        n += strstr(obs->sent[i].text, needle) != NULL;
    return n;
}

static const char *detail(const cJSON *task, const char *name)
{
    const char *v = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(task, "details"), name));
    return v ? v : "";
}

Test(link_only, qualified_paid_staff_task_done_confirms_the_patient, .timeout = 240)
{
    struct eval_patient_obs obs;
    struct eval_patient_def staff = { .id = "staff", .channel = "sms", .phone = STAFF_PHONE };
    start(request_case);
    step(0, &obs);
    cr_assert_gt(obs.n_sent, 0);
    const char *ask = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(ask, "name") != NULL, "asks for the name: %s", ask);
    cr_expect(strstr(ask, "I have") == NULL, "no slots are offered: %s", ask);
    cr_expect_eq(scalar_long("SELECT count(*) FROM holds"), 0, "nothing is held in a link-only EMR");

    step(1, &obs);
    const char *link_msg = obs.sent[obs.n_sent - 1].text;
    cr_assert(strstr(link_msg, "/checkout/") != NULL, "the deposit link: %s", link_msg);
    cr_expect(strstr(link_msg, "Chemical Peel") != NULL && strstr(link_msg, "Saturday") != NULL &&
                  strstr(link_msg, "12:00 PM") != NULL,
              "says what is requested: %s", link_msg);
    cr_expect_leq(strlen(link_msg), 480);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks"), 0, "no task before the deposit is paid");

    const char *auth = api_key_header();
    cJSON *list = NULL;
    cr_assert_eq(call("GET", "/staff-tasks", auth, NULL, &list), 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "tasks")), 0);
    cJSON_Delete(list);

    step(2, &obs); /* Square's payment */
    cr_expect_eq(count_matching(&obs, "deposit came through"), 1u, "the patient is told the deposit arrived");
    cr_expect_eq(count_matching(&obs, "is confirmed"), 0u, "not confirmed before staff enter it");
    for (size_t i = 0; i < obs.n_appts; i++)
        cr_expect_not(obs.appts[i].created, "no appointment is written by the host");
    cr_assert_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE status = 'open'"), 1);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE kind = 'booking.manual'"), 1);

    observe(&staff, &obs);
    cr_assert_eq(obs.n_sent, 1u, "one text to the staff phone, got %zu", obs.n_sent);
    const char *st = obs.sent[0].text;
    cr_expect(strstr(st, "Morgan Diaz") != NULL && strstr(st, "+14155550114") != NULL &&
                  strstr(st, "Chemical Peel") != NULL && strstr(st, "Saturday") != NULL &&
                  strstr(st, "paid") != NULL && strstr(st, "emr.mangomint") != NULL,
              "everything needed to book by hand: %s", st);

    cr_assert_eq(call("GET", "/staff-tasks?status=open", auth, NULL, &list), 200);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(list, "tasks");
    cr_assert_eq(cJSON_GetArraySize(tasks), 1);
    const cJSON *t = cJSON_GetArrayItem(tasks, 0);
    long id = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "id"));
    cr_expect_str_eq(detail(t, "first_name"), "Morgan");
    cr_expect_str_eq(detail(t, "last_name"), "Diaz");
    cr_expect_str_eq(detail(t, "phone"), "+14155550114");
    cr_expect_str_eq(detail(t, "services"), "Chemical Peel");
    cr_expect(strstr(detail(t, "preferred_time"), "Saturday") != NULL, "%s", detail(t, "preferred_time"));
    cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "details"),
                                                                       "deposit_minor")),
                 0);
    cr_expect(detail(t, "payment_reference")[0], "the deposit's payment reference");
    cJSON_Delete(list);
    cr_assert_eq(call("GET", "/staff-tasks?status=later", auth, NULL, NULL), 400);

    char path[96];
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", id);
    cr_expect_eq(call("POST", path, auth, "{\"appointment\":42}", NULL), 400);
    cr_assert_eq(call("POST", path, auth, "{\"appointment\":\"Sat, Mar 6 at 12:00 PM\"}", NULL), 200);
    cr_expect_eq(call("POST", path, auth, NULL, NULL), 409, "done once");
    step(3, &obs); /* the outbox sends the confirmation */
    cr_expect_eq(count_matching(&obs, "is confirmed for Sat, Mar 6 at 12:00 PM"), 1u,
                 "the patient is confirmed once");
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE status = 'done' AND done_at IS NOT NULL"), 1);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE kind = 'booking.manual' "
                             "AND resolved_at IS NOT NULL"),
                 1, "the staff alert is resolved with the task");
    cr_assert_eq(call("GET", "/staff-tasks?status=open", auth, NULL, &list), 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "tasks")), 0);
    cJSON_Delete(list);

    /* Erasing the patient erases what the task, its alert and the staff text held. */
    char url[256];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s/admin/tenants/glow/contacts/%%2B14155550114/erase", w->admin_url);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(eval_http("POST", url, h, "", 0, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    eval_resp_free(&r);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE details::text LIKE '%Morgan%' "
                             "OR details::text LIKE '%14155550114%'"),
                 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE text LIKE '%Morgan%'"), 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM messages WHERE body LIKE '%Morgan%'"), 0);
    stop();
}

Test(link_only, staff_task_routes_answer_only_their_tenant, .timeout = 240)
{
    start(request_case);
    sql("INSERT INTO tenants (tenant_id, name, timezone, country) VALUES ('spa', 'Spa', 'UTC', 'US') "
        "ON CONFLICT DO NOTHING");
    sql("INSERT INTO staff_tasks (tenant_id, conversation_id, details, created_at) "
        "VALUES ('spa', 1, '{\"first_name\":\"Other\"}', now())");
    sql("INSERT INTO staff_tasks (tenant_id, conversation_id, details, created_at) "
        "VALUES ('glow', 1, '{\"first_name\":\"Own\"}', now())");
    long spa = scalar_long("SELECT id FROM staff_tasks WHERE tenant_id = 'spa'");
    long own = scalar_long("SELECT id FROM staff_tasks WHERE tenant_id = 'glow'");
    const char *auth = api_key_header();
    cJSON *list = NULL;
    cr_assert_eq(call("GET", "/staff-tasks", auth, NULL, &list), 200);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(list, "tasks");
    cr_assert_eq(cJSON_GetArraySize(tasks), 1, "only the clinic's own task");
    cr_expect_eq((long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tasks, 0), "id")),
                 own);
    cJSON_Delete(list);
    char path[96];
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", spa);
    cr_expect_eq(call("POST", path, auth, NULL, NULL), 404, "another tenant's task is unknown here");
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE tenant_id = 'spa' AND status = 'open'"), 1);
    cr_expect_eq(call("GET", "/staff-tasks", NULL, NULL, NULL), 401);
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", own);
    cr_expect_eq(call("POST", path, NULL, NULL, NULL), 401);
    cr_expect_eq(call("POST", "/staff-tasks/x/done", auth, NULL, NULL), 404);
    cr_expect_eq(call("POST", path, auth, NULL, NULL), 200);
    stop();
}

static const char page_case[] =
    "{\"id\":\"link-only-page\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"Can I book a coolsculpting consult Friday afternoon?\"},{\"say\":\"Morgan Diaz\"}],"
    "\"expect\":{}}";

Test(link_only, no_deposit_due_sends_the_clinics_booking_page, .timeout = 240)
{
    struct eval_patient_obs obs;
    start(page_case);
    step(0, &obs);
    step(1, &obs);
    cr_assert_gt(obs.n_sent, 0);
    const char *t = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(t, "https://booking.mangomint.com/glow-medspa") != NULL, "the configured booking page: %s", t);
    cr_expect(strstr(t, "{booking}") == NULL && strstr(t, "/checkout/") == NULL, "%s", t);
    cr_expect_eq(scalar_long("SELECT count(*) FROM deposits"), 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks"), 0);
    stop();
}
