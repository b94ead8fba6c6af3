/*
 * docs/openapi.yaml against the routes the daemon really registers: every
 * method and path on either listener is documented, on the listener it is
 * served from, with the authentication it demands, and test-only routes are
 * marked as such. The route tables come from daemon_register_routes() on a
 * zeroed daemon, so a new routes_*.c family is covered without touching this
 * file. The YAML is scanned, not parsed: the file keeps the plain block
 * style this scanner reads (two-space indents, "paths:" at the top level).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define MAX_OPS 256

struct doc_op {
    char path[256];
    char method[8];      /* upper case */
    char listener[16];   /* x-bookwell-listener */
    char security[32];   /* "none", or the scheme name */
    bool test_only;
};

struct doc {
    struct doc_op ops[MAX_OPS];
    size_t n;
    bool openapi3;
};

static const char *const methods[] = { "get", "put", "post", "delete", "patch", "head",
                                       "options", NULL };

static char *read_spec(void)
{
    const char *src = getenv("BW_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/openapi.yaml", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (BW_SRCDIR=%s)", path, src ? src : "unset");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    cr_assert_not_null(text);
    cr_assert_eq(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

/* Copies a scalar, dropping quotes and trailing spaces. */
static void scalar(char *out, size_t cap, const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s++;
        n -= 2;
    }
    snprintf(out, cap, "%.*s", (int)n, s);
}

static void scan(const char *text, struct doc *d)
{
    bool in_paths = false, in_security = false;
    char path[256] = "";
    struct doc_op *op = NULL;
    memset(d, 0, sizeof *d);

    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        size_t indent = 0;
        while (indent < len && line[indent] == ' ')
            indent++;
        const char *t = line + indent;
        size_t tl = len - indent;
        const char *next = eol ? eol + 1 : line + len;

        if (tl == 0 || t[0] == '#') {
            line = next;
            continue;
        }
        if (indent == 0) {
            if (strncmp(t, "openapi: 3.0.", 13) == 0)
                d->openapi3 = true;
            in_paths = tl >= 6 && strncmp(t, "paths:", 6) == 0;
            op = NULL;
            line = next;
            continue;
        }
        if (!in_paths) {
            line = next;
            continue;
        }
        if (indent <= 6)
            in_security = false;
        if (indent == 2 && t[0] != '-' && tl > 1 && t[tl - 1] == ':') {
            scalar(path, sizeof path, t, tl - 1);
            op = NULL;
        } else if (indent == 4) {
            op = NULL;
            for (int m = 0; methods[m]; m++) {
                size_t ml = strlen(methods[m]);
                if (tl == ml + 1 && strncmp(t, methods[m], ml) == 0 && t[ml] == ':' &&
                    d->n < MAX_OPS) {
                    op = &d->ops[d->n++];
                    snprintf(op->path, sizeof op->path, "%s", path);
                    for (size_t k = 0; k < ml; k++)
                        op->method[k] = (char)(methods[m][k] - 'a' + 'A');
                    op->method[ml] = '\0';
                }
            }
        } else if (op && indent == 6) {
            if (strncmp(t, "x-bookwell-listener:", 20) == 0)
                scalar(op->listener, sizeof op->listener, t + 21, tl - 21);
            else if (strncmp(t, "x-bookwell-test-only:", 21) == 0)
                op->test_only = strncmp(t + 22, "true", 4) == 0;
            else if (tl == 12 && strncmp(t, "security: []", 12) == 0)
                snprintf(op->security, sizeof op->security, "none");
            else if (tl == 9 && strncmp(t, "security:", 9) == 0)
                in_security = true;
        } else if (op && in_security && indent == 8 && t[0] == '-') {
            const char *name = t + 2;
            const char *colon = memchr(name, ':', tl - 2);
            if (colon && !op->security[0])
                scalar(op->security, sizeof op->security, name, (size_t)(colon - name));
        }
        line = next;
    }
}

static const struct doc_op *doc_find(const struct doc *d, const char *method, const char *path)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->ops[i].method, method) && !strcmp(d->ops[i].path, path))
            return &d->ops[i];
    return NULL;
}

static bool registered(const struct http_route *t, size_t n, const char *method, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].method, method) && !strcmp(t[i].pattern, path))
            return true;
    return false;
}

static const char *auth_scheme(enum http_auth a)
{
    return a == HTTP_AUTH_ADMIN ? "operatorToken" : a == HTTP_AUTH_TENANT ? "tenantApiKey" : "none";
}

static struct daemon prod, test;
static bool reporting = true; /* off while a test feeds deliberately wrong documents */

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    va_list ap;
    if (!reporting)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void register_all(void)
{
    memset(&prod, 0, sizeof prod);
    memset(&test, 0, sizeof test);
    test.opt.test_clock = true;
    cr_assert_eq(daemon_register_routes(&prod), 0);
    cr_assert_eq(daemon_register_routes(&test), 0);
    cr_assert_gt(prod.n_public_routes, 0);
    cr_assert_gt(test.n_admin_routes, prod.n_admin_routes, "test routes add to the admin table");
}

