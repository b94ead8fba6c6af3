/*
 * emr-matrix: the integration matrix (capability by EMR) as the built
 * plugins declare it, printed as the Markdown table README.md carries
 * (tests/abi/check_emr_matrix.sh keeps the two equal).
 *
 *   emr-matrix PLUGINS_DIR LIST SRCDIR
 *
 * Every emr.*.so file in PLUGINS_DIR (the build's plugins/ directory, where
 * each plugin's .so is copied) is loaded with the host's loader and opened
 * through the host's registry once per configuration LIST names for it
 * (tests/abi/emr_plugins.list, the conformance kit's list: PLUGIN[=FILE]
 * CONFIG ...; @srcdir@ in a configuration stands for SRCDIR), or once with
 * no configuration when LIST has none; its capabilities op gives the row.
 * A configuration's "# matrix: LABEL" line names its row's mode. No
 * database and no network: key-value storage is absent and no op but
 * capabilities is called.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bookwell/emr.h>

#include "config.h"
#include "confmap.h"
#include "plugin_loader.h"
#include "plugin_registry.h"
#include "sdk/check/kit_setup.h"

#define MAX_PLUGINS 64

struct column {
    uint64_t bit;
    const char *title;
};

static const struct column columns[] = {
    { BW_EMR_CAP_AVAILABILITY, "availability" },
    { BW_EMR_CAP_BOOK, "book" },
    { BW_EMR_CAP_RESCHEDULE, "reschedule" },
    { BW_EMR_CAP_CANCEL, "cancel" },
    { BW_EMR_CAP_PATIENT_FIND, "patient find" },
    { BW_EMR_CAP_PATIENT_CREATE, "patient create" },
    { BW_EMR_CAP_APPOINTMENT_LIST, "appointment list" },
    { BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_DEPOSIT_NOTE, "deposit logged" },
    { BW_EMR_CAP_LINK_ONLY, "link only" },
};
#define NCOLS (sizeof columns / sizeof columns[0])

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of config with @srcdir@ replaced, in a temporary file; its "#
 * matrix:" label into label. Returns the file's path (malloc'd) or NULL. */
static char *staged_config(const char *config, const char *srcdir, char *label, size_t cap)
{
    char path[1024], line[2048];
    label[0] = '\0';
    if (config)
        snprintf(path, sizeof path, "%s%s%s", config[0] == '/' ? "" : srcdir, config[0] == '/' ? "" : "/", config);
    FILE *in = config ? fopen(path, "r") : NULL;
    if (config && !in)
        return NULL;
    char tmpl[] = "/tmp/bw-emr-matrix-XXXXXX";
    int fd = mkstemp(tmpl);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        if (in)
            fclose(in);
        return NULL;
    }
    while (in && fgets(line, sizeof line, in)) {
        if (strncmp(line, "# matrix:", 9) == 0) {
            snprintf(label, cap, "%s", line + 9 + strspn(line + 9, " "));
            label[strcspn(label, "\r\n")] = '\0';
        }
        for (char *p = line; *p;) {
            char *m = strstr(p, "@srcdir@");
            if (!m) {
                fputs(p, out);
                break;
            }
            fprintf(out, "%.*s%s", (int)(m - p), p, srcdir);
            p = m + 8;
        }
    }
    if (in)
        fclose(in);
    fclose(out);
    return strdup(tmpl);
}

/* The capabilities of plugin p opened with config (NULL: none). 0 or -1. */
static int open_caps(struct plugin_set *set, const struct plugin *p, const char *plugins_dir, const char *config,
                     uint64_t *caps)
{
    struct host_config cfg = { 0 };
    struct confmap_errors errs = { .count = 0 };
    struct registry *reg = NULL;
    struct registry_result res;
    struct registry_handle h;
    int rc = -1;
    if (kit_binding_load(&cfg, "matrix", p->desc->id, p->desc->version, config, NULL, plugins_dir, &errs) != 0)
        goto out;
    struct registry_options ro = { .plugins = set, .config_dir = ".", .host_minor = BW_ABI_MINOR };
    if (registry_start(&reg, &ro, &cfg, &res) != 0) {
        registry_result_free(&res);
        reg = NULL;
        goto out;
    }
    registry_result_free(&res);
    if (registry_acquire(reg, "matrix", p->desc->id, &h) == 0) {
        const struct bw_emr_ops *ops = h.desc->ops;
        struct bw_call call;
        registry_call_begin(&h, &call, NULL, 2000);
        rc = ops->capabilities(h.instance, &call, caps) == 0 ? 0 : -1;
        registry_call_end(&h, &call);
        registry_release(&h);
    }
out:
    if (reg)
        registry_destroy(reg);
    config_free(&cfg);
    return rc;
}

