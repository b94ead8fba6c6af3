/*
 * The guard's checks and redaction (ai_policy.h). Amounts are read where a
 * currency sign or word marks them ("$1,200", "$12.50", "45 dollars",
 * "USD 30"); clock times where a colon or am/pm marks them ("3:30", "4 pm",
 * "10:15a.m."), read both ways when am/pm is not written. Medical advice is
 * recognised by phrases that give it (a drug, a dose, a diagnosis, telling
 * the patient what is safe or normal for them), not by mentions of health.
 */
#include "ai_policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

static const char *const verdict_names[AI_DRAFT_COUNT] = {
    [AI_DRAFT_OK] = "ok",         [AI_DRAFT_LENGTH] = "length",   [AI_DRAFT_AMOUNT] = "amount",
    [AI_DRAFT_TIME] = "time",     [AI_DRAFT_MEDICAL] = "medical", [AI_DRAFT_CARD] = "card",
    [AI_DRAFT_LINK] = "link",     [AI_DRAFT_QUIET] = "quiet_hours",
    [AI_DRAFT_OPTED_OUT] = "opted_out", [AI_DRAFT_INCOMPLETE] = "incomplete",
    [AI_DRAFT_MARKER] = "redaction_marker",
};

const char *ai_draft_verdict_name(enum ai_draft_verdict v)
{
    return (unsigned)v < AI_DRAFT_COUNT ? verdict_names[v] : "unknown";
}

bool ai_policy_endpoint_allowed(const char *country, bool covered_entity, bool baa)
{
    bool us = country && strcasecmp(country, "US") == 0;
    return !(us && covered_entity && !baa);
}

/* ------------------------------------------------------------------ amounts */

/* Reads an amount at s ("1,200", "12.50"); cents into *cents, the end into
 * *end. False when no digit is there. */
static bool read_amount(const char *s, int64_t *cents, const char **end)
{
    int64_t whole = 0;
    bool any = false;
    while (isdigit((unsigned char)*s) || (*s == ',' && any && isdigit((unsigned char)s[1]))) {
        if (*s != ',') {
            whole = whole * 10 + (*s - '0');
            any = true;
            if (whole > 100000000)
                return false;
        }
        s++;
    }
    if (!any)
        return false;
    int64_t frac = 0;
    if (*s == '.' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
        frac = (s[1] - '0') * 10 + (s[2] - '0');
        s += 3;
    }
    *cents = whole * 100 + frac;
    *end = s;
    return true;
}

static bool amount_known(const struct ai_draft_ctx *c, int64_t cents)
{
    if (c->extra_cents >= 0 && cents == c->extra_cents)
        return true;
    for (size_t i = 0; i < c->k->nservices; i++)
        if (c->k->services[i].cents == cents)
            return true;
    for (size_t i = 0; i < c->k->nrules; i++)
        if (c->k->rules[i].cents == cents)
            return true;
    /* The amounts a price note states ("small areas from $99, full legs $399"). */
    for (size_t i = 0; i < c->k->nservices; i++)
        for (const char *p = strchr(c->k->services[i].note, '$'); p; p = strchr(p + 1, '$')) {
            int64_t v;
            const char *end;
            if (read_amount(p + 1, &v, &end) && v == cents)
                return true;
        }
    return false;
}

static bool word_at(const char *s, const char *w)
{
    while (*s == ' ')
        s++;
    return strncasecmp(s, w, strlen(w)) == 0;
}

#define SCAN_MAX 32

/* The amounts text states, in cents, into out[SCAN_MAX]. Returns how many. */
static size_t scan_amounts(const char *t, int64_t *out)
{
    size_t n = 0;
    for (const char *p = t; *p && n < SCAN_MAX; p++) {
        int64_t cents;
        const char *end;
        const char *at = NULL;
        if (*p == '$')
            at = p + 1;
        else if (strncasecmp(p, "usd", 3) == 0 && (p == t || !isalpha((unsigned char)p[-1])))
            at = p + 3;
        if (at) {
            while (*at == ' ')
                at++;
            if (read_amount(at, &cents, &end)) {
                out[n++] = cents;
                p = end - 1;
            }
            continue;
        }
        if (isdigit((unsigned char)*p) && (p == t || !isalnum((unsigned char)p[-1])) &&
            read_amount(p, &cents, &end)) {
            if (word_at(end, "dollar") || word_at(end, "usd") || word_at(end, "bucks"))
                out[n++] = cents;
            p = end - 1;
        }
    }
    return n;
}

/* ------------------------------------------------------------------ times */

/* A clock time as written: minutes since midnight, and the other reading
 * when am/pm was not written (-1: none). */
