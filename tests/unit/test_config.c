/*
 * Configuration: a complete directory loads into the right fields, defaults
 * fill what is left out, and every kind of bad file (syntax, unknown key,
 * wrong type, out of range, missing key, literal or unresolvable secret, bad
 * tenant) is refused with its file and line. Also runs
 * `bookwelld --check-config` as a process: it reports the same errors and
 * touches neither the database nor the network.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "confmap.h"

/* ------------------------------------------------------------ helpers */

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/bw-conf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char t[128];
    snprintf(t, sizeof t, "%s/tenants", dir);
    cr_assert_eq(mkdir(t, 0755), 0);
    setenv("BW_T_DB", "host=/nonexistent/socket dbname=bookwell", 1);
    setenv("BW_T_TOKEN", "operator-token-value", 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_dir(void)
{
    if (strncmp(dir, "/tmp/bw-conf-", 13) == 0)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = make_dir, .fini = remove_dir);

/* Writes dir/name (name may contain tenants/...). */
static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static const char minimal_global[] =
    "database = { url = \"env:BW_T_DB\"; };\n"
    "admin = { token = \"env:BW_T_TOKEN\"; };\n";

static const char glow_tenant[] =
    "tenant = {\n"
    "  id = \"glow\";\n"
    "  name = \"Glow Aesthetics\";\n"
    "  timezone = \"America/Los_Angeles\";\n"
    "};\n";

/* Loads dir; returns config_load's result and keeps errors in errs. The
 * config is freed unless keep is given. */
static struct confmap_errors errs;
static int load(struct host_config *keep)
{
    struct host_config cfg = { 0 };
    memset(&errs, 0, sizeof errs);
    int rc = config_load(dir, keep ? keep : &cfg, &errs);
    if (!keep)
        config_free(&cfg);
    return rc;
}

/* True when some error line contains every given fragment. */
static bool has_error(const char *a, const char *b)
{
    for (int i = 0; i < errs.count && i < 32; i++)
        if (strstr(errs.lines[i], a) && (!b || strstr(errs.lines[i], b)))
            return true;
    return false;
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

/* Expects exactly one failure whose line starts "<dir>/<file>:<line>: " and
 * contains what. */
static void expect_error(const char *file, int line, const char *what)
{
    char where[256];
    snprintf(where, sizeof where, "%s/%s:%d: ", dir, file, line);
    cr_assert_eq(load(NULL), -1, "expected a failure for %s", what);
    cr_assert(has_error(where, what), "expected '%s%s' among:\n%s", where, what, all_errors());
}

/* Global file = minimal_global + extra (so extra starts on line 3). */
static void global_with(const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", minimal_global, extra);
    put("bookwelld.conf", text);
}

/* ------------------------------------------------------------ good files */

Test(config, complete_directory_fills_every_field)
{
    put("admin.token", "s3cret-operator\n");
    char text[2048];
    snprintf(text, sizeof text,
             "listen = { public = \"0.0.0.0:9080\"; admin = \"127.0.0.1:9081\"; };\n"
             "database = { url = \"env:BW_T_DB\"; pool_size = 16; connect_timeout = \"10s\"; };\n"
             "admin = { token = \"file:%s/admin.token\"; };\n"
             "http = { max_body = \"2m\"; max_headers = 100; request_timeout = \"45s\";\n"
             "         shutdown_grace = \"500ms\"; };\n"
             "jobs = { workers = 6; lease = \"2m\"; max_attempts = 12; poll_interval = \"250ms\";\n"
             "         backoff_base = \"2s\"; backoff_max = \"1h\"; };\n"
             "log = { level = \"warn\"; };\n"
             "plugins = { dir = \"/opt/bookwell/plugins\"; };\n",
             dir);
    put("bookwelld.conf", text);
    put("tenants/glow.conf", glow_tenant);
    put("tenants/north-clinic.conf",
        "tenant = { id = \"north-clinic\"; name = \"North Clinic\";\n"
        "           timezone = \"America/Toronto\"; country = \"CA\"; };\n");

    struct host_config c = { 0 };
    cr_assert_eq(load(&c), 0, "%s", all_errors());
    cr_assert_str_eq(c.dir, dir);
    cr_assert_str_eq(c.listen_public, "0.0.0.0:9080");
    cr_assert_str_eq(c.listen_admin, "127.0.0.1:9081");
    cr_assert_str_eq(c.db_url, "host=/nonexistent/socket dbname=bookwell");
    cr_assert_eq(c.db_pool_size, 16);
    cr_assert_eq(c.db_connect_timeout_ms, 10000);
    cr_assert_str_eq(c.admin_token, "s3cret-operator", "trailing newline trimmed");
    cr_assert_eq(c.http_max_body, 2 * 1048576);
    cr_assert_eq(c.http_max_headers, 100);
    cr_assert_eq(c.http_request_timeout_ms, 45000);
    cr_assert_eq(c.shutdown_grace_ms, 500);
    cr_assert_eq(c.jobs_workers, 6);
    cr_assert_eq(c.jobs_lease_ms, 120000);
    cr_assert_eq(c.jobs_max_attempts, 12);
    cr_assert_eq(c.jobs_poll_ms, 250);
    cr_assert_eq(c.jobs_backoff_base_ms, 2000);
    cr_assert_eq(c.jobs_backoff_max_ms, 3600000);
    cr_assert_str_eq(c.log_level, "warn");
    cr_assert_str_eq(c.plugins_dir, "/opt/bookwell/plugins");

    cr_assert_eq(c.n_tenants, 2);
    cr_assert_str_eq(c.tenants[0].id, "glow", "tenants are in file-name order");
    cr_assert_str_eq(c.tenants[0].name, "Glow Aesthetics");
    cr_assert_str_eq(c.tenants[0].timezone, "America/Los_Angeles");
    cr_assert_str_eq(c.tenants[0].country, "US", "country defaults to US");
    const struct tenant_config *n = config_tenant(&c, "north-clinic");
    cr_assert_not_null(n);
    cr_assert_str_eq(n->country, "CA");
    cr_assert_str_eq(n->timezone, "America/Toronto");
    cr_assert(strstr(n->file, "tenants/north-clinic.conf") != NULL);
    cr_assert_null(config_tenant(&c, "nobody"));
    config_free(&c);
    cr_assert_null(c.db_url);
    cr_assert_eq(c.n_tenants, 0);
}

Test(config, defaults_fill_what_is_left_out)
{
    put("bookwelld.conf", minimal_global);
    struct host_config c = { 0 };
    cr_assert_eq(load(&c), 0, "%s", all_errors());
    cr_assert_str_eq(c.listen_public, "127.0.0.1:8080");
    cr_assert_str_eq(c.listen_admin, "127.0.0.1:8081");
    cr_assert_eq(c.db_pool_size, 8);
    cr_assert_eq(c.db_connect_timeout_ms, 5000);
    cr_assert_str_eq(c.admin_token, "operator-token-value");
    cr_assert_eq(c.http_max_body, 1048576);
    cr_assert_eq(c.http_max_headers, 64);
    cr_assert_eq(c.http_request_timeout_ms, 30000);
    cr_assert_eq(c.shutdown_grace_ms, 10000);
    cr_assert_eq(c.jobs_workers, 4);
    cr_assert_eq(c.jobs_lease_ms, 30000);
    cr_assert_eq(c.jobs_max_attempts, 8);
    cr_assert_eq(c.jobs_poll_ms, 1000);
    cr_assert_eq(c.jobs_backoff_base_ms, 1000);
    cr_assert_eq(c.jobs_backoff_max_ms, 600000);
    cr_assert_str_eq(c.log_level, "info");
    cr_assert_str_eq(c.plugins_dir, PLUGINDIR);
    cr_assert_eq(c.n_tenants, 0, "an empty tenants/ is a valid configuration");
    config_free(&c);
}

Test(config, no_tenants_directory_is_valid)
{
    put("bookwelld.conf", minimal_global);
    char t[128];
    snprintf(t, sizeof t, "%s/tenants", dir);
    cr_assert_eq(rmdir(t), 0);
    cr_assert_eq(load(NULL), 0, "%s", all_errors());
}

Test(config, tenants_that_is_not_a_directory_is_an_error)
{
    put("bookwelld.conf", minimal_global);
    char t[128];
    snprintf(t, sizeof t, "%s/tenants", dir);
    cr_assert_eq(rmdir(t), 0);
    put("tenants", "glow\n");
    cr_assert_eq(load(NULL), -1);
    cr_assert(has_error("/tenants:", "cannot read directory"), "%s", all_errors());
}

Test(config, plain_integers_are_seconds_and_bytes)
{
    put("bookwelld.conf",
        "database = { url = \"env:BW_T_DB\"; connect_timeout = 7; };\n"
        "admin = { token = \"env:BW_T_TOKEN\"; };\n"
        "http = { max_body = 4096; request_timeout = 90; };\n"
        "jobs = { lease = 45; };\n");
    struct host_config c = { 0 };
    cr_assert_eq(load(&c), 0, "%s", all_errors());
    cr_assert_eq(c.db_connect_timeout_ms, 7000);
    cr_assert_eq(c.http_max_body, 4096);
    cr_assert_eq(c.http_request_timeout_ms, 90000);
    cr_assert_eq(c.jobs_lease_ms, 45000);
    config_free(&c);
}

Test(config, files_that_are_not_dot_conf_are_ignored)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", glow_tenant);
    put("tenants/README", "this is not libconfig {{{\n");
    put("tenants/glow.conf.bak", "tenant = { broken\n");
    put("tenants/other.conf~", "tenant = { broken\n");
    put("tenants/.hidden.conf", "tenant = { broken\n");
    put("tenants/.conf", "tenant = { broken\n");
    struct host_config c = { 0 };
    cr_assert_eq(load(&c), 0, "%s", all_errors());
    cr_assert_eq(c.n_tenants, 1);
    cr_assert_str_eq(c.tenants[0].id, "glow");
    config_free(&c);
}

/* ------------------------------------------------------------ bad files */

Test(config, syntax_error_names_file_and_line)
{
    put("bookwelld.conf",
        "database = { url = \"env:BW_T_DB\"; };\n"
        "admin = { token = \"env:BW_T_TOKEN\"; };\n"
        "http = { max_body = = \"1m\"; };\n");
    expect_error("bookwelld.conf", 3, "syntax error");
}

Test(config, syntax_error_in_a_tenant_file_names_that_file)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", "tenant = {\n  id = \"glow\";\n  name = ;\n};\n");
    expect_error("tenants/glow.conf", 3, "syntax error");
}

