/*
 * Compliance through the real daemon, a real database and the real CLI:
 * GET /contacts/{id}/consent returns the ledger (redacted messages, basis,
 * consent wording) and the opt-out state to the tenant's key, a 404 for
 * another tenant's contact, 401 without a key; `bookwell contact erase`
 * erases through the admin route, after which the ledger is still there
 * under the hashed key and the opt-out still holds; the daily retention job
 * purges message text past the tenant's period when the test clock passes
 * its run time, and schedules the next day.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "consent.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon dmn;
static PGconn *pg;
static char api_key[128];

#define TENANT_CONF                                                                      \
    "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = \"America/Los_Angeles\";" \
    " country = \"US\"; retention = \"90d\"; };\n"

static void setup(void)
{
    conninfo = testdb_create();
    pg = testdb_connect(conninfo);
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true,
                                  .test_clock_start = "2027-06-01T12:00:00Z",
                                  .tenant_conf = TENANT_CONF };
    test_daemon_start(&dmn, &o);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&dmn, "POST", "/admin/tenants/glow/api-keys", "{}", &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cJSON *o2 = cJSON_Parse(r.body);
    snprintf(api_key, sizeof api_key, "%s",
             cJSON_GetObjectItemCaseSensitive(o2, "api_key")->valuestring);
    cJSON_Delete(o2);
    test_http_resp_free(&r);
}

static void teardown(void)
{
    test_daemon_stop(&dmn, SIGTERM);
    test_daemon_cleanup(&dmn);
    PQfinish(pg);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(compliance_api, .init = setup, .fini = teardown, .timeout = 90);

static int64_t utc(const char *s)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(s, &us), 0);
    return us;
}

static cJSON *get_consent(const char *id, const char *key, long want)
{
    char path[64], auth[200];
    snprintf(path, sizeof path, "/contacts/%s/consent", id);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *h[] = { auth, NULL };
    struct test_http_resp r;
    cr_assert_eq(test_http("GET", dmn.public_port, path, key ? h : NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, want, "%s: %ld %s", path, r.status, r.body);
    cJSON *o = cJSON_Parse(r.body);
    cr_assert_not_null(o, "%s", r.body);
    test_http_resp_free(&r);
    return o;
}

static void seed_contact(const char *tenant, long id, const char *phone)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO contacts (tenant_id, id, channel, address, phone, first_name, created_at) "
             "VALUES ('%s', %ld, 'sms', '%s', '%s', 'Dana', '2027-01-01T00:00:00Z');"
             "INSERT INTO conversations (tenant_id, id, contact_id, binding, created_at, updated_at) "
             "VALUES ('%s', %ld, %ld, 'sms', '2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z')",
             tenant, id, phone, phone, tenant, id, id);
    testdb_exec(pg, sql);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Runs the CLI; returns its exit code, output in out. */
