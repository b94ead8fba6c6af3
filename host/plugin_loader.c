/*
 * Loads plugin files and validates their descriptors (see plugin_loader.h).
 * The checks run from the cheapest and most basic (is this a descriptor at
 * all?) to the most detailed (the config schema), so a reason names the
 * first thing that is wrong. Strings inside a descriptor are read with
 * bounded lengths: a broken plugin may point anywhere, but never makes the
 * host read past a bound it chose.
 */
#include "plugin_loader.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Pins the ABI's layout at compile time: the daemon does not build when a
 * public struct changes without an ABI version bump. */
#include <bookwell/abi_layout.h>
#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/emr.h>
#include <bookwell/payment.h>

#include "confmap.h"

#define ID_MAX 64
#define VERSION_MAX 64
#define KEY_MAX 63
#define DEFAULT_MAX 1024

/* Sizes of the 1.0 structs: what a plugin built against 1.0 provides at
 * least. Later minors only append, so these stay. */
#define END_OF(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define DESC_SIZE_1_0 END_OF(struct bw_plugin_descriptor, ops)
#define DESC_HEADER_SIZE END_OF(struct bw_plugin_descriptor, abi_minor)
#define FIELD_SIZE_1_0 END_OF(struct bw_config_field, max)
#define CHANNEL_OPS_SIZE_1_0 END_OF(struct bw_channel_ops, send)
#define EMR_OPS_SIZE_1_0 END_OF(struct bw_emr_ops, deposit_log)
#define PAYMENT_OPS_SIZE_1_0 END_OF(struct bw_payment_ops, link_cancel)
#define AI_OPS_SIZE_1_0 END_OF(struct bw_ai_ops, complete)

static const char *const reject_names[] = {
    [PLUGIN_OK] = "ok",
    [PLUGIN_REJECT_FILE] = "file",
    [PLUGIN_REJECT_WRITABLE] = "writable",
    [PLUGIN_REJECT_DLOPEN] = "dlopen",
    [PLUGIN_REJECT_NO_ENTRY] = "no_entry",
    [PLUGIN_REJECT_DECLINED] = "declined",
    [PLUGIN_REJECT_MAGIC] = "bad_magic",
    [PLUGIN_REJECT_TOO_SHORT] = "too_short",
    [PLUGIN_REJECT_MAJOR] = "abi_major",
    [PLUGIN_REJECT_MINOR] = "abi_minor",
    [PLUGIN_REJECT_KIND] = "kind",
    [PLUGIN_REJECT_ID] = "id",
    [PLUGIN_REJECT_VERSION] = "version",
    [PLUGIN_REJECT_LIFECYCLE] = "lifecycle",
    [PLUGIN_REJECT_OPS] = "ops",
    [PLUGIN_REJECT_SCHEMA] = "schema",
    [PLUGIN_REJECT_DUPLICATE] = "duplicate",
    [PLUGIN_REJECT_FILE_NAME] = "file_name",
};

const char *plugin_reject_name(enum plugin_reject code)
{
    if ((unsigned)code < sizeof reject_names / sizeof reject_names[0] && reject_names[code])
        return reject_names[code];
    return "unknown";
}

const char *plugin_kind_name(uint32_t kind)
{
    switch (kind) {
    case BW_KIND_CHANNEL: return "channel";
    case BW_KIND_EMR: return "emr";
    case BW_KIND_PAYMENT: return "payment";
    case BW_KIND_AI: return "ai";
    default: return NULL;
    }
}