Test(config, missing_global_file_is_an_error)
{
    cr_assert_eq(load(NULL), -1);
    cr_assert(has_error("bookwelld.conf: cannot read", NULL), "%s", all_errors());
}

Test(config, duplicate_setting_is_an_error)
{
    global_with("log = { level = \"info\"; level = \"warn\"; };\n");
    expect_error("bookwelld.conf", 3, "duplicate");
}

Test(config, unknown_global_keys_name_file_and_line)
{
    global_with("listen = {\n  pubic = \"0.0.0.0:80\";\n};\nfrobnicate = 1;\n");
    expect_error("bookwelld.conf", 4, "unknown key 'pubic'");
    cr_assert(has_error("bookwelld.conf:6: ", "unknown key 'frobnicate'"), "%s", all_errors());
}

Test(config, unknown_key_in_nested_group_is_reported)
{
    global_with("http = { limits = { max = 1; }; };\n");
    expect_error("bookwelld.conf", 3, "unknown key 'limits'");
}

Test(config, unknown_tenant_key_names_file_and_line)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf",
        "tenant = {\n  id = \"glow\";\n  name = \"Glow\";\n  colour = \"pink\";\n"
        "  timezone = \"America/Los_Angeles\";\n};\n");
    expect_error("tenants/glow.conf", 4, "unknown key 'colour'");
}

