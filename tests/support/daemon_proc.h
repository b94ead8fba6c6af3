/*
 * Runs the real bookwelld as a child process for integration tests: writes
 * a configuration directory under /tmp, starts the daemon on free loopback
 * ports against a test database, waits for its ready file, and stops it with
 * the signal a test chooses. Also a small libcurl client for its listeners.
 */
#ifndef BW_TESTS_DAEMON_PROC_H
#define BW_TESTS_DAEMON_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TEST_ADMIN_TOKEN "test-admin-token-0123456789"

struct test_daemon_opts {
    const char *conninfo;        /* the test database (required) */
    bool test_clock;             /* start with --test-clock */
    const char *test_clock_start;/* RFC 3339, with test_clock */
    const char *extra_conf;      /* libconfig text appended to bookwelld.conf, or NULL */
    const char *tenant_conf;     /* tenants/glow.conf text; NULL: a default Glow tenant */
    int db_pool_size;            /* database connections; 0: 4 */
    const char *spruce_conf;     /* tenants/spruce.conf text (a second clinic, id "spruce"), or NULL */
};

struct test_daemon {
    pid_t pid;
    unsigned public_port;
    unsigned admin_port;
    char dir[256];               /* the configuration directory (removed at stop) */
    char log_path[320];          /* the daemon's stderr */
};

/* Starts and waits up to 20 s for readiness; aborts the test on failure
 * (printing the daemon's log). */
void test_daemon_start(struct test_daemon *d, const struct test_daemon_opts *o);

/* Sends sig (SIGTERM, SIGKILL, ...) and waits; returns the raw wait status.
 * The configuration directory is kept until test_daemon_cleanup(). */
int test_daemon_stop(struct test_daemon *d, int sig);
void test_daemon_cleanup(struct test_daemon *d);

/* The daemon's log so far (malloc'd, caller frees). */
char *test_daemon_log(const struct test_daemon *d);

struct test_http_resp {
    long status;
    char *body;                  /* malloc'd, NUL-terminated */
    size_t len;
    char *headers;               /* malloc'd raw response headers */
};

/* One request. headers is NULL or a NULL-terminated list of "Name: value".
 * Returns 0, or -1 when no response came (connection refused...). */
int test_http(const char *method, unsigned port, const char *path, const char *const *headers,
              const char *body, size_t body_len, struct test_http_resp *out);
void test_http_resp_free(struct test_http_resp *r);

/* An admin request with the test operator token. */
int test_admin(const struct test_daemon *d, const char *method, const char *path,
               const char *json_body, struct test_http_resp *out);

#endif
