/*
 * Reading the analytics API's JSON in the analytics suites
 * (test_analytics.c, test_analytics_flow.c): a value by dotted path, a
 * funnel stage's count, a channel's row. Each aborts the test when the
 * document lacks what is asked.
 */
#ifndef BW_TESTS_ANALYTICS_JSON_H
#define BW_TESTS_ANALYTICS_JSON_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static inline cJSON *item(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *at = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && at; k = strtok_r(NULL, ".", &save))
        at = cJSON_GetObjectItemCaseSensitive(at, k);
    cr_assert_not_null(at, "no %s in %s", path, cJSON_PrintUnformatted(o));
    return (cJSON *)at;
}

static inline double number(const cJSON *o, const char *path)
{
    const cJSON *v = item(o, path);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
}

#define assert_near(got, want) \
    cr_assert(fabs((got) - (want)) < 0.011, "%s: got %.4f, want %.4f", #got, (double)(got), (double)(want))

/* The count of stage in a funnel row. */
static inline double stage_count(const cJSON *row, const char *stage)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, item(row, "stages"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "stage")), stage) == 0)
            return number(s, "count");
    }
    cr_assert_fail("no stage %s", stage);
    return -1;
}

static inline const cJSON *channel_row(const cJSON *funnel, const char *channel)
{
    const cJSON *row;
    cJSON_ArrayForEach(row, item(funnel, "channels"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "channel")), channel) == 0)
            return row;
    }
    cr_assert_fail("no channel %s in %s", channel, cJSON_PrintUnformatted(funnel));
    return NULL;
}

#endif
