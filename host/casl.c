/*
 * CASL decisions and the commercial-message footer (see casl.h). The lapse
 * dates are calendar arithmetic on the clinic's local dates through tz.h;
 * the footer counts characters as UTF-8 code points, the unit the 480-char
 * limit is written in.
 */
#include "casl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

static const char *const REASONS[] = { "not_ca",  "not_commercial", "express",  "purchase",
                                       "inquiry", "opted_out",      "lapsed",   "no_consent" };

const char *casl_reason_name(int r)
{
    return r >= 0 && r < (int)(sizeof REASONS / sizeof REASONS[0]) ? REASONS[r] : "unknown";
}

bool casl_kind_commercial(const char *kind)
{
    return kind && strcmp(kind, "proactive") == 0;
}

int casl_lapse_at(const char *zone, int64_t given_us, int months, int64_t *out)
{
    struct tz_local l;
    if (!zone || months < 0 || !out)
        return CASL_E_INVAL;
    if (tz_to_local(zone, given_us, &l) != 0)
        return CASL_E_TZ;
    int m0 = l.month - 1 + months;
    l.year += m0 / 12;
    l.month = m0 % 12 + 1;
    int dim = tz_days_in_month(l.year, l.month);
    if (l.day > dim)
        l.day = dim;
    l.hour = l.minute = l.second = l.usec = 0;
    /* Midnight of the anniversary day; a skipped midnight maps to the end
     * of the gap (tz.h), still the first instant of that day. */
    if (tz_from_local(zone, &l, TZ_REPEATED_FIRST, out) != 0)
        return CASL_E_TZ;
    return 0;
}

/* Considers one implied consent: if it is still good at now, keeps the one
 * lasting longest. */
static int consider(const char *zone, int64_t given, int months, int reason, int64_t now,
                    struct casl_decision *best, bool *seen)
{
    int64_t lapse;
    if (given <= 0)
        return 0;
    *seen = true;
    int rc = casl_lapse_at(zone, given, months, &lapse);
    if (rc != 0)
        return rc;
    if (now < lapse && (!best->allowed || lapse > best->lapses_us)) {
        best->allowed = true;
        best->reason = reason;
        best->lapses_us = lapse;
    }
    return 0;
}

int casl_may_send(const struct casl_facts *f, const char *zone, int64_t now_us,
                  struct casl_decision *out)
{
    if (!f || !zone || !out)
        return CASL_E_INVAL;
    memset(out, 0, sizeof *out);
    out->needs_footer = true;
    if (!tz_valid(zone))
        return CASL_E_TZ;
    if (f->opted_out) {
        out->reason = CASL_NO_OPTED_OUT;
        return 0;
    }
    if (f->express_us > 0) {
        out->allowed = true;
        out->reason = CASL_OK_EXPRESS;
        return 0;
    }
    bool seen = false;
    int rc = consider(zone, f->purchase_us, CASL_PURCHASE_MONTHS, CASL_OK_PURCHASE, now_us, out,
                      &seen);
    if (rc == 0)
        rc = consider(zone, f->inquiry_us, CASL_INQUIRY_MONTHS, CASL_OK_INQUIRY, now_us, out,
                      &seen);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (!out->allowed)
        out->reason = seen ? CASL_NO_LAPSED : CASL_NO_CONSENT;
    return 0;
}

int casl_decide(const char *country, const char *zone, bool commercial,
                const struct casl_facts *f, int64_t now_us, struct casl_decision *out)
{
    if (!country || !out)
        return CASL_E_INVAL;
    memset(out, 0, sizeof *out);
    if (strcmp(country, "CA") != 0) {
        out->allowed = true;
        out->reason = CASL_OK_NOT_CA;
        return 0;
    }
    if (!commercial) {
        out->allowed = true;
        out->reason = CASL_OK_NOT_COMMERCIAL;
        return 0;
    }
    return casl_may_send(f, zone, now_us, out);
}

/* ---- the footer --------------------------------------------------------- */

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return false;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower(hay[i]) == lower(needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The word STOP (any case), not part of "stopped" or "nonstop". */
static bool has_stop_word(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (lower(p[0]) == 's' && lower(p[1]) == 't' && lower(p[2]) == 'o' &&
            lower(p[3]) == 'p' && (p == s || !is_alnum(p[-1])) && !is_alnum(p[4]))
            return true;
    }
    return false;
}