struct clock_read {
    int min, alt;
};

static bool time_known(const struct ai_draft_ctx *c, int min)
{
    for (size_t i = 0; i < c->ntimes; i++)
        if (c->times_min[i] == min)
            return true;
    for (int wd = 0; wd < 7; wd++)
        if (c->k->open_min[wd] >= 0 && (c->k->open_min[wd] == min || c->k->close_min[wd] == min))
            return true;
    return false;
}

/* am/pm at s: 'a', 'p' or 0; *end past it. */
static char meridiem(const char *s, const char **end)
{
    while (*s == ' ')
        s++;
    char m = (char)tolower((unsigned char)*s);
    if (m != 'a' && m != 'p')
        return 0;
    const char *q = s + 1;
    if (*q == '.')
        q++;
    if (tolower((unsigned char)*q) != 'm')
        return 0;
    q++;
    if (*q == '.')
        q++;
    if (isalpha((unsigned char)*q))
        return 0;
    *end = q;
    return m;
}

/* The clock times text names into out[SCAN_MAX]. Returns how many. */
static size_t scan_times(const char *t, struct clock_read *out)
{
    size_t n = 0;
    for (const char *p = t; *p && n < SCAN_MAX; p++) {
        if (!isdigit((unsigned char)*p) || (p > t && (isalnum((unsigned char)p[-1]) || p[-1] == '$' ||
                                                      p[-1] == '.' || p[-1] == ',' || p[-1] == ':')))
            continue;
        const char *q = p;
        int h = 0, m = 0;
        while (isdigit((unsigned char)*q) && q - p < 3)
            h = h * 10 + (*q++ - '0');
        if (q - p > 2 || isdigit((unsigned char)*q))
            continue;
        bool colon = false;
        if (*q == ':' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
            !isdigit((unsigned char)q[3])) {
            m = (q[1] - '0') * 10 + (q[2] - '0');
            q += 3;
            colon = true;
        }
        const char *end = q;
        char mer = meridiem(q, &end);
        if ((!colon && !mer) || h > 23 || m > 59 || (mer && (h < 1 || h > 12)))
            continue;
        if (mer)
            out[n++] = (struct clock_read){ (h % 12 + (mer == 'p' ? 12 : 0)) * 60 + m, -1 };
        else
            out[n++] = (struct clock_read){ h * 60 + m, h >= 1 && h <= 12 ? ((h + 12) % 24) * 60 + m : -1 };
        p = end - 1;
    }
    return n;
}

static bool read_is(const struct clock_read *r, int min)
{
    return r->min == min || r->alt == min;
}

/* Whether the draft names only known times and amounts (or the
 * reference's), and, with a reference, every time and amount it names. */
static enum ai_draft_verdict facts_ok(const struct ai_draft_ctx *c, const char *t)
{
    int64_t am[SCAN_MAX], ref_am[SCAN_MAX];
    struct clock_read tm[SCAN_MAX], ref_tm[SCAN_MAX];
    size_t nam = scan_amounts(t, am), ntm = scan_times(t, tm);
    size_t nra = c->reference ? scan_amounts(c->reference, ref_am) : 0;
    size_t nrt = c->reference ? scan_times(c->reference, ref_tm) : 0;
    for (size_t i = 0; i < nam; i++) {
        bool ok = amount_known(c, am[i]);
        for (size_t j = 0; j < nra && !ok; j++)
            ok = ref_am[j] == am[i];
        if (!ok)
            return AI_DRAFT_AMOUNT;
    }
    for (size_t i = 0; i < ntm; i++) {
        bool ok = time_known(c, tm[i].min) || (tm[i].alt >= 0 && time_known(c, tm[i].alt));
        for (size_t j = 0; j < nrt && !ok; j++)
            ok = read_is(&tm[i], ref_tm[j].min);
        if (!ok)
            return AI_DRAFT_TIME;
    }
    for (size_t j = 0; j < nra; j++) {
        bool kept = false;
        for (size_t i = 0; i < nam && !kept; i++)
            kept = am[i] == ref_am[j];
        if (!kept)
            return AI_DRAFT_INCOMPLETE;
    }
    for (size_t j = 0; j < nrt; j++) {
        bool kept = false;
        for (size_t i = 0; i < ntm && !kept; i++)
            kept = read_is(&tm[i], ref_tm[j].min);
        if (!kept)
            return AI_DRAFT_INCOMPLETE;
    }
    return AI_DRAFT_OK;
}

/* ------------------------------------------------------------------ advice */