/* Checks one listener's table; returns the number of problems, each printed. */
static int check_table(const struct doc *d, const char *listener, const struct http_route *t,
                       size_t n, const struct daemon *p, const struct daemon *all)
{
    int problems = 0;
    bool admin = !strcmp(listener, "admin");
    for (size_t i = 0; i < n; i++) {
        const struct http_route *r = &t[i];
        const struct doc_op *op = doc_find(d, r->method, r->pattern);
        if (!op) {
            report("%s %s (%s listener) is not in docs/openapi.yaml", r->method,
                         r->pattern, listener);
            problems++;
            continue;
        }
        bool on_public = registered(all->public_routes, all->n_public_routes, r->method, r->pattern);
        bool on_admin = registered(all->admin_routes, all->n_admin_routes, r->method, r->pattern);
        const char *want = on_public && on_admin ? "both" : admin ? "admin" : "public";
        if (strcmp(op->listener, want) != 0) {
            report("%s %s: x-bookwell-listener is '%s', the server has it on %s",
                         r->method, r->pattern, op->listener, want);
            problems++;
        }
        if (strcmp(op->security, auth_scheme(r->auth)) != 0) {
            report("%s %s: security is '%s', the route demands %s", r->method, r->pattern,
                         op->security[0] ? op->security : "(unstated)", auth_scheme(r->auth));
            problems++;
        }
        bool test_only = p && !registered(admin ? p->admin_routes : p->public_routes,
                                          admin ? p->n_admin_routes : p->n_public_routes,
                                          r->method, r->pattern);
        if (p && op->test_only != test_only) {
            report("%s %s: x-bookwell-test-only should be %s", r->method, r->pattern,
                         test_only ? "true" : "absent");
            problems++;
        }
    }
    return problems;
}

static int check_doc(const struct doc *d)
{
    return check_table(d, "public", test.public_routes, test.n_public_routes, &prod, &test) +
           check_table(d, "admin", test.admin_routes, test.n_admin_routes, &prod, &test);
}

Test(openapi, every_registered_route_is_documented_with_its_listener_and_auth)
{
    register_all();
    char *text = read_spec();
    static struct doc d;
    scan(text, &d);
    free(text);
    cr_assert(d.openapi3, "docs/openapi.yaml declares openapi: 3.0.x");
    cr_assert_geq(d.n, test.n_public_routes, "the scanner found the operations");
    cr_assert_eq(check_doc(&d), 0, "docs/openapi.yaml disagrees with the route tables (see above)");
}

Test(openapi, a_missing_or_misdescribed_route_is_caught)
{
    register_all();
    char *text = read_spec();
    static struct doc d;
    scan(text, &d);
    free(text);

    reporting = false;
    /* Drop /readyz: two registrations (one per listener) go missing. */
    static struct doc less;
    less = d;
    less.n = 0;
    for (size_t i = 0; i < d.n; i++)
        if (strcmp(d.ops[i].path, "/readyz") != 0)
            less.ops[less.n++] = d.ops[i];
    cr_assert_lt(less.n, d.n);
    cr_assert_eq(check_doc(&less), 2);

    /* A clinic route documented without its tenant key. */
    static struct doc wrong;
    wrong = d;
    for (size_t i = 0; i < wrong.n; i++)
        if (!strcmp(wrong.ops[i].path, "/tenant"))
            snprintf(wrong.ops[i].security, sizeof wrong.ops[i].security, "none");
    cr_assert_eq(check_doc(&wrong), 1);
}

Test(openapi, scanner_reads_paths_methods_and_security)
{
    static const char yaml[] =
        "openapi: 3.0.3\n"
        "info:\n"
        "  title: x\n"
        "paths:\n"
        "  \"/a/{id}\":\n"
        "    parameters:\n"
        "      - name: id\n"
        "    get:\n"
        "      x-bookwell-listener: public\n"
        "      security:\n"
        "        - tenantApiKey: []\n"
        "      responses:\n"
        "        \"200\":\n"
        "          description: ok\n"
        "    delete:\n"
        "      x-bookwell-listener: admin\n"
        "      x-bookwell-test-only: true\n"
        "      security: []\n"
        "components:\n"
        "  schemas:\n"
        "    get:\n"
        "      x-bookwell-listener: nowhere\n";
    static struct doc d;
    scan(yaml, &d);
    cr_assert(d.openapi3);
    cr_assert_eq(d.n, 2, "components are not paths");
    const struct doc_op *g = doc_find(&d, "GET", "/a/{id}");
    const struct doc_op *x = doc_find(&d, "DELETE", "/a/{id}");
    cr_assert(g && x);
    cr_assert_str_eq(g->listener, "public");
    cr_assert_str_eq(g->security, "tenantApiKey");
    cr_assert_not(g->test_only);
    cr_assert_str_eq(x->security, "none");
    cr_assert(x->test_only);
}