bool casl_footer_present(const char *text, const char *clinic_name)
{
    return text && clinic_name && contains_ci(text, clinic_name) && has_stop_word(text);
}

int casl_footer_apply(const char *text, const char *clinic_name, char *out, size_t cap,
                      bool *added)
{
    if (added)
        *added = false;
    if (!text || !clinic_name || !*clinic_name || !out || cap == 0)
        return CASL_E_INVAL;
    out[0] = '\0';
    size_t tlen = strlen(text);
    /* Trailing whitespace goes before a footer is joined on. */
    while (tlen > 0 && (text[tlen - 1] == ' ' || text[tlen - 1] == '\n' || text[tlen - 1] == '\t'))
        tlen--;
    if (casl_footer_present(text, clinic_name)) {
        if (chars(text) > CASL_MAX_CHARS)
            return CASL_E_TOOLONG;
        if (strlen(text) >= cap)
            return CASL_E_INVAL;
        memcpy(out, text, strlen(text) + 1);
        return 0;
    }
    for (int form = 0; form < 2; form++) {
        int n = form == 0 ? snprintf(out, cap, "%.*s - %s. Reply STOP to unsubscribe.",
                                     (int)tlen, text, clinic_name)
                          : snprintf(out, cap, "%.*s %s: STOP to opt out", (int)tlen, text,
                                     clinic_name);
        if (n < 0 || (size_t)n >= cap) {
            out[0] = '\0';
            return CASL_E_INVAL;
        }
        if (chars(out) <= CASL_MAX_CHARS) {
            if (added)
                *added = true;
            return 0;
        }
    }
    out[0] = '\0';
    return CASL_E_TOOLONG;
}

/* ---- the ledger --------------------------------------------------------- */

/* The latest of each kind of consent after the last opt-out, in
 * microseconds since the epoch (NULL when none), and the current state. */
DB_STMT(st_facts,
        "WITH last_out AS (SELECT coalesce(max(id), 0) AS id FROM consent_events "
        "  WHERE tenant_id = $1 AND contact IN ($2, consent_erased_key($1, $2)) "
        "  AND kind = 'opt_out'), "
        "ev AS (SELECT e.* FROM consent_events e, last_out "
        "  WHERE e.tenant_id = $1 AND e.contact IN ($2, consent_erased_key($1, $2)) "
        "  AND e.kind IN ('consent', 'opt_in') "
        "  AND e.id > last_out.id) "
        "SELECT (SELECT coalesce(bool_or(opted_out), false) FROM consent_state "
        "         WHERE tenant_id = $1 AND contact IN ($2, consent_erased_key($1, $2))), "
        " (SELECT (extract(epoch FROM max(at)) * 1000000)::bigint FROM ev "
        "   WHERE (kind = 'consent' AND basis = 'express' AND scope IN ('marketing', 'all')) "
        "      OR (kind = 'opt_in' AND source <> 'provider_report')), "
        " (SELECT (extract(epoch FROM max(at)) * 1000000)::bigint FROM ev WHERE kind = 'consent' "
        "   AND (basis = 'implied_inquiry' OR (basis IS NULL AND source IN "
        "        ('inbound_call', 'inbound_text', 'inbound_chat')))), "
        " (SELECT (extract(epoch FROM max(at)) * 1000000)::bigint FROM ev WHERE kind = 'consent' "
        "   AND basis = 'implied_purchase')");

static int64_t num_or_zero(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? 0 : strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

int casl_facts_load(struct db_conn *c, const char *tenant_id, const char *contact,
                    struct casl_facts *out)
{
    if (!c || !tenant_id || !contact || !out)
        return CASL_E_INVAL;
    memset(out, 0, sizeof *out);
    const char *p[] = { tenant_id, contact };
    PGresult *r = db_exec(c, &st_facts, 2, p);
    int rc = CASL_E_DB;
    if (db_ok(r) && PQntuples(r) == 1) {
        out->opted_out = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        out->express_us = num_or_zero(r, 1);
        out->inquiry_us = num_or_zero(r, 2);
        out->purchase_us = num_or_zero(r, 3);
        rc = 0;
    }
    PQclear(r);
    return rc;
}