static int reject(struct plugin_reject_info *why, enum plugin_reject code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(struct plugin_reject_info *why, enum plugin_reject code, const char *fmt, ...)
{
    va_list ap;
    why->code = code;
    va_start(ap, fmt);
    vsnprintf(why->reason, sizeof why->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* A printable, bounded copy of untrusted text for a reason line. */
static const char *shown(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    if (!s)
        return "(null)";
    for (; s[i] && i + 1 < cap && i < 48; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    out[i] = 0;
    if (s[i] && i + 4 < cap)
        memcpy(out + i, "...", 4);
    return out;
}

bool plugin_id_valid(const char *id, uint32_t kind)
{
    const char *kn = plugin_kind_name(kind);
    if (!id || !kn)
        return false;
    size_t kl = strlen(kn), len = strnlen(id, ID_MAX + 1);
    if (len > ID_MAX || strncmp(id, kn, kl) != 0 || id[kl] != '.')
        return false;
    const char *name = id + kl + 1;
    size_t nl = len - kl - 1;
    if (nl < 1 || nl > 48)
        return false;
    if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < nl; i++) {
        char c = name[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' && c != '-')
            return false;
    }
    return true;
}

/* One dot-separated semver identifier of [0-9A-Za-z-]+; numeric ones of a
 * pre-release have no leading zero. Returns the length consumed, 0 if bad. */
static size_t semver_ident(const char *s, bool prerelease)
{
    size_t n = 0;
    bool numeric = true;
    while (isalnum((unsigned char)s[n]) || s[n] == '-') {
        if (!isdigit((unsigned char)s[n]))
            numeric = false;
        n++;
    }
    if (n == 0 || (prerelease && numeric && n > 1 && s[0] == '0'))
        return 0;
    return n;
}

static size_t semver_number(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
        return 0;
    return n;
}

bool plugin_version_valid(const char *v)
{
    if (!v || strnlen(v, VERSION_MAX + 1) > VERSION_MAX)
        return false;
    const char *p = v;
    for (int part = 0; part < 3; part++) {
        size_t n = semver_number(p);
        if (!n)
            return false;
        p += n;
        if (part < 2) {
            if (*p != '.')
                return false;
            p++;
        }
    }
    for (int section = 0; section < 2; section++) {
        char lead = section == 0 ? '-' : '+';
        if (*p != lead)
            continue;
        do {
            p++;
            size_t n = semver_ident(p, section == 0);
            if (!n)
                return false;
            p += n;
        } while (*p == '.');
    }
    return *p == 0;
}

static bool config_key_valid(const char *k)
{
    if (!k || !(k[0] >= 'a' && k[0] <= 'z'))
        return false;
    size_t len = strnlen(k, KEY_MAX + 1);
    if (len > KEY_MAX)
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(k[i] >= 'a' && k[i] <= 'z') && !(k[i] >= '0' && k[i] <= '9') && k[i] != '_')
            return false;
    return true;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

/* Durations as the configuration accepts them: a unit suffix, or a plain
 * number of seconds. */
static int parse_duration(const char *s, int64_t *ms)
{
    int64_t v;
    if (confmap_parse_duration_ms(s, ms) == 0)
        return 0;
    if (parse_int(s, &v) != 0 || v < 0 || v > INT64_MAX / 1000)
        return -1;
    *ms = v * 1000;
    return 0;
}

static int64_t list_count(const char *s)
{
    int64_t n = *s ? 1 : 0;
    for (; *s; s++)
        if (*s == ',')
            n++;
    return n;
}

static const char *const cfg_type_names[] = { NULL, "string", "int", "bool", "duration",
                                              "secret", "list" };

static int check_field(const struct bw_config_field *f, uint32_t i,
                       struct plugin_reject_info *why)
{
    char b[64];
    if (!config_key_valid(f->key))
        return reject(why, PLUGIN_REJECT_SCHEMA,
                      "config field %u: key \"%s\" is not [a-z][a-z0-9_]{0,62}", i,
                      shown(f->key, b, sizeof b));
    if (f->type < BW_CFG_STRING || f->type > BW_CFG_LIST)
        return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s: unknown type %u", f->key,
                      f->type);
    if (f->_reserved != 0)
        return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s: reserved member is not zero",
                      f->key);
    if (f->min > f->max)
        return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s: min is above max", f->key);
    const char *def = f->default_value;
    if (!def)
        return 0;
    if (f->flags & BW_CFG_F_REQUIRED)
        return reject(why, PLUGIN_REJECT_SCHEMA,
                      "config key %s: a required key cannot have a default", f->key);
    if (f->type == BW_CFG_SECRET)
        return reject(why, PLUGIN_REJECT_SCHEMA,
                      "config key %s: a secret reference cannot have a default", f->key);
    if (strnlen(def, DEFAULT_MAX + 1) > DEFAULT_MAX)
        return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s: default longer than %d bytes",
                      f->key, DEFAULT_MAX);
    int64_t v = 0;
    bool ranged = f->min < f->max;
    switch (f->type) {
    case BW_CFG_INT:
        if (parse_int(def, &v) != 0)
            goto bad_default;
        break;
    case BW_CFG_BOOL:
        if (strcmp(def, "true") != 0 && strcmp(def, "false") != 0)
            goto bad_default;
        ranged = false;
        break;
    case BW_CFG_DURATION:
        if (parse_duration(def, &v) != 0)
            goto bad_default;
        break;
    case BW_CFG_LIST:
        v = list_count(def);
        break;
    default:
        ranged = false;
        break;
    }
    if (ranged && (v < f->min || v > f->max))
        return reject(why, PLUGIN_REJECT_SCHEMA,
                      "config key %s: default \"%s\" is outside [%lld, %lld]", f->key,
                      shown(def, b, sizeof b), (long long)f->min, (long long)f->max);
    return 0;
bad_default:
    return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s: default \"%s\" is not a valid %s",
                  f->key, shown(def, b, sizeof b), cfg_type_names[f->type]);
}

