/*
 * The plugin loader against real shared objects: every fixture plugin of
 * tests/abi (one per reason a file is refused) is installed under a plugins
 * directory and opened as the daemon would. Each refused file yields its
 * reason code and sentence, leaves nothing loaded and nothing in the set; a
 * plugin built against 1.0 loads into hosts 1.0 and 1.1, one requiring 1.2
 * is refused by 1.1 and loaded by 1.2, and one from a future minor loads
 * into 1.0. Descriptor checks are also run in memory, case by case.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/emr.h>
#include <bookwell/payment.h>

#include "plugin_loader.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/bw-plugins-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    /* Only ever our own mkdtemp directory. */
    cr_assert_eq(strncmp(dir, "/tmp/bw-plugins-", 16), 0);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(loader, .init = setup, .fini = teardown, .timeout = 30);

/* Copies the built fixture <fx>.so into the plugins directory as name with
 * mode; returns the path (static buffer). */
static const char *install(const char *fx, const char *name, mode_t mode)
{
    static char dst[256];
    char src[4096], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(src, sizeof src, "%s/tests/abi/.libs/%s.so", b, fx);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(in >= 0, "cannot open fixture %s: %s", src, strerror(errno));
    cr_assert(out >= 0, "cannot create %s", dst);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
    cr_assert_eq(chmod(dst, mode), 0);
    return dst;
}

