/*
 * The staff inbox's and access log's HTML (inbox_view.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_view.h"
#include "inbox_view.h"

#define esc dashboard_view_esc
#define INBOX_REFRESH_S 30 /* the list reloads itself: new conversations and alerts show */

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long long num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static FILE *open_page(const struct inbox_page *p, const char *title, int refresh_s, char **buf,
                       size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        return NULL;
    dashboard_view_head(f, title, refresh_s);
    dashboard_view_header(f, p->clinic_name, p->email, p->csrf);
    fputs("<main>", f);
    if (p->notice) {
        fputs("<p role=\"status\" class=\"alert\">", f);
        esc(f, p->notice);
        fputs("</p>", f);
    }
    return f;
}

static char *close_page(FILE *f, char **buf)
{
    fputs("</main>", f);
    return dashboard_view_finish(f, buf);
}

static const struct {
    const char *group, *title;
} GROUPS[] = {
    { "needs_attention", "Needs attention" },
    { "handed_off", "Handed off to staff" },
    { "new", "New" },
    { "open", "With the assistant" },
};

char *inbox_render_list(const struct inbox_page *p, const cJSON *conversations)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_page(p, "Inbox", INBOX_REFRESH_S, &buf, &len);
    if (!f)
        return NULL;
    fputs("<h2 class=\"sr\">Inbox</h2>", f);
    for (size_t g = 0; g < sizeof GROUPS / sizeof GROUPS[0]; g++) {
        int n = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, conversations)
            n += strcmp(str(c, "group"), GROUPS[g].group) == 0;
        fprintf(f, "<section aria-labelledby=\"g-%s\"><h2 id=\"g-%s\">%s (%d)</h2>", GROUPS[g].group,
                GROUPS[g].group, GROUPS[g].title, n);
        if (n == 0) {
            fputs("<p>None.</p></section>", f);
            continue;
        }
        fputs("<table><thead><tr><th class=\"t\" scope=\"col\">Patient</th><th class=\"t\" scope=\"col\">"
              "Channel</th><th class=\"t\" scope=\"col\">Last activity (UTC)</th>"
              "<th scope=\"col\">Messages</th></tr></thead><tbody>",
              f);
        cJSON_ArrayForEach(c, conversations)
        {
            if (strcmp(str(c, "group"), GROUPS[g].group) != 0)
                continue;
            fprintf(f, "<tr><td><a href=\"/dashboard/inbox/%lld\">", num(c, "id"));
            esc(f, str(c, "contact"));
            fputs("</a>", f);
            if (num(c, "open_alerts") > 0) {
                fprintf(f, " <span class=\"badge\">%lld alert%s</span>", num(c, "open_alerts"),
                        num(c, "open_alerts") == 1 ? "" : "s");
                const cJSON *a;
                cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "alerts"))
                {
                    fputs("<div class=\"alert\">", f);
                    esc(f, cJSON_IsString(a) ? a->valuestring : "");
                    fputs("</div>", f);
                }
            }
            fputs("</td><td>", f);
            esc(f, str(c, "channel"));
            fputs("</td><td>", f);
            esc(f, str(c, "last_at"));
            fprintf(f, "</td><td class=\"n\">%lld</td></tr>", num(c, "messages"));
        }
        fputs("</tbody></table></section>", f);
    }
    return close_page(f, &buf);
}

static void action_form(FILE *f, const struct inbox_page *p, long long id, const char *action,
                        const char *label)
{
    fprintf(f, "<form method=\"post\" action=\"/dashboard/inbox/%lld/%s\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"", id, action);
    esc(f, p->csrf);
    fprintf(f, "\"><button type=\"submit\">%s</button></form>", label);
}

char *inbox_render_conversation(const struct inbox_page *p, const cJSON *conv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_page(p, "Conversation", 0, &buf, &len);
    if (!f)
        return NULL;
    long long id = num(conv, "id");
    bool handed = strcmp(str(conv, "status"), "handoff") == 0;
    fputs("<p><a href=\"/dashboard/inbox\">Back to the inbox</a></p><section><h2>", f);
    esc(f, str(conv, "contact"));
    fputs(" · ", f);
    esc(f, str(conv, "channel"));
    fprintf(f, "</h2><p id=\"status\">%s</p>",
            handed ? "With staff: the assistant is silent." : "The assistant is answering.");
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(conv, "alerts"))
    {
        fputs("<div class=\"alert\" role=\"note\"><strong>Alert:</strong> ", f);
        esc(f, str(a, "text"));
        fputs("</div>", f);
    }
    fputs("<div class=\"actions\">", f);
    if (handed)
        action_form(f, p, id, "handback", "Hand back");
    else
        action_form(f, p, id, "takeover", "Take over");
    fputs("</div></section><section aria-labelledby=\"t\"><h2 id=\"t\">Transcript</h2>"
          "<p class=\"meta\">Health details and card numbers are masked.</p><ol style=\"list-style:none;padding:0\">",
          f);
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(conv, "messages"))
    {
        bool in = strcmp(str(m, "direction"), "in") == 0;
        const char *kind = str(m, "kind");
        fprintf(f, "<li class=\"msg %s\"><div class=\"meta\">%s · ", in ? "in" : "out",
                in ? "Patient" : strcmp(kind, "staff") == 0 ? "Staff" : "Assistant");
        esc(f, str(m, "at"));
        if (!in) {
            fputs(" · ", f);
            esc(f, str(m, "status"));
        }
        fputs("</div>", f);
        esc(f, str(m, "body"));
        fputs("</li>", f);
    }
    fprintf(f, "</ol></section><section><h2>Reply as staff</h2>"
               "<form method=\"post\" action=\"/dashboard/inbox/%lld/reply\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"", id);
    esc(f, p->csrf);
    fputs("\"><label for=\"text\">Message to the patient</label>"
          "<textarea id=\"text\" name=\"text\" rows=\"3\" maxlength=\"1600\" required></textarea>"
          "<p><button type=\"submit\">Send reply</button></p></form></section>",
          f);
    return close_page(f, &buf);
}

char *inbox_render_audit(const struct inbox_page *p, const cJSON *rows)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_page(p, "Access log", 0, &buf, &len);
    if (!f)
        return NULL;
    fputs("<section><h2>Access log</h2><p>Who viewed or exported a conversation or evidence, "
          "newest first.</p><table><thead><tr><th class=\"t\" scope=\"col\">When (UTC)</th>"
          "<th class=\"t\" scope=\"col\">Who</th><th class=\"t\" scope=\"col\">Action</th>"
          "<th class=\"t\" scope=\"col\">What</th></tr></thead><tbody>",
          f);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        fputs("<tr><td>", f);
        esc(f, str(r, "at"));
        fputs("</td><td>", f);
        esc(f, str(r, "actor"));
        fputs("</td><td>", f);
        esc(f, str(r, "action"));
        fputs("</td><td>", f);
        esc(f, str(r, "subject"));
        fputs("</td></tr>", f);
    }
    fputs("</tbody></table></section>", f);
    return close_page(f, &buf);
}
