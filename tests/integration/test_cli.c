/*
 * The operator CLI against a real bookwelld: status and tenants print what
 * the daemon reports; an API key created through the CLI authenticates on
 * the public listener until the CLI revokes it; the daemon's refusals come
 * back as exit 1 with its message; usage errors exit 2 and an unreachable
 * listener exits 3. `bookwell jobs` is checked against a one-shot stub
 * listener that records the request it gets.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/daemon_proc.h"
#include "support/testdb.h"

static char *conninfo;
static struct test_daemon daemon_;
static char admin_url[64];

static void setup(void)
{
    conninfo = testdb_create();
    struct test_daemon_opts o = { .conninfo = conninfo };
    test_daemon_start(&daemon_, &o);
    snprintf(admin_url, sizeof admin_url, "http://127.0.0.1:%u", daemon_.admin_port);
}

static void teardown(void)
{
    test_daemon_stop(&daemon_, SIGTERM);
    test_daemon_cleanup(&daemon_);
    testdb_drop(conninfo);
    free(conninfo);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

struct cli_run {
    int code;
    char out[16384];
    char err[4096];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
}

/* Runs bookwell with args (NULL-terminated) and the given environment; a
 * NULL url or token leaves that variable unset. */
static void cli(struct cli_run *r, const char *url, const char *token, const char *const *args)
{
    char bin[512], out[64], err[64];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwell", b ? b : ".");
    snprintf(out, sizeof out, "/tmp/bw-cli-%ld.out", (long)getpid());
    snprintf(err, sizeof err, "/tmp/bw-cli-%ld.err", (long)getpid());
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        unsetenv("BOOKWELL_ADMIN_URL");
        unsetenv("BOOKWELL_ADMIN_TOKEN");
        if (url)
            setenv("BOOKWELL_ADMIN_URL", url, 1);
        if (token)
            setenv("BOOKWELL_ADMIN_TOKEN", token, 1);
        char *argv[16];
        int n = 0;
        argv[n++] = bin;
        for (const char *const *a = args; *a && n < 15; a++)
            argv[n++] = (char *)*a;
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "bookwell did not exit normally");
    r->code = WEXITSTATUS(status);
    cr_assert_neq(r->code, 127, "cannot run %s", bin);
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void admin_cli(struct cli_run *r, const char *const *args)
{
    cli(r, admin_url, TEST_ADMIN_TOKEN, args);
}

Test(cli, status_prints_the_daemon_state)
{
    struct cli_run r;
    admin_cli(&r, ARGS("status"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "version ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "schema_version ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "db_pool.size ") != NULL, "nested objects flattened: %s", r.out);
    cr_assert(strstr(r.out, "tenants ") != NULL, "%s", r.out);

    admin_cli(&r, ARGS("--json", "status"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "\"schema_version\":") != NULL, "raw JSON: %s", r.out);
}

Test(cli, tenants_lists_the_configured_clinics)
{
    struct cli_run r;
    admin_cli(&r, ARGS("tenants"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    char id[32], name1[32], name2[32], tz[64], country[8];
    cr_assert(strncmp(r.out, "ID", 2) == 0 && strstr(r.out, "TIMEZONE"), "header: %s", r.out);
    const char *row = strchr(r.out, '\n');
    cr_assert_not_null(row);
    cr_assert_eq(sscanf(row + 1, "%31s %31s %31s %63s %7s", id, name1, name2, tz, country), 5,
                 "%s", r.out);
    cr_assert_str_eq(id, "glow");
    cr_assert_str_eq(name1, "Glow");
    cr_assert_str_eq(name2, "Aesthetics");
    cr_assert_str_eq(tz, "America/Los_Angeles");
    cr_assert_str_eq(country, "US");
}

/* Pulls the value of "name  value" out of the CLI's field output. */
static void field(const char *out, const char *name, char *value, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = out; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if (strncmp(line, name, nl) == 0 && line[nl] == ' ') {
            const char *p = line + nl;
            while (*p == ' ')
                p++;
            size_t n = (size_t)(end - p);
            cr_assert_lt(n, cap);
            memcpy(value, p, n);
            value[n] = '\0';
            return;
        }
        line = *end ? end + 1 : end;
    }
    cr_assert_fail("no %s in: %s", name, out);
}

static long tenant_get(const char *key)
{
    char auth[256];
    struct test_http_resp h;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *headers[] = { auth, NULL };
    cr_assert_eq(test_http("GET", daemon_.public_port, "/tenant", headers, NULL, 0, &h), 0);
    long status = h.status;
    test_http_resp_free(&h);
    return status;
}

Test(cli, api_key_created_by_the_cli_works_until_revoked)
{
    struct cli_run r;
    char key[128], key_id[64];
    admin_cli(&r, ARGS("api-key", "create", "glow", "--label", "front desk"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    field(r.out, "api_key", key, sizeof key);
    field(r.out, "key_id", key_id, sizeof key_id);
    cr_assert(strncmp(key, "bwk_", 4) == 0, "%s", key);
    cr_assert(strstr(r.err, "shown only this once") != NULL);
    cr_assert_eq(tenant_get(key), 200);

    PGconn *pg = testdb_connect(conninfo);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM api_keys WHERE key_id = '%s' AND label = 'front desk'", key_id);
    cr_assert_eq(testdb_scalar(pg, sql), 1, "the label reached the daemon");
    PQfinish(pg);

    admin_cli(&r, ARGS("api-key", "revoke", "glow", key_id));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "revoked key") != NULL, "%s", r.out);
    cr_assert_eq(tenant_get(key), 401);

    /* Revoking again: the daemon says no, and its message is shown. */
    admin_cli(&r, ARGS("api-key", "revoke", "glow", key_id));
    cr_assert_eq(r.code, 1);
    cr_assert(strstr(r.err, "no active key with that id for this tenant") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "HTTP 404") != NULL, "%s", r.err);
}