Test(config, unknown_top_level_key_in_tenant_file)
{
    put("bookwelld.conf", minimal_global);
    char text[512];
    snprintf(text, sizeof text, "%splugin = { emr = \"boulevard\"; };\n", glow_tenant);
    put("tenants/glow.conf", text);
    expect_error("tenants/glow.conf", 6, "unknown key 'plugin'");
}

Test(config, string_key_given_a_number)
{
    global_with("listen = { public = 8080; };\n");
    expect_error("bookwelld.conf", 3, "'public' must be a string");
}

Test(config, int_key_given_a_string_or_float)
{
    put("bookwelld.conf",
        "database = { url = \"env:BW_T_DB\";\n  pool_size = \"8\"; };\n"
        "admin = { token = \"env:BW_T_TOKEN\"; };\n"
        "jobs = { workers = 2.5; };\n");
    expect_error("bookwelld.conf", 2, "'pool_size' must be an integer");
    cr_assert(has_error("bookwelld.conf:4: ", "'workers' must be an integer"), "%s", all_errors());
}

Test(config, duration_key_given_nonsense)
{
    global_with("jobs = {\n  lease = \"30 seconds\";\n  poll_interval = true;\n  backoff_max = \"-5s\";\n};\n");
    expect_error("bookwelld.conf", 4, "'lease' must be a duration");
    cr_assert(has_error("bookwelld.conf:5: ", "'poll_interval' must be a duration"), "%s", all_errors());
    cr_assert(has_error("bookwelld.conf:6: ", "'backoff_max' must be a duration"), "%s", all_errors());
}

