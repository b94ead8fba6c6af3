/*
 * Tenant plugin bindings: every kind of malformed "plugins" list in a
 * tenant file is refused with its file and line; a binding's config group
 * typed against a plugin's schema applies defaults, resolves secret
 * references and refuses literals, unknown keys, wrong types, values out of
 * range and missing required keys, each at the line of the key (or of the
 * config group when a key is missing), all in one pass. Versions order by
 * semantic-version precedence. bookwelld --check-config checks bindings
 * against the plugins really in plugins.dir, and --describe-plugin prints
 * a schema.
 */
#include <bookwell/abi.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "config_bindings.h"
#include "plugin_config.h"

static char dir[64];
static struct confmap_errors errs;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/bw-pconf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char t[128];
    snprintf(t, sizeof t, "%s/tenants", dir);
    cr_assert_eq(mkdir(t, 0755), 0);
    snprintf(t, sizeof t, "%s/plugins", dir);
    cr_assert_eq(mkdir(t, 0755), 0);
    setenv("BW_T_DB", "host=/nonexistent/socket dbname=bookwell", 1);
    setenv("BW_T_TOKEN", "operator-token-value", 1);
    setenv("BW_T_API_KEY", "key-from-env", 1);
    unsetenv("BW_T_UNSET");
    memset(&errs, 0, sizeof errs);
}

static void teardown(void)
{
    if (strncmp(dir, "/tmp/bw-pconf-", 14) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(plugin_config, .init = setup, .fini = teardown, .timeout = 30);

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* The global file, and a tenant file whose "plugins" text starts on line 2. */
static void put_tenant(const char *plugins)
{
    char text[4096];
    snprintf(text, sizeof text,
             "database = { url = \"env:BW_T_DB\"; };\nadmin = { token = \"env:BW_T_TOKEN\"; };\n"
             "plugins = { dir = \"%s/plugins\"; };\n",
             dir);
    put("bookwelld.conf", text);
    snprintf(text, sizeof text,
             "tenant = { id = \"glow\"; name = \"Glow\"; timezone = \"America/Los_Angeles\"; };\n%s",
             plugins);
    put("tenants/glow.conf", text);
}

static const char *all_errors(void)
{
    static char buf[32 * 260];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < errs.count && i < 32; i++) {
        int w = snprintf(buf + n, sizeof buf - n, "%s\n", errs.lines[i]);
        if (w < 0 || (size_t)w >= sizeof buf - n)
            break;
        n += (size_t)w;
    }
    return buf;
}

/* Some error line starts "<dir>/tenants/glow.conf:<line>: " and has what. */
static void expect_line(int line, const char *what)
{
    char where[256];
    snprintf(where, sizeof where, "%s/tenants/glow.conf:%d: ", dir, line);
    for (int i = 0; i < errs.count && i < 32; i++)
        if (strncmp(errs.lines[i], where, strlen(where)) == 0 && strstr(errs.lines[i], what))
            return;
    cr_assert_fail("expected '%s%s' among:\n%s", where, what, all_errors());
}

/* Loading the tenant file fails with what at line. */
static void expect_load_error(const char *plugins, int line, const char *what)
{
    struct host_config cfg = { 0 };
    put_tenant(plugins);
    cr_assert_eq(config_load(dir, &cfg, &errs), -1, "expected a failure for %s", what);
    expect_line(line, what);
    config_free(&cfg);
}

/* ------------------------------------------------------------ binding shape */

Test(plugin_config, plugins_must_be_a_list_of_groups)
{
    expect_load_error("plugins = { plugin = \"emr.local\"; };\n", 2, "'plugins' must be a list");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = ( \"emr.local\" );\n", 2, "must be a group");
}

Test(plugin_config, unknown_binding_key)
{
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n   colour = \"red\"; }\n);\n", 4,
                      "unknown key 'colour' in a plugin binding");
}

Test(plugin_config, missing_or_malformed_plugin_id)
{
    expect_load_error("plugins = (\n { version = \"1.0.0\"; }\n);\n", 3,
                      "missing required key 'plugin'");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = (\n { plugin = \"boulevard\"; }\n);\n", 3,
                      "is not an id such as");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = (\n { plugin = 7; }\n);\n", 3, "'plugin' must be a string");
}

Test(plugin_config, malformed_version_base_url_and_allow_hosts)
{
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n   version = \"1.0\"; }\n);\n", 4,
                      "not a semantic version");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n"
                      "   base_url = \"http://127.0.0.1:9/v1\"; }\n);\n",
                      4, "base_url must be http(s)://host[:port]");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n   allow_hosts = [1, 2]; }\n);\n",
                      4, "allow_hosts must be a list of host names");
}

