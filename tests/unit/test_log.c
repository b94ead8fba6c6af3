/*
 * Structured logs: one JSON object per line with time, level, tenant,
 * request id and message; values escaped; levels filtered; a line that
 * would overflow is truncated but stays one line of valid JSON.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char *capture(void (*emit)(void))
{
    static char buf[16384];
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    log_set_fd(fds[1]);
    emit();
    log_set_fd(2);
    close(fds[1]);
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void emit_one(void)
{
    struct log_ctx ctx = { "glow", "req-1" };
    const char *fields[] = { "route", "/x\"y", NULL };
    log_write(LOG_WARN, &ctx, fields, "hello %s\n", "wor\tld");
}

Test(log, one_json_object_per_line)
{
    log_set_level(LOG_INFO);
    char *out = capture(emit_one);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "exactly one line: %s", out);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    cr_assert_str_eq(cJSON_GetObjectItem(o, "level")->valuestring, "warn");
    cr_assert_str_eq(cJSON_GetObjectItem(o, "tenant")->valuestring, "glow");
    cr_assert_str_eq(cJSON_GetObjectItem(o, "request_id")->valuestring, "req-1");
    cr_assert_str_eq(cJSON_GetObjectItem(o, "msg")->valuestring, "hello wor\tld\n");
    cr_assert_str_eq(cJSON_GetObjectItem(o, "route")->valuestring, "/x\"y");
    cr_assert_not_null(cJSON_GetObjectItem(o, "time"));
    cJSON_Delete(o);
}

static void emit_debug(void) { log_debug("not shown"); }

Test(log, levels_filter)
{
    log_set_level(LOG_INFO);
    cr_assert_str_eq(capture(emit_debug), "");
    cr_assert_eq(log_set_level_name("debug"), 0);
    cr_assert(strstr(capture(emit_debug), "not shown") != NULL);
    cr_assert_eq(log_set_level_name("loud"), -1);
}

static void emit_huge(void)
{
    static char big[10000];
    memset(big, 'a', sizeof big - 1);
    big[100] = '"';
    const char *fields[] = { "k", big, NULL };
    log_write(LOG_ERROR, NULL, fields, "%s", big);
}

Test(log, overflow_truncates_to_one_valid_line)
{
    log_set_level(LOG_INFO);
    char *out = capture(emit_huge);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "truncated line is not JSON");
    cJSON_Delete(o);
}
