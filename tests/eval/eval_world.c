/*
 * The evaluation world's processes: a fresh database per case, the
 * simulators (Twilio, Square, Instagram when a patient of the case is on
 * Instagram, and the EMR's when the EMR under test is not the built-in
 * calendar), and bookwelld --test-clock started at the case's "now" with a
 * tenant for the clinic bound to the plugins under test (the web chat
 * widget too when a patient is on web chat); the clinic imported into the
 * catalog and the EMR. Also the small requests the other parts share: the
 * clock, idleness, EMR calls, the state route, and what reached the
 * patients on every channel.
 */
#include "eval/eval_world_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "eval/eval_http.h"
#include "eval/eval_json.h"
#include "support/daemon_proc.h"
#include "support/testdb.h"
#include "tz.h"

int eval_world_patient_index(const struct eval_world *w, const struct eval_patient_def *p)
{
    for (size_t i = 0; i < w->c->n_patients; i++)
        if (&w->c->patients[i] == p)
            return (int)i;
    return -1;
}

/* A free loopback port (bound, read, closed: the daemon binds it next). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

/* The case's "now" (clinic wall time) as an RFC 3339 UTC instant. */
static int case_start_utc(const struct eval_world *w, char out[32])
{
    struct tz_local l = { 0 };
    int64_t us;
    if (sscanf(w->c->now, "%d-%d-%dT%d:%d:%d", &l.year, &l.month, &l.day, &l.hour, &l.minute,
               &l.second) < 5 ||
        tz_from_local(w->timezone, &l, TZ_REPEATED_FIRST, &us) != 0)
        return -1;
    clock_format_utc(us, out);
    return 0;
}

/* A "#@key value" line of tests/eval/emr/<name>.conf into out ("" when
 * absent): "#@plugin ID" names the plugin when it is not emr.<name>,
 * "#@simulator NAME" the simulator (tests/sim/NAME_sim.py; "none": no
 * simulator) when it is not <name>. */
static void emr_directive(const struct eval_world *w, const char *key, char *out, size_t cap)
{
    char path[512], line[256];
    size_t kl = strlen(key);
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/tests/eval/emr/%s.conf", w->o.srcdir, w->o.emr);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "#@", 2) == 0 && strncmp(line + 2, key, kl) == 0 && line[2 + kl] == ' ') {
            snprintf(out, cap, "%s", line + 3 + kl);
            out[strcspn(out, " \r\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
}

/* The EMR plugin's entry: its configuration group comes from
 * tests/eval/emr/<name>.conf in the checkout, where @BASE_URL@ stands for
 * the simulator's address, @SRCDIR@ for the checkout (secret files;
 * credentials there match the simulator's defaults) and @CLINIC@ for the
 * clinic file. */
static int emr_sim_entry(struct eval_world *w, char *out, size_t out_cap, char *err, size_t cap)
{
    char path[512], body[4096];
    snprintf(path, sizeof path, "%s/tests/eval/emr/%s.conf", w->o.srcdir, w->o.emr);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "no configuration for --emr %s (%s)", w->o.emr, path);
        return -1;
    }
    size_t n = fread(body, 1, sizeof body - 1, f);
    bool whole = feof(f);
    fclose(f);
    if (!whole) {
        snprintf(err, cap, "%s is too long", path);
        return -1;
    }
    body[n] = '\0';
    const char *base = w->have_emr_sim ? w->emr_sim.base_url : "";
    size_t used = (size_t)snprintf(out, out_cap, "  { plugin = \"%s\"; %s%s%sconfig = {\n", w->emr_plugin,
                                   base[0] ? "base_url = \"" : "", base, base[0] ? "\"; " : "");
    for (const char *p = body; *p && used < out_cap;) {
        const char *mark = strchr(p, '@'), *with = "@";
        size_t skip = 1;
        if (mark && strncmp(mark, "@BASE_URL@", 10) == 0) {
            with = base;
            skip = 10;
        } else if (mark && strncmp(mark, "@CLINIC@", 8) == 0) {
            with = w->o.clinic_path;
            skip = 8;
        } else if (mark && strncmp(mark, "@SRCDIR@", 8) == 0) {
            with = w->o.srcdir;
            skip = 8;
        }
        size_t plain = mark ? (size_t)(mark - p) : strlen(p);
        used += (size_t)snprintf(out + used, out_cap - used, "%.*s%s", (int)plain, p,
                                 mark ? with : "");
        p += plain + (mark ? skip : 0);
    }
    if (used < out_cap)
        used += (size_t)snprintf(out + used, out_cap - used, "  }; }");
    if (used >= out_cap) {
        snprintf(err, cap, "%s makes too long a plugin entry", path);
        return -1;
    }
    return 0;
}

