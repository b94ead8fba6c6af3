/*
 * Checking a case's per-patient expectations against what was observed
 * (eval_expect.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "eval/eval_expect.h"

#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eval/eval_json.h"

static bool any_appt(const struct eval_patient_obs *o, int which)
{
    for (size_t i = 0; i < o->n_appts; i++) {
        const struct eval_appt *a = &o->appts[i];
        if ((which == 0 && a->created && !a->cancelled) || (which == 1 && a->moved && !a->cancelled) ||
            (which == 2 && a->cancelled))
            return true;
    }
    return false;
}

const char *eval_outcome(const struct eval_patient_obs *o)
{
    if (o->opted_out)
        return "opted_out";
    if (!o->deposit_due_unpaid) {
        if (any_appt(o, 0))
            return "booked";
        if (any_appt(o, 1))
            return "rescheduled";
        if (any_appt(o, 2))
            return "cancelled";
    }
    if (o->handoff)
        return "handoff";
    if (o->hold_active_unpaid)
        return "held";
    if (o->hold_expired)
        return "expired";
    return "no_booking";
}

int eval_regex_match(const char *pattern, const char *text)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &errcode, &erroff, NULL);
    if (!re)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = md ? pcre2_match(re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) : -1;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0 ? 1 : 0;
}

/* Whether appointment a satisfies the expectation e. */
static bool appt_matches(const cJSON *e, const struct eval_appt *a)
{
    if (a->cancelled)
        return false;
    const char *service = eval_str_of(e, "service"), *provider = eval_str_of(e, "provider");
    const char *start = eval_str_of(e, "start");
    if (service && (!a->service || strcmp(service, a->service) != 0))
        return false;
    if (provider && (!a->provider || strcmp(provider, a->provider) != 0))
        return false;
    if (start && strncmp(a->start, start, strlen(start) == 10 ? 10 : 16) != 0)
        return false;
    const cJSON *window = cJSON_GetObjectItemCaseSensitive(e, "start_window");
    if (window) {
        const cJSON *from = cJSON_GetArrayItem(window, 0), *to = cJSON_GetArrayItem(window, 1);
        if (!cJSON_IsString(from) || !cJSON_IsString(to) ||
            strncmp(a->start, from->valuestring, 16) < 0 || strncmp(a->start, to->valuestring, 16) > 0)
            return false;
    }
    return true;
}

static void describe_appts(const struct eval_patient_obs *o, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < o->n_appts && n < cap; i++) {
        const struct eval_appt *a = &o->appts[i];
        int w = snprintf(out + n, cap - n, "%s%s/%s@%s%s", i ? ", " : "", a->service ? a->service : "?",
                         a->provider ? a->provider : "?", a->start, a->cancelled ? "(cancelled)" : "");
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (!o->n_appts)
        snprintf(out, cap, "none");
}

/* Matches each expectation to a different appointment (small sets: a
 * backtracking search). */
static bool match_all(const cJSON *list, int k, const struct eval_patient_obs *o, bool *used)
{
    const cJSON *e = cJSON_GetArrayItem(list, k);
    if (!e)
        return true;
    for (size_t i = 0; i < o->n_appts; i++) {
        if (used[i] || !appt_matches(e, &o->appts[i]))
            continue;
        used[i] = true;
        if (match_all(list, k + 1, o, used))
            return true;
        used[i] = false;
    }
    return false;
}