Test(cli, label_with_equals_and_odd_tenant_ids_are_escaped)
{
    struct cli_run r;
    admin_cli(&r, ARGS("api-key", "create", "--label=café \"desk\"", "glow"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    PGconn *pg = testdb_connect(conninfo);
    cr_assert_eq(testdb_scalar(pg, "SELECT count(*) FROM api_keys WHERE label = 'café \"desk\"'"), 1);
    PQfinish(pg);
    /* A path-like id reaches no other route (escaped, and the router matches
     * decoded segments literally): the daemon answers 404. */
    admin_cli(&r, ARGS("api-key", "create", "../status"));
    cr_assert_eq(r.code, 1, "%s", r.out);
    cr_assert(strstr(r.err, "HTTP 404") != NULL, "%s", r.err);
    admin_cli(&r, ARGS("api-key", "create", "glow?x=1"));
    cr_assert_eq(r.code, 1, "%s", r.out);
    cr_assert(strstr(r.err, "no tenant with that id") != NULL, "%s", r.err);
}

Test(cli, daemon_refusals_exit_one_with_its_message)
{
    struct cli_run r;
    admin_cli(&r, ARGS("api-key", "create", "nobody"));
    cr_assert_eq(r.code, 1);
    cr_assert(strstr(r.err, "no tenant with that id") != NULL, "%s", r.err);
    cr_assert_str_eq(r.out, "");

    cli(&r, admin_url, "not-the-operator-token", ARGS("status"));
    cr_assert_eq(r.code, 1);
    cr_assert(strstr(r.err, "HTTP 401") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "unauthorized") != NULL, "%s", r.err);
}

Test(cli, usage_errors_exit_two)
{
    struct cli_run r;
    const char *const *bad[] = {
        ARGS("frobnicate"),
        ARGS("api-key", "create"),
        ARGS("api-key", "revoke", "glow"),
        ARGS("api-key", "rotate", "glow"),
        ARGS("status", "extra"),
        ARGS("tenants", "--parked"),
        ARGS("status", "--token", TEST_ADMIN_TOKEN),
        ARGS("jobs", "--bogus"),
        ARGS("api-key", "create", "glow", "--label"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        admin_cli(&r, bad[i]);
        cr_assert_eq(r.code, 2, "case %zu: %s", i, r.out);
        cr_assert(strstr(r.err, "bookwell: ") != NULL, "case %zu: %s", i, r.err);
    }
    cli(&r, admin_url, TEST_ADMIN_TOKEN, (const char *const[]){ NULL });
    cr_assert_eq(r.code, 2);
    cli(&r, admin_url, NULL, ARGS("status"));
    cr_assert_eq(r.code, 2, "no token in the environment");
    cr_assert(strstr(r.err, "BOOKWELL_ADMIN_TOKEN") != NULL, "%s", r.err);
    cli(&r, "ftp://127.0.0.1/", TEST_ADMIN_TOKEN, ARGS("status"));
    cr_assert_eq(r.code, 2);
}

Test(cli, help_lists_commands_and_exit_codes)
{
    struct cli_run r;
    cli(&r, NULL, NULL, ARGS("--help"));
    cr_assert_eq(r.code, 0);
    const char *want[] = { "status", "tenants", "api-key create TENANT", "api-key revoke TENANT KEY_ID",
                           "jobs [--parked]", "BOOKWELL_ADMIN_URL", "BOOKWELL_ADMIN_TOKEN",
                           "  3  cannot reach" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(r.out, want[i]) != NULL, "missing %s in:\n%s", want[i], r.out);
    cli(&r, NULL, NULL, ARGS("help"));
    cr_assert_eq(r.code, 0);
    cr_assert(strstr(r.out, "Exit status") != NULL);
}

static unsigned closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s); /* bound, never listened: connecting is refused */
    return ntohs(a.sin_port);
}

Test(cli, unreachable_listener_exits_three)
{
    struct cli_run r;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", closed_port());
    cli(&r, url, TEST_ADMIN_TOKEN, ARGS("status"));
    cr_assert_eq(r.code, 3, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "cannot reach the admin listener") != NULL, "%s", r.err);
}

/* ------------------------------------------------ jobs, against a stub */

