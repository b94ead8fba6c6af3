/*
 * bookwell-plugin-check: the plugin conformance kit.
 *
 *   bookwell-plugin-check KIND PLUGIN.so --config FILE [--against URL]
 *       [--database CONNINFO] [--now RFC3339] [--days N]
 *       [--location ID] [--service ID]
 *
 * Loads PLUGIN.so with the host's loader (the checks bookwelld makes),
 * types the binding configuration in FILE against the plugin's schema and
 * opens one instance through the host's registry, with --against as the
 * instance's base-URL override (how a plugin is pointed at a simulator),
 * then runs KIND's contract checks. Prints one line per check (PASS name,
 * FAIL name: why, SKIP name: capability absent), lines starting with '#'
 * for information, and last "N passed, M failed". Exits 0 when nothing
 * failed, 1 when a check failed, 2 on a usage error.
 *
 * Key-value storage lives in the database named by --database or
 * BOOKWELL_DATABASE_URL (created when missing, migrated like bookwelld
 * does); the run uses a tenant of its own and removes its rows at the end.
 * The business clock is real unless --now pins it.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "kit.h"
#include "kit_setup.h"
#include "plugin_loader.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: bookwell-plugin-check KIND PLUGIN.so --config FILE [--against URL]\n"
            "           [--database CONNINFO] [--now RFC3339] [--days N]\n"
            "           [--location ID] [--service ID]\n"
            "  KIND        emr, channel, payment or ai\n"
            "  --config    libconfig text: the binding's config keys, or config = { ... };\n"
            "  --against   base URL (http://host:port) every outbound request is sent to\n"
            "  --database  libpq conninfo for key-value storage (default: $BOOKWELL_DATABASE_URL)\n"
            "  --now       pin the business clock (default: the real clock)\n"
            "  --days      availability window in days (emr; default 14)\n"
            "  --location, --service  what to book (emr; default: the catalog's first)\n");
}

struct opts {
    uint32_t kind;
    const char *plugin, *config, *against, *database, *location, *service;
    int64_t days;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        { "config", required_argument, NULL, 'c' },   { "against", required_argument, NULL, 'a' },
        { "database", required_argument, NULL, 'd' }, { "now", required_argument, NULL, 'n' },
        { "days", required_argument, NULL, 'D' },     { "location", required_argument, NULL, 'l' },
        { "service", required_argument, NULL, 's' },  { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    int64_t now;
    char *end;
    o->days = 14;
    o->database = getenv("BOOKWELL_DATABASE_URL");
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'a': o->against = optarg; break;
        case 'd': o->database = optarg; break;
        case 'l': o->location = optarg; break;
        case 's': o->service = optarg; break;
        case 'n':
            if (clock_parse_rfc3339(optarg, &now) != 0) {
                fprintf(stderr, "--now wants an RFC 3339 time with an offset: %s\n", optarg);
                return -1;
            }
            clock_use_simulated(now);
            break;
        case 'D':
            o->days = strtoll(optarg, &end, 10);
            if (*end || end == optarg || o->days < 1 || o->days > 90) {
                fprintf(stderr, "--days wants 1..90\n");
                return -1;
            }
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (argc - optind != 2 || !o->config) {
        usage(stderr);
        return -1;
    }
    static const char *const kinds[] = { "channel", "emr", "payment", "ai" };
    for (uint32_t k = 0; k < 4; k++)
        if (strcmp(argv[optind], kinds[k]) == 0)
            o->kind = BW_KIND_CHANNEL + k;
    if (!o->kind) {
        fprintf(stderr, "unknown kind %s (emr, channel, payment or ai)\n", argv[optind]);
        return -1;
    }
    o->plugin = argv[optind + 1];
    return 0;
}

static int finish(const struct kit *k)
{
    printf("%d passed, %d failed\n", k->passed, k->failed);
    return k->failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct opts o = { 0 };
    struct kit k = { 0 };
    struct plugin_set set = { 0 };
    struct plugin_reject_info why;
    const struct plugin *p = NULL;
    struct db_pool *pool = NULL;
    struct registry *reg = NULL;
    struct host_config cfg = { 0 };
    char tenant[32], err[512];
    unsigned char rnd[6];

    if (parse(argc, argv, &o) != 0)
        return 2;
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return 2;
    snprintf(k.run_id, sizeof k.run_id, "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
    snprintf(tenant, sizeof tenant, "kit-%s", k.run_id);
    k.tenant = tenant;
    k.days = o.days;
    k.location = o.location;
    k.service = o.service;

    if (plugin_loader_open(&set, o.plugin, BW_ABI_MINOR, &p, &why) != 0) {
        kit_fail(&k, "load", "refused (%s): %s", plugin_reject_name(why.code), why.reason);
        return finish(&k);
    }
    kit_pass(&k, "load");
    k.desc = p->desc;
    kit_check_descriptor(&k, o.kind);
    kit_check_schema(&k);
    if (k.failed && k.desc->kind != o.kind)
        goto out;

    if (!o.database) {
        kit_fail(&k, "database", "no --database and no BOOKWELL_DATABASE_URL");
        goto out;
    }
    if (kit_db_open(o.database, &pool, err, sizeof err) != 0) {
        kit_fail(&k, "database", "%s", err);
        goto out;
    }

    struct confmap_errors errs = { .count = 0 };
    char *dir_copy = strdup(o.plugin);
    int brc = kit_binding_load(&cfg, tenant, p->desc->id, p->desc->version, o.config, o.against,
                               dir_copy ? dirname(dir_copy) : ".", &errs);
    free(dir_copy);
    if (brc != 0) {
        kit_fail(&k, "config", "%s%s", errs.count ? errs.lines[0] : "unreadable",
                 errs.count > 1 ? " (and more)" : "");
        goto out;
    }
    struct registry_options ro = { .plugins = &set, .config_dir = ".", .host_minor = BW_ABI_MINOR,
                                   .pool = pool };
    struct registry_result res;
    if (registry_start(&reg, &ro, &cfg, &res) != 0) {
        kit_fail(&k, "instance_open", "%s", res.n_failures ? res.failures[0].message : res.error);
        registry_result_free(&res);
        reg = NULL;
        goto out;
    }
    registry_result_free(&res);
    if (registry_acquire(reg, tenant, p->desc->id, &k.h) != 0) {
        kit_fail(&k, "instance_open", "the registry serves no instance");
        goto out;
    }
    kit_pass(&k, "instance_open");

    switch (o.kind) {
    case BW_KIND_EMR: kit_check_emr(&k); break;
    case BW_KIND_CHANNEL: kit_check_channel(&k); break;
    case BW_KIND_PAYMENT: kit_check_payment(&k); break;
    default: kit_check_ai(&k); break;
    }
    registry_release(&k.h);
out:
    if (reg && registry_destroy(reg) != 0) {
        /* A call outlived the drain timeout: the file must stay mapped. */
        kit_fail(&k, "instance_close", "a call still held the instance after the drain timeout");
        return finish(&k);
    }
    config_free(&cfg);
    kit_db_close(pool, o.database, tenant);
    plugin_set_close(&set);
    return finish(&k);
}
