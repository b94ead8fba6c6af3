/*
 * Confirmation and reminder wording, the .ics document, and reading the
 * answer to a reminder (reminder_text.h).
 */
#include "reminder_text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking_notify.h"
#include "knowledge.h"

static const char *clinic_name(const struct knowledge *k)
{
    return k && k->name && k->name[0] ? k->name : "Your clinic";
}

static const char *cancellation_policy(const struct knowledge *k)
{
    const char *s = k && k->policies
                        ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k->policies,
                                                                                 "cancellation"))
                        : NULL;
    return s && s[0] ? s : NULL;
}

void reminder_text_confirmation(const struct knowledge *k, const struct reminder_appt *a,
                                const char *calendar_url, char *out, size_t cap)
{
    char slot[200], head[420], tail[260];
    booking_describe_slot(k, a->service_id, a->start_us, slot, sizeof slot);
    const struct kn_provider *p = k ? knowledge_provider(k, a->provider_id) : NULL;
    const char *addr = k && k->address && k->address[0] ? k->address : NULL;
    snprintf(head, sizeof head, "%s: you're booked for %s%s%s%s%s.", clinic_name(k), slot,
             p && p->name ? " with " : "", p && p->name ? p->name : "", addr ? ", " : "",
             addr ? addr : "");
    snprintf(tail, sizeof tail, "%s%s", calendar_url && calendar_url[0] ? " Add to calendar: " : "",
             calendar_url && calendar_url[0] ? calendar_url : "");
    const char *pol = cancellation_policy(k);
    size_t limit = cap < REMINDER_CONFIRMATION_MAX + 1 ? cap : REMINDER_CONFIRMATION_MAX + 1;
    size_t fixed = strlen(head) + strlen(tail);
    char polbuf[REMINDER_CONFIRMATION_MAX + 1] = "";
    if (pol && fixed + 2 + 8 < limit) {
        size_t room = limit - 1 - fixed - 1; /* the space before it */
        if (strlen(pol) <= room) {
            snprintf(polbuf, sizeof polbuf, " %s", pol);
        } else {
            /* Whole sentences only, else none at all: a cut policy misleads. */
            size_t end = 0;
            for (size_t i = 0; pol[i] && i < room; i++)
                if (pol[i] == '.' && (pol[i + 1] == ' ' || !pol[i + 1]))
                    end = i + 1;
            if (end > 0)
                snprintf(polbuf, sizeof polbuf, " %.*s", (int)end, pol);
        }
    }
    snprintf(out, limit, "%s%s%s", head, polbuf, tail);
}

void reminder_text_reminder(const struct knowledge *k, const struct reminder_appt *a,
                            bool confirmed, char *out, size_t cap)
{
    const char *ask = confirmed ? "See you soon! Reply R to reschedule, STOP to opt out."
                                : "Reply C to confirm, R to reschedule, STOP to opt out.";
    char slot[200];
    booking_describe_slot(k, a->service_id, a->start_us, slot, sizeof slot);
    char buf[512];
    snprintf(buf, sizeof buf, "%s: reminder of your %s. %s", clinic_name(k), slot, ask);
    if (strlen(buf) > REMINDER_SMS_MAX) {
        /* Without the service: only the time. */
        booking_describe_slot(k, "", a->start_us, slot, sizeof slot);
        const char *on = strstr(slot, " on ");
        snprintf(buf, sizeof buf, "%.60s: reminder of your visit%s. %s", clinic_name(k),
                 on ? on : "", ask);
    }
    if (strlen(buf) > REMINDER_SMS_MAX)
        buf[REMINDER_SMS_MAX] = '\0';
    snprintf(out, cap, "%s", buf);
}

