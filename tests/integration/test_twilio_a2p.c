/*
 * A clinic's A2P 10DLC registration through the real daemon: GET
 * /admin/tenants/{id}/a2p reads it through the tenant's channel.twilio
 * instance (the built .so) from the Twilio simulator's Messaging API (the
 * service, its Usa2p campaign, its phone numbers, the brand), as an
 * operator sees it: the brand and campaign statuses, the campaign's
 * throughput class, which of the clinic's numbers are attached, and whether
 * a send from each is allowed or blocked. With a2p_required, a missed call
 * to a number that is not on the campaign gets no text (the outbox row fails
 * with a2p_not_approved) while one to an attached number does. Every request
 * the plugin made is checked against Twilio's OpenAPI descriptions.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/daemon_proc.h"
#include "support/sim_state.h"
#include "support/testdb.h"
#include "support/twilio_world.h"

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define TOKEN "simulated-auth-token-0123456789"
#define CLINIC "+14155550100"
#define SECOND "+14155550101"
#define SERVICE "MG00112233445566778899aabbccddeeff"
#define PATIENT "+14155550123"
#define PUBLIC "https://clinic.example.com"

static bool registering; /* the binding registers A2P itself (a2p_register) */

static struct twilio_world tw;

static void setup(void)
{
    twilio_world_prepare(&tw, TOKEN);
    char tenant[3072];
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow Aesthetics\";"
             " timezone = \"America/Los_Angeles\"; country = \"US\"; };\n"
             "messaging = { phone = \"" CLINIC "\"; };\n"
             "plugins = ( { plugin = \"channel.twilio\"; base_url = \"%s\"; config = {\n"
             "    account_sid = \"" ACCOUNT "\"; auth_token = \"file:%s\";\n"
             "    numbers = [ \"" CLINIC "\", \"" SECOND "\" ];\n"
             "    %s\n"
             "    public_base_url = \"" PUBLIC "\"; send_rate = 100; send_burst = 100; }; } );\n",
             tw.base.sim.base_url, tw.token_path,
             registering
                 ? "a2p_register = true; a2p_required = true;"
                   " a2p_customer_profile_sid = \"BU0123456789abcdef0123456789abcdef\";"
                   " a2p_profile_bundle_sid = \"BUfedcba9876543210fedcba9876543210\";"
                   " a2p_description = \"Appointment reminders and replies to patients\";"
                   " a2p_message_flow = \"Patients text the clinic and agree to texts\";"
                   " a2p_samples = [ \"Your Botox visit is Tue 3pm. Reply C to confirm\","
                   " \"Sorry we missed your call! How can we help?\" ];"
                 : "messaging_service_sid = \"" SERVICE "\"; a2p_required = true;");
    twilio_world_start_daemon(&tw, tenant, PUBLIC);
}

static void teardown(void)
{
    twilio_world_stop(&tw);
}

TestSuite(twilio_a2p, .init = setup, .fini = teardown, .timeout = 120);

/* Criterion runs the suite's init first: that world is replaced. */
static void setup_registering(void)
{
    teardown();
    registering = true;
    setup();
}

/* The simulator's messages, waiting up to 10 s for at least n. */
static cJSON *messages(int n)
{
    for (int i = 0; i < 200; i++) {
        cJSON *j = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
        if (cJSON_GetArraySize(cJSON_GetObjectItem(j, "messages")) >= n)
            return j;
        cJSON_Delete(j);
        usleep(50000);
    }
    return test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
}

static cJSON *state(void)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&tw.base.daemon, "GET", "/admin/test/state?tenant=glow", NULL, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_not_null(j, "%s", r.body);
    test_http_resp_free(&r);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static char *daemon_log(void)
{
    char *l = test_daemon_log(&tw.base.daemon);
    return l ? l : strdup("");
}


static cJSON *admin_json(const char *path, long want)
{
    struct test_http_resp r;
    cr_assert_eq(test_admin(&tw.base.daemon, "GET", path, NULL, &r), 0);
    char *log = daemon_log();
    cr_assert_eq(r.status, want, "GET %s: %ld %s\n%s", path, r.status, r.body, log);
    free(log);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_not_null(j, "%s", r.body);
    test_http_resp_free(&r);
    return j;
}

/* The string at a dotted path ("brand.status"), or "". */
static const char *path_str(const cJSON *o, const char *path)
{
    const cJSON *v = o;
    char key[64];
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        cr_assert_lt(n, sizeof key);
        memcpy(key, path, n);
        key[n] = '\0';
        v = cJSON_GetObjectItem(v, key);
        path += n + (dot ? 1 : 0);
    }
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void seed(void)
{
    cJSON_Delete(test_sim_send_json(&tw.base.sim, "POST", "/_sim/a2p",
                          "{\"service_sid\":\"" SERVICE "\",\"numbers\":[\"" CLINIC "\"],"
                          "\"campaign_status\":\"VERIFIED\",\"mps\":4}"));
}

