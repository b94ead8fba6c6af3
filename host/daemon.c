/*
 * Start-up and shut-down order of the daemon. Start: configuration, schema,
 * pool, tenants, workers, listeners, ready file. Stop, in reverse: stop
 * accepting, let requests and jobs in flight finish, close the pool.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "a2p.h"
#include "casl_gate.h"
#include "clock.h"
#include "convo_driver.h"
/* After a booking: confirmations, reminders, attendance, recall, waitlist. */
#include "attendance.h"
#include "convo_hook.h"
#include "recall.h"
#include "reminder_replies.h"
#include "reminders.h"
#include "waitlist.h"
#include "daemon_deposits.h"
#include "daemon_plugins.h"
#include "jobs.h"
#include "booking.h"
#include "booking_reconcile.h"
#include "holds.h"
#include "jobs_test_kind.h"
#include "log.h"
#include "messaging_events.h"
#include "outbound.h"
#include "migrations.h"
#include "retention_job.h"
#include "routes.h"
#include "tenant.h"

#define DB_ACQUIRE_TIMEOUT_MS 5000

struct db_conn *daemon_db(struct daemon *d)
{
    struct db_conn *c = db_acquire(d->pool, DB_ACQUIRE_TIMEOUT_MS);
    if (c && PQstatus(c->pg) != CONNECTION_OK) {
        db_release(d->pool, c);
        return NULL;
    }
    return c;
}

void daemon_db_release(struct daemon *d, struct db_conn *c) { db_release(d->pool, c); }

int daemon_add_route(struct daemon *d, bool admin, const char *method, const char *pattern,
                     http_handler_fn handler, enum http_auth auth)
{
    struct http_route *table = admin ? d->admin_routes : d->public_routes;
    size_t *n = admin ? &d->n_admin_routes : &d->n_public_routes;
    if (*n >= DAEMON_MAX_ROUTES) {
        log_error("route table full, cannot add %s %s", method, pattern);
        return -1;
    }
    table[(*n)++] = (struct http_route){ method, pattern, handler, auth, d };
    return 0;
}

int daemon_register_routes(struct daemon *d)
{
    if (routes_health_register(d) || routes_admin_register(d) || routes_clinic_register(d) ||
        routes_jobs_register(d) || routes_plugins_register(d) || routes_webhooks_register(d) ||
        routes_compliance_register(d) || routes_evidence_register(d) || routes_deposits_register(d) ||
        routes_catalog_register(d) || routes_booking_register(d) || routes_a2p_register(d) ||
        routes_staff_tasks_register(d) ||
        routes_calendar_register(d) || routes_waitlist_register(d) ||
        routes_metrics_register(d) || routes_dashboard_register(d) ||
        routes_inbox_register(d) ||
        routes_conversations_register(d) ||
        (d->opt.test_clock && (routes_test_register(d) || routes_test_deposits_register(d))))
        return -1;
    return 0;
}

static int tenant_auth(const char *token, char *tenant_id, void *ctx)
{
    struct daemon *d = ctx;
    struct db_conn *c = daemon_db(d);
    if (!c)
        return -1;
    int rc = tenant_api_key_lookup(c, token, tenant_id, 64);
    daemon_db_release(d, c);
    return rc;
}

static int migrate(struct daemon *d)
{
    char err[512];
    PGconn *pg = db_connect(d->cfg.db_url, d->cfg.db_connect_timeout_ms, err, sizeof err);
    if (!pg) {
        log_error("cannot connect to the database: %s", err);
        return -1;
    }
    int applied = migrations_apply(pg, migrations_embedded, migrations_embedded_count, err,
                                   sizeof err);
    PQfinish(pg);
    if (applied < 0) {
        log_error("database migration failed: %s", err);
        return -1;
    }
    char n[16], v[16];
    snprintf(n, sizeof n, "%d", applied);
    snprintf(v, sizeof v, "%d", migrations_latest());
    const char *fields[] = { "applied", n, "schema_version", v, NULL };
    log_write(LOG_INFO, NULL, fields, "database schema is current");
    return 0;
}

static void report_plugin(const char *path, const struct plugin *p,
                          const struct plugin_reject_info *why, void *ctx)
{
    (void)ctx;
    if (p) {
        char abi[16], req[16];
        snprintf(abi, sizeof abi, "%u.%u", p->desc->abi_major, p->desc->abi_minor);
        snprintf(req, sizeof req, "%u.%u", p->desc->abi_major, p->desc->abi_minor_required);
        const char *fields[] = { "plugin", p->desc->id, "version", p->desc->version,
                                 "kind", plugin_kind_name(p->desc->kind), "abi", abi,
                                 "abi_required", req, "file", path, NULL };
        log_write(LOG_INFO, NULL, fields, "plugin loaded");
    } else {
        const char *fields[] = { "file", path, "reason", plugin_reject_name(why->code),
                                 "detail", why->reason, NULL };
        log_write(LOG_ERROR, NULL, fields, "plugin refused: %s", why->reason);
    }
}