Test(plugin_config, config_must_be_a_group_of_plain_values)
{
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n   config = 5; }\n);\n", 4,
                      "'config' must be a group");
    memset(&errs, 0, sizeof errs);
    expect_load_error("plugins = (\n { plugin = \"emr.local\";\n   config = {\n"
                      "     tags = ( 1, \"a\" ); }; }\n);\n",
                      5, "the items of 'tags' must be strings");
}

Test(plugin_config, a_plugin_bound_twice)
{
    expect_load_error("plugins = (\n { plugin = \"emr.local\"; },\n"
                      " { plugin = \"emr.local\"; }\n);\n",
                      4, "bound twice (first at line 3)");
}

Test(plugin_config, every_problem_of_a_file_is_reported)
{
    struct host_config cfg = { 0 };
    put_tenant("plugins = (\n { plugin = \"boulevard\"; shade = 1; },\n"
               " { plugin = \"emr.local\"; version = \"x\"; }\n);\n");
    cr_assert_eq(config_load(dir, &cfg, &errs), -1);
    cr_expect_eq(errs.count, 3, "%s", all_errors());
    expect_line(3, "unknown key 'shade'");
    expect_line(3, "is not an id");
    expect_line(4, "not a semantic version");
    config_free(&cfg);
}

Test(plugin_config, a_good_binding_is_read_with_its_lines)
{
    struct host_config cfg = { 0 };
    put_tenant("plugins = (\n"
               "  { plugin = \"emr.local\";\n"
               "    version = \"1.2.3\";\n"
               "    base_url = \"http://127.0.0.1:8099\";\n"
               "    allow_hosts = [ \"api.example.com\" ];\n"
               "    config = {\n"
               "      name = \"Glow\";\n"
               "      retries = 4;\n"
               "      tags = [ \"x\", \"y\" ];\n"
               "    };\n"
               "  },\n"
               "  { plugin = \"channel.twilio\"; }\n"
               ");\n");
    cr_assert_eq(config_load(dir, &cfg, &errs), 0, "%s", all_errors());
    const struct tenant_config *t = config_tenant(&cfg, "glow");
    cr_assert_eq(t->n_bindings, 2);
    const struct plugin_binding *b = config_binding_find(t, "emr.local");
    cr_assert_not_null(b);
    cr_expect_str_eq(b->version, "1.2.3");
    cr_expect_str_eq(b->base_url, "http://127.0.0.1:8099");
    cr_assert_eq(b->n_allow_hosts, 1);
    cr_expect_str_eq(b->allow_hosts[0], "api.example.com");
    cr_expect_null(b->allow_hosts[1]);
    cr_expect_eq(b->line, 3);
    cr_expect_eq(b->config_line, 7);
    cr_assert_eq(b->n_values, 3);
    cr_expect_str_eq(b->values[0].key, "name");
    cr_expect_eq(b->values[0].kind, BINDING_VALUE_STRING);
    cr_expect_eq(b->values[0].line, 8);
    cr_expect_eq(b->values[1].kind, BINDING_VALUE_INT);
    cr_expect_eq(b->values[1].num, 4);
    cr_expect_eq(b->values[2].kind, BINDING_VALUE_LIST);
    cr_expect_eq(b->values[2].n_items, 2);
    const struct plugin_binding *c = config_binding_find(t, "channel.twilio");
    cr_assert_not_null(c);
    cr_expect_null(c->version, "no version: the newest loaded");
    cr_expect_eq(c->n_values, 0);
    config_free(&cfg);
}

/* ------------------------------------------------------------ typing */

#define FIELD(...) { .struct_size = sizeof(struct bw_config_field), __VA_ARGS__ }
static const struct bw_config_field schema[] = {
    FIELD(.type = BW_CFG_STRING, .flags = BW_CFG_F_REQUIRED, .key = "name"),
    FIELD(.type = BW_CFG_INT, .key = "retries", .default_value = "3", .min = 0, .max = 10),
    FIELD(.type = BW_CFG_BOOL, .key = "verbose", .default_value = "false"),
    FIELD(.type = BW_CFG_DURATION, .key = "timeout", .default_value = "10s", .min = 1000,
          .max = 60000),
    FIELD(.type = BW_CFG_SECRET, .key = "api_key"),
    FIELD(.type = BW_CFG_LIST, .key = "tags", .default_value = "a, b", .min = 0, .max = 3),
    FIELD(.type = BW_CFG_STRING, .key = "note"),
};
static const struct bw_plugin_descriptor desc = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .kind = BW_KIND_EMR,
    .id = "emr.local",
    .version = "1.0.0",
    .config = schema,
    .n_config = sizeof schema / sizeof schema[0],
};