int eval_check_patient(const cJSON *expect, const struct eval_patient_obs *o, char *why,
                       size_t cap)
{
    char seen[512];
    const char *outcome = eval_str_of(expect, "outcome");
    if (outcome && strcmp(outcome, eval_outcome(o)) != 0) {
        snprintf(why, cap, "outcome %s, expected %s", eval_outcome(o), outcome);
        return -1;
    }
    const cJSON *appt = cJSON_GetObjectItemCaseSensitive(expect, "appointment");
    const cJSON *appts = cJSON_GetObjectItemCaseSensitive(expect, "appointments");
    if (appt || appts) {
        cJSON *one = NULL;
        if (appt && !appts) {
            one = cJSON_CreateArray();
            cJSON_AddItemReferenceToArray(one, (cJSON *)appt);
        }
        bool used[EVAL_OBS_MAX] = { false };
        bool ok = match_all(appts ? appts : one, 0, o, used);
        cJSON_Delete(one);
        if (!ok) {
            char *want = cJSON_PrintUnformatted(appts ? appts : appt);
            describe_appts(o, seen, sizeof seen);
            snprintf(why, cap, "appointment %s not found among %s", want ? want : "?", seen);
            cJSON_free(want);
            return -1;
        }
    }
    const cJSON *deposit = cJSON_GetObjectItemCaseSensitive(expect, "deposit_cents");
    if (cJSON_IsNumber(deposit)) {
        int64_t want = (int64_t)deposit->valuedouble;
        int64_t got = o->last_deposit_cents < 0 ? 0 : o->last_deposit_cents;
        if (want != got || (want == 0 && o->last_deposit_cents > 0)) {
            snprintf(why, cap, "deposit link of %lld cents, expected %lld",
                     (long long)o->last_deposit_cents, (long long)want);
            return -1;
        }
    }
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(expect, "client_created");
    if (cJSON_IsFalse(client) && o->client_created) {
        snprintf(why, cap, "an EMR client was created, expected none");
        return -1;
    }
    if (cJSON_IsObject(client)) {
        const char *first = eval_str_of(client, "first_name"), *last = eval_str_of(client, "last_name");
        if (!o->client_created ||
            (first && (!o->client_first_name || strcasecmp(first, o->client_first_name) != 0)) ||
            (last && (!o->client_last_name || strcasecmp(last, o->client_last_name) != 0))) {
            snprintf(why, cap, "EMR client %s %s%s, expected %s %s",
                     o->client_first_name ? o->client_first_name : "-",
                     o->client_last_name ? o->client_last_name : "-",
                     o->client_created ? "" : " (none created)", first ? first : "", last ? last : "");
            return -1;
        }
    }
    const cJSON *re;
    cJSON_ArrayForEach(re, cJSON_GetObjectItemCaseSensitive(expect, "replies_include")) {
        bool found = false;
        for (size_t i = 0; i < o->n_sent && !found; i++) {
            int m = eval_regex_match(re->valuestring, o->sent[i].text);
            if (m < 0) {
                snprintf(why, cap, "replies_include /%s/ does not compile", re->valuestring);
                return -1;
            }
            found = m == 1;
        }
        if (!found) {
            snprintf(why, cap, "no reply matches /%s/", re->valuestring);
            return -1;
        }
    }
    cJSON_ArrayForEach(re, cJSON_GetObjectItemCaseSensitive(expect, "replies_exclude")) {
        for (size_t i = 0; i < o->n_sent; i++) {
            int m = eval_regex_match(re->valuestring, o->sent[i].text);
            if (m != 0) {
                snprintf(why, cap, m < 0 ? "replies_exclude /%s/ does not compile"
                                         : "a reply matches /%s/: \"%.120s\"",
                         re->valuestring, o->sent[i].text);
                return -1;
            }
        }
    }
    const cJSON *max_after = cJSON_GetObjectItemCaseSensitive(expect, "max_replies_after_optout");
    if (cJSON_IsNumber(max_after)) {
        int after = 0;
        for (size_t i = 0; i < o->n_sent; i++)
            after += o->sent[i].after_optout;
        if (after > max_after->valueint) {
            snprintf(why, cap, "%d replies after the opt-out, at most %d allowed", after,
                     max_after->valueint);
            return -1;
        }
    }
    const cJSON *max_ms = cJSON_GetObjectItemCaseSensitive(expect, "first_reply_max_ms");
    if (cJSON_IsNumber(max_ms) && (o->first_reply_ms < 0 || o->first_reply_ms > max_ms->valuedouble)) {
        snprintf(why, cap, "first reply after %.0f ms, at most %.0f allowed", o->first_reply_ms,
                 max_ms->valuedouble);
        return -1;
    }
    return 0;
}
