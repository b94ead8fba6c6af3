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
#include "support/case_world.h"
#include "support/daemon_proc.h"

#define STAFF_PHONE "+14155550199"

static struct case_world cw;


static const char request_case[] =
    "{\"id\":\"link-only\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"I'd like a chemical peel on Saturday at noon\"},{\"say\":\"Morgan Diaz\"},"
    "{\"pay_deposit\":true},{\"wait\":\"PT1M\"}],\"expect\":{}}";

static long scalar_long(const char *sql)
{
    PGresult *r = PQexec(cw.db, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(cw.db));
    long v = PQntuples(r) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

static void sql(const char *text)
{
    PGresult *r = PQexec(cw.db, text);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", text,
              PQerrorMessage(cw.db));
    PQclear(r);
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
    struct case_world_opts o = { .case_json = request_case, .emr = "mangomint",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_step_as(&cw, 0, 0, &obs);
    cr_assert_gt(obs.n_sent, 0);
    const char *ask = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(ask, "name") != NULL, "asks for the name: %s", ask);
    cr_expect(strstr(ask, "I have") == NULL, "no slots are offered: %s", ask);
    cr_expect_eq(scalar_long("SELECT count(*) FROM holds"), 0, "nothing is held in a link-only EMR");

    case_world_step_as(&cw, 1, 0, &obs);
    const char *link_msg = obs.sent[obs.n_sent - 1].text;
    cr_assert(strstr(link_msg, "/checkout/") != NULL, "the deposit link: %s", link_msg);
    cr_expect(strstr(link_msg, "Chemical Peel") != NULL && strstr(link_msg, "Saturday") != NULL &&
                  strstr(link_msg, "12:00 PM") != NULL,
              "says what is requested: %s", link_msg);
    cr_expect_leq(strlen(link_msg), 480);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks"), 0, "no task before the deposit is paid");

    char auth[256];

    case_world_api_key(&cw, auth, sizeof auth, NULL, 0);
    cJSON *list = NULL;
    cr_assert_eq(case_world_call(&cw, "GET", "/staff-tasks", auth, NULL, &list, NULL), 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "tasks")), 0);
    cJSON_Delete(list);

    case_world_step_as(&cw, 2, 0, &obs); /* Square's payment */
    cr_expect_eq(count_matching(&obs, "deposit came through"), 1u, "the patient is told the deposit arrived");
    cr_expect_eq(count_matching(&obs, "is confirmed"), 0u, "not confirmed before staff enter it");
    for (size_t i = 0; i < obs.n_appts; i++)
        cr_expect_not(obs.appts[i].created, "no appointment is written by the host");
    cr_assert_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE status = 'open'"), 1);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE kind = 'booking.manual'"), 1);

    case_world_observe(&cw, &staff, &obs);
    cr_assert_eq(obs.n_sent, 1u, "one text to the staff phone, got %zu", obs.n_sent);
    const char *st = obs.sent[0].text;
    cr_expect(strstr(st, "Morgan Diaz") != NULL && strstr(st, "+14155550114") != NULL &&
                  strstr(st, "Chemical Peel") != NULL && strstr(st, "Saturday") != NULL &&
                  strstr(st, "paid") != NULL && strstr(st, "emr.mangomint") != NULL,
              "everything needed to book by hand: %s", st);

    cr_assert_eq(case_world_call(&cw, "GET", "/staff-tasks?status=open", auth, NULL, &list, NULL), 200);
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
    cr_assert_eq(case_world_call(&cw, "GET", "/staff-tasks?status=later", auth, NULL, NULL, NULL), 400);

    char path[96];
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", id);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, "{\"appointment\":42}", NULL, NULL), 400);
    cr_assert_eq(case_world_call(&cw, "POST", path, auth,
                                 "{\"appointment\":\"Sat, Mar 6 at 12:00 PM\"}", NULL, NULL),
                 200);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, NULL, NULL, NULL), 409, "done once");
    case_world_step_as(&cw, 3, 0, &obs); /* the outbox sends the confirmation */
    cr_expect_eq(count_matching(&obs, "is confirmed for Sat, Mar 6 at 12:00 PM"), 1u,
                 "the patient is confirmed once");
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE status = 'done' AND done_at IS NOT NULL"), 1);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE kind = 'booking.manual' "
                             "AND resolved_at IS NOT NULL"),
                 1, "the staff alert is resolved with the task");
    cr_assert_eq(case_world_call(&cw, "GET", "/staff-tasks?status=open", auth, NULL, &list, NULL), 200);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "tasks")), 0);
    cJSON_Delete(list);

    /* Erasing the patient erases what the task, its alert and the staff text held. */
    char url[256];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s/admin/tenants/glow/contacts/%%2B14155550114/erase", cw.world->admin_url);
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cr_assert_eq(eval_http("POST", url, h, "", 0, &r), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    eval_resp_free(&r);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE details::text LIKE '%Morgan%' "
                             "OR details::text LIKE '%14155550114%'"),
                 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_alerts WHERE text LIKE '%Morgan%'"), 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM messages WHERE body LIKE '%Morgan%'"), 0);
    case_world_stop(&cw, false);
}

