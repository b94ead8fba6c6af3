/*
 * Deposits end to end in the real daemon: bookwelld with the built
 * payment.square plugin in its plugins dir, a tenant bound to it (secrets
 * from the environment, its outbound base URL pointing at the Square
 * simulator), a real PostgreSQL. A visit's deposit comes from the Glow
 * clinic's rules; the daemon's job worker makes the link through the plugin
 * registry and hands it on for the conversation engine; the simulator's
 * signed notifications (duplicated, out of order) go through the tenant's
 * binding into payment.event jobs; the deposit is paid once and handed on
 * once for booking; a forged notification is refused; the evidence chain
 * holds.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "support/daemon_checks.h"
#include "support/daemon_proc.h"
#include "support/hook_catcher.h"
#include "support/sim_proc.h"
#include "support/testdb.h"
#include "support/testfiles.h"

static char *conninfo;
static char plugins[64];
static struct test_daemon d;
static struct test_sim sim;
static bool started;

static struct hook_catcher catcher;

static void setup(void)
{
    conninfo = testdb_create();
    test_scratch_dir(plugins, sizeof plugins, "bw-deposits");
    test_install_plugin(plugins, "payment.square-1.0.0.so");
    hook_catcher_start(&catcher, "/webhooks/square/payment", "x-square-hmacsha256-signature");
    const char *args[] = { "--notification-url", catcher.url, NULL };
    test_sim_start(&sim, "square", args);

    setenv("BW_TEST_SQUARE_TOKEN", "sq-test-token", 1);
    setenv("BW_TEST_SQUARE_SIGNATURE_KEY", "sq-test-signature-key", 1);
    char conf[512], tenant[2048];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", plugins);
    snprintf(tenant, sizeof tenant,
             "tenant = { id = \"glow\"; name = \"Glow\"; timezone = \"America/Los_Angeles\"; };\n"
             "plugins = (\n"
             "  { plugin = \"payment.square\";\n"
             "    base_url = \"%s\";\n"
             "    config = {\n"
             "      access_token = \"env:BW_TEST_SQUARE_TOKEN\";\n"
             "      signature_key = \"env:BW_TEST_SQUARE_SIGNATURE_KEY\";\n"
             "      location_id = \"LSIMLOCATION1\";\n"
             "      merchant_id = \"MLSIMMERCHANT1\";\n"
             "      notification_url = \"%s\";\n"
             "    };\n"
             "  }\n"
             ");\n",
             sim.base_url, catcher.url);
    struct test_daemon_opts o = { .conninfo = conninfo, .test_clock = true, .extra_conf = conf,
                                  .tenant_conf = tenant };
    test_daemon_start(&d, &o);
    started = true;
}

static void teardown(void)
{
    if (started) {
        test_daemon_stop_clean(&d);
    }
    test_sim_stop(&sim);
    hook_catcher_stop(&catcher);
    test_scratch_remove(plugins, "bw-deposits");
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(deposits_daemon, .init = setup, .fini = teardown, .timeout = 120);

static cJSON *glow_rules(void)
{
    char path[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/eval/clinics/glow.json", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s (set BW_SHARED_DIR)", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    cJSON *clinic = cJSON_Parse(text);
    cr_assert_not_null(clinic);
    cJSON *rules = cJSON_DetachItemFromObject(clinic, "deposit_rules");
    cJSON_Delete(clinic);
    return rules;
}

static cJSON *admin(const char *method, const char *path, cJSON *body, long *status)
{
    struct test_http_resp r;
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cr_assert_eq(test_admin(&d, method, path, text, &r), 0);
    free(text);
    *status = r.status;
    cJSON *j = cJSON_Parse(r.body);
    test_http_resp_free(&r);
    return j;
}

static cJSON *deposit(long long id)
{
    char path[128];
    long st;
    snprintf(path, sizeof path, "/admin/test/deposits/glow/%lld", id);
    cJSON *j = admin("GET", path, NULL, &st);
    cr_assert_eq(st, 200);
    return j;
}

static const char *str(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long count(const char *sql)
{
    PGconn *pg = testdb_connect(conninfo);
    long v = testdb_scalar(pg, sql);
    PQfinish(pg);
    return v;
}

/* Runs the operator CLI against the daemon; returns its exit status and
 * its stdout in out. */