/* Loads a tenant whose one binding has this config group text (starting on
 * line 4: "plugins = (" is 2, the binding 3) and types it. */
static int parse(const char *config_body, struct plugin_config *out)
{
    char text[2048];
    struct host_config cfg = { 0 };
    snprintf(text, sizeof text, "plugins = (\n { plugin = \"emr.local\";\n   config = {\n%s   };\n });\n",
             config_body);
    put_tenant(text);
    cr_assert_eq(config_load(dir, &cfg, &errs), 0, "%s", all_errors());
    const struct plugin_binding *b = &cfg.tenants[0].bindings[0];
    int rc = plugin_config_parse(&desc, b, out, &errs);
    config_free(&cfg);
    return rc;
}

static void expect_parse_error(const char *config_body, int line, const char *what)
{
    struct plugin_config pc;
    cr_assert_eq(parse(config_body, &pc), -1, "expected a failure for %s", what);
    cr_expect_eq(pc.n, 0, "freed again on failure");
    expect_line(line, what);
}

Test(plugin_config, defaults_fill_what_the_binding_leaves_out)
{
    struct plugin_config pc;
    cr_assert_eq(parse("     name = \"Glow\";\n", &pc), 0, "%s", all_errors());
    cr_assert_eq(pc.n, 7);
    cr_expect_str_eq(plugin_config_get(&pc, "name")->text, "Glow");
    cr_expect_eq(plugin_config_get(&pc, "retries")->num, 3);
    cr_expect(plugin_config_get(&pc, "verbose")->set);
    cr_expect_eq(plugin_config_get(&pc, "verbose")->num, 0);
    cr_expect_eq(plugin_config_get(&pc, "timeout")->num, 10000);
    const struct plugin_config_value *tags = plugin_config_get(&pc, "tags");
    cr_assert_eq(tags->n_items, 2);
    cr_expect_str_eq(tags->items[0], "a");
    cr_expect_str_eq(tags->items[1], "b");
    cr_expect_not(plugin_config_get(&pc, "api_key")->set);
    cr_expect_not(plugin_config_get(&pc, "note")->set);
    plugin_config_free(&pc);
}

Test(plugin_config, values_of_every_type_are_typed)
{
    struct plugin_config pc;
    put("secret.txt", "key-from-file\n");
    char body[512];
    snprintf(body, sizeof body,
             "     name = \"Glow\"; retries = 10; verbose = true; timeout = \"2s\";\n"
             "     api_key = \"file:%s/secret.txt\"; tags = [ \"x\" ]; note = \"n\";\n",
             dir);
    cr_assert_eq(parse(body, &pc), 0, "%s", all_errors());
    cr_expect_eq(plugin_config_get(&pc, "retries")->num, 10);
    cr_expect_eq(plugin_config_get(&pc, "verbose")->num, 1);
    cr_expect_eq(plugin_config_get(&pc, "timeout")->num, 2000);
    cr_expect_str_eq(plugin_config_get(&pc, "api_key")->text, "key-from-file");
    cr_expect_str_eq(plugin_config_get(&pc, "note")->text, "n");
    cr_expect_eq(plugin_config_get(&pc, "tags")->n_items, 1);
    plugin_config_free(&pc);
}

Test(plugin_config, durations_as_text_or_seconds_within_range)
{
    struct plugin_config pc;
    cr_assert_eq(parse("     name = \"G\"; timeout = 5;\n", &pc), 0, "%s", all_errors());
    cr_expect_eq(plugin_config_get(&pc, "timeout")->num, 5000);
    plugin_config_free(&pc);
    expect_parse_error("     name = \"G\";\n     timeout = \"2m\";\n", 6,
                       "'timeout' must be between 1000ms and 60000ms");
}

