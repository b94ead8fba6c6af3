/*
 * The assistant's wording (see replies.h): sentences assembled from the
 * tenant's knowledge into a bounded buffer, with a few variants per kind of
 * answer chosen by the conversation's turn counter.
 */
#include "replies.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nlu/nlu.h"
#include "tz.h"

static const char *const wday_names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday" };
static const char *const month_names[12] = { "January", "February", "March", "April", "May", "June", "July",
                                             "August", "September", "October", "November", "December" };

void replies_init(struct reply *r, unsigned seed)
{
    r->s[0] = '\0';
    r->n = 0;
    r->seed = seed;
    r->reserve = 0;
}

int replies_add(struct reply *r, const char *fmt, ...)
{
    char tmp[REPLY_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    if (n == 0)
        return 0;
    size_t sep = r->n ? 1 : 0;
    if (r->n + sep + (size_t)n + r->reserve > REPLY_MAX)
        return -1;
    if (sep)
        r->s[r->n++] = ' ';
    memcpy(r->s + r->n, tmp, (size_t)n + 1);
    r->n += (size_t)n;
    return 0;
}

const char *replies_pick(const struct reply *r, const char *const *variants, size_t n)
{
    return variants[r->seed % n];
}

void replies_money(int64_t cents, char *out, size_t cap)
{
    int64_t d = cents / 100, c = cents % 100;
    if (c)
        snprintf(out, cap, "$%lld.%02lld", (long long)d, (long long)c);
    else
        snprintf(out, cap, "$%lld", (long long)d);
}

void replies_clock(int min, char *out, size_t cap)
{
    int h = (min / 60) % 24, m = min % 60;
    int h12 = h % 12 ? h % 12 : 12;
    snprintf(out, cap, "%d:%02d %s", h12, m, h < 12 ? "AM" : "PM");
}

void replies_day(int32_t day, char *out, size_t cap)
{
    int y, m, d;
    nlu_civil_from_days(day, &y, &m, &d);
    snprintf(out, cap, "%s, %s %d", wday_names[nlu_weekday(day)], month_names[(m - 1) % 12], d);
}

int replies_when(const struct convo_knowledge *k, int64_t utc_us, char *out, size_t cap)
{
    struct tz_local l;
    if (tz_to_local(k->zone, utc_us, &l))
        return -1;
    char day[48], clock[16];
    replies_day(nlu_days_from_civil(l.year, l.month, l.day), day, sizeof day);
    replies_clock(l.hour * 60 + l.minute, clock, sizeof clock);
    snprintf(out, cap, "%s at %s", day, clock);
    return 0;
}

void replies_phone(const struct convo_knowledge *k, char *out, size_t cap)
{
    const char *p = k->phone;
    if (!strncmp(p, "+1", 2) && strlen(p) == 12)
        snprintf(out, cap, "(%.3s) %.3s-%.4s", p + 2, p + 5, p + 8);
    else
        snprintf(out, cap, "%s", p);
}

const char *replies_provider(const struct convo_knowledge *k, int p)
{
    return p >= 0 && (size_t)p < k->nproviders ? k->providers[p].name : "one of our providers";
}

int replies_greeting(struct reply *r, const struct convo_knowledge *k, bool missed_call)
{
    if (missed_call) {
        static const char *const v[] = { "How can I help?", "Are you looking to book something?",
                                         "What can I help you with?" };
        return replies_add(r, "Hi, this is %s \xe2\x80\x94 sorry we missed your call! I'm the automated "
                              "booking assistant and can help you book or answer questions here. %s",
                           k->name, replies_pick(r, v, 3));
    }
    return replies_add(r, "Hi! I'm the automated assistant for %s.", k->name);
}

int replies_price(struct reply *r, const struct convo_knowledge *k, int s)
{
    if (s < 0 || (size_t)s >= k->nservices)
        return -1;
    const struct kn_service *sv = &k->services[s];
    char money[32], note[KN_TEXT_MAX + 8] = "";
    replies_money(sv->cents, money, sizeof money);
    if (sv->note[0])
        snprintf(note, sizeof note, " (%s)", sv->note);
    switch (sv->price_kind) {
    case KN_PRICE_PER_UNIT:
        return replies_add(r, "%s is %s per unit%s.", sv->name, money, note);
    case KN_PRICE_PER_SYRINGE:
        return replies_add(r, "%s is %s per syringe%s.", sv->name, money, note);
    case KN_PRICE_FROM:
        return replies_add(r, "%s starts at %s%s.", sv->name, money, note);
    default:
        if (sv->cents == 0)
            return replies_add(r, "%s is free%s.", sv->name, note);
        return replies_add(r, "%s is %s%s.", sv->name, money, note);
    }
}

/* "9:00 AM to 6:00 PM" of weekday wd into out; false when closed. */
static bool day_hours(const struct convo_knowledge *k, int wd, char *out, size_t cap)
{
    if (k->open_min[wd] < 0)
        return false;
    char a[16], b[16];
    replies_clock(k->open_min[wd], a, sizeof a);
    replies_clock(k->close_min[wd], b, sizeof b);
    snprintf(out, cap, "%s to %s", a, b);
    return true;
}

int replies_hours(struct reply *r, const struct convo_knowledge *k, int wd)
{
    char h[48];
    if (wd >= 0 && wd < 7) {
        if (!day_hours(k, wd, h, sizeof h))
            return replies_add(r, "We're closed on %ss.", wday_names[wd]);
        return replies_add(r, "On %ss we're open %s.", wday_names[wd], h);
    }
    char all[REPLY_MAX] = "";
    size_t n = 0;
    for (int i = 1; i <= 7; i++) {
        int d = i % 7; /* Monday first */
        if (!day_hours(k, d, h, sizeof h))
            continue;
        int w = snprintf(all + n, sizeof all - n, "%s%.3s %s", n ? ", " : "", wday_names[d], h);
        if (w < 0 || (size_t)w >= sizeof all - n)
            return -1;
        n += (size_t)w;
    }
    if (!n)
        return replies_add(r, "We don't have regular opening hours listed.");
    return replies_add(r, "Our hours: %s.", all);
}

int32_t replies_next_open_day(const struct convo_knowledge *k, int32_t day)
{
    for (int i = 0; i < 60; i++)
        if (!convo_knowledge_closed_day(k, day + i))
            return day + i;
    return NLU_DAY_NONE;
}

int replies_open_now(struct reply *r, const struct convo_knowledge *k, int32_t day, int min)
{
    int wd = nlu_weekday(day);
    char a[16], b[16], d[48];
    if (!convo_knowledge_closed_day(k, day) && min >= k->open_min[wd] && min < k->close_min[wd]) {
        replies_clock(k->close_min[wd], b, sizeof b);
        return replies_add(r, "Yes, we're open right now until %s.", b);
    }
    int32_t next = (!convo_knowledge_closed_day(k, day) && min < k->open_min[wd]) ? day
                                                                              : replies_next_open_day(k, day + 1);
    if (next == NLU_DAY_NONE)
        return replies_add(r, "We're closed right now.");
    int nwd = nlu_weekday(next);
    replies_clock(k->open_min[nwd], a, sizeof a);
    replies_clock(k->close_min[nwd], b, sizeof b);
    if (next == day)
        return replies_add(r, "We're closed right now; we open today at %s.", a);
    if (next == day + 1)
        return replies_add(r, "We're closed right now; we open tomorrow at %s.", a);
    replies_day(next, d, sizeof d);
    return replies_add(r, "We're closed right now; we open %s at %s (until %s).", d, a, b);
}

int replies_medical(struct reply *r, const struct convo_knowledge *k)
{
    char ph[32];
    replies_phone(k, ph, sizeof ph);
    static const char *const v[] = {
        "That's a great question for one of our providers \xe2\x80\x94 I can't give medical advice over text.",
        "I can't give medical advice here, but our providers can answer that for you.",
    };
    int rc = replies_add(r, "%s", replies_pick(r, v, 2));
    if (!rc)
        rc = replies_add(r, "Please call us at %s, or I can book a consultation so a provider can go over it "
                            "with you.", ph);
    return rc;
}

int replies_urgent(struct reply *r, const struct convo_knowledge *k)
{
    char ph[32];
    replies_phone(k, ph, sizeof ph);
    return replies_add(r, "I'm sorry you're dealing with this. Please call us right away at %s so a provider "
                          "can help. If it's an emergency (severe pain, vision changes, trouble breathing), "
                          "call 911 now. I've alerted our team.", ph);
}

int replies_pain(struct reply *r, const struct convo_knowledge *k)
{
    int rc = replies_add(r, "Most people describe it as a quick pinch, and it's over fast.");
    if (!rc && k->numbing[0])
        rc = replies_add(r, "%s", k->numbing);
    return rc;
}

int replies_objection(struct reply *r, const struct convo_knowledge *k, bool price, int service)
{
    (void)k;
    (void)service;
    if (price) {
        static const char *const v[] = {
            "I understand! Our prices are set by the clinic, so I can't change them here.",
            "Totally fair to ask. Prices are set by the clinic and I can't adjust them over text.",
        };
        int rc = replies_add(r, "%s", replies_pick(r, v, 2));
        if (!rc)
            rc = replies_add(r, "A provider can plan exactly what you need at your visit, so you only pay "
                                "for what you get.");
        return rc;
    }
    return replies_add(r, "No rush at all \xe2\x80\x94 text me whenever you're ready and I'll find you a time.");
}

int replies_handoff(struct reply *r)
{
    static const char *const v[] = {
        "Of course! I've let our team know and someone will text you back here shortly.",
        "Sure thing \xe2\x80\x94 I'm passing this to our staff, and a person will reply here soon.",
    };
    return replies_add(r, "%s", replies_pick(r, v, 2));
}