struct stub {
    int fd;
    unsigned port;
    const char *reply;          /* full HTTP response */
    char request[4096];         /* what the CLI sent */
};

static void *stub_serve(void *arg)
{
    struct stub *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t n = 0;
    while (n < sizeof s->request - 1) {
        ssize_t got = read(c, s->request + n, sizeof s->request - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        s->request[n] = '\0';
        if (strstr(s->request, "\r\n\r\n"))
            break;
    }
    ssize_t w = write(c, s->reply, strlen(s->reply));
    (void)w;
    close(c);
    return NULL;
}

static pthread_t stub_start(struct stub *s, const char *reply)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    memset(s->request, 0, sizeof s->request);
    s->reply = reply;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s->fd, 1), 0);
    cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, stub_serve, s);
    return t;
}

static void stub_jobs(struct cli_run *r, struct stub *s, const char *reply, const char *const *args)
{
    char url[64];
    pthread_t t = stub_start(s, reply);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", s->port);
    cli(r, url, TEST_ADMIN_TOKEN, args);
    pthread_join(t, NULL);
    close(s->fd);
}

#define JSON_200(body)                                                                         \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" body

/* The shape GET /admin/jobs answers with. */
#define JOBS_COUNTS "\"counts\":{\"queued\":3,\"running\":1,\"parked\":2,\"done\":40}"

Test(cli, jobs_parked_lists_the_parked_jobs)
{
    struct stub s;
    struct cli_run r;
    stub_jobs(&r, &s,
              JSON_200("{" JOBS_COUNTS ",\"kinds\":[],\"state\":\"parked\",\"jobs\":["
                       "{\"tenant_id\":\"glow\",\"id\":17,\"kind\":\"sms.send\",\"state\":\"parked\","
                       "\"attempts\":8,\"max_attempts\":8,\"run_at\":\"2027-03-02T20:45:00.000000Z\","
                       "\"ordering_key\":null,\"last_error\":\"line1\\nline2\",\"created_at\":\"x\"},"
                       "{\"tenant_id\":\"luxe\",\"id\":18,\"kind\":\"emr.book\",\"state\":\"parked\","
                       "\"attempts\":8,\"max_attempts\":8,\"run_at\":\"2027-03-02T21:00:00.000000Z\","
                       "\"ordering_key\":null,\"last_error\":null,\"created_at\":\"x\"}],"
                       "\"next_after\":18}"),
              ARGS("jobs", "--parked"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strncmp(s.request, "GET /admin/jobs?state=parked HTTP/1.1\r\n", 39) == 0, "%s", s.request);
    cr_assert(strstr(s.request, "\r\nAuthorization: Bearer " TEST_ADMIN_TOKEN "\r\n") != NULL, "%s",
              s.request);
    cr_assert(strstr(r.out, "parked   2\n") != NULL, "counts: %s", r.out);
    cr_assert(strstr(r.out, "ID  TENANT_ID  KIND      STATE   ATTEMPTS  RUN_AT") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "17  glow       sms.send  parked  8") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "line1 line2") != NULL, "control characters flattened: %s", r.out);
    cr_assert_null(strstr(r.out, "CREATED_AT"), "only the chosen columns: %s", r.out);
    cr_assert(strstr(r.out, "more parked jobs than shown") != NULL, "%s", r.out);
}

Test(cli, jobs_overview_shows_counts_by_kind)
{
    struct stub s;
    struct cli_run r;
    stub_jobs(&r, &s,
              JSON_200("{" JOBS_COUNTS ",\"kinds\":["
                       "{\"kind\":\"sms.send\",\"queued\":3,\"running\":1,\"parked\":2,\"done\":10},"
                       "{\"kind\":\"emr.book\",\"queued\":0,\"running\":0,\"parked\":0,\"done\":30}],"
                       "\"state\":\"parked\",\"jobs\":[],\"next_after\":null}"),
              ARGS("jobs"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strncmp(s.request, "GET /admin/jobs HTTP/1.1\r\n", 26) == 0, "%s", s.request);
    cr_assert(strstr(r.out, "queued   3\nrunning  1\nparked   2\ndone     40\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "KIND      QUEUED  RUNNING  PARKED  DONE\n"
                            "sms.send  3       1        2       10\n"
                            "emr.book  0       0        0       30\n") != NULL,
              "%s", r.out);

    stub_jobs(&r, &s, JSON_200("{\"counts\":{},\"kinds\":[],\"jobs\":[]}"), ARGS("jobs", "--parked"));
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "no parked jobs\n") != NULL, "%s", r.out);
}

Test(cli, replies_that_are_not_json_errors_still_exit_one)
{
    struct stub s;
    struct cli_run r;
    stub_jobs(&r, &s, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n<html>oops</html>",
              ARGS("jobs"));
    cr_assert_eq(r.code, 1);
    cr_assert(strstr(r.err, "HTTP 502") != NULL, "%s", r.err);
    stub_jobs(&r, &s, JSON_200("not json"), ARGS("jobs"));
    cr_assert_eq(r.code, 1);
    cr_assert(strstr(r.err, "not JSON") != NULL, "%s", r.err);
}
