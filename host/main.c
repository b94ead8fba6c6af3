/*
 * bookwelld: process lifecycle. Parses the command line, validates the
 * configuration (--check-config stops there), starts the daemon, then waits
 * for signals on the main thread: SIGTERM/SIGINT stop gracefully, SIGHUP asks
 * for a reload. Every other thread has these signals blocked.
 */
#include "build_config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bookwelld --config DIR [--ready-file PATH] [--test-clock[=RFC3339]]\n"
            "       bookwelld --check-config DIR\n"
            "       bookwelld --version\n"
            "\n"
            "  --config DIR        read DIR/bookwelld.conf and DIR/tenants/*.conf\n"
            "  --check-config DIR  validate the configuration and exit (opens nothing)\n"
            "  --ready-file PATH   write {pid, public_port, admin_port} once listening\n"
            "  --test-clock[=T]    simulated business clock starting at T (default now),\n"
            "                      with test-only admin routes; never in production\n");
}

static int check_config(const char *dir)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    int rc = config_load(dir, &cfg, &errs);
    for (int i = 0; i < errs.count && i < 32; i++)
        fprintf(stderr, "%s\n", errs.lines[i]);
    if (errs.count > 32)
        fprintf(stderr, "... and %d more errors\n", errs.count - 32);
    if (rc == 0)
        printf("configuration OK: %zu tenant(s)\n", cfg.n_tenants);
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", required_argument, NULL, 'C' },
        { "ready-file", required_argument, NULL, 'r' },
        { "test-clock", optional_argument, NULL, 't' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct daemon_options opt = { 0 };
    const char *test_start = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': opt.config_dir = optarg; break;
        case 'C': return check_config(optarg);
        case 'r': opt.ready_file = optarg; break;
        case 't': opt.test_clock = true; test_start = optarg; break;
        case 'V': printf("bookwelld %s\n", PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!opt.config_dir || optind != argc) {
        usage(stderr);
        return 2;
    }
    opt.test_clock_start_us = clock_now_us();
    if (test_start && clock_parse_rfc3339(test_start, &opt.test_clock_start_us) != 0) {
        fprintf(stderr, "bookwelld: --test-clock wants an RFC 3339 time such as 2027-03-02T20:15:00Z\n");
        return 2;
    }

    /* Block the signals we handle before any thread exists, so all inherit it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct daemon d;
    if (daemon_start(&d, &opt) != 0)
        return 1;

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("reload requested (SIGHUP)");
            continue;
        }
        const char *fields[] = { "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL };
        log_write(LOG_INFO, NULL, fields, "shutting down");
        break;
    }
    int clean = daemon_stop(&d);
    log_info("stopped");
    if (clean != 0)
        _exit(0); /* handlers still run: no exit-time teardown under them */
    return 0;
}