/* The channel bindings other than Twilio's, for the channels the case's
 * patients use: Instagram pointed at its simulator (the runner's own
 * account id and app secret), the web chat widget under the runner's own
 * key (rate limits wide enough for any script: the business clock that
 * refills them stands still between steps). */
static void other_channels(const struct eval_world *w, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    if (w->have_instagram)
        n += (size_t)snprintf(
            out, cap,
            "  { plugin = \"channel.instagram\"; base_url = \"%s\"; config = {\n"
            "      app_secret = \"file:%s/ig_app_secret\"; verify_token = \"file:%s/ig_verify_token\";\n"
            "      access_token = \"file:%s/ig_access_token\"; account_ids = [ \"%s\" ]; }; },\n",
            w->instagram.base_url, w->dir, w->dir, w->dir, EVAL_IG_ACCOUNT);
    if (w->have_webchat && n < cap)
        snprintf(out + n, cap - n,
                 "  { plugin = \"channel.webchat\"; config = {\n"
                 "      widget_key = \"%s\"; token_secret = \"file:%s/webchat_secret\";\n"
                 "      clinic_name = \"%s\"; allowed_origins = [ \"*\" ]; token_ttl = \"720h\";\n"
                 "      visitor_burst = 1000; ip_burst = 100000; }; },\n",
                 w->widget_key, w->dir,
                 eval_str_of(w->o.clinic, "name") ? eval_str_of(w->o.clinic, "name") : w->tenant);
}