static int run_cli(const char *const *args, char *out, size_t cap)
{
    char bin[512], path[64], url[64];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwell", b ? b : ".");
    snprintf(path, sizeof path, "/tmp/bw-deposits-cli-%ld.out", (long)getpid());
    snprintf(url, sizeof url, "http://127.0.0.1:%u", d.admin_port);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fo = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0)
            _exit(126);
        dup2(fo, 1);
        setenv("BOOKWELL_ADMIN_URL", url, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        char *argv[8];
        int n = 0;
        argv[n++] = bin;
        for (const char *const *a = args; *a && n < 7; a++)
            argv[n++] = (char *)*a;
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = 0;
    if (f)
        fclose(f);
    unlink(path);
    return WEXITSTATUS(status);
}

static long forward(int i, const char *sig)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "tenant", "glow");
    cJSON_AddStringToObject(b, "url", catcher.url);
    cJSON *h = cJSON_AddObjectToObject(b, "headers");
    cJSON_AddStringToObject(h, "content-type", "application/json");
    cJSON_AddStringToObject(h, "x-square-hmacsha256-signature", sig);
    cJSON_AddStringToObject(b, "body", catcher.hooks[i].body);
    long st;
    cJSON *r = admin("POST", "/admin/test/payment-webhook", b, &st);
    cJSON_Delete(r);
    cJSON_Delete(b);
    return st;
}