static void row(const char *id, const char *label, int ok, uint64_t caps)
{
    printf("| %s%s%s%s |", id, label[0] ? " (" : "", label, label[0] ? ")" : "");
    for (size_t i = 0; i < NCOLS; i++) {
        const char *cell = !ok ? "?" : !(caps & columns[i].bit) ? "no" : "yes";
        if (ok && columns[i].bit == (BW_EMR_CAP_DEPOSIT_PAYMENT | BW_EMR_CAP_DEPOSIT_NOTE) && (caps & columns[i].bit))
            cell = caps & BW_EMR_CAP_DEPOSIT_PAYMENT ? "payment" : "note";
        printf(" %s |", cell);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: emr-matrix PLUGINS_DIR LIST SRCDIR\n");
        return 2;
    }
    const char *dir = argv[1], *list = argv[2], *srcdir = argv[3];
    char *names[MAX_PLUGINS];
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "emr-matrix: cannot read %s\n", dir);
        return 1;
    }
    for (struct dirent *e; (e = readdir(d)) && n < MAX_PLUGINS;) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, "emr.", 4) == 0 && l > 3 && strcmp(e->d_name + l - 3, ".so") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);

    printf("| EMR |");
    for (size_t i = 0; i < NCOLS; i++)
        printf(" %s |", columns[i].title);
    printf("\n|---|");
    for (size_t i = 0; i < NCOLS; i++)
        printf("---|");
    printf("\n");

    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct plugin_set set = { 0 };
        struct plugin_reject_info why;
        const struct plugin *p = NULL;
        if (plugin_loader_open(&set, path, BW_ABI_MINOR, &p, &why) != 0 || p->desc->kind != BW_KIND_EMR) {
            fprintf(stderr, "emr-matrix: %s refused: %s\n", names[i], why.reason);
            plugin_set_close(&set);
            status = 1;
            continue;
        }
        /* The configurations LIST names for this file, in its order. */
        FILE *f = fopen(list, "r");
        char line[2048];
        int rows = 0;
        while (f && fgets(line, sizeof line, f)) {
            char plugin[1024], config[1024];
            if (line[0] == '#' || sscanf(line, "%1023s %1023s", plugin, config) != 2)
                continue;
            char *eq = strchr(plugin, '=');
            const char *file = eq ? eq + 1 : basename(plugin);
            if (strcmp(file, names[i]) != 0)
                continue;
            char label[128];
            char *staged = staged_config(config, srcdir, label, sizeof label);
            uint64_t caps = 0;
            int ok = staged && open_caps(&set, p, dir, staged, &caps) == 0;
            if (staged) {
                unlink(staged);
                free(staged);
            }
            row(p->desc->id, label, ok, caps);
            status |= !ok;
            rows++;
        }
        if (f)
            fclose(f);
        if (!rows) {
            char label[8];
            char *staged = staged_config(NULL, srcdir, label, sizeof label);
            uint64_t caps = 0;
            int ok = staged && open_caps(&set, p, dir, staged, &caps) == 0;
            if (staged) {
                unlink(staged);
                free(staged);
            }
            row(p->desc->id, "", ok, caps);
            if (!ok)
                fprintf(stderr, "emr-matrix: %s needs a configuration in %s\n", names[i], list);
            status |= !ok;
        }
        plugin_set_close(&set);
        free(names[i]);
    }
    return status;
}