Test(config, size_key_given_nonsense)
{
    global_with("http = {\n  max_body = \"1 MB\";\n};\n");
    expect_error("bookwelld.conf", 4, "'max_body' must be a size");
}

Test(config, group_key_given_a_scalar)
{
    global_with("http = 5;\n");
    expect_error("bookwelld.conf", 3, "'http' must be a group");
}

Test(config, values_out_of_range)
{
    global_with("jobs = {\n  workers = 0;\n  max_attempts = 100000;\n  lease = \"1ms\";\n};\n"
                "http = {\n  max_body = 100;\n};\n");
    expect_error("bookwelld.conf", 4, "'workers' must be between 1 and 256");
    cr_assert(has_error("bookwelld.conf:5: ", "'max_attempts' must be between 1 and 1000"), "%s",
              all_errors());
    cr_assert(has_error("bookwelld.conf:6: ", "'lease' must be between"), "%s", all_errors());
    cr_assert(has_error("bookwelld.conf:9: ", "'max_body' must be between"), "%s", all_errors());
}

Test(config, bad_log_level)
{
    global_with("log = {\n  level = \"verbose\";\n};\n");
    expect_error("bookwelld.conf", 4, "'level' must be one of debug, info, warn, error");
}

Test(config, missing_required_key_names_its_group)
{
    put("bookwelld.conf",
        "admin = { token = \"env:BW_T_TOKEN\"; };\n"
        "database = {\n  pool_size = 4;\n};\n");
    expect_error("bookwelld.conf", 2, "missing required key 'url'");
}

Test(config, missing_required_group)
{
    put("bookwelld.conf", "database = { url = \"env:BW_T_DB\"; };\n");
    cr_assert_eq(load(NULL), -1);
    cr_assert(has_error("bookwelld.conf: missing required group 'admin'", NULL), "%s", all_errors());
}

Test(config, missing_required_tenant_key)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", "\ntenant = {\n  id = \"glow\";\n  timezone = \"America/Los_Angeles\";\n};\n");
    expect_error("tenants/glow.conf", 2, "missing required key 'name'");
}

Test(config, tenant_file_without_tenant_group)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", "# nothing here\n");
    cr_assert_eq(load(NULL), -1);
    cr_assert(has_error("tenants/glow.conf: missing required group 'tenant'", NULL), "%s", all_errors());
}

/* ------------------------------------------------------------ secrets */

Test(config, literal_secret_is_refused_without_echoing_it)
{
    put("bookwelld.conf",
        "database = {\n  url = \"host=db.internal password=hunter2\";\n};\n"
        "admin = {\n  token = \"plain-token-literal\";\n};\n");
    expect_error("bookwelld.conf", 2, "must be references");
    cr_assert(has_error("bookwelld.conf:5: ", "must be references"), "%s", all_errors());
    cr_assert_null(strstr(all_errors(), "hunter2"), "the literal must not be echoed");
    cr_assert_null(strstr(all_errors(), "plain-token-literal"));
}