/* ---- iCalendar --------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 512) + n;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* One content line, folded at 75 octets (never inside a UTF-8 sequence). */
static void ics_line(struct sbuf *b, const char *line)
{
    size_t n = strlen(line), i = 0, width = 75;
    while (n - i > width) {
        size_t cut = i + width;
        while (cut > i && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--;
        sb_put(b, line + i, cut - i);
        sb_put(b, "\r\n ", 3);
        i = cut;
        width = 74; /* the continuation's leading space counts */
    }
    sb_put(b, line + i, n - i);
    sb_put(b, "\r\n", 2);
}

/* name:value with value escaped as TEXT (RFC 5545 3.3.11). */
static void ics_text(struct sbuf *b, const char *name, const char *value)
{
    char line[1200];
    size_t o = (size_t)snprintf(line, sizeof line, "%s:", name);
    for (const char *s = value; *s && o + 3 < sizeof line; s++) {
        if (*s == '\\' || *s == ';' || *s == ',') {
            line[o++] = '\\';
            line[o++] = *s;
        } else if (*s == '\n') {
            line[o++] = '\\';
            line[o++] = 'n';
        } else if ((unsigned char)*s >= 0x20 || *s == '\t') {
            line[o++] = *s;
        }
    }
    line[o] = '\0';
    ics_line(b, line);
}

static void ics_time(char out[17], int64_t us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

char *reminder_ics(const struct knowledge *k, const struct reminder_appt *a, const char *uid,
                   int64_t now_us)
{
    struct sbuf b = { 0 };
    char line[256], ts[17], summary[300];
    const struct kn_service *s = k ? knowledge_service(k, a->service_id) : NULL;
    const struct kn_provider *p = k ? knowledge_provider(k, a->provider_id) : NULL;
    ics_line(&b, "BEGIN:VCALENDAR");
    ics_line(&b, "VERSION:2.0");
    ics_line(&b, "PRODID:-//Bookwell//Appointments//EN");
    ics_line(&b, "CALSCALE:GREGORIAN");
    ics_line(&b, "METHOD:PUBLISH");
    ics_line(&b, "BEGIN:VEVENT");
    ics_text(&b, "UID", uid);
    ics_time(ts, now_us);
    snprintf(line, sizeof line, "DTSTAMP:%s", ts);
    ics_line(&b, line);
    ics_time(ts, a->start_us);
    snprintf(line, sizeof line, "DTSTART:%s", ts);
    ics_line(&b, line);
    ics_time(ts, a->end_us);
    snprintf(line, sizeof line, "DTEND:%s", ts);
    ics_line(&b, line);
    snprintf(summary, sizeof summary, "%s at %s", s && s->name ? s->name : "Appointment",
             clinic_name(k));
    ics_text(&b, "SUMMARY", summary);
    if (k && k->address && k->address[0])
        ics_text(&b, "LOCATION", k->address);
    if (p && p->name) {
        snprintf(summary, sizeof summary, "With %s", p->name);
        ics_text(&b, "DESCRIPTION", summary);
    }
    ics_line(&b, "STATUS:CONFIRMED");
    ics_line(&b, "END:VEVENT");
    ics_line(&b, "END:VCALENDAR");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- the answer to a reminder ------------------------------------------ */

/* Lower-case words of text (letters and digits), at most cap-1 bytes, one
 * space between words. */
static void fold_words(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    bool space = false;
    for (const unsigned char *s = (const unsigned char *)text; *s && o + 2 < cap; s++) {
        if (isalnum(*s) || *s == '\'') {
            if (space && o > 0)
                out[o++] = ' ';
            space = false;
            if (*s != '\'')
                out[o++] = (char)tolower(*s);
        } else {
            space = true;
        }
    }
    out[o] = '\0';
}

static bool is_one_of(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0)
            return true;
    return false;
}

static bool has_phrase(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        size_t n = strlen(list[i]);
        for (const char *p = strstr(w, list[i]); p; p = strstr(p + 1, list[i]))
            if ((p == w || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
                return true;
    }
    return false;
}

enum reminder_reply reminder_reply_classify(const char *text)
{
    static const char *const yes_emoji[] = { "\xF0\x9F\x91\x8D", /* thumbs up */
                                             "\xE2\x9C\x85",     /* check mark button */
                                             "\xE2\x9C\x94",     /* heavy check mark */
                                             "\xF0\x9F\x91\x8C", /* OK hand */
                                             "\xF0\x9F\x99\x8C", /* raised hands */
                                             NULL };
    static const char *const yes_whole[] = {
        "c", "y", "yes", "yep", "yeah", "yup", "ya", "yes please", "confirm", "confirmed",
        "ok", "okay", "k", "sure", "will do", "i'll be there", "ill be there",
        "see you then", "sounds good", "perfect", "great", "definitely", "absolutely",
        "yes i'll be there", "yes ill be there", "yes confirm", "confirming", "yes thanks",
        "yes thank you", "c thanks", "c thank you", "ok thanks", "thanks see you then", NULL
    };
    static const char *const yes_phrase[] = { "confirm", "confirmed", "i'll be there",
                                              "ill be there", "i will be there", "see you then",
                                              "see you there", NULL };
    static const char *const resched_whole[] = { "r", "reschedule", "resched", NULL };
    static const char *const resched_phrase[] = { "reschedule", "resched", "another time",
                                                  "different time", "another day",
                                                  "different day", "move it", "move my",
                                                  "change the time", "change my appointment",
                                                  "push it", "later time", "earlier time", NULL };
    static const char *const cancel_whole[] = { "x", "cancel", "n", "no", "nope", NULL };
    static const char *const cancel_phrase[] = { "cancel", "can't make it", "cant make it",
                                                 "cannot make it", "won't make it",
                                                 "wont make it", "can't come", "cant come",
                                                 "not coming", "won't be able", "wont be able",
                                                 NULL };
    static const char *const negation[] = { "not", "dont", "cant", "wont", "cannot", "no",
                                            NULL };
    char w[512];
    bool emoji_yes = false;
    for (size_t i = 0; text && yes_emoji[i]; i++)
        if (strstr(text, yes_emoji[i]))
            emoji_yes = true;
    fold_words(text ? text : "", w, sizeof w);
    if (!w[0])
        return emoji_yes ? REMINDER_REPLY_CONFIRM : REMINDER_REPLY_OTHER;
    if (is_one_of(w, resched_whole))
        return REMINDER_REPLY_RESCHEDULE;
    if (is_one_of(w, cancel_whole))
        return REMINDER_REPLY_CANCEL;
    if (is_one_of(w, yes_whole))
        return REMINDER_REPLY_CONFIRM;
    /* A change wins over a confirmation in one message ("can't make it,
     * can we reschedule"): the patient is not coming at that time. */
    if (has_phrase(w, resched_phrase))
        return REMINDER_REPLY_RESCHEDULE;
    if (has_phrase(w, cancel_phrase))
        return REMINDER_REPLY_CANCEL;
    if (has_phrase(w, negation))
        return REMINDER_REPLY_OTHER;
    if (has_phrase(w, yes_phrase) || emoji_yes)
        return REMINDER_REPLY_CONFIRM;
    if (strlen(w) <= 24 && strncmp(w, "yes", 3) == 0 && (w[3] == ' ' || !w[3]))
        return REMINDER_REPLY_CONFIRM;
    return REMINDER_REPLY_OTHER;
}