Test(twilio_a2p, status_reads_brand_campaign_service_and_numbers)
{
    seed();
    cJSON *a = admin_json("/admin/tenants/glow/a2p", 200);
    char *text = cJSON_PrintUnformatted(a);
    cr_assert_str_eq(str(a, "tenant"), "glow", "%s", text);
    cr_assert_str_eq(path_str(a, "brand.status"), "APPROVED", "%s", text);
    cr_assert_eq(strncmp(path_str(a, "brand.sid"), "BN", 2), 0, "%s", text);
    cr_assert_str_eq(path_str(a, "service.sid"), SERVICE, "%s", text);
    cr_assert_str_eq(path_str(a, "service.friendly_name"), "Clinic", "%s", text);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "service"),
                                               "us_app_to_person_registered")), "%s", text);
    cr_assert_str_eq(path_str(a, "campaign.status"), "VERIFIED", "%s", text);
    cr_assert_str_eq(path_str(a, "campaign.us_app_to_person_usecase"), "MIXED", "%s", text);
    cr_assert_eq(strncmp(path_str(a, "campaign.sid"), "QE", 2), 0, "%s", text);
    const cJSON *nums = cJSON_GetObjectItem(a, "numbers");
    cr_assert_eq(cJSON_GetArraySize(nums), 2, "%s", text);
    const cJSON *n0 = cJSON_GetArrayItem(nums, 0), *n1 = cJSON_GetArrayItem(nums, 1);
    cr_assert_str_eq(str(n0, "number"), CLINIC);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(n0, "attached")), "%s", text);
    cr_assert_str_eq(str(n0, "sending"), "allowed", "%s", text);
    cr_assert_str_eq(str(n1, "number"), SECOND);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(n1, "attached")), "%s", text);
    cr_assert_str_eq(str(n1, "sending"), "blocked", "a2p_required: %s", text);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(a, "registered")), "one number is off: %s", text);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "required")), "%s", text);
    /* AT&T class of 4 messages per second over the service's one number. */
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "send_rate_per_number")), 4, "%s", text);
    cr_assert_str_eq(str(a, "send_rate_from"), "campaign", "%s", text);
    free(text);
    cJSON_Delete(a);

    /* Read from Twilio, not remembered: attach the second number there and
     * the next read says so. */
    cJSON_Delete(test_sim_send_json(&tw.base.sim, "POST", "/_sim/a2p",
                          "{\"service_sid\":\"" SERVICE "\",\"numbers\":[\"" CLINIC "\",\"" SECOND "\"],"
                          "\"campaign_status\":\"VERIFIED\",\"mps\":4}"));
    a = admin_json("/admin/tenants/glow/a2p", 200);
    text = cJSON_PrintUnformatted(a);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "registered")), "%s", text);
    cr_assert_str_eq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "numbers"), 1), "sending"),
                     "allowed", "%s", text);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "send_rate_per_number")), 2,
                 "4 per second shared by two numbers: %s", text);
    free(text);
    cJSON_Delete(a);

    /* What the plugin asked Twilio: the documented reads, and nothing else. */
    cJSON *reqs = test_sim_send_json(&tw.base.sim, "GET", "/_sim/requests", NULL);
    const cJSON *q;
    int services = 0, campaigns = 0, numbers = 0, brands = 0, other = 0;
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(reqs, "requests"))
    {
        const char *p = str(q, "path");
        cr_assert_str_eq(str(q, "method"), "GET", "%s", p);
        if (strcmp(p, "/v1/Services/" SERVICE) == 0)
            services++;
        else if (strcmp(p, "/v1/Services/" SERVICE "/Compliance/Usa2p") == 0)
            campaigns++;
        else if (strcmp(p, "/v1/Services/" SERVICE "/PhoneNumbers") == 0)
            numbers++;
        else if (strncmp(p, "/v1/a2p/BrandRegistrations/BN", 29) == 0)
            brands++;
        else
            other++;
    }
    /* The two reads asked for here, no more: the background watch (a2p.c)
     * reads only for a binding that registers (a2p_register). */
    cr_assert(services == 2 && campaigns == 2 && numbers == 2 && brands == 2 && other == 0,
              "%d %d %d %d %d", services, campaigns, numbers, brands, other);
    cJSON_Delete(reqs);

    const char *src = getenv("BW_SRCDIR");
    const char *shared = getenv("BW_SHARED_DIR");
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/sim/openapi_check.py --specs %s/specs --sim %s 2>&1",
             src ? src : ".", shared && *shared ? shared : "/work/shared", tw.base.sim.base_url);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_assert(strstr(out, " requests, 0 problems") != NULL, "%s", out);
}