Test(config, secret_given_a_number)
{
    put("bookwelld.conf",
        "database = { url = \"env:BW_T_DB\"; };\nadmin = {\n  token = 42;\n};\n");
    expect_error("bookwelld.conf", 3, "'token' must be a secret reference");
}

Test(config, env_secret_unset_or_empty)
{
    unsetenv("BW_T_DB");
    setenv("BW_T_TOKEN", "", 1);
    put("bookwelld.conf", minimal_global);
    expect_error("bookwelld.conf", 1, "environment variable BW_T_DB is not set");
    cr_assert(has_error("bookwelld.conf:2: ", "environment variable BW_T_TOKEN is not set"), "%s",
              all_errors());
}

Test(config, env_secret_without_a_name)
{
    put("bookwelld.conf",
        "database = { url = \"env:\"; };\nadmin = { token = \"env:BW_T_TOKEN\"; };\n");
    expect_error("bookwelld.conf", 1, "empty environment variable name");
}

Test(config, file_secret_missing)
{
    char text[512];
    snprintf(text, sizeof text,
             "database = { url = \"env:BW_T_DB\"; };\nadmin = { token = \"file:%s/nope\"; };\n", dir);
    put("bookwelld.conf", text);
    expect_error("bookwelld.conf", 2, "cannot read secret file");
}

Test(config, file_secret_empty_or_only_a_newline)
{
    put("empty", "");
    put("newline", "\n\r\n");
    char text[512];
    snprintf(text, sizeof text,
             "database = { url = \"file:%s/empty\"; };\nadmin = { token = \"file:%s/newline\"; };\n",
             dir, dir);
    put("bookwelld.conf", text);
    expect_error("bookwelld.conf", 1, "is empty");
    cr_assert(has_error("bookwelld.conf:2: ", "is empty"), "%s", all_errors());
}

Test(config, file_secret_resolves_and_keeps_inner_content)
{
    put("db.url", "host=/tmp port=5432\r\n");
    put("token", "line-one\nline-two\n\n");
    char text[512];
    snprintf(text, sizeof text,
             "database = { url = \"file:%s/db.url\"; };\nadmin = { token = \"file:%s/token\"; };\n",
             dir, dir);
    put("bookwelld.conf", text);
    struct host_config c = { 0 };
    cr_assert_eq(load(&c), 0, "%s", all_errors());
    cr_assert_str_eq(c.db_url, "host=/tmp port=5432");
    cr_assert_str_eq(c.admin_token, "line-one\nline-two");
    config_free(&c);
}

Test(config, secret_resolution_directly)
{
    char *out = NULL, why[200];
    setenv("BW_T_SECRET", "v@lue", 1);
    cr_assert_eq(confmap_resolve_secret("env:BW_T_SECRET", &out, why, sizeof why), 0);
    cr_assert_str_eq(out, "v@lue");
    free(out);
    cr_assert_eq(confmap_resolve_secret("ENV:BW_T_SECRET", &out, why, sizeof why), -1);
    cr_assert_null(out);
    cr_assert_eq(confmap_resolve_secret("v@lue", &out, why, sizeof why), -1);
    cr_assert_null(strstr(why, "v@lue"));
    cr_assert_eq(confmap_resolve_secret("file:", &out, why, sizeof why), -1);
}

/* ------------------------------------------------------------ tenants */

Test(config, bad_tenant_id)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/Glow_1.conf",
        "tenant = { id = \"Glow_1\"; name = \"G\"; timezone = \"America/Los_Angeles\"; };\n");
    expect_error("tenants/Glow_1.conf", 1, "tenant id 'Glow_1' must be 1-63 of [a-z0-9-]");
    cr_assert(config_tenant_id_valid("glow-2"));
    cr_assert_not(config_tenant_id_valid("-glow"));
    cr_assert_not(config_tenant_id_valid(""));
    cr_assert_not(config_tenant_id_valid("a/b"));
    cr_assert_not(config_tenant_id_valid("_host"), "the host's own tenant id is reserved");
    char long_id[80];
    memset(long_id, 'a', 64);
    long_id[64] = '\0';
    cr_assert_not(config_tenant_id_valid(long_id));
    long_id[63] = '\0';
    cr_assert(config_tenant_id_valid(long_id));
}