Test(plugin_config, secrets_resolve_from_env_and_file)
{
    struct plugin_config pc, again;
    put("secret.txt", "key-from-file\n");
    cr_assert_eq(parse("     name = \"G\"; api_key = \"env:BW_T_API_KEY\";\n", &pc), 0, "%s",
                 all_errors());
    cr_expect_str_eq(plugin_config_get(&pc, "api_key")->text, "key-from-env");
    char body[256];
    snprintf(body, sizeof body, "     name = \"G\"; api_key = \"file:%s/secret.txt\";\n", dir);
    cr_assert_eq(parse(body, &again), 0, "%s", all_errors());
    cr_expect_str_eq(plugin_config_get(&again, "api_key")->text, "key-from-file");
    cr_expect_not(plugin_config_equal(&pc, &again), "a different secret is a different config");
    plugin_config_free(&pc);
    plugin_config_free(&again);
}

Test(plugin_config, secret_literals_and_unresolvable_references_are_refused)
{
    expect_parse_error("     name = \"G\";\n     api_key = \"sk_live_123\";\n", 6,
                       "secrets must be references");
    memset(&errs, 0, sizeof errs);
    expect_parse_error("     name = \"G\";\n     api_key = \"env:BW_T_UNSET\";\n", 6,
                       "BW_T_UNSET is not set");
    memset(&errs, 0, sizeof errs);
    expect_parse_error("     name = \"G\";\n     api_key = \"file:/nonexistent/key\";\n", 6,
                       "cannot read secret file");
    for (int i = 0; i < errs.count; i++)
        cr_expect_null(strstr(errs.lines[i], "sk_live"), "a literal never echoes: %s",
                       errs.lines[i]);
}

Test(plugin_config, unknown_keys_are_refused_at_their_line)
{
    expect_parse_error("     name = \"G\";\n     retrys = 2;\n", 6,
                       "unknown key 'retrys' for plugin emr.local 1.0.0");
}

Test(plugin_config, required_keys_are_reported_at_the_config_group)
{
    expect_parse_error("     retries = 2;\n", 4, "missing required key 'name'");
}

Test(plugin_config, wrong_types_are_refused_at_their_line)
{
    static const struct {
        const char *text, *what;
    } cases[] = {
        { "     name = 5;\n", "'name' must be a string" },
        { "     name = \"G\"; retries = \"3\";\n", "'retries' must be an integer" },
        { "     name = \"G\"; verbose = 1;\n", "'verbose' must be true or false" },
        { "     name = \"G\"; timeout = true;\n", "'timeout' must be a duration" },
        { "     name = \"G\"; timeout = \"soon\";\n", "'timeout' must be a duration" },
        { "     name = \"G\"; api_key = 12;\n", "'api_key' must be a secret reference" },
        { "     name = \"G\"; tags = \"a,b\";\n", "'tags' must be a list of strings" },
        { "     name = \"G\"; note = 1.5;\n", "'note' must be a string" },
        { "     name = \"G\"; note = { a = 1; };\n", "'note' must be a string" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&errs, 0, sizeof errs);
        expect_parse_error(cases[i].text, 5, cases[i].what);
    }
}

Test(plugin_config, values_out_of_range_are_refused)
{
    expect_parse_error("     name = \"G\";\n     retries = 11;\n", 6,
                       "'retries' must be between 0 and 10");
    memset(&errs, 0, sizeof errs);
    expect_parse_error("     name = \"G\";\n     tags = [ \"a\", \"b\", \"c\", \"d\" ];\n", 6,
                       "'tags' must have 0 to 3 items");
}

Test(plugin_config, every_problem_of_a_binding_in_one_pass)
{
    struct plugin_config pc;
    cr_assert_eq(parse("     retries = 99;\n     bogus = 1;\n     verbose = \"yes\";\n", &pc), -1);
    cr_expect_eq(errs.count, 4, "%s", all_errors());
    expect_line(4, "missing required key 'name'");
    expect_line(5, "'retries' must be between");
    expect_line(6, "unknown key 'bogus'");
    expect_line(7, "'verbose' must be true or false");
}

Test(plugin_config, equal_configs_compare_equal)
{
    struct plugin_config a, b, c;
    cr_assert_eq(parse("     name = \"G\"; tags = [ \"x\" ];\n", &a), 0);
    cr_assert_eq(parse("     tags = [ \"x\" ]; name = \"G\";\n", &b), 0);
    cr_assert_eq(parse("     name = \"G\"; tags = [ \"y\" ];\n", &c), 0);
    cr_expect(plugin_config_equal(&a, &b));
    cr_expect_not(plugin_config_equal(&a, &c));
    plugin_config_free(&a);
    plugin_config_free(&b);
    plugin_config_free(&c);
}

