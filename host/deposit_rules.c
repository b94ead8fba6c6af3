/*
 * Deposit rules (deposit_rules.h): first matching rule per service, the
 * largest amount over the visit.
 */
#include "deposit_rules.h"

#include <math.h>
#include <string.h>

/* 1 when rule's `when` holds for one service, 0 when not, -1 malformed. */
static int rule_matches(const cJSON *rule, const char *service, bool new_client)
{
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(rule, "when");
    const cJSON *c;
    if (!when)
        return 1;
    if (!cJSON_IsObject(when))
        return -1;
    int match = 1;
    cJSON_ArrayForEach(c, when)
    {
        if (strcmp(c->string, "service") == 0) {
            const cJSON *id;
            int found = 0;
            if (!cJSON_IsArray(c))
                return -1;
            cJSON_ArrayForEach(id, c)
            {
                if (!cJSON_IsString(id))
                    return -1;
                if (strcmp(id->valuestring, service) == 0)
                    found = 1;
            }
            if (!found)
                match = 0;
        } else if (strcmp(c->string, "new_client") == 0) {
            if (!cJSON_IsBool(c))
                return -1;
            if (cJSON_IsTrue(c) != new_client)
                match = 0;
        } else {
            return -1;
        }
    }
    return match;
}

static int cents_of(const cJSON *rule, int64_t *out)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rule, "cents");
    if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 9007199254740991.0 ||
        floor(c->valuedouble) != c->valuedouble)
        return -1;
    *out = (int64_t)c->valuedouble;
    return 0;
}

int deposit_rules_amount(const cJSON *rules, const char *const *services, size_t n,
                         bool new_client, int64_t *amount, int *rule)
{
    const cJSON *r;
    int64_t best = 0;
    int best_rule = -1;
    if (!cJSON_IsArray(rules) || n == 0 || !services)
        return -1;
    /* Validate every rule first, so a malformed one fails whatever matches. */
    cJSON_ArrayForEach(r, rules)
    {
        int64_t cents;
        if (!cJSON_IsObject(r) || cents_of(r, &cents) != 0 || rule_matches(r, "", false) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int idx = 0;
        if (!services[i])
            return -1;
        cJSON_ArrayForEach(r, rules)
        {
            if (rule_matches(r, services[i], new_client) == 1) {
                int64_t cents = 0;
                cents_of(r, &cents);
                if (best_rule < 0 || cents > best) {
                    best = cents;
                    best_rule = idx;
                }
                break;
            }
            idx++;
        }
    }
    *amount = best;
    if (rule)
        *rule = best_rule;
    return 0;
}