/* The tenant file: the clinic's plugins pointed at the simulators. */
static int write_tenant(struct eval_world *w, char *err, size_t cap)
{
    char text[16384], emr[6144], channels[2048], ai[1024] = "";
    const char *country = eval_str_of(w->o.clinic, "country");
    if (!w->have_emr_conf) {
        snprintf(emr, sizeof emr,
                 "  { plugin = \"emr.local\"; config = { clinic_file = \"%s\"; }; }",
                 w->o.clinic_path);
    } else if (emr_sim_entry(w, emr, sizeof emr, err, cap) != 0) {
        return -1;
    }
    other_channels(w, channels, sizeof channels);
    char messaging[512] = "";
    if (w->o.staff_phone || w->o.state_rules)
        snprintf(messaging, sizeof messaging, "messaging = { %s%s%s%s%s%s};\n",
                 w->o.staff_phone ? "staff_phone = \"" : "",
                 w->o.staff_phone ? w->o.staff_phone : "", w->o.staff_phone ? "\"; " : "",
                 w->o.state_rules ? "state_rules = \"" : "",
                 w->o.state_rules ? w->o.state_rules : "", w->o.state_rules ? "\"; " : "");
    if (w->o.ai_url)
        snprintf(ai, sizeof ai,
                 "  { plugin = \"ai.openai\"; config = {\n"
                 "      base_url = \"%s\"; model = \"%s\";%s%s%s%s%s%s baa = %s; }; },\n",
                 w->o.ai_url, w->o.ai_model ? w->o.ai_model : "gpt-4o-mini",
                 w->o.ai_key_env ? " api_key = \"env:" : "", w->o.ai_key_env ? w->o.ai_key_env : "",
                 w->o.ai_key_env ? "\";" : "", w->o.ai_timeout ? " timeout = \"" : "",
                 w->o.ai_timeout ? w->o.ai_timeout : "", w->o.ai_timeout ? "\";" : "",
                 w->o.ai_baa ? "true" : "false");
    int n = snprintf(
        text, sizeof text,
        "tenant = { id = \"%s\"; name = \"%s\"; timezone = \"%s\"; country = \"%s\";%s };\n"
        "plugins = (\n"
        "%s"
        "  { plugin = \"channel.twilio\"; base_url = \"%s\"; config = {\n"
        "      account_sid = \"%s\"; auth_token = \"file:%s/twilio_token\";\n"
        "      numbers = [ \"%s\" ]; forward_number = \"%s\";\n"
        "      public_base_url = \"%s\"; api_base_url = \"%s\"; send_rate = 100; send_burst = 100; }; },\n"
        "  { plugin = \"payment.square\"; base_url = \"%s\"; config = {\n"
        "      access_token = \"file:%s/square_token\"; signature_key = \"file:%s/square_key\";\n"
        "      location_id = \"%s\"; merchant_id = \"%s\"; api_base = \"%s\";\n"
        "      notification_url = \"%s/webhooks/square/payments\"; }; },\n"
        "%s"
        "%s\n"
        ");\n"
        "%s",
        w->tenant, eval_str_of(w->o.clinic, "name") ? eval_str_of(w->o.clinic, "name") : w->tenant,
        w->timezone, country ? country : "US", w->o.covered_entity ? " covered_entity = true;" : "", ai,
        w->twilio.base_url, EVAL_TWILIO_ACCOUNT, w->dir,
        w->clinic_phone, EVAL_FORWARD_NUMBER, w->public_url, w->twilio.base_url,
        w->square.base_url, w->dir, w->dir, EVAL_SQUARE_LOCATION, EVAL_SQUARE_MERCHANT,
        w->square.base_url, w->public_url, channels, emr, messaging);
    char name[128];
    snprintf(name, sizeof name, "tenants/%s.conf", w->tenant);
    if (n < 0 || (size_t)n >= sizeof text || write_text(w->dir, name, text) != 0 ||
        write_text(w->dir, "twilio_token", EVAL_TWILIO_TOKEN) != 0 ||
        write_text(w->dir, "square_token", EVAL_SQUARE_TOKEN) != 0 ||
        write_text(w->dir, "square_key", EVAL_SQUARE_SIGNATURE_KEY) != 0 ||
        write_text(w->dir, "ig_app_secret", EVAL_IG_APP_SECRET) != 0 ||
        write_text(w->dir, "ig_verify_token", EVAL_IG_VERIFY_TOKEN) != 0 ||
        write_text(w->dir, "ig_access_token", EVAL_IG_ACCESS_TOKEN) != 0 ||
        write_text(w->dir, "webchat_secret", EVAL_WEBCHAT_SECRET) != 0) {
        snprintf(err, cap, "cannot write the tenant configuration");
        return -1;
    }
    return 0;
}

/* 0 ready, -2 the daemon exited before it was ready (a port taken, say),
 * -1 anything else. */
