/*
 * The tenant's deposit policy and a deposit's fate (deposit_policy.h).
 */
#include "deposit_policy.h"

#include <stdio.h>
#include <string.h>

#include "convo/knowledge.h"

static const char *const OCCASIONS[DEPOSIT_OCC_COUNT] = { "showed", "no_show",
                                                          "patient_cancelled",
                                                          "clinic_cancelled", "lost_slot" };
static const char *const FATES[] = { "applied", "refunded", "credit", "forfeited" };

const char *deposit_occasion_name(enum deposit_occasion o)
{
    return o >= 0 && o < DEPOSIT_OCC_COUNT ? OCCASIONS[o] : "unknown";
}

int deposit_occasion_parse(const char *name)
{
    for (int i = 0; name && i < DEPOSIT_OCC_COUNT; i++)
        if (strcmp(name, OCCASIONS[i]) == 0)
            return i;
    return -1;
}

const char *deposit_fate_name(enum deposit_fate f)
{
    return f >= DEPOSIT_FATE_APPLIED && f <= DEPOSIT_FATE_FORFEITED ? FATES[f] : "unknown";
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* True when s starts with w in any letter case (w lowercase). */
static bool starts(const char *s, const char *w)
{
    for (; *w; s++, w++)
        if (lower(*s) != *w)
            return false;
    return true;
}

static bool has_word(const char *text, const char *w)
{
    for (const char *s = text; *s; s++)
        if (starts(s, w))
            return true;
    return false;
}

static void defaults(struct deposit_policy *out)
{
    memset(out, 0, sizeof *out);
    out->cancel_window_min = DEPOSIT_POLICY_WINDOW_DEFAULT_MIN;
    out->lost_slot_refund_min = DEPOSIT_POLICY_LOST_SLOT_DEFAULT_MIN;
    snprintf(out->source, sizeof out->source, "default");
}

/* hours as minutes from item (a number 0..8760), or -1. */
static int hours_of(const cJSON *item)
{
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 8760)
        return -1;
    return (int)(item->valuedouble * 60.0 + 0.5);
}

int deposit_policy_from_doc(const cJSON *clinic, struct deposit_policy *out)
{
    defaults(out);
    if (!cJSON_IsObject(clinic))
        return 0;
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(clinic, "policies");
    const cJSON *cancel = cJSON_GetObjectItemCaseSensitive(pol, "cancellation");
    if (cJSON_IsString(cancel)) {
        int w = convo_knowledge_notice_min(cancel->valuestring);
        if (w > 0)
            out->cancel_window_min = w;
        out->in_window_credit = has_word(cancel->valuestring, "credit");
        snprintf(out->source, sizeof out->source, "text");
    }
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(clinic, "deposit_policy");
    if (!dp)
        return 0;
    struct deposit_policy p = *out;
    const cJSON *win = cJSON_GetObjectItemCaseSensitive(dp, "cancel_window_hours");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(dp, "in_window");
    const cJSON *lost = cJSON_GetObjectItemCaseSensitive(dp, "lost_slot_refund_hours");
    if (!cJSON_IsObject(dp))
        goto bad;
    if (win && (p.cancel_window_min = hours_of(win)) < 0)
        goto bad;
    if (lost && (p.lost_slot_refund_min = hours_of(lost)) < 0)
        goto bad;
    if (in) {
        if (!cJSON_IsString(in) ||
            (strcmp(in->valuestring, "refund") != 0 && strcmp(in->valuestring, "credit") != 0))
            goto bad;
        p.in_window_credit = strcmp(in->valuestring, "credit") == 0;
    }
    snprintf(p.source, sizeof p.source, "deposit_policy");
    *out = p;
    return 0;
bad:
    defaults(out);
    return -1;
}

enum deposit_fate deposit_policy_fate(const struct deposit_policy *p, enum deposit_occasion occ,
                                      int64_t now_us, int64_t start_us)
{
    switch (occ) {
    case DEPOSIT_OCC_SHOWED:
        return DEPOSIT_FATE_APPLIED;
    case DEPOSIT_OCC_CLINIC_CANCEL:
    case DEPOSIT_OCC_LOST_SLOT:
        return DEPOSIT_FATE_REFUNDED;
    case DEPOSIT_OCC_PATIENT_CANCEL:
        if (start_us - now_us >= (int64_t)p->cancel_window_min * 60 * 1000000)
            return p->in_window_credit ? DEPOSIT_FATE_CREDIT : DEPOSIT_FATE_REFUNDED;
        return DEPOSIT_FATE_FORFEITED;
    case DEPOSIT_OCC_NO_SHOW:
    default:
        return DEPOSIT_FATE_FORFEITED;
    }
}