static bool still_loaded(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

struct refusal {
    const char *fixture, *file;
    mode_t mode;
    uint32_t host_minor;
    enum plugin_reject code;
    const char *because;       /* a substring of the reason */
};

static void expect_refused(struct plugin_set *set, const struct refusal *r)
{
    const char *path = install(r->fixture, r->file, r->mode);
    struct plugin_reject_info why;
    const struct plugin *p = (const void *)1;
    size_t before = set->n;
    cr_assert_eq(plugin_loader_open(set, path, r->host_minor, &p, &why), -1,
                 "%s was accepted", r->fixture);
    cr_expect_null(p);
    cr_expect_eq(set->n, before, "%s: a refused plugin was added to the set", r->fixture);
    cr_expect_eq(why.code, r->code, "%s: refused as %s (%s), expected %s", r->fixture,
                 plugin_reject_name(why.code), why.reason, plugin_reject_name(r->code));
    cr_expect_not_null(strstr(why.reason, r->because), "%s: reason \"%s\" lacks \"%s\"",
                       r->fixture, why.reason, r->because);
    cr_expect_not(still_loaded(path), "%s is still mapped after being refused", r->fixture);
    unlink(path);
}

Test(loader, abi_1_0_plugin_loads_into_hosts_1_0_and_1_1)
{
    const char *path = install("fx_ok", "emr.fixture-1.0.0.so", 0644);
    for (uint32_t minor = 0; minor <= 1; minor++) {
        struct plugin_set set = { 0 };
        struct plugin_reject_info why;
        const struct plugin *p = NULL;
        cr_assert_eq(plugin_loader_open(&set, path, minor, &p, &why), 0, "host 1.%u: %s: %s",
                     minor, plugin_reject_name(why.code), why.reason);
        cr_assert_not_null(p);
        cr_expect_eq(why.code, PLUGIN_OK);
        cr_expect_str_eq(p->desc->id, "emr.fixture");
        cr_expect_str_eq(p->desc->version, "1.0.0");
        cr_expect_eq(p->desc->abi_minor, 0);
        cr_expect_eq(p->desc->kind, BW_KIND_EMR);
        cr_expect_eq(p->desc->n_config, 3);
        cr_expect_eq(plugin_set_find(&set, "emr.fixture", "1.0.0"), p);
        cr_expect_null(plugin_set_find(&set, "emr.fixture", "1.0.1"));
        cr_expect(still_loaded(path));
        plugin_set_close(&set);
        cr_expect_eq(set.n, 0);
        cr_expect_not(still_loaded(path), "plugin_set_close unloads");
    }
}

Test(loader, plugin_requiring_1_2_is_refused_by_1_1_and_loaded_by_1_2)
{
    struct plugin_set set = { 0 };
    struct refusal r = { "fx_minor", "emr.needs_newer-1.0.0.so", 0644, 1, PLUGIN_REJECT_MINOR,
                         "requires ABI 1.2, the host is 1.1" };
    expect_refused(&set, &r);
    r.host_minor = 0;
    r.because = "requires ABI 1.2, the host is 1.0";
    expect_refused(&set, &r);

    const char *path = install("fx_minor", "emr.needs_newer-1.0.0.so", 0644);
    struct plugin_reject_info why;
    const struct plugin *p;
    cr_assert_eq(plugin_loader_open(&set, path, 2, &p, &why), 0, "%s", why.reason);
    cr_expect_eq(p->desc->abi_minor_required, 2);
    plugin_set_close(&set);
}

Test(loader, plugin_from_a_future_minor_loads_into_1_0)
{
    struct plugin_set set = { 0 };
    const char *path = install("fx_newer", "emr.future-3.1.4-rc.1+build.5.so", 0644);
    struct plugin_reject_info why;
    const struct plugin *p;
    cr_assert_eq(plugin_loader_open(&set, path, 0, &p, &why), 0, "%s", why.reason);
    cr_expect_gt(p->desc->struct_size, sizeof(struct bw_plugin_descriptor));
    cr_expect_eq(p->desc->abi_minor, 3);
    const struct bw_emr_ops *ops = p->desc->ops;
    cr_expect_gt(ops->struct_size, sizeof(struct bw_emr_ops));
    cr_expect_not_null(BW_FN(ops, catalog));
    plugin_set_close(&set);
}

Test(loader, each_broken_plugin_is_refused_with_its_reason)
{
    static const struct refusal cases[] = {
        { "fx_no_entry", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_NO_ENTRY,
          "does not export bw_plugin_entry_v1" },
        { "fx_null_entry", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_DECLINED,
          "returned NULL for host ABI 1.1" },
        { "fx_bad_magic", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_MAGIC,
          "bad magic 0xdeadbeef" },
        { "fx_major", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_MAJOR,
          "built against ABI 2.0, the host is 1.1" },
        { "fx_short", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_TOO_SHORT,
          "struct_size 40 is shorter than ABI 1.0's 112 bytes" },
        { "fx_kind", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_KIND, "unknown kind 9" },
        { "fx_bad_id", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_ID,
          "id \"Emr Fixture\" is not \"emr.<name>\"" },
        { "fx_bad_version", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_VERSION,
          "version \"1.0\" is not a semantic version" },
        { "fx_no_ops", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_OPS,
          "emr plugin without the mandatory op catalog" },
        { "fx_lifecycle", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_LIFECYCLE,
          "instance_open is set but instance_close is not" },
        { "fx_schema", "emr.fixture-1.0.0.so", 0644, 1, PLUGIN_REJECT_SCHEMA,
          "config key timeout is declared twice" },
        { "fx_ok", "emr.fixture-1.0.0.so", 0664, 1, PLUGIN_REJECT_WRITABLE,
          "mode 0664 is group-writable" },
        { "fx_ok", "emr.fixture-1.0.0.so", 0646, 1, PLUGIN_REJECT_WRITABLE,
          "mode 0646 is world-writable" },
        { "fx_ok", "emr.fixture-2.0.0.so", 0644, 1, PLUGIN_REJECT_FILE_NAME,
          "named emr.fixture-2.0.0.so, its descriptor says emr.fixture-1.0.0.so" },
    };
    struct plugin_set set = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(&set, &cases[i]);
    cr_expect_eq(set.n, 0);
    plugin_set_close(&set);
}

Test(loader, a_second_file_with_a_loaded_id_and_version_is_a_duplicate)
{
    struct plugin_set set = { 0 };
    const char *path = install("fx_ok", "emr.fixture-1.0.0.so", 0644);
    char first[256];
    snprintf(first, sizeof first, "%s", path);
    struct plugin_reject_info why;
    const struct plugin *p;
    cr_assert_eq(plugin_loader_open(&set, first, 1, &p, &why), 0, "%s", why.reason);
    struct refusal r = { "fx_dup", "emr.fixture-1.0.0-copy.so", 0644, 1,
                         PLUGIN_REJECT_DUPLICATE, "emr.fixture 1.0.0 is already loaded from " };
    expect_refused(&set, &r);
    /* The same file twice is a duplicate too, and keeps the first loaded. */
    cr_assert_eq(plugin_loader_open(&set, first, 1, &p, &why), -1);
    cr_expect_eq(why.code, PLUGIN_REJECT_DUPLICATE);
    cr_expect(still_loaded(first), "refusing a duplicate must not unload the original");
    cr_expect_eq(set.n, 1);
    plugin_set_close(&set);
}

Test(loader, unreadable_and_foreign_files_are_refused)
{
    struct plugin_set set = { 0 };
    struct plugin_reject_info why;
    const struct plugin *p;
    char path[256];

    snprintf(path, sizeof path, "%s/absent-1.0.0.so", dir);
    cr_assert_eq(plugin_loader_open(&set, path, 0, &p, &why), -1);
    cr_expect_eq(why.code, PLUGIN_REJECT_FILE, "%s", why.reason);

    snprintf(path, sizeof path, "%s/dir.so", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_eq(plugin_loader_open(&set, path, 0, &p, &why), -1);
    cr_expect_eq(why.code, PLUGIN_REJECT_FILE);
    cr_expect_str_eq(why.reason, "not a regular file");
    rmdir(path);

    snprintf(path, sizeof path, "%s/junk.so", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("not an ELF object\n", f);
    fclose(f);
    chmod(path, 0644);
    cr_assert_eq(plugin_loader_open(&set, path, 0, &p, &why), -1);
    cr_expect_eq(why.code, PLUGIN_REJECT_DLOPEN, "%s", why.reason);
    cr_expect_not_null(strstr(why.reason, "dlopen: "), "%s", why.reason);
    cr_expect_eq(set.n, 0);
}

struct report_log {
    char lines[16][320];
    int n;
};

static void record(const char *path, const struct plugin *p, const struct plugin_reject_info *why,
                   void *ctx)
{
    struct report_log *log = ctx;
    const char *base = strrchr(path, '/') + 1;
    cr_assert_lt(log->n, 16);
    if (p)
        snprintf(log->lines[log->n++], 320, "%s loaded %s", base, p->desc->id);
    else
        snprintf(log->lines[log->n++], 320, "%s %s", base, plugin_reject_name(why->code));
}

Test(loader, a_directory_loads_what_is_valid_and_reports_every_file)
{
    install("fx_ok", "emr.fixture-1.0.0.so", 0644);
    install("fx_bad_magic", "emr.broken-1.0.0.so", 0644);
    install("fx_minor", "emr.needs_newer-1.0.0.so", 0644);
    install("fx_newer", "emr.future-3.1.4-rc.1+build.5.so", 0644);
    install("fx_ok", "emr.writable-1.0.0.so", 0666);
    install("fx_ok", ".hidden.so", 0644);
    install("fx_ok", "README.txt", 0644);
    struct plugin_set set = { 0 };
    struct report_log log = { .n = 0 };
    char err[256];
    int n = plugin_loader_load_dir(&set, dir, 1, record, &log, err, sizeof err);
    cr_assert_eq(n, 2, "loaded %d", n);
    cr_assert_eq(set.n, 2);
    cr_assert_eq(log.n, 5, "only *.so files that are not hidden are candidates");
    cr_expect_str_eq(log.lines[0], "emr.broken-1.0.0.so bad_magic");
    cr_expect_str_eq(log.lines[1], "emr.fixture-1.0.0.so loaded emr.fixture");
    cr_expect_str_eq(log.lines[2], "emr.future-3.1.4-rc.1+build.5.so loaded emr.future");
    cr_expect_str_eq(log.lines[3], "emr.needs_newer-1.0.0.so abi_minor");
    cr_expect_str_eq(log.lines[4], "emr.writable-1.0.0.so writable");
    plugin_set_close(&set);

    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    cr_expect_eq(plugin_loader_load_dir(&set, missing, 1, record, &log, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "cannot open plugins directory"), "%s", err);
}

/* ---- descriptors in memory --------------------------------------------- */

static int nop_caps(void *i, struct bw_call *c, uint64_t *caps)
{
    (void)i;
    (void)c;
    *caps = 0;
    return 0;
}

static int nop_buf(void *i, struct bw_call *c, struct bw_buf *o, struct bw_error *e)
{
    (void)i, (void)c, (void)o, (void)e;
    return 0;
}

static int nop_webhook(void *i, struct bw_call *c, const struct bw_webhook_request *r,
                       struct bw_webhook_reply *y, struct bw_buf *o, struct bw_error *e)
{
    (void)i, (void)c, (void)r, (void)y, (void)o, (void)e;
    return 0;
}

static int nop_json(void *i, struct bw_call *c, const struct bw_json *j, struct bw_buf *o,
                    struct bw_error *e)
{
    (void)i, (void)c, (void)j, (void)o, (void)e;
    return 0;
}

static int nop_idem(void *i, struct bw_call *c, const struct bw_json *j, const char *k,
                    struct bw_buf *o, struct bw_error *e)
{
    (void)i, (void)c, (void)j, (void)k, (void)o, (void)e;
    return 0;
}

static struct bw_emr_ops emr_ops;
static struct bw_channel_ops channel_ops;
static struct bw_payment_ops payment_ops;
static struct bw_ai_ops ai_ops;
static struct bw_config_field fields[4];

static struct bw_plugin_descriptor good(void)
{
    emr_ops = (struct bw_emr_ops){ .struct_size = sizeof emr_ops, .capabilities = nop_caps,
                                   .catalog = nop_buf };
    channel_ops = (struct bw_channel_ops){ .struct_size = sizeof channel_ops,
                                           .capabilities = nop_caps, .webhook = nop_webhook,
                                           .send = nop_json };
    payment_ops = (struct bw_payment_ops){ .struct_size = sizeof payment_ops,
                                           .link_create = nop_idem, .webhook = nop_webhook };
    ai_ops = (struct bw_ai_ops){ .struct_size = sizeof ai_ops, .complete = nop_json };
    for (int i = 0; i < 4; i++)
        fields[i] = (struct bw_config_field){ .struct_size = sizeof fields[0] };
    fields[0].type = BW_CFG_STRING, fields[0].key = "base_url", fields[0].flags = BW_CFG_F_REQUIRED;
    fields[1].type = BW_CFG_INT, fields[1].key = "page_size", fields[1].default_value = "50";
    fields[1].min = 1, fields[1].max = 100;
    fields[2].type = BW_CFG_LIST, fields[2].key = "locations", fields[2].default_value = "a,b";
    fields[3].type = BW_CFG_BOOL, fields[3].key = "sandbox", fields[3].default_value = "false";
    return (struct bw_plugin_descriptor){
        .magic = BW_PLUGIN_MAGIC, .struct_size = sizeof(struct bw_plugin_descriptor),
        .abi_major = 1, .abi_minor = 0, .kind = BW_KIND_EMR, .id = "emr.memory",
        .version = "1.0.0", .config = fields, .n_config = 4, .ops = &emr_ops,
    };
}

static void expect_check(const struct bw_plugin_descriptor *d, uint32_t host_minor,
                         enum plugin_reject code, const char *because)
{
    struct plugin_reject_info why;
    int rc = plugin_descriptor_check(d, host_minor, &why);
    if (code == PLUGIN_OK) {
        cr_expect_eq(rc, 0, "refused: %s", why.reason);
        return;
    }
    cr_expect_eq(rc, -1, "accepted, expected %s (%s)", plugin_reject_name(code), because);
    cr_expect_eq(why.code, code, "refused as %s (%s), expected %s", plugin_reject_name(why.code),
                 why.reason, plugin_reject_name(code));
    cr_expect_not_null(strstr(why.reason, because), "reason \"%s\" lacks \"%s\"", why.reason,
                       because);
}

Test(descriptor, the_good_one_passes_for_every_kind)
{
    struct bw_plugin_descriptor d = good();
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d.kind = BW_KIND_CHANNEL, d.id = "channel.sms", d.ops = &channel_ops;
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d.kind = BW_KIND_PAYMENT, d.id = "payment.square", d.ops = &payment_ops;
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d.kind = BW_KIND_AI, d.id = "ai.openai", d.ops = &ai_ops;
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d.n_config = 0, d.config = NULL;
    expect_check(&d, 0, PLUGIN_OK, NULL);
}

Test(descriptor, versions_and_sizes)
{
    struct bw_plugin_descriptor d = good();
    d.struct_size = 8;
    expect_check(&d, 0, PLUGIN_REJECT_TOO_SHORT, "too short to hold a version");
    d = good(), d.abi_major = 0;
    expect_check(&d, 0, PLUGIN_REJECT_MAJOR, "built against ABI 0.0");
    d = good(), d.abi_minor = 1, d.abi_minor_required = 2;
    expect_check(&d, 5, PLUGIN_REJECT_MINOR, "requires ABI 1.2, above the 1.1 it was built");
    d = good(), d.abi_minor = 4, d.abi_minor_required = 1;
    expect_check(&d, 1, PLUGIN_OK, NULL);
    expect_check(&d, 0, PLUGIN_REJECT_MINOR, "requires ABI 1.1, the host is 1.0");
}

Test(descriptor, mandatory_ops_per_kind)
{
    struct bw_plugin_descriptor d = good();
    d.ops = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "emr plugin without an ops table");
    d = good(), emr_ops.capabilities = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "mandatory op capabilities");
    d = good(), emr_ops.struct_size = 16;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "ops table has struct_size 16, ABI 1.0 defines 88");
    d = good(), emr_ops._reserved = 1;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "reserved member is not zero");
    d = good(), d.kind = BW_KIND_CHANNEL, d.id = "channel.sms", d.ops = &channel_ops;
    channel_ops.send = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "channel plugin without the mandatory op send");
    channel_ops.send = nop_json, channel_ops.webhook = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "mandatory op webhook");
    channel_ops.webhook = nop_webhook, channel_ops.route_keys = NULL;
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d = good(), d.kind = BW_KIND_PAYMENT, d.id = "payment.square", d.ops = &payment_ops;
    payment_ops.link_create = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "payment plugin without the mandatory op link_create");
    d = good(), d.kind = BW_KIND_AI, d.id = "ai.openai", d.ops = &ai_ops;
    ai_ops.complete = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_OPS, "ai plugin without the mandatory op complete");
    /* An id must name its own kind. */
    d = good(), d.id = "channel.sms";
    expect_check(&d, 0, PLUGIN_REJECT_ID, "is not \"emr.<name>\"");
}

