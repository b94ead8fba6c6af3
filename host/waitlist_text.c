/*
 * Reading a request to join the waitlist (waitlist_text.h).
 */
#include "waitlist_text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "knowledge.h"

/* Lower-case text with every non-alphanumeric run as one space, padded
 * with a space at each end, so " word " finds whole words. */
static void fold(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = ' ';
    bool space = true;
    for (const unsigned char *s = (const unsigned char *)text; *s && o + 2 < cap; s++) {
        if (isalnum(*s)) {
            out[o++] = (char)tolower(*s);
            space = false;
        } else if (!space) {
            out[o++] = ' ';
            space = true;
        }
    }
    if (!space)
        out[o++] = ' ';
    out[o] = '\0';
}

static bool has_word(const char *folded, const char *phrase)
{
    char pat[160];
    fold(phrase, pat, sizeof pat);
    return strstr(folded, pat) != NULL;
}

bool waitlist_text_parse(const struct knowledge *k, const char *text,
                         struct waitlist_request *out)
{
    char t[1024];
    fold(text ? text : "", t, sizeof t);
    if (!has_word(t, "waitlist") && !has_word(t, "wait list") && !has_word(t, "waiting list") &&
        !has_word(t, "waitlisted"))
        return false;
    memset(out, 0, sizeof *out);
    out->day_to_min = 1440;
    size_t best = 0;
    for (size_t i = 0; k && i < k->n_services; i++) {
        const struct kn_service *s = &k->services[i];
        if (s->name && has_word(t, s->name) && strlen(s->name) > best) {
            best = strlen(s->name);
            out->service_id = s->id;
        }
        for (size_t a = 0; a < s->n_aliases; a++)
            if (has_word(t, s->aliases[a]) && strlen(s->aliases[a]) > best) {
                best = strlen(s->aliases[a]);
                out->service_id = s->id;
            }
    }
    for (size_t i = 0; k && i < k->n_providers && !out->provider_id; i++) {
        char name[160], *save = NULL;
        snprintf(name, sizeof name, "%s", k->providers[i].name ? k->providers[i].name : "");
        for (char *w = strtok_r(name, " .", &save); w; w = strtok_r(NULL, " .", &save))
            if (strlen(w) > 2 && strcasecmp(w, "dr") != 0 && has_word(t, w))
                out->provider_id = k->providers[i].id;
    }
    static const char *const days[] = { "sunday", "monday", "tuesday", "wednesday",
                                        "thursday", "friday", "saturday" };
    for (int d = 0; d < 7; d++) {
        char plural[16];
        snprintf(plural, sizeof plural, "%ss", days[d]);
        if (has_word(t, days[d]) || has_word(t, plural))
            out->weekdays |= 1u << d;
    }
    if (has_word(t, "weekend") || has_word(t, "weekends"))
        out->weekdays |= 1u | (1u << 6);
    if (has_word(t, "weekday") || has_word(t, "weekdays"))
        out->weekdays |= 0x3Eu;
    if (has_word(t, "morning") || has_word(t, "mornings")) {
        out->day_from_min = 0;
        out->day_to_min = 12 * 60;
    } else if (has_word(t, "afternoon") || has_word(t, "afternoons")) {
        out->day_from_min = 12 * 60;
        out->day_to_min = 17 * 60;
    } else if (has_word(t, "evening") || has_word(t, "evenings")) {
        out->day_from_min = 17 * 60;
        out->day_to_min = 1440;
    }
    return true;
}

void waitlist_text_describe(const struct waitlist_request *r, char *out, size_t cap)
{
    static const char *const days[] = { "Sundays", "Mondays", "Tuesdays", "Wednesdays",
                                        "Thursdays", "Fridays", "Saturdays" };
    size_t o = 0;
    out[0] = '\0';
    int n = 0;
    for (int d = 0; d < 7; d++)
        if (r->weekdays & (1u << d)) {
            int w = snprintf(out + o, cap - o, "%s%s", n ? ", " : " on ", days[d]);
            if (w < 0 || (size_t)w >= cap - o)
                return;
            o += (size_t)w;
            n++;
        }
    const char *part = r->day_from_min == 0 && r->day_to_min == 12 * 60     ? " in the morning"
                       : r->day_from_min == 12 * 60 && r->day_to_min == 17 * 60 ? " in the afternoon"
                       : r->day_from_min == 17 * 60 && r->day_to_min == 1440    ? " in the evening"
                                                                                 : "";
    snprintf(out + o, cap - o, "%s", part);
}