static int check_schema(const struct bw_plugin_descriptor *d, struct plugin_reject_info *why)
{
    if (d->n_config == 0)
        return 0;
    if (!d->config)
        return reject(why, PLUGIN_REJECT_SCHEMA, "n_config is %u but config is NULL",
                      d->n_config);
    if (d->n_config > PLUGIN_MAX_CONFIG_FIELDS)
        return reject(why, PLUGIN_REJECT_SCHEMA, "%u config fields, more than %d",
                      d->n_config, PLUGIN_MAX_CONFIG_FIELDS);
    /* Elements are struct_size apart: a plugin built against a later minor
     * has larger elements, of which this host reads the 1.0 part. */
    uint32_t stride = d->config[0].struct_size;
    if (stride < FIELD_SIZE_1_0 || stride % 8 != 0)
        return reject(why, PLUGIN_REJECT_SCHEMA,
                      "config field struct_size %u is not a valid size (1.0 has %zu)", stride,
                      (size_t)FIELD_SIZE_1_0);
    const char *base = (const char *)d->config;
    for (uint32_t i = 0; i < d->n_config; i++) {
        const struct bw_config_field *f = (const void *)(base + (size_t)i * stride);
        if (f->struct_size != stride)
            return reject(why, PLUGIN_REJECT_SCHEMA,
                          "config field %u has struct_size %u, field 0 has %u", i,
                          f->struct_size, stride);
        if (check_field(f, i, why) != 0)
            return -1;
        for (uint32_t j = 0; j < i; j++) {
            const struct bw_config_field *g = (const void *)(base + (size_t)j * stride);
            if (strcmp(f->key, g->key) == 0)
                return reject(why, PLUGIN_REJECT_SCHEMA, "config key %s is declared twice",
                              f->key);
        }
    }
    return 0;
}