static int start_daemon(struct eval_world *w, char *err, size_t cap)
{
    char conf[2048], ready[320], bin[512], start[32], clockarg[64], path[400];
    w->public_port = free_port();
    w->admin_port = free_port();
    snprintf(w->public_url, sizeof w->public_url, "http://127.0.0.1:%u", w->public_port);
    snprintf(w->admin_url, sizeof w->admin_url, "http://127.0.0.1:%u", w->admin_port);
    snprintf(path, sizeof path, "%s/tenants", w->dir);
    mkdir(path, 0755);
    snprintf(conf, sizeof conf,
             "listen = { public = \"127.0.0.1:%u\"; admin = \"127.0.0.1:%u\"; };\n"
             "database = { url = \"env:BOOKWELL_DATABASE_URL\"; pool_size = 6; };\n"
             "admin = { token = \"env:BOOKWELL_ADMIN_TOKEN\"; };\n"
             "log = { level = \"info\"; };\n"
             "plugins = { dir = \"%s/plugins\"; };\n",
             w->public_port, w->admin_port, w->o.builddir);
    if (write_text(w->dir, "bookwelld.conf", conf) != 0 || write_tenant(w, err, cap) != 0)
        return -1;
    if (case_start_utc(w, start) != 0) {
        snprintf(err, cap, "now %s is not a wall time in %s", w->c->now, w->timezone);
        return -1;
    }
    snprintf(ready, sizeof ready, "%s/ready.json", w->dir);
    snprintf(bin, sizeof bin, "%s/bookwelld", w->o.builddir);
    snprintf(clockarg, sizeof clockarg, "--test-clock=%s", start);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(w->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("BOOKWELL_DATABASE_URL", w->db, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        execl(bin, bin, "--config", w->dir, "--ready-file", ready, clockarg, (char *)NULL);
        _exit(127);
    }
    w->daemon = pid;
    for (int i = 0; i < 3000; i++) {
        if (access(ready, R_OK) == 0)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            w->daemon = 0;
            snprintf(err, cap, "bookwelld exited before it was ready (log: %s)", w->log_path);
            return -2;
        }
        usleep(10000);
    }
    snprintf(err, cap, "bookwelld was not ready within 30 s (log: %s)", w->log_path);
    return -1;
}

static const char *admin_auth = "Authorization: Bearer " TEST_ADMIN_TOKEN;

/* POST/GET on the admin listener with the operator token. */
static int admin(struct eval_world *w, const char *method, const char *path, const cJSON *body,
                 cJSON **json, long *status)
{
    char url[512];
    const char *h[] = { admin_auth, NULL };
    struct eval_resp r;
    snprintf(url, sizeof url, "%s%s", w->admin_url, path);
    int rc = eval_http_json(method, url, h, body, &r, json);
    if (status)
        *status = r.status;
    eval_resp_free(&r);
    return rc;
}

static int import_clinic(struct eval_world *w, char *err, size_t cap)
{
    char path[256];
    long status = 0;
    cJSON *answer = NULL;
    snprintf(path, sizeof path, "/admin/tenants/%s/catalog", w->tenant);
    int rc = admin(w, "POST", path, w->o.clinic, &answer, &status);
    if (rc != 0 || status != 200) {
        const char *msg = answer ? eval_str_of(answer, "message") : NULL;
        snprintf(err, cap, "importing the clinic: HTTP %ld %s", status, msg ? msg : "");
        cJSON_Delete(answer);
        return -1;
    }
    cJSON_Delete(answer);
    return 0;
}

