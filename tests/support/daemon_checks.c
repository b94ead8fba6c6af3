/*
 * Stopping a test daemon cleanly and making API keys (daemon_checks.h).
 */
#include "support/daemon_checks.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

void test_daemon_stop_clean(struct test_daemon *d)
{
    int status = test_daemon_stop(d, SIGTERM);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
    test_daemon_cleanup(d);
}

void test_daemon_api_key(const struct test_daemon *d, const char *tenant, const char *json,
                         char *header, size_t cap)
{
    char path[128];
    struct test_http_resp r;
    snprintf(path, sizeof path, "/admin/tenants/%s/api-keys", tenant);
    cr_assert_eq(test_admin(d, "POST", path, json, &r), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cJSON *j = cJSON_Parse(r.body);
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "api_key"));
    cr_assert_not_null(key, "%s", r.body);
    snprintf(header, cap, "Authorization: Bearer %s", key);
    cJSON_Delete(j);
    test_http_resp_free(&r);
}