Test(descriptor, config_schema_rules)
{
    struct bw_plugin_descriptor d = good();
    d.config = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "n_config is 4 but config is NULL");
    d = good(), d.n_config = PLUGIN_MAX_CONFIG_FIELDS + 1;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "more than 128");
    d = good(), fields[0].struct_size = 24;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "struct_size 24 is not a valid size");
    d = good(), fields[2].struct_size = 64;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "config field 2 has struct_size 64");
    d = good(), fields[1].key = "Page";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "key \"Page\" is not");
    d = good(), fields[1].key = NULL;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "key \"(null)\"");
    d = good(), fields[3].key = "base_url";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "config key base_url is declared twice");
    d = good(), fields[1].type = 7;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "config key page_size: unknown type 7");
    d = good(), fields[1]._reserved = 3;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "reserved member is not zero");
    d = good(), fields[1].min = 10, fields[1].max = 5;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "min is above max");
    d = good(), fields[0].default_value = "https://x";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "a required key cannot have a default");
    d = good(), fields[0].flags = 0, fields[0].type = BW_CFG_SECRET,
    fields[0].default_value = "env:X";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "a secret reference cannot have a default");
    d = good(), fields[1].default_value = "fifty";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "default \"fifty\" is not a valid int");
    d = good(), fields[1].default_value = "500";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "default \"500\" is outside [1, 100]");
    d = good(), fields[3].default_value = "yes";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "default \"yes\" is not a valid bool");
    d = good(), fields[1].type = BW_CFG_DURATION, fields[1].default_value = "5 minutes";
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "is not a valid duration");
    d = good(), fields[1].type = BW_CFG_DURATION, fields[1].default_value = "90s";
    fields[1].min = 1000, fields[1].max = 60000;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "default \"90s\" is outside [1000, 60000]");
    fields[1].default_value = "30s";
    expect_check(&d, 0, PLUGIN_OK, NULL);
    fields[1].default_value = "45";
    expect_check(&d, 0, PLUGIN_OK, NULL);
    d = good(), fields[2].min = 3, fields[2].max = 5;
    expect_check(&d, 0, PLUGIN_REJECT_SCHEMA, "default \"a,b\" is outside [3, 5]");
}

