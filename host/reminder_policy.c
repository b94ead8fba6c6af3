/*
 * A tenant's reminder settings from its catalog (reminder_policy.h).
 */
#include "reminder_policy.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void defaults(struct reminder_policy *p)
{
    memset(p, 0, sizeof *p);
    p->n_offsets = 2;
    p->offsets_min[0] = 48 * 60;
    p->offsets_min[1] = 2 * 60;
    p->unconfirmed_alert_min = 24 * 60;
    p->min_lead_min = 30;
}

static void sort_desc(int *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] > v[j - 1]; j--) {
            int t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

void reminder_policy_from_doc(const cJSON *doc, struct reminder_policy *p)
{
    defaults(p);
    const cJSON *r = doc ? cJSON_GetObjectItemCaseSensitive(doc, "reminders") : NULL;
    if (!cJSON_IsObject(r))
        return;
    const cJSON *hb = cJSON_GetObjectItemCaseSensitive(r, "hours_before");
    if (cJSON_IsArray(hb)) {
        int v[REMINDER_MAX_OFFSETS], n = 0;
        bool ok = cJSON_GetArraySize(hb) <= REMINDER_MAX_OFFSETS;
        const cJSON *e;
        cJSON_ArrayForEach(e, hb)
        {
            if (!ok || !cJSON_IsNumber(e) || e->valuedouble <= 0 || e->valuedouble > 24 * 30) {
                ok = false;
                break;
            }
            int m = (int)(e->valuedouble * 60 + 0.5);
            for (int i = 0; i < n; i++)
                if (v[i] == m)
                    ok = false;
            v[n++] = m;
        }
        if (ok) {
            sort_desc(v, n);
            p->n_offsets = n;
            memcpy(p->offsets_min, v, sizeof v[0] * (size_t)n);
        }
    }
    const cJSON *ua = cJSON_GetObjectItemCaseSensitive(r, "unconfirmed_alert_hours");
    if (cJSON_IsNumber(ua) && ua->valuedouble >= 0 && ua->valuedouble <= 24 * 30)
        p->unconfirmed_alert_min = (int)(ua->valuedouble * 60 + 0.5);
    const cJSON *ml = cJSON_GetObjectItemCaseSensitive(r, "min_lead_minutes");
    if (cJSON_IsNumber(ml) && ml->valuedouble >= 0 && ml->valuedouble <= 24 * 60)
        p->min_lead_min = (int)ml->valuedouble;
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "links_base_url"));
    if (u && strlen(u) <= REMINDER_URL_MAX &&
        (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0)) {
        snprintf(p->links_base_url, sizeof p->links_base_url, "%s", u);
        size_t n = strlen(p->links_base_url);
        while (n > 0 && p->links_base_url[n - 1] == '/')
            p->links_base_url[--n] = '\0';
    }
}