/* ------------------------------------------------------------ versions */

Test(plugin_config, versions_order_by_semver_precedence)
{
    static const char *const ordered[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                           "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                                           "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0",
                                           "2.0.0" };
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = plugin_version_compare(ordered[i], ordered[j]);
            int want = (i > j) - (i < j);
            cr_expect_eq((c > 0) - (c < 0), want, "%s vs %s: %d", ordered[i], ordered[j], c);
        }
    }
    cr_expect_eq(plugin_version_compare("1.0.0+build.7", "1.0.0"), 0, "build metadata ignored");
}

/* ------------------------------------------------------------ bookwelld */

static void install_fixture(const char *fx, const char *name)
{
    char src[4096], dst[256], buf[65536];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(src, sizeof src, "%s/tests/reload/.libs/%s.so", b, fx);
    snprintf(dst, sizeof dst, "%s/plugins/%s", dir, name);
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", src);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

struct run {
    int code;
    char out[8192];
    char err[8192];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs bookwelld with args (NULL-terminated), capturing its output. */
static void run_bookwelld(struct run *r, const char *const *args)
{
    char bin[512], out[128], err[128];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwelld", b ? b : ".");
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char *argv[16];
        int a = 0;
        argv[a++] = bin;
        for (int i = 0; args[i] && a < 15; i++)
            argv[a++] = (char *)args[i];
        argv[a] = NULL;
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

Test(plugin_config, check_config_checks_bindings_against_plugins_dir)
{
    struct run r;
    const char *args[] = { "--check-config", dir, NULL };
    install_fixture("fx_reload_v1", "emr.reloadfx-1.0.0.so");
    install_fixture("fx_reload_v2", "emr.reloadfx-2.0.0.so");

    put_tenant("plugins = (\n { plugin = \"emr.reloadfx\";\n   config = { min_ms = 5; }; }\n);\n");
    run_bookwelld(&r, args);
    cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
    cr_expect_not_null(strstr(r.out, "1 plugin binding(s)"), "%s", r.out);

    put_tenant("plugins = (\n { plugin = \"emr.reloadfx\"; version = \"2.0.0\";\n"
               "   config = { min_ms = -1; colour = 2; }; },\n"
               " { plugin = \"emr.other\"; version = \"3.0.0\"; }\n);\n");
    run_bookwelld(&r, args);
    cr_expect_eq(r.code, 1);
    char want[256];
    snprintf(want, sizeof want, "%s/tenants/glow.conf:4: 'min_ms' must be between 0 and 600000",
             dir);
    cr_expect_not_null(strstr(r.err, want), "%s", r.err);
    snprintf(want, sizeof want, "%s/tenants/glow.conf:4: unknown key 'colour'", dir);
    cr_expect_not_null(strstr(r.err, want), "%s", r.err);
    snprintf(want, sizeof want, "%s/tenants/glow.conf:5: plugin emr.other 3.0.0 is not loaded",
             dir);
    cr_expect_not_null(strstr(r.err, want), "%s", r.err);
}

Test(plugin_config, describe_plugin_prints_the_newest_schema)
{
    struct run r;
    install_fixture("fx_reload_v1", "emr.reloadfx-1.0.0.so");
    install_fixture("fx_reload_v2", "emr.reloadfx-2.0.0.so");
    put_tenant("");
    const char *args[] = { "--describe-plugin", "emr.reloadfx", "--config", dir, NULL };
    run_bookwelld(&r, args);
    cr_expect_eq(r.code, 0, "%s", r.err);
    char head[96];
    snprintf(head, sizeof head, "emr.reloadfx 2.0.0 (emr plugin, ABI %d.%d", BW_ABI_MAJOR, BW_ABI_MINOR);
    cr_expect_not_null(strstr(r.out, head), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "min_ms"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "range 0..600000"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "fail_open"), "%s", r.out);

    const char *v1[] = { "--describe-plugin", "emr.reloadfx@1.0.0", "--config", dir, NULL };
    run_bookwelld(&r, v1);
    cr_expect_not_null(strstr(r.out, "emr.reloadfx 1.0.0"), "%s", r.out);

    const char *none[] = { "--describe-plugin", "emr.absent", "--config", dir, NULL };
    run_bookwelld(&r, none);
    cr_expect_eq(r.code, 1);
    cr_expect_not_null(strstr(r.err, "no plugin emr.absent"), "%s", r.err);
}