Test(link_only, staff_task_routes_answer_only_their_tenant, .timeout = 240)
{
    struct case_world_opts o = { .case_json = request_case, .emr = "mangomint",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    sql("INSERT INTO tenants (tenant_id, name, timezone, country) VALUES ('spa', 'Spa', 'UTC', 'US') "
        "ON CONFLICT DO NOTHING");
    sql("INSERT INTO staff_tasks (tenant_id, conversation_id, details, created_at) "
        "VALUES ('spa', 1, '{\"first_name\":\"Other\"}', now())");
    sql("INSERT INTO staff_tasks (tenant_id, conversation_id, details, created_at) "
        "VALUES ('glow', 1, '{\"first_name\":\"Own\"}', now())");
    long spa = scalar_long("SELECT id FROM staff_tasks WHERE tenant_id = 'spa'");
    long own = scalar_long("SELECT id FROM staff_tasks WHERE tenant_id = 'glow'");
    char auth[256];
    case_world_api_key(&cw, auth, sizeof auth, NULL, 0);
    cJSON *list = NULL;
    cr_assert_eq(case_world_call(&cw, "GET", "/staff-tasks", auth, NULL, &list, NULL), 200);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(list, "tasks");
    cr_assert_eq(cJSON_GetArraySize(tasks), 1, "only the clinic's own task");
    cr_expect_eq((long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tasks, 0), "id")),
                 own);
    cJSON_Delete(list);
    char path[96];
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", spa);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, NULL, NULL, NULL), 404,
                 "another tenant's task is unknown here");
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks WHERE tenant_id = 'spa' AND status = 'open'"), 1);
    cr_expect_eq(case_world_call(&cw, "GET", "/staff-tasks", NULL, NULL, NULL, NULL), 401);
    snprintf(path, sizeof path, "/staff-tasks/%ld/done", own);
    cr_expect_eq(case_world_call(&cw, "POST", path, NULL, NULL, NULL, NULL), 401);
    cr_expect_eq(case_world_call(&cw, "POST", "/staff-tasks/x/done", auth, NULL, NULL, NULL), 404);
    cr_expect_eq(case_world_call(&cw, "POST", path, auth, NULL, NULL, NULL), 200);
    case_world_stop(&cw, false);
}

static const char page_case[] =
    "{\"id\":\"link-only-page\",\"clinic\":\"glow\",\"now\":\"2027-03-02T18:00:00\","
    "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550114\"}],"
    "\"script\":[{\"say\":\"Can I book a coolsculpting consult Friday afternoon?\"},{\"say\":\"Morgan Diaz\"}],"
    "\"expect\":{}}";

Test(link_only, no_deposit_due_sends_the_clinics_booking_page, .timeout = 240)
{
    struct eval_patient_obs obs;
    struct case_world_opts o = { .case_json = page_case, .emr = "mangomint",
                                 .staff_phone = STAFF_PHONE };
    case_world_start(&cw, &o);
    case_world_step_as(&cw, 0, 0, &obs);
    case_world_step_as(&cw, 1, 0, &obs);
    cr_assert_gt(obs.n_sent, 0);
    const char *t = obs.sent[obs.n_sent - 1].text;
    cr_expect(strstr(t, "https://booking.mangomint.com/glow-medspa") != NULL, "the configured booking page: %s", t);
    cr_expect(strstr(t, "{booking}") == NULL && strstr(t, "/checkout/") == NULL, "%s", t);
    cr_expect_eq(scalar_long("SELECT count(*) FROM deposits"), 0);
    cr_expect_eq(scalar_long("SELECT count(*) FROM staff_tasks"), 0);
    case_world_stop(&cw, false);
}