int eval_world_start(struct eval_world **out, const struct eval_world_opts *o,
                     const struct eval_case *c, char *err, size_t cap)
{
    struct eval_world *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    w->o = *o;
    w->c = c;
    w->tenant = eval_str_of(o->clinic, "id");
    w->timezone = eval_str_of(o->clinic, "timezone");
    w->clinic_phone = eval_str_of(o->clinic, "phone");
    w->transcript = cJSON_CreateArray();
    w->seen = cJSON_CreateArray();
    snprintf(w->widget_key, sizeof w->widget_key, "%s-widget", w->tenant ? w->tenant : "eval");
    for (size_t i = 0; i < c->n_patients; i++) {
        const struct eval_patient_def *p = &c->patients[i];
        if (strcmp(p->channel, "sms") == 0)
            snprintf(w->run[i].address, sizeof w->run[i].address, "%s", p->phone);
        if (strcmp(p->channel, "instagram") == 0) {
            snprintf(w->run[i].address, sizeof w->run[i].address, "%s", p->ig_user);
            w->have_instagram = true;
        }
        if (strcmp(p->channel, "webchat") == 0)
            w->have_webchat = true; /* the address comes with the session */
    }
    if (!w->timezone || !w->clinic_phone) {
        snprintf(err, cap, "the clinic lacks timezone or phone");
        goto fail;
    }
    snprintf(w->dir, sizeof w->dir, "/tmp/bw-eval-XXXXXX");
    if (!mkdtemp(w->dir)) {
        snprintf(err, cap, "mkdtemp: %s", strerror(errno));
        goto fail;
    }
    snprintf(w->log_path, sizeof w->log_path, "%s/bookwelld.log", w->dir);
    setenv("BW_TEST_PG", o->conninfo, 1);
    setenv("BW_SRCDIR", o->srcdir, 1);
    w->db = testdb_create_empty();

    const char *twilio_args[] = { "--account", EVAL_TWILIO_ACCOUNT ":" EVAL_TWILIO_TOKEN, NULL };
    test_sim_start(&w->twilio, "twilio", twilio_args);
    const char *square_args[] = { "--access-token", EVAL_SQUARE_TOKEN, "--signature-key",
                                  EVAL_SQUARE_SIGNATURE_KEY, "--merchant-id", EVAL_SQUARE_MERCHANT,
                                  "--location-id", EVAL_SQUARE_LOCATION, NULL };
    test_sim_start(&w->square, "square", square_args);
    if (strcmp(o->emr, "local") != 0) {
        char sim[64];
        const char *emr_args[] = { "--clinic", o->clinic_path, NULL };
        w->have_emr_conf = true;
        emr_directive(w, "plugin", w->emr_plugin, sizeof w->emr_plugin);
        if (!w->emr_plugin[0])
            snprintf(w->emr_plugin, sizeof w->emr_plugin, "emr.%s", o->emr);
        emr_directive(w, "simulator", sim, sizeof sim);
        if (strcmp(sim, "none") != 0) {
            test_sim_start(&w->emr_sim, sim[0] ? sim : o->emr, emr_args);
            w->have_emr_sim = true;
        }
    }
    if (w->have_instagram) {
        const char *ig_args[] = { "--app-secret", EVAL_IG_APP_SECRET, "--verify-token",
                                  EVAL_IG_VERIFY_TOKEN, "--access-token", EVAL_IG_ACCESS_TOKEN,
                                  NULL };
        test_sim_start(&w->instagram, "instagram", ig_args);
    }
    /* The ports are picked free before the daemon binds them: another
     * process can take one meanwhile, and the daemon then exits at once
     * (a listener is never shared). Pick again. */
    int started = -2;
    for (int attempt = 0; attempt < 5 && started == -2; attempt++)
        started = start_daemon(w, err, cap);
    if (started != 0)
        goto fail;
    char url[256];
    struct eval_resp r;
    snprintf(url, sizeof url, "%s/_sim/config?notification_url=%s/webhooks/square/payments",
             w->square.base_url, w->public_url);
    eval_http("POST", url, NULL, "", 0, &r);
    eval_resp_free(&r);
    if (import_clinic(w, err, cap) != 0 || eval_world_wait_idle(w, err, cap) != 0)
        goto fail;
    cJSON *caps = NULL;
    if (eval_world_emr_call(w, "capabilities", NULL, &caps, err, cap) != 0)
        goto fail;
    w->emr_caps = cJSON_DetachItemFromObjectCaseSensitive(caps, "capabilities");
    cJSON_Delete(caps);
    int rc = 0;
    if (eval_world_emr_can(w, "appointment_list")) {
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "from", "2000-01-01T00:00:00Z");
        cJSON_AddStringToObject(q, "to", "2100-01-01T00:00:00Z");
        rc = eval_world_emr_call(w, "appointment_list", q, &w->emr_before, err, cap);
        cJSON_Delete(q);
    }
    if (rc != 0)
        goto fail;
    *out = w;
    return 0;
fail:
    eval_world_stop(w);
    return -1;
}

const char *eval_world_admin_url(const struct eval_world *w)
{
    return w->admin_url;
}