Test(config, tenant_id_must_match_file_name)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/other.conf",
        "\ntenant = { id = \"glowing\"; name = \"G\"; timezone = \"America/Los_Angeles\"; };\n");
    expect_error("tenants/other.conf", 2, "tenant id 'glowing' must match the file name 'other.conf'");
}

Test(config, duplicate_tenant_id_across_files)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", glow_tenant);
    put("tenants/glow-copy.conf", glow_tenant);
    expect_error("tenants/glow-copy.conf", 2, "tenant id 'glow' is already defined in");
    cr_assert(has_error("tenants/glow-copy.conf:2: ", "tenants/glow.conf"), "%s", all_errors());
}

Test(config, unknown_time_zone)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf",
        "tenant = { id = \"glow\"; name = \"G\";\n  timezone = \"Mars/Olympus_Mons\"; };\n");
    expect_error("tenants/glow.conf", 2, "unknown time zone 'Mars/Olympus_Mons'");
}

Test(config, empty_time_zone)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", "tenant = { id = \"glow\"; name = \"G\"; timezone = \"\"; };\n");
    expect_error("tenants/glow.conf", 1, "unknown time zone ''");
}

Test(config, bad_country)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf",
        "tenant = { id = \"glow\"; name = \"G\"; timezone = \"America/Los_Angeles\";\n"
        "  country = \"USA\"; };\n");
    expect_error("tenants/glow.conf", 2, "country 'USA' must be an ISO 3166 code");
    put("tenants/glow.conf",
        "tenant = { id = \"glow\"; name = \"G\"; timezone = \"America/Los_Angeles\";\n"
        "  country = \"us\"; };\n");
    expect_error("tenants/glow.conf", 2, "country 'us' must be an ISO 3166 code");
}

Test(config, every_problem_in_every_file_is_reported_at_once)
{
    global_with("jobs = { workers = 0; };\n");
    put("tenants/a.conf", "tenant = { id = \"a\"; name = \"A\"; timezone = \"Nowhere/Land\"; };\n");
    put("tenants/b.conf", "tenant = { id = \"b\"; name = \"B\"; timezone = \"UTC\"; extra = 1; };\n");
    cr_assert_eq(load(NULL), -1);
    cr_assert(has_error("bookwelld.conf:3: ", "'workers'"), "%s", all_errors());
    cr_assert(has_error("tenants/a.conf:1: ", "unknown time zone"), "%s", all_errors());
    cr_assert(has_error("tenants/b.conf:1: ", "unknown key 'extra'"), "%s", all_errors());
}

/* ------------------------------------------------------------ confmap directly */

struct sample {
    char *s;
    int64_t i;
    bool b;
    int64_t d;
    int64_t z;
};

#define S(f) offsetof(struct sample, f)
static const struct confmap_entry sample_map[] = {
    { "s", CONFMAP_STRING, false, "dflt", S(s), 0, 0, NULL },
    { "i", CONFMAP_INT, false, "3", S(i), -5, 5, NULL },
    { "b", CONFMAP_BOOL, false, "true", S(b), 0, 0, NULL },
    { "d", CONFMAP_DURATION, false, "1m", S(d), 0, 0, NULL },
    { "z", CONFMAP_SIZE, false, "2k", S(z), 0, 0, NULL },
    { NULL, 0, 0, NULL, 0, 0, 0, NULL },
};
#undef S

static int apply_text(const char *text, struct sample *out, struct confmap_errors *e)
{
    config_t cf;
    config_init(&cf);
    cr_assert_eq(config_read_string(&cf, text), CONFIG_TRUE, "%s", config_error_text(&cf));
    memset(e, 0, sizeof *e);
    int n = confmap_apply(sample_map, config_root_setting(&cf), "sample.conf", out, e);
    config_destroy(&cf);
    return n;
}

