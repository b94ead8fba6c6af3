/*
 * The dashboard's staff inbox and access log as server-rendered HTML (no
 * script): the list of conversations (reloading itself every 30 s) grouped
 * as needs attention, handed off, new and with the assistant, open staff
 * alerts shown on each; one conversation's redacted transcript with the
 * Take over, Reply and Hand back forms (each carrying the session's CSRF
 * token); and the access log. The documents are staff_inbox.h's and
 * audit_log.h's JSON.
 */
#ifndef BW_HOST_INBOX_VIEW_H
#define BW_HOST_INBOX_VIEW_H

#include <cjson/cJSON.h>

struct inbox_page {
    const char *clinic_name;
    const char *email;
    const char *csrf;
    const char *notice;      /* NULL or a line for the user ("Reply queued") */
};

/* The pages, malloc'd (the caller frees), or NULL when out of memory. */
char *inbox_render_list(const struct inbox_page *p, const cJSON *conversations);
char *inbox_render_conversation(const struct inbox_page *p, const cJSON *conversation);
char *inbox_render_audit(const struct inbox_page *p, const cJSON *rows);

#endif
