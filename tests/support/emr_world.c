/*
 * An EMR plugin in the daemon against its simulator (emr_world.h).
 */
#include "support/emr_world.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "support/daemon_checks.h"
#include "support/testfiles.h"

void emr_world_prepare(struct emr_world *w, const char *plugin)
{
    char file[128];
    memset(w, 0, sizeof *w);
    snprintf(w->plugin, sizeof w->plugin, "%s", plugin);
    snprintf(file, sizeof file, "%s-1.0.0.so", plugin);
    plugin_world_prepare(&w->base, file);
}

void emr_world_write_secret(const struct emr_world *w, const char *name, const char *value)
{
    char path[256], text[512];
    snprintf(path, sizeof path, "%s/%s", w->base.dir, name);
    snprintf(text, sizeof text, "%s\n", value);
    test_write_file(path, text, 0644);
}

void emr_world_start_sim(struct emr_world *w, const char *name, const char *const *args)
{
    char clinic[512];
    const char *argv[32] = { "--clinic", clinic };
    size_t n = 2;
    test_clinic_path(clinic, sizeof clinic, "glow");
    for (; args && *args && n + 1 < sizeof argv / sizeof argv[0]; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    plugin_world_start_sim(&w->base, name, argv);
}

static void import_catalog(const struct emr_world *w)
{
    char clinic[512];
    struct test_http_resp r;
    test_clinic_path(clinic, sizeof clinic, "glow");
    char *glow = test_read_file(clinic);
    cr_assert_eq(test_admin(&w->base.daemon, "POST", "/admin/tenants/glow/catalog", glow, &r), 0);
    cr_assert_eq(r.status, 200, "import: %ld %s", r.status, r.body);
    test_http_resp_free(&r);
    free(glow);
}

void emr_world_start_daemon(struct emr_world *w, const char *config)
{
    char tenant[4096];
    int n = snprintf(tenant, sizeof tenant,
                     "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = "
                     "\"America/Los_Angeles\"; };\n"
                     "plugins = ( { plugin = \"%s\"; base_url = \"%s\"; config = {\n%s }; } );\n",
                     w->plugin, w->base.sim.base_url, config);
    cr_assert(n > 0 && (size_t)n < sizeof tenant, "tenant configuration too long");
    plugin_world_start_daemon(&w->base, "2027-03-02T20:15:00-08:00", tenant);
    import_catalog(w);
    test_daemon_api_key(&w->base.daemon, "glow", "{}", w->auth, sizeof w->auth);
}

void emr_world_stop(struct emr_world *w)
{
    plugin_world_stop(&w->base);
}

int emr_world_request(const struct emr_world *w, const char *method, const char *path,
                      const char *body, struct test_http_resp *r)
{
    const char *h[] = { w->auth, "Content-Type: application/json", NULL };
    return test_http(method, w->base.daemon.public_port, path, h, body, body ? strlen(body) : 0, r);
}

long emr_world_call(const struct emr_world *w, const char *method, const char *path,
                    const char *body, char **out)
{
    struct test_http_resp r;
    cr_assert_eq(emr_world_request(w, method, path, body, &r), 0, "%s %s", method, path);
    long st = r.status;
    if (out) {
        *out = r.body;
        r.body = NULL;
    }
    test_http_resp_free(&r);
    return st;
}

char *emr_world_availability(const struct emr_world *w, const char *query, long want)
{
    char path[512], *b = NULL;
    snprintf(path, sizeof path, "/availability?%s", query);
    long st = emr_world_call(w, "GET", path, NULL, &b);
    cr_assert_eq(st, want, "%s: %ld %s", query, st, b);
    return b;
}

char *emr_world_plugin_call(const struct emr_world *w, const char *op, const char *input,
                            long *status)
{
    char body[1024];
    struct test_http_resp r;
    snprintf(body, sizeof body,
             "{\"tenant\":\"glow\",\"plugin\":\"emr\",\"op\":\"%s\",\"input\":%s,"
             "\"timeout_ms\":30000}",
             op, input);
    cr_assert_eq(test_admin(&w->base.daemon, "POST", "/admin/test/plugin-call", body, &r), 0);
    *status = r.status;
    char *b = r.body;
    r.body = NULL;
    test_http_resp_free(&r);
    return b;
}

/* The number member "id" of a JSON answer, else alt. */
static long long answer_id(const char *body, const char *alt, const char *what)
{
    cJSON *doc = cJSON_Parse(body);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    if (!cJSON_IsNumber(id))
        id = cJSON_GetObjectItemCaseSensitive(doc, alt);
    cr_assert(cJSON_IsNumber(id), "%s id: %s", what, body);
    long long v = (long long)id->valuedouble;
    cJSON_Delete(doc);
    return v;
}

void emr_world_book(const struct emr_world *w, long long hold, char *state, size_t cap,
                    char *appt, size_t acap)
{
    char body[64], path[64], *b = NULL;
    snprintf(body, sizeof body, "{\"hold_id\":%lld}", hold);
    long st = emr_world_call(w, "POST", "/bookings", body, &b);
    cr_assert(st == 202 || st == 200 || st == 201, "booking: %ld %s", st, b);
    long long id = answer_id(b, "booking_id", "booking");
    free(b);
    snprintf(path, sizeof path, "/bookings/%lld", id);
    state[0] = 0;
    if (appt)
        appt[0] = 0;
    for (int i = 0; i < 300; i++) {
        emr_world_call(w, "GET", path, NULL, &b);
        cJSON *g = cJSON_Parse(b);
        free(b);
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "state"));
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "emr_appointment_id"));
        snprintf(state, cap, "%s", s ? s : "");
        if (appt)
            snprintf(appt, acap, "%s", a ? a : "");
        cJSON_Delete(g);
        if (strcmp(state, "booked") == 0 || strcmp(state, "conflict") == 0 ||
            strcmp(state, "failed") == 0)
            return;
        usleep(100000);
    }
}

void emr_world_hold_and_book(const struct emr_world *w, const char *start, char *state,
                             size_t cap, char *appt, size_t acap)
{
    char body[512], *b = NULL;
    snprintf(body, sizeof body,
             "{\"service\":\"botox\",\"provider\":\"dr-smith\",\"start\":\"%s\","
             "\"patient\":{\"first_name\":\"Ana\",\"last_name\":\"Ruiz\",\"phone\":\"+14155550123\"}}",
             start);
    long st = emr_world_call(w, "POST", "/holds", body, &b);
    cr_assert_eq(st, 201, "hold: %ld %s", st, b);
    long long hold = answer_id(b, "hold_id", "hold");
    free(b);
    emr_world_book(w, hold, state, cap, appt, acap);
}
