/*
 * bookwelld: process lifecycle. Parses the command line, validates the
 * configuration (--check-config stops there), starts the daemon, then waits
 * for signals on the main thread: SIGTERM/SIGINT stop gracefully, SIGHUP asks
 * for a reload of the tenant bindings and plugins. Every other thread has
 * these signals blocked. --describe-plugin prints a plugin's config schema.
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
#include "daemon_plugins.h"
#include "log.h"
#include "plugin_config.h"
#include "plugin_loader.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bookwelld --config DIR [--ready-file PATH] [--test-clock[=RFC3339]]\n"
            "       bookwelld --check-config DIR\n"
            "       bookwelld --describe-plugin ID[@VERSION] [--config DIR]\n"
            "       bookwelld --version\n"
            "\n"
            "  --config DIR        read DIR/bookwelld.conf and DIR/tenants/*.conf\n"
            "  --check-config DIR  validate the configuration and the tenants' plugin\n"
            "                      bindings, then exit (reads plugin descriptors only)\n"
            "  --describe-plugin ID  print the config schema of plugin ID (the newest\n"
            "                      version, or ID@VERSION) from plugins.dir of --config\n"
            "                      DIR, or from " PLUGINDIR "\n"
            "  --ready-file PATH   write {pid, public_port, admin_port} once listening\n"
            "  --test-clock[=T]    simulated business clock starting at T (default now),\n"
            "                      with test-only admin routes; never in production\n");
}

static void print_errors(const struct confmap_errors *errs)
{
    for (int i = 0; i < errs->count && i < 32; i++)
        fprintf(stderr, "%s\n", errs->lines[i]);
    if (errs->count > 32)
        fprintf(stderr, "... and %d more errors\n", errs->count - 32);
}

static void report_refused(const char *path, const struct plugin *p,
                           const struct plugin_reject_info *why, void *ctx)
{
    (void)ctx;
    if (!p)
        fprintf(stderr, "%s: plugin refused (%s): %s\n", path, plugin_reject_name(why->code),
                why->reason);
}

/* Loads the descriptors of plugins.dir (no lifecycle call). Returns the
 * number loaded or -1 (printed). */
static int load_descriptors(const char *dir, struct plugin_set *set, bool quiet)
{
    char err[512];
    int n = plugin_loader_load_dir(set, dir, BW_ABI_MINOR, quiet ? NULL : report_refused, NULL,
                                   err, sizeof err);
    if (n < 0)
        fprintf(stderr, "%s\n", err);
    return n;
}

static int check_config(const char *dir)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    struct plugin_set set = { 0 };
    int rc = config_load(dir, &cfg, &errs);
    size_t bindings = 0;
    for (size_t i = 0; i < cfg.n_tenants; i++)
        bindings += cfg.tenants[i].n_bindings;
    if (rc == 0 && bindings > 0) {
        load_descriptors(cfg.plugins_dir, &set, false);
        rc = plugin_bindings_check(&cfg, &set, &errs);
    }
    print_errors(&errs);
    if (rc == 0)
        printf("configuration OK: %zu tenant(s), %zu plugin binding(s)\n", cfg.n_tenants,
               bindings);
    plugin_set_close(&set);
    config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

static int describe_plugin(const char *spec, const char *config_dir)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    struct plugin_set set = { 0 };
    char id[128];
    const char *version = NULL;
    int rc = 1;
    snprintf(id, sizeof id, "%s", spec);
    char *at = strchr(id, '@');
    if (at) {
        *at = 0;
        version = at + 1;
    }
    if (config_dir && config_load(config_dir, &cfg, &errs) != 0) {
        print_errors(&errs);
        goto out;
    }
    const char *dir = config_dir ? cfg.plugins_dir : PLUGINDIR;
    if (load_descriptors(dir, &set, true) < 0)
        goto out;
    const struct plugin *p = plugin_resolve(&set, id, version, NULL, NULL);
    if (!p) {
        fprintf(stderr, "bookwelld: no plugin %s%s%s in %s\n", id, version ? " " : "",
                version ? version : "", dir);
        goto out;
    }
    plugin_schema_print(stdout, p->desc);
    printf("\nfile: %s\n", p->path);
    rc = 0;
out:
    plugin_set_close(&set);
    config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", required_argument, NULL, 'C' },
        { "describe-plugin", required_argument, NULL, 'D' },
        { "ready-file", required_argument, NULL, 'r' },
        { "test-clock", optional_argument, NULL, 't' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct daemon_options opt = { 0 };
    const char *test_start = NULL, *describe = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': opt.config_dir = optarg; break;
        case 'C': return check_config(optarg);
        case 'D': describe = optarg; break;
        case 'r': opt.ready_file = optarg; break;
        case 't': opt.test_clock = true; test_start = optarg; break;
        case 'V': printf("bookwelld %s\n", PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (describe && optind == argc)
        return describe_plugin(describe, opt.config_dir);
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
            daemon_plugins_reload_signal(&d);
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
