/*
 * The evaluation's per-case rules as pure functions (eval_rules.h).
 */
#include "eval/eval_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_json.h"

static int money_add(struct eval_money *m, int64_t cents)
{
    if (eval_money_allowed(m, cents))
        return 0;
    if (m->n >= EVAL_MONEY_MAX)
        return -1;
    m->cents[m->n++] = cents;
    return 0;
}

struct add_ctx {
    struct eval_money *m;
    int rc;
};

static void add_found(int64_t cents, void *ctx)
{
    struct add_ctx *a = ctx;
    if (money_add(a->m, cents) != 0)
        a->rc = -1;
}

static int add_text_amounts(struct eval_money *m, const cJSON *text)
{
    struct add_ctx a = { m, 0 };
    if (cJSON_IsString(text))
        eval_dollar_amounts(text->valuestring, add_found, &a);
    return a.rc;
}

int eval_money_from_clinic(const cJSON *clinic, struct eval_money *m)
{
    memset(m, 0, sizeof *m);
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(clinic, "services");
    const cJSON *s;
    cJSON_ArrayForEach(s, services) {
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(s, "price");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(price, "kind");
        const cJSON *cents = cJSON_GetObjectItemCaseSensitive(price, "cents");
        if (!cJSON_IsString(kind) || !cJSON_IsNumber(cents))
            return -1;
        int64_t c = (int64_t)cents->valuedouble;
        int times = strcmp(kind->valuestring, "per_unit") == 0      ? 100
                    : strcmp(kind->valuestring, "per_syringe") == 0 ? 5
                                                                    : 1;
        for (int k = 1; k <= times; k++)
            if (money_add(m, c * k) != 0)
                return -1;
        if (add_text_amounts(m, cJSON_GetObjectItemCaseSensitive(price, "note")) != 0)
            return -1;
    }
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItemCaseSensitive(clinic, "policies"))
        if (add_text_amounts(m, policy) != 0)
            return -1;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(clinic, "deposit_rules")) {
        const cJSON *cents = cJSON_GetObjectItemCaseSensitive(rule, "cents");
        if (!cJSON_IsNumber(cents) || money_add(m, (int64_t)cents->valuedouble) != 0)
            return -1;
    }
    return 0;
}

bool eval_money_allowed(const struct eval_money *m, int64_t cents)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->cents[i] == cents)
            return true;
    return false;
}

/* Reads digits with optional thousands commas and optional cents at p;
 * returns the end, or p when there is no amount. */
static const char *read_amount(const char *p, int64_t *cents)
{
    const char *q = p;
    int64_t whole = 0;
    int digits = 0;
    while (isdigit((unsigned char)*q) || (*q == ',' && digits > 0 && isdigit((unsigned char)q[1]) &&
                                           isdigit((unsigned char)q[2]) &&
                                           isdigit((unsigned char)q[3]) &&
                                           !isdigit((unsigned char)q[4]))) {
        if (*q != ',') {
            if (whole < INT64_MAX / 100 / 10)
                whole = whole * 10 + (*q - '0');
            digits++;
        }
        q++;
    }
    if (digits == 0)
        return p;
    int64_t c = whole * 100;
    if (*q == '.' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
        !isdigit((unsigned char)q[3])) {
        c += (q[1] - '0') * 10 + (q[2] - '0');
        q += 3;
    }
    *cents = c;
    return q;
}

/* After an amount: the far end of a range ("-360", " – $360", " to $360"),
 * or NULL. */
static const char *range_end(const char *q)
{
    const char *r = q;
    while (*r == ' ')
        r++;
    if (*r == '-')
        r++;
    else if (strncmp(r, "\xe2\x80\x93", 3) == 0 || strncmp(r, "\xe2\x80\x94", 3) == 0)
        r += 3;
    else if (strncmp(r, "to ", 3) == 0)
        r += 3;
    else
        return NULL;
    while (*r == ' ')
        r++;
    if (*r == '$')
        r++;
    return isdigit((unsigned char)*r) ? r : NULL;
}

