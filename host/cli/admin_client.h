/*
 * The operator CLI's HTTP client for the admin listener: one request, the
 * operator token in the Authorization header, the reply's status and body.
 * Where the listener is and the token come from the environment
 * (BOOKWELL_ADMIN_URL, BOOKWELL_ADMIN_TOKEN), never from the command line,
 * so the token does not show up in ps or shell history.
 */
#ifndef BW_CLI_ADMIN_CLIENT_H
#define BW_CLI_ADMIN_CLIENT_H

#include <stddef.h>

#define ADMIN_DEFAULT_URL "http://127.0.0.1:8081"
#define ADMIN_MAX_REPLY (8 * 1024 * 1024)

struct admin_client {
    char url[512];    /* base URL without a trailing slash */
    char token[512];  /* the operator token */
};

struct admin_reply {
    long status;      /* HTTP status */
    char *body;       /* malloc'd, NUL-terminated (caller frees with admin_reply_free) */
    size_t len;
    char error[256];  /* why no reply came, when admin_request returned -1 */
};

/* Reads the environment. Returns 0, or -1 with a message in why. */
int admin_client_init(struct admin_client *ac, char *why, size_t whycap);

/* Sends method path (already escaped) with an optional JSON body. Returns 0
 * when a reply came (any status), -1 when none did (cannot connect, timeout,
 * reply too large). */
int admin_request(const struct admin_client *ac, const char *method, const char *path,
                  const char *json_body, struct admin_reply *out);
void admin_reply_free(struct admin_reply *r);

/* Percent-escapes one path segment into out (everything but [A-Za-z0-9_~-],
 * so "." and ".." cannot walk the path). Returns 0, or -1 when it does
 * not fit. */
int admin_escape_segment(const char *in, char *out, size_t cap);

#endif