Test(descriptor, ids)
{
    static const char *const ok[] = { "emr.boulevard", "emr.a", "emr.0", "emr.my-emr_2",
                                      "emr.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv" };
    static const char *const bad[] = { "emr", "emr.", "boulevard", "EMR.boulevard", "emr.Boulevard",
                                       "emr.-x", "emr._x", "emr.a.b", "emr.a b", "emrx.a",
                                       "channel.twilio",
                                       "emr.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw", "" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect(plugin_id_valid(ok[i], BW_KIND_EMR), "%s should be valid", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(plugin_id_valid(bad[i], BW_KIND_EMR), "%s should be refused", bad[i]);
    cr_expect(plugin_id_valid("channel.twilio", BW_KIND_CHANNEL));
    cr_expect(plugin_id_valid("payment.square", BW_KIND_PAYMENT));
    cr_expect(plugin_id_valid("ai.openai", BW_KIND_AI));
    cr_expect_not(plugin_id_valid("ai.openai", 9));
    cr_expect_not(plugin_id_valid(NULL, BW_KIND_AI));
}

Test(descriptor, semantic_versions)
{
    static const char *const ok[] = { "0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha",
                                      "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
                                      "1.0.0-x-y-z.--", "1.0.0+20130313144700",
                                      "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3----117B344092BD",
                                      "999999999.0.0" };
    static const char *const bad[] = { "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03",
                                       "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.3-a+",
                                       "v1.2.3", "1.2.3 ", " 1.2.3", "1.2.3-é", "-1.2.3",
                                       "1000000000.0.0", "", "1.2.3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect(plugin_version_valid(ok[i]), "%s should be valid", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(plugin_version_valid(bad[i]), "%s should be refused", bad[i]);
    cr_expect_not(plugin_version_valid(NULL));
}

Test(descriptor, reject_names_are_distinct)
{
    for (int a = PLUGIN_OK; a <= PLUGIN_REJECT_FILE_NAME; a++) {
        cr_expect_str_neq(plugin_reject_name(a), "unknown");
        for (int b = a + 1; b <= PLUGIN_REJECT_FILE_NAME; b++)
            cr_expect_str_neq(plugin_reject_name(a), plugin_reject_name(b));
    }
    cr_expect_str_eq(plugin_reject_name(99), "unknown");
}
