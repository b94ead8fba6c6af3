/*
 * Structured logging: one JSON object per line on stderr (time, level, tenant,
 * request id, message, and optional key/value fields). Callers pass only what
 * is safe to keep: identifiers, counts, error codes. Message bodies, secrets and
 * card numbers never reach this API; values that might carry them are the
 * caller's to leave out. Thread-safe; each line is written with one write(2).
 */
#ifndef BW_HOST_LOG_H
#define BW_HOST_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level written; "debug", "info", "warn" or "error".
 * Returns 0, or -1 for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Redirects output to fd (default 2). The fd stays the caller's. */
void log_set_fd(int fd);

/* The context a line is bound to; both may be NULL. Borrowed for the call. */
struct log_ctx {
    const char *tenant;
    const char *request_id;
};

/*
 * Writes one line. fields is NULL or a NULL-terminated list of key, value
 * string pairs added to the object (values are JSON-escaped).
 */
void log_write(enum log_level level, const struct log_ctx *ctx,
               const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_writev(enum log_level level, const struct log_ctx *ctx,
                const char *const *fields, const char *fmt, va_list ap);

#define log_debug(...) log_write(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, NULL, NULL, __VA_ARGS__)

/* Appends s to out (capacity cap, always NUL-terminated) as JSON string
 * content without quotes. Returns the length written, truncating safely. */
size_t log_json_escape(char *out, size_t cap, const char *s);

#endif