Test(deposits_daemon, rules_link_paid_once_handed_on)
{
    /* Botox for a returning client: the injectables rule, $100. */
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "tenant", "glow");
    cJSON_AddStringToObject(b, "hold_ref", "hold-e2e-1");
    cJSON *sv = cJSON_AddArrayToObject(b, "services");
    cJSON_AddItemToArray(sv, cJSON_CreateString("botox"));
    cJSON_AddBoolToObject(b, "new_client", 0);
    cJSON_AddItemToObject(b, "rules", glow_rules());
    cJSON_AddStringToObject(b, "currency", "USD");
    long st;
    cJSON *r = admin("POST", "/admin/test/deposits", b, &st);
    cr_assert_eq(st, 201);
    cr_expect_eq(cJSON_GetObjectItem(r, "amount_minor")->valuedouble, 10000);
    long long id = (long long)cJSON_GetObjectItem(r, "deposit_id")->valuedouble;
    cJSON_Delete(r);

    /* A consult needs no deposit: nothing is stored. */
    cJSON_ReplaceItemInObject(b, "hold_ref", cJSON_CreateString("hold-e2e-2"));
    cJSON_ReplaceItemInArray(sv, 0, cJSON_CreateString("coolsculpting-consult"));
    r = admin("POST", "/admin/test/deposits", b, &st);
    cr_expect_eq(st, 200);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(r, "deposit_id")));
    cJSON_Delete(r);
    cJSON_Delete(b);

    /* The daemon's worker makes the link through the registry. */
    cJSON *dep = NULL;
    for (int i = 0; i < 200; i++) {
        cJSON_Delete(dep);
        dep = deposit(id);
        if (str(dep, "link_url")[0] || strcmp(str(dep, "status"), "created") != 0)
            break;
        usleep(50000);
    }
    cr_assert_neq(str(dep, "link_url")[0], 0, "status %s error %s", str(dep, "status"),
                  str(dep, "error_code"));
    char link_id[128];
    snprintf(link_id, sizeof link_id, "%s", str(dep, "link_id"));
    cJSON_Delete(dep);
    cr_expect_eq(count("SELECT count(*) FROM jobs WHERE kind = 'convo.deposit_link'"), 1,
                 "the link is handed on to the conversation engine");
    cr_expect_eq(count("SELECT count(*) FROM deposits WHERE hold_ref = 'hold-e2e-2'"), 0);

    /* Paid on Square; each notification twice, updated before created. */
    char path[256];
    struct test_http_resp hr;
    snprintf(path, sizeof path, "/_sim/pay?link=%s&duplicate=1&order=reversed", link_id);
    cr_assert_eq(test_http("POST", sim.port, path, NULL, "", 0, &hr), 0);
    cr_assert_eq(hr.status, 200);
    test_http_resp_free(&hr);
    for (int i = 0; i < 250 && catcher.n < 4; i++)
        usleep(20000);
    cr_assert_geq(catcher.n, 4);
    cr_expect_eq(forward(0, "AAAA" "forged" "signature="), 403, "a forged notification");
    for (int i = 0; i < 4; i++)
        cr_expect_eq(forward(i, catcher.hooks[i].sig), 200, "notification %d", i);

    for (int i = 0; i < 200; i++) {
        dep = deposit(id);
        bool paid = strcmp(str(dep, "status"), "paid") == 0;
        if (paid)
            break;
        cJSON_Delete(dep);
        dep = NULL;
        usleep(50000);
    }
    cr_assert_not_null(dep, "the deposit was marked paid");
    cr_expect_neq(str(dep, "payment_id")[0], 0);
    const cJSON *ev = cJSON_GetObjectItem(dep, "evidence");
    cr_expect_geq(cJSON_GetObjectItem(ev, "entries")->valueint, 3);
    cr_expect_eq(cJSON_GetObjectItem(ev, "first_bad")->valueint, 0);
    cJSON_Delete(dep);
    /* Every payment.event job done; one paid hand-on for booking. */
    for (int i = 0; i < 100 && count("SELECT count(*) FROM jobs WHERE kind = 'payment.event'"
                                     " AND state <> 'done'") > 0;
         i++)
        usleep(50000);
    cr_expect_eq(count("SELECT count(*) FROM jobs WHERE kind = 'payment.event'"
                       " AND state <> 'done'"),
                 0);
    cr_expect_eq(count("SELECT count(*) FROM jobs WHERE kind = 'booking.deposit_paid'"), 1,
                 "the booking writer is asked once");
    cr_expect_eq(count("SELECT count(*) FROM deposits WHERE status = 'paid'"), 1);

    /* The trail as JSON, as a printable page, and through the CLI. */
    cJSON *e = admin("GET", "/admin/evidence/glow/hold-e2e-1", NULL, &st);
    cr_assert_eq(st, 200);
    const cJSON *v = cJSON_GetObjectItem(e, "verification");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(v, "intact")));
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "entries"), 0);
    cr_expect_str_eq(str(first, "kind"), "deposit.offered");
    cJSON_Delete(e);
    struct test_http_resp page;
    cr_assert_eq(test_http("GET", d.admin_port, "/admin/evidence/glow/hold-e2e-1?format=html",
                           (const char *const[]){ "Authorization: Bearer " TEST_ADMIN_TOKEN,
                                                  NULL },
                           NULL, 0, &page),
                 0);
    cr_expect_eq(page.status, 200);
    cr_expect_not_null(strstr(page.body, "hash chain intact"), "%s", page.body);
    cr_expect_not_null(strstr(page.body, "deposit.payment_event"));
    test_http_resp_free(&page);
    char out[2048];
    int code = run_cli((const char *const[]){ "evidence", "verify", "glow", "hold-e2e-1", NULL },
                       out, sizeof out);
    cr_expect_eq(code, 0, "%s", out);
    cr_expect_not_null(strstr(out, "hash chain intact"), "%s", out);

    /* Someone edits the stored payment event around the triggers. */
    PGconn *pg = testdb_connect(conninfo);
    testdb_exec(pg, "ALTER TABLE evidence DISABLE TRIGGER USER");
    testdb_exec(pg, "UPDATE evidence SET body = replace(body, '\"paid\"', '\"failed\"')"
                    " WHERE subject = 'hold-e2e-1' AND kind = 'deposit.payment_event'");
    testdb_exec(pg, "ALTER TABLE evidence ENABLE TRIGGER USER");
    PQfinish(pg);
    code = run_cli((const char *const[]){ "evidence", "verify", "glow", "hold-e2e-1", NULL },
                   out, sizeof out);
    cr_expect_eq(code, 1, "%s", out);
    cr_expect_not_null(strstr(out, "TAMPERED at entry 3"), "%s", out);
}
