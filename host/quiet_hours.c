/*
 * The quiet-hours decision. In one zone, the allowed instants are those whose
 * local minute of the day lies in [start, end). If now is not one of them,
 * the next allowed instant starts a stretch of allowed time, so just before
 * it the local time was outside the window: either the wall clock ticked
 * onto `start` (an occurrence of the wall time start:00 on some local date,
 * the first or, on a fall-back day, the second), or a DST transition jumped
 * the clock into the window. Those candidates, for today and the next few
 * local days, plus every transition in that span, are all that need testing;
 * the earliest candidate inside the window is the answer. A wall time inside
 * a spring-forward gap maps to the gap's end, which is a transition, so the
 * answer never depends on a wall time that does not exist.
 *
 * With several zones (an area code spanning two), the answer must be inside
 * every zone's window: moving to each zone's next allowed instant in turn
 * never passes the true answer, and stops when every zone agrees. The cap
 * moves the search's start to the moment enough old sends age out.
 */
#include "quiet_hours.h"

#include <stdlib.h>
#include <string.h>

#include "tz.h"

#define DAYS_AHEAD 3   /* local dates searched past today, in one zone */
#define MAX_ROUNDS 32  /* rounds over the zones before giving up on overlap */
#define MINUTES_PER_DAY 1440
#define NOW_LIMIT (1LL << 60) /* keeps now +- days far from overflow; tz refuses such years anyway */

void quiet_hours_policy_init(struct qh_policy *p)
{
    memset(p, 0, sizeof *p);
    p->start_min = QH_DEFAULT_START;
    p->end_min = QH_DEFAULT_END;
}

static bool window_ok(int start, int end)
{
    return start >= 0 && start < end && end <= MINUTES_PER_DAY;
}

static bool region_ok(const char *r)
{
    return r && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z' && r[2] == '\0';
}

int quiet_hours_policy_add_state(struct qh_policy *p, const char *region, int start_min,
                                 int end_min, int max_per_24h)
{
    if (!region_ok(region) || !window_ok(start_min, end_min) || max_per_24h < 0 ||
        p->n_rules < 0 || p->n_rules >= QH_MAX_STATE_RULES)
        return QH_E_INVAL;
    for (int i = 0; i < p->n_rules; i++)
        if (strcmp(p->rules[i].region, region) == 0)
            return QH_E_INVAL;
    struct qh_state_rule *r = &p->rules[p->n_rules++];
    memcpy(r->region, region, 3);
    r->start_min = start_min;
    r->end_min = end_min;
    r->max_per_24h = max_per_24h;
    return 0;
}

int quiet_hours_parse_hhmm(const char *s, int *minutes)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return QH_E_INVAL;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return QH_E_INVAL;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return QH_E_INVAL;
    *minutes = h * 60 + m;
    return 0;
}

bool quiet_hours_is_reply(int64_t now_us, int64_t last_inbound_us)
{
    return last_inbound_us > 0 && last_inbound_us <= now_us &&
           now_us - last_inbound_us <= QH_REPLY_WINDOW_US;
}

/* 1 when t is inside [start, end) in zone, 0 when not, or a QH_E_*. */
static int inside(const char *zone, int start, int end, int64_t t)
{
    struct tz_local l;
    if (tz_to_local(zone, t, &l) != 0)
        return QH_E_TZ;
    int m = l.hour * 60 + l.minute;
    return m >= start && m < end;
}

static int consider(const char *zone, int start, int end, int64_t t, int64_t c, int64_t *best)
{
    if (c <= t || c >= *best)
        return 0;
    int in = inside(zone, start, end, c);
    if (in < 0)
        return in;
    if (in)
        *best = c;
    return 0;
}