#define NEED_OP(ops, member)                                                              \
    do {                                                                                  \
        if (!(ops)->member)                                                               \
            return reject(why, PLUGIN_REJECT_OPS, "%s plugin without the mandatory op %s", \
                          kn, #member);                                                   \
    } while (0)

static int check_ops(const struct bw_plugin_descriptor *d, struct plugin_reject_info *why)
{
    const char *kn = plugin_kind_name(d->kind);
    static const size_t min_size[] = {
        [BW_KIND_CHANNEL] = CHANNEL_OPS_SIZE_1_0,
        [BW_KIND_EMR] = EMR_OPS_SIZE_1_0,
        [BW_KIND_PAYMENT] = PAYMENT_OPS_SIZE_1_0,
        [BW_KIND_AI] = AI_OPS_SIZE_1_0,
    };
    if (!d->ops)
        return reject(why, PLUGIN_REJECT_OPS, "%s plugin without an ops table", kn);
    /* Every ops table starts with its struct_size and a reserved word. */
    const uint32_t *head = d->ops;
    if (head[0] < min_size[d->kind])
        return reject(why, PLUGIN_REJECT_OPS,
                      "%s ops table has struct_size %u, ABI 1.0 defines %zu bytes", kn, head[0],
                      min_size[d->kind]);
    if (head[1] != 0)
        return reject(why, PLUGIN_REJECT_OPS, "%s ops table: reserved member is not zero", kn);
    switch (d->kind) {
    case BW_KIND_CHANNEL: {
        const struct bw_channel_ops *o = d->ops;
        NEED_OP(o, capabilities);
        NEED_OP(o, webhook);
        NEED_OP(o, send);
        break;
    }
    case BW_KIND_EMR: {
        const struct bw_emr_ops *o = d->ops;
        NEED_OP(o, capabilities);
        NEED_OP(o, catalog);
        break;
    }
    case BW_KIND_PAYMENT: {
        const struct bw_payment_ops *o = d->ops;
        NEED_OP(o, link_create);
        NEED_OP(o, webhook);
        break;
    }
    case BW_KIND_AI: {
        const struct bw_ai_ops *o = d->ops;
        NEED_OP(o, complete);
        break;
    }
    }
    return 0;
}

int plugin_descriptor_check(const struct bw_plugin_descriptor *d, uint32_t host_minor,
                            struct plugin_reject_info *why)
{
    char b[64];
    why->code = PLUGIN_OK;
    why->reason[0] = 0;
    if (d->magic != BW_PLUGIN_MAGIC)
        return reject(why, PLUGIN_REJECT_MAGIC, "bad magic 0x%08x (expected 0x%08x)", d->magic,
                      BW_PLUGIN_MAGIC);
    if (d->struct_size < DESC_HEADER_SIZE)
        return reject(why, PLUGIN_REJECT_TOO_SHORT,
                      "descriptor struct_size %u is too short to hold a version", d->struct_size);
    if (d->abi_major != BW_ABI_MAJOR)
        return reject(why, PLUGIN_REJECT_MAJOR, "built against ABI %u.%u, the host is %d.%u",
                      d->abi_major, d->abi_minor, BW_ABI_MAJOR, host_minor);
    if (d->struct_size < DESC_SIZE_1_0)
        return reject(why, PLUGIN_REJECT_TOO_SHORT,
                      "descriptor struct_size %u is shorter than ABI 1.0's %zu bytes",
                      d->struct_size, (size_t)DESC_SIZE_1_0);
    if (d->abi_minor_required > d->abi_minor)
        return reject(why, PLUGIN_REJECT_MINOR,
                      "requires ABI 1.%u, above the 1.%u it was built against",
                      d->abi_minor_required, d->abi_minor);
    if (d->abi_minor_required > host_minor)
        return reject(why, PLUGIN_REJECT_MINOR, "requires ABI 1.%u, the host is 1.%u",
                      d->abi_minor_required, host_minor);
    const char *kn = plugin_kind_name(d->kind);
    if (!kn)
        return reject(why, PLUGIN_REJECT_KIND, "unknown kind %u", d->kind);
    if (!plugin_id_valid(d->id, d->kind))
        return reject(why, PLUGIN_REJECT_ID,
                      "id \"%s\" is not \"%s.<name>\" with name [a-z0-9][a-z0-9_-]{0,47}",
                      shown(d->id, b, sizeof b), kn);
    if (!plugin_version_valid(d->version))
        return reject(why, PLUGIN_REJECT_VERSION,
                      "version \"%s\" is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])",
                      shown(d->version, b, sizeof b));
    if (!d->instance_open != !d->instance_close)
        return reject(why, PLUGIN_REJECT_LIFECYCLE, "%s is set but %s is not",
                      d->instance_open ? "instance_open" : "instance_close",
                      d->instance_open ? "instance_close" : "instance_open");
    if (check_ops(d, why) != 0 || check_schema(d, why) != 0)
        return -1;
    return 0;
}

const struct plugin *plugin_set_find(const struct plugin_set *set, const char *id,
                                     const char *version)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct bw_plugin_descriptor *d = set->items[i]->desc;
        if (strcmp(d->id, id) == 0 && strcmp(d->version, version) == 0)
            return set->items[i];
    }
    return NULL;
}

static int check_file(const char *path, struct plugin_reject_info *why)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return reject(why, PLUGIN_REJECT_FILE, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return reject(why, PLUGIN_REJECT_FILE, "not a regular file");
    /* Whoever can write the file can run code in the daemon. */
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return reject(why, PLUGIN_REJECT_WRITABLE, "file mode %04o is %s-writable",
                      (unsigned)(st.st_mode & 07777),
                      (st.st_mode & S_IWOTH) ? "world" : "group");
    return 0;
}