void eval_world_print_warnings(const struct eval_world *w, int max)
{
    FILE *f = fopen(w->log_path, "r");
    if (!f)
        return;
    char line[1024];
    char(*last)[1024] = calloc((size_t)max, sizeof *last);
    int n = 0;
    while (last && fgets(line, sizeof line, f))
        if (strstr(line, "\"level\":\"warn") || strstr(line, "\"level\":\"error"))
            snprintf(last[n++ % max], sizeof last[0], "%s", line);
    fclose(f);
    int first = n > max ? n - max : 0;
    for (int i = first; last && i < n; i++)
        fprintf(stderr, "bookwelld: %s", last[i % max]);
    free(last);
}

void eval_world_stop(struct eval_world *w)
{
    if (!w)
        return;
    if (w->daemon > 0) {
        kill(w->daemon, SIGTERM);
        int status;
        for (int i = 0; i < 500 && waitpid(w->daemon, &status, WNOHANG) == 0; i++)
            usleep(10000);
        if (waitpid(w->daemon, &status, WNOHANG) == 0) {
            kill(w->daemon, SIGKILL);
            waitpid(w->daemon, &status, 0);
        }
    }
    test_sim_stop(&w->twilio);
    test_sim_stop(&w->square);
    if (w->have_emr_sim)
        test_sim_stop(&w->emr_sim);
    if (w->have_instagram)
        test_sim_stop(&w->instagram);
    /* BW_EVAL_KEEP=1 keeps the daemon's directory (its log) and the case's
     * database for a look. */
    const char *keep = getenv("BW_EVAL_KEEP");
    if (w->db && keep && keep[0] == '1')
        fprintf(stderr, "kept database %s\n", w->db);
    else if (w->db)
        testdb_drop(w->db);
    free(w->db);
    if (w->dir[0] && keep && keep[0] == '1')
        fprintf(stderr, "kept %s\n", w->dir);
    else if (w->dir[0]) {
        char cmd[400];
        const char *names[] = { "bookwelld.conf", "bookwelld.log", "ready.json", "twilio_token",
                                "square_token", "square_key", "ig_app_secret",
                                "ig_verify_token", "ig_access_token", "webchat_secret", NULL };
        for (int i = 0; names[i]; i++) {
            snprintf(cmd, sizeof cmd, "%s/%s", w->dir, names[i]);
            unlink(cmd);
        }
        snprintf(cmd, sizeof cmd, "%s/tenants/%s.conf", w->dir, w->tenant ? w->tenant : "");
        unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/tenants", w->dir);
        rmdir(cmd);
        rmdir(w->dir);
    }
    cJSON_Delete(w->transcript);
    cJSON_Delete(w->emr_before);
    cJSON_Delete(w->emr_caps);
    cJSON_Delete(w->state);
    cJSON_Delete(w->sent);
    cJSON_Delete(w->seen);
    free(w);
}

int64_t eval_world_clock(struct eval_world *w)
{
    cJSON *answer = NULL;
    long status = 0;
    int64_t us = -1;
    if (admin(w, "GET", "/admin/test/clock", NULL, &answer, &status) == 0 && status == 200) {
        const char *now = eval_str_of(answer, "now");
        if (!now || clock_parse_rfc3339(now, &us) != 0)
            us = -1;
    }
    cJSON_Delete(answer);
    return us;
}

int eval_world_wait_idle(struct eval_world *w, char *err, size_t cap)
{
    for (int i = 0; i < 3000; i++) {
        cJSON *answer = NULL;
        long status = 0;
        bool idle = false;
        if (admin(w, "GET", "/admin/test/idle", NULL, &answer, &status) == 0 && status == 200)
            idle = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "idle"));
        cJSON_Delete(answer);
        if (idle)
            return 0;
        usleep(10000);
    }
    snprintf(err, cap, "the product did not become idle within 30 s");
    return -1;
}