Test(twilio_a2p, unknown_tenant_and_missing_service)
{
    cJSON_Delete(admin_json("/admin/tenants/nope/a2p", 404));
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", tw.base.daemon.admin_port, "/admin/tenants/glow/a2p", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 401, "the operator token is required");
    test_http_resp_free(&r);
    /* Twilio does not know the configured service: the answer says so. */
    cJSON *e = admin_json("/admin/tenants/glow/a2p", 502);
    cr_assert_str_eq(path_str(e, "error.code"), "provider_error", "%s", cJSON_PrintUnformatted(e));
    cJSON_Delete(e);
}

static bool state_has(const char *needle)
{
    cJSON *s = state();
    char *text = cJSON_PrintUnformatted(s);
    bool found = strstr(text, needle) != NULL;
    free(text);
    cJSON_Delete(s);
    return found;
}

Test(twilio_a2p, required_campaign_blocks_a_number_not_on_it)
{
    seed();
    cJSON_Delete(admin_json("/admin/tenants/glow/a2p", 200));
    /* A missed call on the number off the campaign: no text goes out. */
    cJSON *c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"" PATIENT "\",\"to\":\"" SECOND "\"}");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "voice"), "status")), 200);
    cJSON_Delete(c);
    bool failed = false;
    for (int i = 0; i < 200 && !failed; i++) {
        failed = state_has("a2p_not_approved");
        if (!failed)
            usleep(50000);
    }
    cr_assert(failed, "the text-back is refused and recorded as failed");
    cJSON *m = test_sim_send_json(&tw.base.sim, "GET", "/_sim/messages", NULL);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "messages")), 0);
    cJSON_Delete(m);
    /* The attached number sends. */
    c = test_sim_send_json(&tw.base.sim, "POST", "/_sim/call", "{\"from\":\"+14155550177\",\"to\":\"" CLINIC "\"}");
    cJSON_Delete(c);
    m = messages(1);
    cJSON *list = cJSON_GetObjectItem(m, "messages");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "from"), CLINIC);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "messaging_service_sid"), SERVICE);
    cJSON_Delete(m);
}

static long count(const char *sql)
{
    PGconn *pg = testdb_connect(tw.base.conninfo);
    long n = testdb_scalar(pg, sql);
    PQfinish(pg);
    return n;
}

static int posts_to(const char *prefix)
{
    cJSON *reqs = test_sim_send_json(&tw.base.sim, "GET", "/_sim/requests", NULL);
    const cJSON *q;
    int n = 0;
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(reqs, "requests"))
    {
        n += strcmp(str(q, "method"), "POST") == 0 &&
             strncmp(str(q, "path"), prefix, strlen(prefix)) == 0;
    }
    cJSON_Delete(reqs);
    return n;
}

/* A binding that registers is watched from the start: each run advances the
 * registration one step and, while it is under way, queues the next an hour
 * later; a status that moved is logged once. */
Test(twilio_a2p, the_watch_advances_a_registration_hourly, .init = setup_registering)
{
    struct test_http_resp r;
    for (int i = 0; i < 200 && posts_to("/v1/a2p/BrandRegistrations") == 0; i++)
        usleep(50000);
    cr_assert_eq(posts_to("/v1/a2p/BrandRegistrations"), 1, "the first watch registers the brand");
    for (int i = 0; i < 200 && count("SELECT count(*) FROM jobs WHERE kind = 'a2p.watch'"
                                     " AND state = 'queued'") == 0; i++)
        usleep(50000);
    cr_assert_eq(count("SELECT count(*) FROM jobs WHERE kind = 'a2p.watch' AND state = 'queued'"
                       " AND run_at > '2026-11-24T20:50:00Z'"),
                 1, "the next watch an hour later");
    cr_assert_eq(test_admin(&tw.base.daemon, "POST", "/admin/test/clock", "{\"advance\":\"PT1H\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    char *log = daemon_log();
    cr_assert(strstr(log, "A2P registration status changed") &&
                  strstr(log, "\"from\":\"PENDING\"") && strstr(log, "\"to\":\"APPROVED\""),
              "the brand's approval is logged: %s", log);
    free(log);
    cr_assert_eq(posts_to("/v1/a2p/BrandRegistrations"), 1, "the brand is registered once");
    cr_assert_eq(count("SELECT count(*) FROM jobs WHERE kind = 'a2p.watch' AND state = 'done'"), 2);
}