static int check_file_name(const char *path, const struct bw_plugin_descriptor *d,
                           struct plugin_reject_info *why)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char want[ID_MAX + VERSION_MAX + 8];
    snprintf(want, sizeof want, "%s-%s.so", d->id, d->version);
    if (strcmp(base, want) != 0)
        return reject(why, PLUGIN_REJECT_FILE_NAME, "file is named %s, its descriptor says %s",
                      base, want);
    return 0;
}

int plugin_loader_open(struct plugin_set *set, const char *path, uint32_t host_minor,
                       const struct plugin **out, struct plugin_reject_info *why)
{
    struct plugin *p = NULL;
    void *h = NULL;
    why->code = PLUGIN_OK;
    why->reason[0] = 0;
    *out = NULL;

    if (check_file(path, why) != 0)
        return -1;
    dlerror();
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return reject(why, PLUGIN_REJECT_DLOPEN, "dlopen: %s", e ? e : "failed");
    }
    bw_plugin_entry_fn entry;
    /* POSIX guarantees a function pointer round-trips through void *. */
    *(void **)(&entry) = dlsym(h, BW_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        reject(why, PLUGIN_REJECT_NO_ENTRY, "does not export %s", BW_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    const struct bw_plugin_descriptor *d = entry(BW_ABI_MAJOR, host_minor);
    if (!d) {
        reject(why, PLUGIN_REJECT_DECLINED, "%s returned NULL for host ABI %d.%u",
               BW_PLUGIN_ENTRY_SYMBOL, BW_ABI_MAJOR, host_minor);
        goto fail;
    }
    if (plugin_descriptor_check(d, host_minor, why) != 0)
        goto fail;
    const struct plugin *dup = plugin_set_find(set, d->id, d->version);
    if (dup) {
        reject(why, PLUGIN_REJECT_DUPLICATE, "%s %s is already loaded from %s", d->id,
               d->version, dup->path);
        goto fail;
    }
    if (check_file_name(path, d, why) != 0)
        goto fail;

    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        struct plugin **items = realloc(set->items, cap * sizeof *items);
        if (!items)
            goto nomem;
        set->items = items;
        set->cap = cap;
    }
    p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path)))
        goto nomem;
    p->handle = h;
    p->desc = d;
    set->items[set->n++] = p;
    *out = p;
    return 0;
nomem:
    reject(why, PLUGIN_REJECT_FILE, "out of memory");
    if (p)
        free(p->path);
    free(p);
fail:
    dlclose(h);
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_candidate(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

int plugin_loader_load_dir(struct plugin_set *set, const char *dir, uint32_t host_minor,
                           plugin_loader_report_fn report, void *ctx, char *err,
                           size_t errcap)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int loaded = -1;
    DIR *dh = opendir(dir);
    if (!dh) {
        snprintf(err, errcap, "cannot open plugins directory %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!is_candidate(de->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn)
                goto nomem;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto nomem;
        n++;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    loaded = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct plugin_reject_info why;
        const struct plugin *p = NULL;
        int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (len < 0 || (size_t)len >= sizeof path) {
            reject(&why, PLUGIN_REJECT_FILE, "path too long");
        } else if (plugin_loader_open(set, path, host_minor, &p, &why) == 0) {
            loaded++;
        }
        if (report)
            report(len > 0 && (size_t)len < sizeof path ? path : names[i], p, &why, ctx);
    }
    goto done;
nomem:
    snprintf(err, errcap, "out of memory listing %s", dir);
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(dh);
    return loaded;
}

void plugin_set_unload(struct plugin_set *set, const struct plugin *p)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i] != p)
            continue;
        struct plugin *q = set->items[i];
        memmove(&set->items[i], &set->items[i + 1], (set->n - i - 1) * sizeof *set->items);
        set->n--;
        dlclose(q->handle);
        free(q->path);
        free(q);
        return;
    }
}

void plugin_set_close(struct plugin_set *set)
{
    /* Unload in reverse order of loading. */
    for (size_t i = set->n; i-- > 0;) {
        struct plugin *p = set->items[i];
        dlclose(p->handle);
        free(p->path);
        free(p);
    }
    free(set->items);
    memset(set, 0, sizeof *set);
}