int eval_world_emr_call(struct eval_world *w, const char *op, const cJSON *input, cJSON **result,
                        char *err, size_t cap)
{
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    long status = 0;
    cJSON_AddStringToObject(body, "tenant", w->tenant);
    cJSON_AddStringToObject(body, "plugin", "emr");
    cJSON_AddStringToObject(body, "op", op);
    if (input)
        cJSON_AddItemToObject(body, "input", cJSON_Duplicate(input, 1));
    int rc = admin(w, "POST", "/admin/test/plugin-call", body, &answer, &status);
    cJSON_Delete(body);
    *result = NULL;
    if (rc != 0 || status != 200) {
        snprintf(err, cap, "EMR %s: HTTP %ld %s", op, status,
                 answer && eval_str_of(answer, "rc") ? eval_str_of(answer, "rc") : "");
        cJSON_Delete(answer);
        return -1;
    }
    *result = cJSON_DetachItemFromObjectCaseSensitive(answer, "result");
    cJSON_Delete(answer);
    return 0;
}

const char *eval_world_address(const struct eval_world *w, const struct eval_patient_def *p)
{
    int i = eval_world_patient_index(w, p);
    if (i >= 0)
        return w->run[i].address;
    /* Someone outside the case's script (the clinic's staff number). */
    return p->phone ? p->phone : "";
}

static void add_sent(cJSON *list, const char *sid, const char *to, const char *body, double ms)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "sid", sid);
    cJSON_AddStringToObject(m, "to", to);
    cJSON_AddStringToObject(m, "body", body);
    if (ms > 0)
        cJSON_AddNumberToObject(m, "received_ms", ms);
    cJSON_AddItemToArray(list, m);
}

/* The clinic's messages on the web chat stream of patient i after the last
 * event read, into w->seen ("id: N", "event: message", "data: {...}"
 * blocks; the plugin's message id of event N is "wc-<visitor>-N"). */
static void collect_webchat(struct eval_world *w, size_t i)
{
    struct eval_patient_run *run = &w->run[i];
    char url[640];
    struct eval_resp r;
    if (!run->token[0])
        return;
    snprintf(url, sizeof url, "%s/webhooks/webchat/events?key=%s&token=%s&lastEventId=%ld",
             w->public_url, w->widget_key, run->token, run->last_event);
    if (eval_http("GET", url, NULL, NULL, 0, &r) != 0 || r.status != 200) {
        eval_resp_free(&r);
        return;
    }
    double now = eval_now_ms();
    long id = -1;
    for (char *line = r.body; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strncmp(line, "id: ", 4) == 0) {
            id = strtol(line + 4, NULL, 10);
        } else if (strncmp(line, "data: ", 6) == 0 && id > 0) {
            cJSON *ev = cJSON_Parse(line + 6);
            const char *from = eval_str_of(ev, "from"), *text = eval_str_of(ev, "text");
            if (from && strcmp(from, "clinic") == 0 && text) {
                char sid[160];
                snprintf(sid, sizeof sid, "wc-%s-%ld", run->address, id);
                add_sent(w->seen, sid, run->address, text, now);
            }
            cJSON_Delete(ev);
            if (id > run->last_event)
                run->last_event = id;
            id = -1;
        }
        line = end ? end + 1 : NULL;
    }
    eval_resp_free(&r);
}

void eval_world_collect(struct eval_world *w)
{
    for (size_t i = 0; i < w->c->n_patients; i++)
        if (strcmp(w->c->patients[i].channel, "webchat") == 0)
            collect_webchat(w, i);
}

/* The Instagram simulator's Send API requests as messages. */
static void instagram_sent(struct eval_world *w, cJSON *list)
{
    char url[256];
    struct eval_resp r;
    cJSON *doc = NULL;
    snprintf(url, sizeof url, "%s/_sim/sent", w->instagram.base_url);
    eval_http_json("GET", url, NULL, NULL, &r, &doc);
    eval_resp_free(&r);
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "sent")) {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(s, "body");
        const cJSON *recipient = cJSON_GetObjectItemCaseSensitive(body, "recipient");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "message");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(s, "received_ms");
        const char *sid = eval_str_of(s, "message_id"), *to = eval_str_of(recipient, "id");
        const char *text = eval_str_of(message, "text");
        if (sid && to)
            add_sent(list, sid, to, text ? text : "", cJSON_IsNumber(at) ? at->valuedouble : 0);
    }
    cJSON_Delete(doc);
}