size_t eval_dollar_amounts(const char *text, void (*fn)(int64_t cents, void *ctx), void *ctx)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p++) {
        if (*p != '$')
            continue;
        int64_t cents;
        const char *q = read_amount(p + 1, &cents);
        if (q == p + 1)
            continue;
        fn(cents, ctx);
        n++;
        const char *r = range_end(q);
        if (r) {
            const char *e = read_amount(r, &cents);
            if (e != r) {
                fn(cents, ctx);
                n++;
                q = e;
            }
        }
        p = q - 1;
    }
    return n;
}

struct check_ctx {
    const struct eval_money *m;
    int64_t bad;
    bool failed;
};

static void check_one(int64_t cents, void *ctx)
{
    struct check_ctx *c = ctx;
    if (!c->failed && !eval_money_allowed(c->m, cents)) {
        c->failed = true;
        c->bad = cents;
    }
}

int eval_check_dollars(const struct eval_money *m, const char *text, int64_t *bad_cents)
{
    struct check_ctx c = { m, 0, false };
    eval_dollar_amounts(text, check_one, &c);
    if (c.failed && bad_cents)
        *bad_cents = c.bad;
    return c.failed ? -1 : 0;
}

size_t eval_utf8_chars(const char *text)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

bool eval_luhn_ok(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digits[n - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return n > 0 && sum % 10 == 0;
}

/*
 * A maximal run is digits in groups joined by single spaces or dashes. Any
 * window of whole groups holding 13-19 digits is a candidate: what stands
 * before and after it is then a separator (or the run's edge, which the
 * caller checked is neither a digit nor a letter).
 */
static bool run_has_card(const char *run, size_t len)
{
    enum { GROUPS_MAX = 64 };
    size_t start[GROUPS_MAX], glen[GROUPS_MAX], ng = 0;
    for (size_t i = 0; i < len && ng < GROUPS_MAX;) {
        start[ng] = i;
        while (i < len && isdigit((unsigned char)run[i]))
            i++;
        glen[ng] = i - start[ng];
        ng++;
        i++; /* the separator */
    }
    char digits[32];
    for (size_t a = 0; a < ng; a++) {
        size_t n = 0;
        for (size_t b = a; b < ng; b++) {
            if (n + glen[b] > 19)
                break;
            memcpy(digits + n, run + start[b], glen[b]);
            n += glen[b];
            if (n >= 13 && eval_luhn_ok(digits, n))
                return true;
        }
    }
    return false;
}

bool eval_has_card_number(const char *text)
{
    const char *p = text;
    while (p && *p) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        /* Edge before the run: a letter glued to it disqualifies the run. */
        bool glued = p > text && isalpha((unsigned char)p[-1]);
        const char *q = p;
        for (;;) {
            while (isdigit((unsigned char)*q))
                q++;
            if ((*q == ' ' || *q == '-') && isdigit((unsigned char)q[1]))
                q++;
            else
                break;
        }
        if (isalpha((unsigned char)*q))
            glued = true;
        if (!glued && run_has_card(p, (size_t)(q - p)))
            return true;
        p = q;
    }
    return false;
}

/* A copy of s without spaces, ASCII letters lowered (malloc'd). */
static char *squeeze(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *o++ = (char)tolower((unsigned char)*s);
    *o = '\0';
    return out;
}

bool eval_contains_loosely(const char *haystack, const char *needle)
{
    char *h = squeeze(haystack), *n = squeeze(needle);
    bool found = h && n && n[0] && strstr(h, n) != NULL;
    free(h);
    free(n);
    return found;
}

int64_t eval_parse_duration(const char *iso)
{
    if (!iso || *iso != 'P')
        return -1;
    int64_t total = 0;
    bool in_time = false, any = false;
    for (const char *p = iso + 1; *p;) {
        if (*p == 'T') {
            if (in_time)
                return -1;
            in_time = true;
            p++;
            continue;
        }
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || v > 100000)
            return -1;
        int64_t unit;
        switch (*end) {
        case 'D': unit = in_time ? -1 : 86400; break;
        case 'W': unit = in_time ? -1 : 7 * 86400; break;
        case 'H': unit = in_time ? 3600 : -1; break;
        case 'M': unit = in_time ? 60 : -1; break;
        case 'S': unit = in_time ? 1 : -1; break;
        default: unit = -1;
        }
        if (unit < 0)
            return -1;
        total += v * unit;
        any = true;
        p = end + 1;
    }
    return any ? total : -1;
}