/* Loads every plugin of plugins.dir. A refused file is logged and skipped;
 * a missing directory leaves the daemon without plugins, also logged. */
static void load_plugins(struct daemon *d)
{
    char err[512];
    int n = plugin_loader_load_dir(&d->plugins, d->cfg.plugins_dir, BW_ABI_MINOR, report_plugin,
                                   d, err, sizeof err);
    if (n < 0) {
        log_warn("%s; no plugins loaded", err);
        return;
    }
    char loaded[16];
    snprintf(loaded, sizeof loaded, "%d", n);
    const char *fields[] = { "dir", d->cfg.plugins_dir, "loaded", loaded, NULL };
    log_write(LOG_INFO, NULL, fields, "plugins loaded");
}

static int write_ready_file(struct daemon *d)
{
    char tmp[4096], body[256];
    if (!d->opt.ready_file)
        return 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", d->opt.ready_file);
    int n = snprintf(body, sizeof body, "{\"pid\":%ld,\"public_port\":%u,\"admin_port\":%u}\n",
                     (long)getpid(), http_server_port(d->public_http),
                     http_server_port(d->admin_http));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, body, (size_t)n) != n || close(fd) != 0 ||
        rename(tmp, d->opt.ready_file) != 0) {
        log_error("cannot write ready file %s: %s", d->opt.ready_file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

/* The public listener's thread pool. Handlers are short (slow work goes to
 * jobs), so one thread per CPU serves best; more threads only add context
 * switches (see BENCHMARKS.md). */
static unsigned public_threads(const struct daemon *d)
{
    if (d->cfg.http_threads > 0)
        return (unsigned)d->cfg.http_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2 : n > 64 ? 64 : (unsigned)n;
}

/* Creates the jobs queue and registers the kinds this process handles;
 * the workers start later, in start_jobs(). */
static int create_jobs(struct daemon *d)
{
    struct jobs_options jo = {
        .conninfo = d->cfg.db_url,
        .connect_timeout_ms = d->cfg.db_connect_timeout_ms,
        .workers = (int)d->cfg.jobs_workers,
        .lease_ms = d->cfg.jobs_lease_ms,
        .poll_ms = d->cfg.jobs_poll_ms,
        .max_attempts = (int)d->cfg.jobs_max_attempts,
        .backoff_base_ms = d->cfg.jobs_backoff_base_ms,
        .backoff_max_ms = d->cfg.jobs_backoff_max_ms,
    };
    if (jobs_create(&d->jobs, &jo) != 0) {
        log_error("cannot create the jobs queue (check jobs.backoff_base <= jobs.backoff_max)");
        return -1;
    }
    if (messaging_events_register(d->jobs, d) != 0 || outbound_register(d->jobs, d) != 0 ||
        retention_job_register(d) != 0 || a2p_watch_register(d) != 0) {
        log_error("cannot register the messaging and retention job kinds");
        return -1;
    }
    /* The send gate's further rules; the gate's table is the process's. */
    send_gate_clear_rules();
    if (casl_gate_install() != 0) {
        log_error("cannot add the CASL rule to the send gate");
        return -1;
    }
    if (holds_register_jobs(d->jobs) != 0 || booking_register_jobs(d->jobs, d) != 0 ||
        booking_reconcile_register(d->jobs, d) != 0) {
        log_error("cannot register the hold and booking job kinds");
        return -1;
    }
    if (d->opt.test_clock && jobs_test_kind_register(d->jobs) != 0) {
        log_error("cannot register the test job kind");
        return -1;
    }
    if (daemon_deposits_start(d) != 0) {
        log_error("cannot register the deposit jobs");
        return -1;
    }
    if (convo_driver_register(d) != 0) {
        log_error("cannot register the conversation engine");
        return -1;
    }
    /* Confirmations, reminders and the answers to them; attendance;
     * recall; the waitlist. Conversation filters run in the order they
     * are added: answers to waitlist offers before answers to reminders. */
    convo_hook_clear_filters();
    if (reminders_register(d) != 0 || attendance_register(d) != 0 ||
        recall_register(d) != 0 || waitlist_register(d) != 0 ||
        reminder_replies_install(d) != 0) {
        log_error("cannot register the reminder, attendance and waitlist jobs");
        return -1;
    }
    return 0;
}

static int start_jobs(struct daemon *d)
{
    char err[256], nw[16];
    if (jobs_start(d->jobs, err, sizeof err) != 0) {
        log_error("cannot start the job workers: %s", err);
        return -1;
    }
    snprintf(nw, sizeof nw, "%d", jobs_options(d->jobs)->workers);
    const char *fields[] = { "workers", nw, "owner", jobs_owner(d->jobs), NULL };
    log_write(LOG_INFO, NULL, fields, "job workers started");
    return 0;
}

static int start_listeners(struct daemon *d)
{
    char err[256];
    struct http_server_options pub = {
        .name = "public",
        .address = d->cfg.listen_public,
        .max_body = (size_t)d->cfg.http_max_body,
        .max_headers = (unsigned)d->cfg.http_max_headers,
        .threads = public_threads(d),
        .timeout_s = (unsigned)(d->cfg.http_request_timeout_ms / 1000),
        .admin_token = NULL,
        .tenant_auth = tenant_auth,
        .tenant_auth_ctx = d,
    };
    struct http_server_options adm = pub;
    adm.name = "admin";
    adm.address = d->cfg.listen_admin;
    adm.threads = 2;
    adm.admin_token = d->cfg.admin_token;
    adm.tenant_auth = NULL;

    d->public_http = http_server_start(&pub, d->public_routes, d->n_public_routes, err, sizeof err);
    if (!d->public_http) {
        log_error("public listener: %s", err);
        return -1;
    }
    d->admin_http = http_server_start(&adm, d->admin_routes, d->n_admin_routes, err, sizeof err);
    if (!d->admin_http) {
        log_error("admin listener: %s", err);
        return -1;
    }
    char pp[8], ap[8];
    snprintf(pp, sizeof pp, "%u", http_server_port(d->public_http));
    snprintf(ap, sizeof ap, "%u", http_server_port(d->admin_http));
    const char *fields[] = { "public_port", pp, "admin_port", ap, NULL };
    log_write(LOG_INFO, NULL, fields, "listening");
    return 0;
}

int daemon_start(struct daemon *d, const struct daemon_options *opt)
{
    struct confmap_errors errs = { .count = 0 };
    char err[512];

    memset(d, 0, sizeof *d);
    d->opt = *opt;
    if (config_load(opt->config_dir, &d->cfg, &errs) != 0) {
        for (int i = 0; i < errs.count && i < 32; i++)
            log_error("config: %s", errs.lines[i]);
        goto fail;
    }
    log_set_level_name(d->cfg.log_level);
    if (opt->test_clock) {
        clock_use_simulated(opt->test_clock_start_us);
        log_warn("test clock enabled: business time is simulated and test routes are open");
    }
    if (migrate(d) != 0)
        goto fail;
    if (db_pool_open(&d->pool, d->cfg.db_url, (int)d->cfg.db_pool_size,
                     d->cfg.db_connect_timeout_ms, err, sizeof err) != 0) {
        log_error("cannot open the database pool: %s", err);
        goto fail;
    }
    struct db_conn *c = daemon_db(d);
    int synced = c ? tenant_sync(c, &d->cfg, err, sizeof err) : -1;
    if (c)
        daemon_db_release(d, c);
    if (synced != 0) {
        log_error("%s", c ? err : "no database connection for tenant sync");
        goto fail;
    }

    load_plugins(d);
    if (daemon_plugins_start(d) != 0)
        goto fail;

    if (create_jobs(d) != 0 || daemon_register_routes(d) != 0)
        goto fail;
    if (start_jobs(d) != 0 || retention_job_schedule_all(d) != 0 || a2p_watch_schedule_all(d) != 0 ||
        start_listeners(d) != 0 || write_ready_file(d) != 0)
        goto fail;
    char nt[16];
    snprintf(nt, sizeof nt, "%zu", d->cfg.n_tenants);
    const char *fields[] = { "tenants", nt, NULL };
    log_write(LOG_INFO, NULL, fields, "bookwelld ready");
    return 0;
fail:
    daemon_stop(d);
    return -1;
}

int daemon_stop(struct daemon *d)
{
    /* Stop accepting on both, then wait for what is in flight, within one
     * grace period for the two. */
    http_server_quiesce(d->public_http);
    http_server_quiesce(d->admin_http);
    int64_t deadline = clock_mono_ms() + d->cfg.shutdown_grace_ms;
    int left = http_server_stop(d->public_http, d->cfg.shutdown_grace_ms);
    int64_t rest = deadline - clock_mono_ms();
    left |= http_server_stop(d->admin_http, rest > 0 ? rest : 0);
    d->public_http = d->admin_http = NULL;
    /* Jobs in flight finish; nothing new is claimed. */
    jobs_stop(d->jobs);
    if (d->opt.ready_file)
        unlink(d->opt.ready_file);
    if (left) {
        /* Handlers still hold the pool, the plugins and the configuration:
         * keep them for the few moments until the process exits. */
        log_warn("requests still in flight after the shutdown grace period; not waiting for them");
        return -1;
    }
    jobs_destroy(d->jobs);
    d->jobs = NULL;
    daemon_deposits_stop(d);
    /* Nothing calls a plugin any more: close the instances, then the files
     * (unless a call still holds one), then the pool their storage used. */
    bool plugins_clean = daemon_plugins_stop(d) == 0;
    db_pool_close(d->pool);
    d->pool = NULL;
    if (plugins_clean)
        plugin_set_close(&d->plugins);
    config_free(&d->cfg);
    return 0;
}
