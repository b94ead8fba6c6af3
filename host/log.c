/*
 * Structured JSON-lines logger. Lines are assembled in a bounded stack buffer
 * and written with a single write(2), so concurrent threads never interleave
 * within a line. A line that would exceed the buffer is truncated, never split.
 */
#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static atomic_int min_level = LOG_INFO;
static atomic_int out_fd = 2;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_set_level_name(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            atomic_store(&min_level, i);
            return 0;
        }
    }
    return -1;
}

void log_set_level(enum log_level level) { atomic_store(&min_level, (int)level); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&min_level); }
void log_set_fd(int fd) { atomic_store(&out_fd, fd); }

size_t log_json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        size_t len;
        if (c == '"' || c == '\\') {
            esc[0] = '\\'; esc[1] = (char)c; len = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2); len = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2); len = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2); len = 2;
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c); len = 6;
        } else {
            esc[0] = (char)c; len = 1;
        }
        if (n + len >= cap)
            break;
        memcpy(out + n, esc, len);
        n += len;
    }
    out[n] = '\0';
    return n;
}

/* Room always kept at the end of a line for the closing brace and newline. */
#define LINE_TAIL 2

/* Appends a literal if it fits whole (before the tail); returns the new length. */
static size_t put(char *buf, size_t cap, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (n + len + LINE_TAIL >= cap)
        return n;
    memcpy(buf + n, s, len);
    buf[n + len] = '\0';
    return n + len;
}

/* Appends ,"key":"value", truncating the value (never an escape sequence)
 * so that the line stays valid JSON; skips the field when nothing fits. */
static size_t put_string(char *buf, size_t cap, size_t n, const char *key, const char *value)
{
    char k[64];
    size_t klen = log_json_escape(k, sizeof k, key);
    if (n + klen + 7 + LINE_TAIL >= cap)
        return n;
    buf[n++] = ',';
    buf[n++] = '"';
    memcpy(buf + n, k, klen);
    n += klen;
    memcpy(buf + n, "\":\"", 3);
    n += 3;
    /* The value may use all but the closing quote and the tail. */
    n += log_json_escape(buf + n, cap - n - 1 - LINE_TAIL, value);
    buf[n++] = '"';
    buf[n] = '\0';
    return n;
}

void log_writev(enum log_level level, const struct log_ctx *ctx,
                const char *const *fields, const char *fmt, va_list ap)
{
    if ((int)level < atomic_load(&min_level))
        return;

    char buf[LOG_LINE_MAX];
    char msg[LOG_LINE_MAX / 2];
    struct timespec ts;
    struct tm tm;
    char stamp[96];
    size_t n = 0;
    int saved_errno = errno;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    vsnprintf(msg, sizeof msg, fmt, ap);

    n = put(buf, sizeof buf, n, "{\"time\":\"");
    n = put(buf, sizeof buf, n, stamp);
    n = put(buf, sizeof buf, n, "\",\"level\":\"");
    n = put(buf, sizeof buf, n, level_names[level]);
    n = put(buf, sizeof buf, n, "\"");
    if (ctx && ctx->tenant)
        n = put_string(buf, sizeof buf, n, "tenant", ctx->tenant);
    if (ctx && ctx->request_id)
        n = put_string(buf, sizeof buf, n, "request_id", ctx->request_id);
    n = put_string(buf, sizeof buf, n, "msg", msg);
    for (const char *const *f = fields; f && f[0]; f += 2)
        n = put_string(buf, sizeof buf, n, f[0], f[1] ? f[1] : "");
    buf[n++] = '}';
    buf[n++] = '\n';

    ssize_t w = write(atomic_load(&out_fd), buf, n);
    (void)w;
    errno = saved_errno;
}

void log_write(enum log_level level, const struct log_ctx *ctx,
               const char *const *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, ctx, fields, fmt, ap);
    va_end(ap);
}