int eval_world_refresh(struct eval_world *w, char *err, size_t cap)
{
    char path[256], url[256];
    long status = 0;
    cJSON *state = NULL, *sent = NULL;
    snprintf(path, sizeof path, "/admin/test/state?tenant=%s", w->tenant);
    if (admin(w, "GET", path, NULL, &state, &status) != 0 || status != 200 || !state) {
        snprintf(err, cap, "the test state route answered HTTP %ld", status);
        cJSON_Delete(state);
        return -1;
    }
    struct eval_resp r;
    snprintf(url, sizeof url, "%s/_sim/messages", w->twilio.base_url);
    eval_http_json("GET", url, NULL, NULL, &r, &sent);
    eval_resp_free(&r);
    if (!sent)
        sent = cJSON_CreateObject();
    cJSON *list = cJSON_GetObjectItemCaseSensitive(sent, "messages");
    if (!cJSON_IsArray(list)) {
        cJSON_DeleteItemFromObjectCaseSensitive(sent, "messages");
        list = cJSON_AddArrayToObject(sent, "messages");
    }
    if (w->have_instagram)
        instagram_sent(w, list);
    eval_world_collect(w);
    const cJSON *m;
    cJSON_ArrayForEach(m, w->seen)
        cJSON_AddItemToArray(list, cJSON_Duplicate(m, 1));
    cJSON_Delete(w->state);
    cJSON_Delete(w->sent);
    w->state = state;
    w->sent = sent;
    return 0;
}

bool eval_world_emr_can(const struct eval_world *w, const char *capability)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, w->emr_caps)
        if (cJSON_IsString(c) && strcmp(c->valuestring, capability) == 0)
            return true;
    return false;
}

/* Whether any patient's expectations name one of the outcomes. */
static bool expects_outcome(const struct eval_case *c, const char *const *outcomes)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, c->expect) {
        const char *o = eval_str_of(e, "outcome");
        for (int i = 0; o && outcomes[i]; i++)
            if (strcmp(o, outcomes[i]) == 0)
                return true;
    }
    return false;
}

/* Whether any patient's expectations have the member. */
static bool expects(const struct eval_case *c, const char *member)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, c->expect) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, member);
        if (v && !cJSON_IsFalse(v) && !(cJSON_IsNumber(v) && v->valuedouble == 0))
            return true;
    }
    return false;
}

bool eval_world_lacks(struct eval_world *w, const struct eval_case *c, char *why, size_t cap)
{
    static const char *const booking[] = { "booked", "held", "expired", NULL };
    static const char *const moved[] = { "rescheduled", NULL };
    static const char *const cancelled[] = { "cancelled", NULL };
    static const char *const changed[] = { "booked", "rescheduled", "cancelled", NULL };
    struct {
        bool needed;
        const char *capability;
    } needs[] = {
        /* Offering and holding slots, and booking them. */
        { expects_outcome(c, booking) || expects(c, "appointment") || expects(c, "appointments") ||
              expects(c, "deposit_cents"),
          "availability" },
        { expects_outcome(c, booking) || expects(c, "appointment") || expects(c, "appointments"),
          "book" },
        { expects_outcome(c, moved), "reschedule" },
        { expects_outcome(c, cancelled), "cancel" },
        { expects(c, "client_created"), "patient_create" },
        /* The runner reads appointments back from the EMR. */
        { expects_outcome(c, changed) || expects(c, "appointment") || expects(c, "appointments"),
          "appointment_list" },
    };
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        if (needs[i].needed && !eval_world_emr_can(w, needs[i].capability)) {
            snprintf(why, cap, "the EMR %s declares no %s capability", w->o.emr,
                     needs[i].capability);
            return true;
        }
    }
    return false;
}