Test(confmap, defaults_and_values_of_every_type)
{
    struct sample v = { 0 };
    struct confmap_errors e;
    cr_assert_eq(apply_text("", &v, &e), 0);
    cr_assert_str_eq(v.s, "dflt");
    cr_assert_eq(v.i, 3);
    cr_assert(v.b);
    cr_assert_eq(v.d, 60000);
    cr_assert_eq(v.z, 2048);
    cr_assert_eq(apply_text("s = \"x\"; i = -5; b = false; d = \"2h\"; z = \"3M\";", &v, &e), 0);
    cr_assert_str_eq(v.s, "x");
    cr_assert_eq(v.i, -5);
    cr_assert_not(v.b);
    cr_assert_eq(v.d, 7200000);
    cr_assert_eq(v.z, 3 * 1048576);
    confmap_free(sample_map, &v);
    cr_assert_null(v.s);
}

Test(confmap, bool_given_other_types)
{
    struct sample v = { 0 };
    struct confmap_errors e;
    cr_assert_eq(apply_text("b = \"true\";", &v, &e), 1);
    cr_assert(strstr(e.lines[0], "sample.conf:1: 'b' must be a boolean") != NULL, "%s", e.lines[0]);
    cr_assert_eq(apply_text("\nb = 1;", &v, &e), 1);
    cr_assert(strstr(e.lines[0], "sample.conf:2: 'b' must be a boolean") != NULL, "%s", e.lines[0]);
    confmap_free(sample_map, &v);
}

Test(confmap, every_type_rejects_the_wrong_kind_of_value)
{
    struct sample v = { 0 };
    struct confmap_errors e;
    cr_assert_eq(apply_text("s = true;\ni = \"1\";\nb = 0.5;\nd = [1];\nz = { a = 1; };", &v, &e), 5);
    cr_assert(strstr(e.lines[0], ":1: 's' must be a string"), "%s", e.lines[0]);
    cr_assert(strstr(e.lines[1], ":2: 'i' must be an integer"), "%s", e.lines[1]);
    cr_assert(strstr(e.lines[2], ":3: 'b' must be a boolean"), "%s", e.lines[2]);
    cr_assert(strstr(e.lines[3], ":4: 'd' must be a duration"), "%s", e.lines[3]);
    cr_assert(strstr(e.lines[4], ":5: 'z' must be a size"), "%s", e.lines[4]);
    confmap_free(sample_map, &v);
}

Test(confmap, integer_range_and_overflow)
{
    struct sample v = { 0 };
    struct confmap_errors e;
    cr_assert_eq(apply_text("i = 6;", &v, &e), 1);
    cr_assert(strstr(e.lines[0], "'i' must be between -5 and 5"), "%s", e.lines[0]);
    cr_assert_eq(apply_text("d = \"99999999999999999999s\";", &v, &e), 1);
    cr_assert_eq(apply_text("z = \"9223372036854775807G\";", &v, &e), 1);
    cr_assert_eq(apply_text("d = 9223372036854775807L;", &v, &e), 1, "seconds overflow milliseconds");
    confmap_free(sample_map, &v);
}

Test(confmap, duration_and_size_parsers)
{
    int64_t v;
    cr_assert_eq(confmap_parse_duration_ms("250ms", &v), 0);
    cr_assert_eq(v, 250);
    cr_assert_eq(confmap_parse_duration_ms("3d", &v), 0);
    cr_assert_eq(v, 3 * 86400000LL);
    cr_assert_eq(confmap_parse_duration_ms("5", &v), -1, "a bare string needs a unit");
    cr_assert_eq(confmap_parse_duration_ms("5 s", &v), -1);
    cr_assert_eq(confmap_parse_duration_ms("1.5s", &v), -1);
    cr_assert_eq(confmap_parse_duration_ms("", &v), -1);
    cr_assert_eq(confmap_parse_size("512", &v), 0);
    cr_assert_eq(v, 512);
    cr_assert_eq(confmap_parse_size("1g", &v), 0);
    cr_assert_eq(v, 1073741824);
    cr_assert_eq(confmap_parse_size("1kb", &v), -1);
    cr_assert_eq(confmap_parse_size("-1", &v), -1);
}

/* ------------------------------------------------------------ bookwelld --check-config */