/* Phrases that give medical advice rather than deflect to a provider. */
static const char *const advice[] = {
    "ibuprofen", "advil", "motrin", "tylenol", "acetaminophen", "paracetamol", "aspirin",
    "aleve", "naproxen", "benadryl", "antihistamine", "antibiotic", "arnica", "steroid",
    "hydrocortisone", "prednisone", " mg ", "mg of", "milligram", "dosage", "dose of",
    "you should take", "take some", "stop taking", "keep taking", "it is safe", "it's safe",
    "it’s safe", "perfectly safe", "safe for you", "safe during pregnancy", "safe while pregnant",
    "safe while breastfeeding", "safe to combine", "you have an infection", "sounds like an infection",
    "sounds like an allergic", "diagnos", "prescri", "is completely normal", "is totally normal",
    "is perfectly normal", "nothing to worry about", "no need to see a doctor",
    "don't need to see a doctor", "apply ice", "ice pack", "warm compress", "massage the area",
};

static bool medical_advice(const char *t)
{
    for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++)
        if (strcasestr(t, advice[i]))
            return true;
    return false;
}

/* ------------------------------------------------------------------ draft */

enum ai_draft_verdict ai_policy_check_draft(const struct ai_draft_ctx *c, const char *text)
{
    if (c->opted_out)
        return AI_DRAFT_OPTED_OUT;
    if (c->proactive && c->quiet)
        return AI_DRAFT_QUIET;
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > c->max_len || strspn(text, " \t\r\n") == n)
        return AI_DRAFT_LENGTH;
    char *copy = strdup(text);
    if (!copy)
        return AI_DRAFT_LENGTH; /* cannot check it: not sent */
    int masked = redact_card_numbers(copy);
    free(copy);
    if (masked > 0)
        return AI_DRAFT_CARD;
    if (strcasestr(text, "http://") || strcasestr(text, "https://") || strcasestr(text, "www."))
        return AI_DRAFT_LINK;
    if (medical_advice(text))
        return AI_DRAFT_MEDICAL;
    if (strstr(text, "[name]") || strstr(text, "[phone]") || strstr(text, "[email]") ||
        strstr(text, REDACT_MARKER) || strstr(text, REDACT_MARKER_URGENT))
        return AI_DRAFT_MARKER;
    return facts_ok(c, text);
}

/* ------------------------------------------------------------------ redaction */

struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static bool email_char(char ch)
{
    return isalnum((unsigned char)ch) || strchr("._%+-", ch);
}

/* Length of an email address starting at s (s at its first byte), or 0. */
static size_t email_len(const char *s)
{
    size_t i = 0;
    while (s[i] && email_char(s[i]))
        i++;
    if (i == 0 || s[i] != '@')
        return 0;
    size_t j = i + 1, dot = 0;
    while (s[j] && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '.')) {
        if (s[j] == '.')
            dot = j;
        j++;
    }
    while (j > i + 1 && s[j - 1] == '.')
        j--;
    return dot > i + 1 && dot + 2 < j ? j : 0;
}

/* Length of a phone number at s (7+ digits with separators), or 0. */
static size_t phone_len(const char *s)
{
    size_t i = 0, digits = 0, last = 0;
    if (*s == '+' || *s == '(')
        i++;
    while (s[i] && (isdigit((unsigned char)s[i]) || strchr(" -().", s[i]))) {
        if (isdigit((unsigned char)s[i])) {
            digits++;
            last = i + 1;
        } else if (s[i] == ' ' && !isdigit((unsigned char)s[i + 1]) && s[i + 1] != '(') {
            break;
        }
        i++;
    }
    return digits >= 7 ? last : 0;
}

static size_t name_len(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = names[i] ? strlen(names[i]) : 0;
        if (l >= 2 && strncasecmp(s, names[i], l) == 0 && !isalnum((unsigned char)s[l]))
            return l;
    }
    return 0;
}

char *ai_policy_redact(const char *text, const char *const *names, size_t n)
{
    char *r = redact_message(text ? text : "");
    if (!r)
        return NULL;
    struct sbuf b = { 0 };
    sb_put(&b, "", 0);
    for (const char *p = r; *p;) {
        bool start = p == r || !isalnum((unsigned char)p[-1]);
        bool estart = p == r || !email_char(p[-1]);
        size_t l;
        if (estart && (l = email_len(p))) {
            sb_put(&b, "[email]", 7);
            p += l;
        } else if (start && (isdigit((unsigned char)*p) || *p == '+' || *p == '(') && (l = phone_len(p))) {
            sb_put(&b, "[phone]", 7);
            p += l;
        } else if (start && (l = name_len(p, names, n))) {
            sb_put(&b, "[name]", 6);
            p += l;
        } else {
            sb_put(&b, p, 1);
            p++;
        }
    }
    free(r);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
