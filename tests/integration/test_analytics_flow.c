/*
 * The clinic's analytics against a known story played through the
 * evaluation world (the real daemon, Twilio and Square simulators delivering
 * signed webhooks, the built-in understanding and calendar): four patients
 * call and nobody answers; one books and pays and is then marked as showed
 * (POST /bookings/{id}/outcome), one never answers the text-back, one asks
 * for Botox and stops, one holds a slot and never pays. GET
 * /metrics/conversion-funnel, /missed-calls and /revenue-impact report the
 * counts and the calculator's inputs that story implies.
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
#include "integration/analytics_json.h"
#include "support/daemon_proc.h"

static struct eval_world *w;
static struct eval_case flow_case;
static cJSON *clinic;

static const char FLOW_CASE[] =
    "{\"id\":\"analytics-funnel\",\"clinic\":\"glow\",\"now\":\"2027-03-02T20:15:00\","
    "\"patients\":["
    " {\"id\":\"booked\",\"channel\":\"sms\",\"phone\":\"+14155550301\"},"
    " {\"id\":\"silent\",\"channel\":\"sms\",\"phone\":\"+14155550302\"},"
    " {\"id\":\"asked\",\"channel\":\"sms\",\"phone\":\"+14155550303\"},"
    " {\"id\":\"unpaid\",\"channel\":\"sms\",\"phone\":\"+14155550304\"}],"
    "\"script\":["
    " {\"as\":\"booked\",\"missed_call\":true},"
    " {\"as\":\"booked\",\"say\":\"Yes, new client, want Botox\"},"
    " {\"as\":\"booked\",\"say\":\"Friday 3:30 works\"},"
    " {\"as\":\"booked\",\"say\":\"Emily Chen\"},"
    " {\"as\":\"booked\",\"pay_deposit\":true},"
    " {\"as\":\"silent\",\"missed_call\":true},"
    " {\"as\":\"asked\",\"missed_call\":true},"
    " {\"as\":\"asked\",\"say\":\"Yes, new client, want Botox\"},"
    " {\"as\":\"unpaid\",\"missed_call\":true},"
    " {\"as\":\"unpaid\",\"say\":\"Yes, new client, want Botox\"},"
    " {\"as\":\"unpaid\",\"say\":\"Thursday 1pm works\"},"
    " {\"as\":\"unpaid\",\"say\":\"Dana Lee\"}],"
    "\"expect\":{}}";

static void flow_setup(void)
{
    char err[512], path[512], cpath[] = "/tmp/bw-analytics-case-XXXXXX";
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/kit/clinic.json", srcdir ? srcdir : "..");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    size_t n = strlen(FLOW_CASE);
    cr_assert_eq(write(fd, FLOW_CASE, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &flow_case, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local",
                                 .clinic_path = path, .clinic = clinic };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &flow_case, err, sizeof err), 0, "%s", err);
}

static void flow_teardown(void)
{
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&flow_case);
    cJSON_Delete(clinic);
}

static void flow_key(char *header, size_t cap)
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
    cJSON_Delete(j);
    eval_resp_free(&r);
}

static long flow_call(const char *method, const char *path, const char *auth, const char *body,
                      cJSON **json)
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

TestSuite(analytics_flow, .init = flow_setup, .fini = flow_teardown, .timeout = 180);

Test(analytics_flow, funnel_missed_calls_and_revenue_follow_the_conversations)
{
    char err[512], auth[256];
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, flow_case.script)
    {
        n++;
        cr_assert_eq(eval_world_step(w, s, eval_case_step_patient(&flow_case, s), err, sizeof err), 0,
                     "step %d: %s", n, err);
    }
    flow_key(auth, sizeof auth);

    /* The paid patient's booking, marked as showed through the clinic API. */
    PGconn *db = PQconnectdb(w->db);
    cr_assert_eq(PQstatus(db), CONNECTION_OK);
    PGresult *r = PQexec(db, "SELECT b.id FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id"
                             " AND h.id = b.hold_id JOIN contacts k ON k.tenant_id = h.tenant_id"
                             " AND k.id = h.contact_id WHERE k.address = '+14155550301'"
                             " AND b.state = 'booked'");
    cr_assert_eq(PQntuples(r), 1, "the paying patient has no booking");
    char path[128];
    snprintf(path, sizeof path, "/bookings/%s/outcome", PQgetvalue(r, 0, 0));
    PQclear(r);
    long holds = strtol(PQgetvalue(r = PQexec(db, "SELECT count(*) FROM holds"), 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(db);
    cr_assert_eq(holds, 2, "the story wants two holds (the paid one and the unpaid one)");
    cr_assert_eq(flow_call("POST", path, auth, "{\"event\":\"showed\"}", NULL), 200);
    char booking_id[128];
    snprintf(booking_id, sizeof booking_id, "%.100s", path + strlen("/bookings/"));
    *strchr(booking_id, '/') = '\0';

    const char *range = "from=2027-03-01&to=2027-03-07";
    cJSON *f = NULL;
    snprintf(path, sizeof path, "/metrics/conversion-funnel?%s", range);
    cr_assert_eq(flow_call("GET", path, auth, NULL, &f), 200);
    const cJSON *sms = channel_row(f, "sms"), *all = item(f, "all");
    cr_assert_eq(cJSON_GetArraySize(item(f, "channels")), 1);
    const char *stages[] = { "lead", "responded", "qualified", "held", "paid", "booked", "showed" };
    const double want[] = { 4, 3, 3, 2, 1, 1, 1 };
    for (int i = 0; i < 7; i++) {
        cr_expect_eq(stage_count(sms, stages[i]), want[i], "sms %s", stages[i]);
        cr_expect_eq(stage_count(all, stages[i]), want[i], "all %s", stages[i]);
    }
    cr_assert_eq(number(all, "from_missed_calls"), 4);
    assert_near(number(cJSON_GetArrayItem(item(all, "stages"), 3), "rate_from_previous"), 2.0 / 3.0);
    assert_near(number(cJSON_GetArrayItem(item(all, "stages"), 5), "rate_from_leads"), 0.25);
    cr_assert_str_eq(cJSON_GetStringValue(item(f, "range.tz")), "America/Los_Angeles");
    cJSON_Delete(f);

    /* A range before the calls holds none of them. */
    cr_assert_eq(flow_call("GET", "/metrics/conversion-funnel?from=2027-02-01&to=2027-02-28", auth,
                           NULL, &f), 200);
    cr_assert_eq(stage_count(item(f, "all"), "lead"), 0);
    cJSON_Delete(f);

    cJSON *m = NULL;
    snprintf(path, sizeof path, "/metrics/missed-calls?%s", range);
    cr_assert_eq(flow_call("GET", path, auth, NULL, &m), 200);
    cr_assert_eq(number(m, "missed_calls"), 4);
    cr_assert_eq(number(m, "texted_back"), 4);
    cr_assert_eq(number(m, "first_responses"), 4);
    /* The simulated clock stands still while the text-back goes out. */
    cr_assert_eq(number(m, "time_to_first_response_s.p99"), 0);
    cJSON_Delete(m);

    /* The no-show rate: the one outcome, showed, in March, for its provider. */
    cJSON *ns = NULL;
    snprintf(path, sizeof path, "/metrics/no-shows?%s", range);
    cr_assert_eq(flow_call("GET", path, auth, NULL, &ns), 200);
    assert_near(number(ns, "total.appointments"), 1);
    assert_near(number(ns, "total.no_show_rate"), 0);
    cr_assert_eq(cJSON_GetArraySize(item(ns, "by_month")), 1);
    cr_assert_str_eq(cJSON_GetStringValue(item(cJSON_GetArrayItem(item(ns, "by_month"), 0), "month")),
                     "2027-03");
    cr_assert_eq(cJSON_GetArraySize(item(ns, "by_provider")), 1);
    cJSON_Delete(ns);
    /* What the EMR reports (the attendance job's table) comes first. */
    PGconn *db2 = PQconnectdb(w->db);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO attendance (tenant_id, booking_id, provider_id, appointment_start, state,"
             " recorded_at) SELECT tenant_id, id, provider_id, start_at, 'no_show', now()"
             " FROM bookings WHERE id = %s", booking_id);
    PGresult *ins = PQexec(db2, sql);
    cr_assert_eq(PQresultStatus(ins), PGRES_COMMAND_OK, "%s", PQerrorMessage(db2));
    PQclear(ins);
    PQfinish(db2);
    cr_assert_eq(flow_call("GET", path, auth, NULL, &ns), 200);
    assert_near(number(ns, "total.no_show"), 1);
    assert_near(number(ns, "total.no_show_rate"), 1);
    assert_near(number(cJSON_GetArrayItem(item(ns, "by_provider"), 0), "no_show_rate"), 1);
    cJSON_Delete(ns);
    /* The revenue calculator below reads the recorded "showed" no more. */
    PGconn *db3 = PQconnectdb(w->db);
    snprintf(sql, sizeof sql, "DELETE FROM attendance WHERE booking_id = %s", booking_id);
    PQclear(PQexec(db3, sql));
    PQfinish(db3);

    /* The calculator: 4 missed calls in one week, 1 of them booked (0.25
     * against the assumed 0.15 before), $450 given, 1 booking (4.33 a
     * month), 1 recorded outcome, showed (no-shows cut by 100% of 15%). */
    cJSON *v = NULL;
    snprintf(path, sizeof path, "/metrics/revenue-impact?%s&average_ticket=450", range);
    cr_assert_eq(flow_call("GET", path, auth, NULL, &v), 200);
    assert_near(number(v, "inputs.missed_calls_per_week.value"), 4);
    cr_assert_str_eq(cJSON_GetStringValue(item(v, "inputs.missed_calls_per_week.source")), "measured");
    assert_near(number(v, "inputs.ai_capture_rate.value"), 0.25);
    cr_assert_str_eq(cJSON_GetStringValue(item(v, "inputs.current_capture_rate.source")), "assumed");
    cr_assert_str_eq(cJSON_GetStringValue(item(v, "inputs.average_ticket.source")), "given");
    assert_near(number(v, "inputs.appointments_per_month.value"), 4.33);
    assert_near(number(v, "inputs.no_show_reduction.value"), 1);
    assert_near(number(v, "results.new_bookings_per_week"), 0.4);
    assert_near(number(v, "results.monthly_revenue_gain"), 0.4 * 450 * 4.33);
    assert_near(number(v, "results.monthly_no_show_savings"), 4.33 * 0.15 * 1 * 450);
    assert_near(number(v, "results.platform_fee_per_month"), 599);
    assert_near(number(v, "results.roi"), (0.4 * 450 * 4.33 + 4.33 * 0.15 * 450) / 599);
    cJSON_Delete(v);
}