struct run {
    int status;
    char out[4096];
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

static void check_config(const char *arg, struct run *r)
{
    char bin[512], out[128], err[128];
    const char *b = getenv("BW_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/bookwelld", b ? b : ".");
    snprintf(out, sizeof out, "%s.out", dir);
    snprintf(err, sizeof err, "%s.err", dir);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        if (arg)
            execl(bin, bin, "--check-config", arg, (char *)NULL);
        else
            execl(bin, bin, "--check-config", (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &r->status, 0), pid);
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
    unlink(out);
    unlink(err);
    cr_assert(WIFEXITED(r->status), "bookwelld did not exit normally");
    cr_assert_neq(WEXITSTATUS(r->status), 127, "cannot run %s", bin);
}

TestSuite(check_config, .init = make_dir, .fini = remove_dir);

Test(check_config, good_directory_exits_zero)
{
    put("bookwelld.conf", minimal_global);
    put("tenants/glow.conf", glow_tenant);
    struct run r;
    check_config(dir, &r);
    cr_assert_eq(WEXITSTATUS(r.status), 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "configuration OK: 1 tenant(s)") != NULL, "stdout: %s", r.out);
    cr_assert_str_eq(r.err, "");
}

Test(check_config, bad_directory_prints_file_line_errors_and_exits_one)
{
    global_with("jobs = {\n  workers = \"many\";\n};\n");
    put("tenants/glow.conf",
        "tenant = {\n  id = \"glow\";\n  name = \"G\";\n  timezone = \"Mars/Base\";\n};\n");
    struct run r;
    check_config(dir, &r);
    cr_assert_eq(WEXITSTATUS(r.status), 1, "stdout: %s\nstderr: %s", r.out, r.err);
    cr_assert_null(strstr(r.out, "configuration OK"));
    char want[256];
    snprintf(want, sizeof want, "%s/bookwelld.conf:4: 'workers' must be an integer\n", dir);
    cr_assert(strstr(r.err, want) != NULL, "stderr: %s", r.err);
    snprintf(want, sizeof want, "%s/tenants/glow.conf:4: unknown time zone 'Mars/Base'", dir);
    cr_assert(strstr(r.err, want) != NULL, "stderr: %s", r.err);
    /* Every line of stderr has the file:line: form. */
    for (char *line = r.err; *line;) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        char file[256];
        int ln = -1, used = 0;
        cr_assert(sscanf(line, "%255[^:]:%d: %n", file, &ln, &used) == 2 && used > 0 && ln > 0,
                  "not a file:line: line: %s", line);
        line = nl + 1;
    }
}

Test(check_config, opens_no_database_and_binds_no_port)
{
    /* A port already in use: binding it would fail. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s, 1), 0);
    cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    unsigned port = ntohs(a.sin_port);

    /* A database that does not answer (TEST-NET-1 address, long timeout). */
    setenv("BW_T_DB", "host=192.0.2.1 port=5432 dbname=nothing connect_timeout=30", 1);
    char text[512];
    snprintf(text, sizeof text,
             "listen = { public = \"127.0.0.1:%u\"; admin = \"127.0.0.1:%u\"; };\n%s", port, port,
             minimal_global);
    put("bookwelld.conf", text);
    struct run r;
    int64_t t0 = clock_mono_ms();
    check_config(dir, &r);
    int64_t took = clock_mono_ms() - t0;
    close(s);
    cr_assert_eq(WEXITSTATUS(r.status), 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "configuration OK: 0 tenant(s)") != NULL, "stdout: %s", r.out);
    cr_assert_lt(took, 10000, "took %lld ms: it tried to connect", (long long)took);
}

Test(check_config, missing_argument_is_a_usage_error)
{
    struct run r;
    check_config(NULL, &r);
    cr_assert_eq(WEXITSTATUS(r.status), 2);
}

Test(check_config, missing_directory_exits_one)
{
    char nowhere[128];
    snprintf(nowhere, sizeof nowhere, "%s/does-not-exist", dir);
    struct run r;
    check_config(nowhere, &r);
    cr_assert_eq(WEXITSTATUS(r.status), 1);
    cr_assert(strstr(r.err, "does-not-exist/bookwelld.conf") != NULL, "stderr: %s", r.err);
}