static int cli(const char *const *args, char *out, size_t cap)
{
    char bin[512], path[64], url[64];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwell", b ? b : ".");
    snprintf(path, sizeof path, "/tmp/bw-compl-%ld.out", (long)getpid());
    snprintf(url, sizeof url, "http://127.0.0.1:%u", dmn.admin_port);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("BOOKWELL_ADMIN_URL", url, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        char *argv[8];
        int n = 0;
        argv[n++] = bin;
        for (; *args && n < 7; args++)
            argv[n++] = (char *)*args;
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

Test(compliance_api, consent_ledger_erasure_and_isolation)
{
    struct db_conn c = { .pg = pg };
    const char *phone = "+14155550134";
    seed_contact("glow", 1, phone);
    seed_contact("spa", 2, "+14155550135");

    struct consent_entry e = { .tenant_id = "glow", .contact = phone,
                               .source = CONSENT_SRC_WEB_FORM, .scope = CONSENT_SCOPE_MARKETING,
                               .basis = CONSENT_BASIS_EXPRESS, .channel = "webchat",
                               .campaign = "spring-2027",
                               .consent_text = "I agree to receive texts from Glow Aesthetics.",
                               .at_us = utc("2027-02-01T18:00:00Z") };
    cr_assert_eq(consent_record(&c, &e, NULL), 0);
    e = (struct consent_entry){ .tenant_id = "glow", .contact = phone,
                                .source = CONSENT_SRC_INBOUND_TEXT, .channel = "sms",
                                .message = "I'm pregnant now so please stop texting me",
                                .at_us = utc("2027-03-01T18:00:00Z") };
    cr_assert_eq(consent_opt_out(&c, &e, NULL, NULL), 0);
    e.tenant_id = "spa";
    e.contact = "+14155550135";
    cr_assert_eq(consent_opt_out(&c, &e, NULL, NULL), 0);

    cJSON *o = get_consent("1", api_key, 200);
    cr_expect_eq(cJSON_GetObjectItemCaseSensitive(o, "contact_id")->valuedouble, 1);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "opted_out")));
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "erased")));
    cr_expect_str_eq(str(o, "state_changed_at"), "2027-03-01T18:00:00.000000Z");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "events");
    cr_assert_eq(cJSON_GetArraySize(ev), 2);
    const cJSON *e0 = cJSON_GetArrayItem(ev, 0), *e1 = cJSON_GetArrayItem(ev, 1);
    cr_expect_str_eq(str(e0, "kind"), "consent");
    cr_expect_str_eq(str(e0, "source"), "web_form");
    cr_expect_str_eq(str(e0, "scope"), "marketing");
    cr_expect_str_eq(str(e0, "basis"), "express");
    cr_expect_str_eq(str(e0, "channel"), "webchat");
    cr_expect_str_eq(str(e0, "campaign"), "spring-2027");
    cr_expect_str_eq(str(e0, "consent_text"), "I agree to receive texts from Glow Aesthetics.");
    cr_expect_str_eq(str(e0, "at"), "2027-02-01T18:00:00.000000Z");
    cr_expect_str_eq(str(e1, "kind"), "opt_out");
    cr_expect_str_eq(str(e1, "scope"), "all");
    cr_expect_str_eq(str(e1, "source"), "inbound_text");
    cr_expect(strstr(str(e1, "message"), "[health info]") != NULL, "%s", str(e1, "message"));
    cr_expect(strstr(str(e1, "message"), "pregnant") == NULL, "redacted: %s", str(e1, "message"));
    cr_expect(strstr(str(e1, "message"), "stop texting me") != NULL);
    cJSON_Delete(o);

    /* Another tenant's contact, no contact, a bad id, no key. */
    cJSON_Delete(get_consent("2", api_key, 404));
    cJSON_Delete(get_consent("99", api_key, 404));
    cJSON_Delete(get_consent("1x", api_key, 404));
    cJSON_Delete(get_consent("1", NULL, 401));

    /* Erase through the CLI, by phone number. */
    char out[4096];
    int rc = cli((const char *const[]){ "contact", "erase", "glow", phone, NULL }, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "erased") != NULL, "%s", out);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM contacts WHERE tenant_id = 'glow' AND "
                                   "erased_at IS NOT NULL AND phone IS NULL AND first_name IS NULL"), 1);
    rc = cli((const char *const[]){ "--json", "contact", "erase", "glow", "1", NULL }, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "\"already_erased\":1") != NULL, "%s", out);
    rc = cli((const char *const[]){ "contact", "erase", "glow", "+19995550000", NULL }, out, sizeof out);
    cr_expect_eq(rc, 1, "unknown contact: %s", out);
    rc = cli((const char *const[]){ "contact", "erase", "nowhere", "1", NULL }, out, sizeof out);
    cr_expect_eq(rc, 1, "unknown tenant: %s", out);
    rc = cli((const char *const[]){ "contact", "erase", "glow", NULL }, out, sizeof out);
    cr_expect_eq(rc, 2, "usage: %s", out);

    o = get_consent("1", api_key, 200);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "erased")));
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "opted_out")), "the opt-out stays");
    ev = cJSON_GetObjectItemCaseSensitive(o, "events");
    cr_assert_eq(cJSON_GetArraySize(ev), 2, "the facts stay");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, 1), "message")));
    cJSON_Delete(o);
    bool opted;
    cr_assert_eq(consent_is_opted_out(&c, "glow", phone, &opted), 0);
    cr_expect(opted, "a send to the number is still blocked");
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM consent_events WHERE contact = '+14155550134'"), 0);
}

Test(compliance_api, retention_job_purges_daily)
{
    /* The start-up run, due at once, is done before the messages arrive. */
    for (int i = 0; i < 200 && testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = "
                                                 "'retention.purge' AND state = 'done'") < 1; i++)
        usleep(50 * 1000);
    seed_contact("glow", 1, "+14155550134");
    testdb_exec(pg, "INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, "
                    "binding, body, status, created_at) VALUES "
                    "('glow', 1, 1, 'in', 'message', 'sms', 'old', 'received', '2027-02-01T00:00:00Z'),"
                    "('glow', 1, 1, 'in', 'message', 'sms', 'edge', 'received', '2027-03-04T00:00:00Z'),"
                    "('glow', 1, 1, 'in', 'message', 'sms', 'new', 'received', '2027-05-01T00:00:00Z')");
    /* The start-up run had nothing to purge; the next one is due a day later. */
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'retention.purge' AND "
                                   "tenant_id = 'glow' AND state = 'queued' AND "
                                   "run_at = '2027-06-02T12:00:00Z'"), 1);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM messages WHERE body IS NULL"), 0);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&dmn, "POST", "/admin/test/clock", "{\"advance\": \"PT25H\"}", &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    /* 90 days before 2027-06-02T12:00Z is 2027-03-04T12:00Z. */
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM messages WHERE body IS NULL"), 2);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM messages WHERE body = 'new'"), 1);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'retention.purge' AND "
                                   "state = 'done'"), 2);
    cr_expect_eq(testdb_scalar(pg, "SELECT count(*) FROM jobs WHERE kind = 'retention.purge' AND "
                                   "state = 'queued' AND run_at = '2027-06-03T12:00:00Z'"), 1);
}