/* The first instant at or after t inside [start, end) in zone. */
static int zone_next(const char *zone, int start, int end, int64_t t, int64_t *out)
{
    struct tz_local today;
    int64_t best = INT64_MAX;
    int rc;

    if ((rc = inside(zone, start, end, t)) < 0)
        return rc;
    if (rc) {
        *out = t;
        return 0;
    }
    if (tz_to_local(zone, t, &today) != 0)
        return QH_E_TZ;
    for (int d = 0; d <= DAYS_AHEAD; d++) {
        struct tz_local w = today;
        tz_date_add_days(&w, d);
        w.hour = start / 60;
        w.minute = start % 60;
        w.second = w.usec = 0;
        for (int flags = TZ_REPEATED_FIRST; flags <= TZ_REPEATED_LAST; flags++) {
            int64_t c;
            if (tz_from_local(zone, &w, flags, &c) != 0)
                return QH_E_TZ;
            if ((rc = consider(zone, start, end, t, c, &best)) < 0)
                return rc;
        }
    }
    int64_t after = t, limit = t + (DAYS_AHEAD + 1) * QH_CAP_PERIOD_US, tr;
    while ((rc = tz_next_transition(zone, after, limit, &tr)) == 1) {
        if ((rc = consider(zone, start, end, t, tr, &best)) < 0)
            return rc;
        after = tr;
    }
    if (rc < 0)
        return QH_E_TZ;
    if (best == INT64_MAX)
        return QH_E_NEVER;
    *out = best;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first instant at or after now when fewer than cap sends fall in the
 * trailing 24 hours. */
static int cap_clear_at(const struct qh_recipient *r, int cap, int64_t now, int64_t *out)
{
    int64_t recent[QH_MAX_RECENT];
    size_t n = 0;
    *out = now;
    if (cap <= 0)
        return 0;
    for (size_t i = 0; i < r->n_recent; i++) {
        int64_t s = r->recent_sends_us[i] > now ? now : r->recent_sends_us[i];
        if (s > now - QH_CAP_PERIOD_US)
            recent[n++] = s;
    }
    if (n < (size_t)cap)
        return 0;
    qsort(recent, n, sizeof recent[0], cmp_i64);
    /* Once the (n - cap + 1) oldest have aged out, cap - 1 remain. */
    *out = recent[n - (size_t)cap] + QH_CAP_PERIOD_US;
    return 0;
}

static const struct qh_state_rule *rule_for(const struct qh_policy *p, const char *region)
{
    if (!region[0])
        return NULL;
    for (int i = 0; i < p->n_rules; i++)
        if (strcmp(p->rules[i].region, region) == 0)
            return &p->rules[i];
    return NULL;
}

static int stricter_cap(int a, int b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

static bool policy_ok(const struct qh_policy *p)
{
    if (!window_ok(p->start_min, p->end_min) || p->max_per_24h < 0 || p->n_rules < 0 ||
        p->n_rules > QH_MAX_STATE_RULES)
        return false;
    for (int i = 0; i < p->n_rules; i++)
        if (!region_ok(p->rules[i].region) ||
            !window_ok(p->rules[i].start_min, p->rules[i].end_min) || p->rules[i].max_per_24h < 0)
            return false;
    return true;
}

int quiet_hours_decide(const struct qh_policy *p, const struct qh_recipient *r, int64_t now_us,
                       struct qh_decision *out)
{
    struct qh_decision d;
    struct area_code_info ac;
    int rc;

    memset(&d, 0, sizeof d);
    if (!p || !r || !out || !policy_ok(p) || r->n_recent > QH_MAX_RECENT ||
        (r->n_recent > 0 && !r->recent_sends_us) || now_us < -NOW_LIMIT || now_us > NOW_LIMIT)
        return QH_E_INVAL;
    if (!tz_valid(r->clinic_zone))
        return QH_E_ZONE;
    if (area_codes_lookup(r->phone, &ac) == 1) {
        memcpy(d.region, ac.region, sizeof d.region);
        d.n_zones = ac.n_zones;
        for (int i = 0; i < ac.n_zones; i++)
            d.zones[i] = ac.zones[i];
    } else {
        d.n_zones = 1;
        d.zones[0] = r->clinic_zone;
    }
    d.start_min = p->start_min;
    d.end_min = p->end_min;
    d.max_per_24h = p->max_per_24h;
    const struct qh_state_rule *sr = rule_for(p, d.region);
    if (sr) {
        d.start_min = sr->start_min > d.start_min ? sr->start_min : d.start_min;
        d.end_min = sr->end_min < d.end_min ? sr->end_min : d.end_min;
        d.max_per_24h = stricter_cap(d.max_per_24h, sr->max_per_24h);
        if (d.start_min >= d.end_min)
            return QH_E_NEVER; /* the tenant's and the state's windows do not meet */
    }

    int64_t t;
    if ((rc = cap_clear_at(r, d.max_per_24h, now_us, &t)) < 0)
        return rc;
    if (t > now_us)
        d.reasons |= QH_REASON_CAP;
    for (int i = 0; i < d.n_zones; i++) {
        int in = inside(d.zones[i], d.start_min, d.end_min, now_us);
        if (in < 0)
            return in;
        if (!in)
            d.reasons |= QH_REASON_WINDOW;
    }

    int round;
    for (round = 0; round < MAX_ROUNDS; round++) {
        int64_t moved = t;
        for (int i = 0; i < d.n_zones; i++)
            if ((rc = zone_next(d.zones[i], d.start_min, d.end_min, moved, &moved)) < 0)
                return rc;
        if (moved == t)
            break;
        t = moved;
    }
    if (round == MAX_ROUNDS)
        return QH_E_NEVER;
    d.earliest_us = t;
    d.send_now = t == now_us;
    *out = d;
    return 0;
}