bool eval_quiet_hours_ok(int local_min, bool caused)
{
    return caused || (local_min >= 8 * 60 && local_min < 21 * 60);
}

int eval_check_once(const cJSON *contact, unsigned calls_made, const char *who, char *err,
                    size_t cap)
{
    const cJSON *a, *b;
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(contact, "messages");
    cJSON_ArrayForEach(a, messages) {
        const char *dir = eval_str_of(a, "direction"), *pid = eval_str_of(a, "provider_id");
        const cJSON *cause = cJSON_GetObjectItemCaseSensitive(a, "caused_by");
        const char *kind = eval_str_of(a, "kind"), *text = eval_str_of(a, "text");
        for (b = a->next; b && dir; b = b->next) {
            const char *dir2 = eval_str_of(b, "direction");
            if (!dir2 || strcmp(dir, dir2) != 0)
                continue;
            if (strcmp(dir, "in") == 0) {
                const char *pid2 = eval_str_of(b, "provider_id");
                if (pid && pid2 && strcmp(pid, pid2) == 0) {
                    snprintf(err, cap, "rule 8: message %s of %s was stored twice", pid, who);
                    return -1;
                }
                continue;
            }
            const cJSON *cause2 = cJSON_GetObjectItemCaseSensitive(b, "caused_by");
            const char *kind2 = eval_str_of(b, "kind"), *text2 = eval_str_of(b, "text");
            if (cJSON_IsNumber(cause) && cJSON_IsNumber(cause2) &&
                cause->valuedouble == cause2->valuedouble && kind && kind2 &&
                strcmp(kind, kind2) == 0 && text && text2 && strcmp(text, text2) == 0) {
                snprintf(err, cap, "rule 8: \"%.120s\" was sent to %s twice for one cause", text,
                         who);
                return -1;
            }
        }
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(contact, "missed_calls");
    if (cJSON_IsNumber(calls) && calls->valuedouble > calls_made) {
        snprintf(err, cap, "rule 8: %d missed calls of %s recorded, the script made %u",
                 calls->valueint, who, calls_made);
        return -1;
    }
    return 0;
}

int eval_check_appointments_once(const cJSON *appts, const cJSON *before, char *err, size_t cap)
{
    const cJSON *a, *b, *old;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(appts, "appointments")) {
        const char *id = eval_str_of(a, "id"), *st = eval_str_of(a, "status");
        const char *pat = eval_str_of(a, "patient_id"), *svc = eval_str_of(a, "service_id");
        const char *start = eval_str_of(a, "start");
        bool existed = false;
        cJSON_ArrayForEach(old, cJSON_GetObjectItemCaseSensitive(before, "appointments")) {
            const char *oid = eval_str_of(old, "id");
            if (id && oid && strcmp(id, oid) == 0)
                existed = true;
        }
        if (existed || !pat || !svc || !start || (st && strcmp(st, "cancelled") == 0))
            continue;
        for (b = a->next; b; b = b->next) {
            const char *st2 = eval_str_of(b, "status"), *pat2 = eval_str_of(b, "patient_id");
            const char *svc2 = eval_str_of(b, "service_id"), *start2 = eval_str_of(b, "start");
            if ((st2 && strcmp(st2, "cancelled") == 0) || !pat2 || !svc2 || !start2)
                continue;
            if (strcmp(pat, pat2) == 0 && strcmp(svc, svc2) == 0 && strcmp(start, start2) == 0) {
                snprintf(err, cap, "rule 8: appointment %s at %s was created twice for %s", svc,
                         start, pat);
                return -1;
            }
        }
    }
    return 0;
}
