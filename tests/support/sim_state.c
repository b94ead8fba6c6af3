/*
 * Reading a simulator's control API for assertions (sim_state.h).
 */
#include "support/sim_state.h"

#include <criterion/criterion.h>
#include <string.h>

#include "support/daemon_proc.h"

char *test_sim_text(const struct test_sim *s, const char *method, const char *path, long want)
{
    struct test_http_resp r;
    cr_assert_eq(test_http(method, s->port, path, NULL, "", 0, &r), 0, "%s", path);
    cr_assert_eq(r.status, want, "%s: %ld %s", path, r.status, r.body);
    char *body = r.body;
    r.body = NULL;
    test_http_resp_free(&r);
    return body;
}

cJSON *test_sim_json(const struct test_sim *s, const char *method, const char *path, long want)
{
    char *body = test_sim_text(s, method, path, want);
    cJSON *doc = cJSON_Parse(body);
    free(body);
    return doc;
}

cJSON *test_sim_send_json(const struct test_sim *s, const char *method, const char *path,
                          const char *body)
{
    struct test_http_resp r;
    const char *hdr[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(test_http(method, s->port, path, hdr, body, body ? strlen(body) : 0, &r), 0,
                 "%s %s", method, path);
    cr_assert_eq(r.status, 200, "%s %s: %ld %s", method, path, r.status, r.body);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_not_null(j, "%s %s: %s", method, path, r.body);
    test_http_resp_free(&r);
    return j;
}

int test_sim_state_int(const struct test_sim *s, const char *member)
{
    cJSON *state = test_sim_json(s, "GET", "/_sim/state", 200);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(state, member);
    int n = cJSON_IsNumber(v) ? v->valueint : -1;
    cJSON_Delete(state);
    return n;
}

int test_sim_requests(const struct test_sim *s, const char *key)
{
    cJSON *state = test_sim_json(s, "GET", "/_sim/state", 200);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(state, "requests"), key);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(state);
    return n;
}

int test_sim_appointments(const struct test_sim *s, const char *start_key, const char *start,
                          const char *status_key, const char *status)
{
    cJSON *state = test_sim_json(s, "GET", "/_sim/state", 200);
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(state, "appointments")) {
        const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, start_key));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, status_key));
        if (at && st && strcmp(at, start) == 0 && strcmp(st, status) == 0)
            n++;
    }
    cJSON_Delete(state);
    return n;
}
