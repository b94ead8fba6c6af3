/*
 * The ABI's struct layout. include/bookwell/abi_layout.h pins the offset and
 * size of every member and the size of every struct (and already fails the
 * build, through _Static_assert, when one moves); this suite checks the same
 * pins at run time and what the compiler cannot: that the pins cover every
 * struct and every member the headers declare (read from the headers
 * themselves), that no struct has implicit padding, that growable structs
 * start with struct_size and only ever append, that the headers use only
 * fixed-width types (no enum, no bitfield, no third-party type), and that
 * docs/ABI.md's changelog has an entry for the current version.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bookwell/abi_layout.h>

struct pin {
    const char *type, *member;
    unsigned since;
    size_t off, size;          /* pinned */
    size_t real_off, real_size;/* as compiled */
};

#define PIN(t, m, since, off, size) \
    { #t, #m, since, off, size, offsetof(struct t, m), sizeof(((struct t *)0)->m) },
static const struct pin pins[] = { BW_LAYOUT_FIELDS(PIN) };
#define N_PINS (sizeof pins / sizeof pins[0])

struct size_pin {
    const char *type;
    size_t size, real;
};

#define SIZE_PIN(t, size) { #t, size, sizeof(struct t) },
static const struct size_pin sizes[] = { BW_LAYOUT_SIZES(SIZE_PIN) };
#define N_SIZES (sizeof sizes / sizeof sizes[0])

/* Structs that never change (no struct_size): plain pointer-and-length
 * values embedded in other structs. */
static const char *const frozen[] = { "bw_str", "bw_bytes", "bw_json", "bw_http_header" };

static const struct size_pin *size_of(const char *type)
{
    for (size_t i = 0; i < N_SIZES; i++)
        if (strcmp(sizes[i].type, type) == 0)
            return &sizes[i];
    return NULL;
}

static bool is_frozen(const char *type)
{
    for (size_t i = 0; i < sizeof frozen / sizeof frozen[0]; i++)
        if (strcmp(frozen[i], type) == 0)
            return true;
    return false;
}

Test(layout, every_pinned_member_has_its_offset_and_size)
{
    cr_assert_gt(N_PINS, 100, "the pin table looks truncated");
    for (size_t i = 0; i < N_PINS; i++) {
        cr_expect_eq(pins[i].real_off, pins[i].off, "offsetof(struct %s, %s) is %zu, pinned %zu",
                     pins[i].type, pins[i].member, pins[i].real_off, pins[i].off);
        cr_expect_eq(pins[i].real_size, pins[i].size, "sizeof %s.%s is %zu, pinned %zu",
                     pins[i].type, pins[i].member, pins[i].real_size, pins[i].size);
        cr_expect_leq(pins[i].since, BW_ABI_MINOR, "%s.%s pinned for minor %u", pins[i].type,
                      pins[i].member, pins[i].since);
    }
    for (size_t i = 0; i < N_SIZES; i++)
        cr_expect_eq(sizes[i].real, sizes[i].size, "sizeof(struct %s) is %zu, pinned %zu",
                     sizes[i].type, sizes[i].real, sizes[i].size);
}

Test(layout, structs_have_no_implicit_padding_and_only_append)
{
    size_t i = 0;
    while (i < N_PINS) {
        const char *type = pins[i].type;
        const struct size_pin *sp = size_of(type);
        cr_assert_not_null(sp, "struct %s has member pins but no size pin", type);
        cr_expect_eq(sp->size % 8, 0, "sizeof(struct %s) = %zu is not a multiple of 8", type,
                     sp->size);
        size_t end = 0;
        unsigned since = 0;
        for (; i < N_PINS && strcmp(pins[i].type, type) == 0; i++) {
            cr_expect_eq(pins[i].off, end, "%s.%s at %zu: a hole or overlap after offset %zu "
                         "(spell padding out as a _reserved member)", type, pins[i].member,
                         pins[i].off, end);
            cr_expect_geq(pins[i].since, since, "%s.%s (minor %u) is declared after a member "
                          "of minor %u: members only append", type, pins[i].member,
                          pins[i].since, since);
            end = pins[i].off + pins[i].size;
            since = pins[i].since;
        }
        cr_expect_eq(end, sp->size, "struct %s: members end at %zu, sizeof is %zu", type, end,
                     sp->size);
    }
}

Test(layout, growable_structs_start_with_struct_size)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        const char *type = sizes[s].type;
        const struct pin *first = NULL, *ss = NULL;
        for (size_t i = 0; i < N_PINS; i++) {
            if (strcmp(pins[i].type, type) != 0)
                continue;
            if (!first)
                first = &pins[i];
            if (strcmp(pins[i].member, "struct_size") == 0)
                ss = &pins[i];
        }
        cr_assert_not_null(first, "struct %s has no member pins", type);
        if (is_frozen(type)) {
            cr_expect_null(ss, "frozen struct %s has a struct_size", type);
            continue;
        }
        cr_assert_not_null(ss, "struct %s can grow but has no struct_size", type);
        cr_expect_eq(ss->size, 4, "%s.struct_size is not a uint32_t", type);
        /* The descriptor starts with its magic number, then struct_size. */
        size_t want = strcmp(type, "bw_plugin_descriptor") == 0 ? 4 : 0;
        cr_expect_eq(ss->off, want, "%s.struct_size is at %zu, not %zu", type, ss->off, want);
    }
}

Test(layout, bw_has_follows_struct_size)
{
    struct bw_error e = { .struct_size = (uint32_t)offsetof(struct bw_error, provider_code) };
    cr_assert(BW_HAS(&e, code));
    cr_assert(BW_HAS(&e, http_status));
    cr_assert_not(BW_HAS(&e, provider_code), "a member past struct_size is absent");
    cr_assert_not(BW_HAS(&e, message));
    e.struct_size = sizeof e;
    cr_assert(BW_HAS(&e, message));

    int (*fn)(void *, struct bw_call *, const struct bw_json *, struct bw_buf *,
              struct bw_error *);
    struct bw_ai_ops ops = { .struct_size = 8, .complete = NULL };
    fn = BW_FN(&ops, complete);
    cr_assert_null(fn, "an op past struct_size reads as NULL");
}

/* ---- the headers themselves ------------------------------------------- */

struct parsed {
    char type[64];
    char members[64][64];
    int n;
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_not_null(s);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* Blanks comments and preprocessor lines (with their continuations). */
static void strip(char *s)
{
    bool line_start = true;
    for (char *p = s; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            cr_assert_not_null(e, "unterminated comment");
            for (; p < e + 2; p++)
                if (*p != '\n')
                    *p = ' ';
            p--;
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                *p++ = ' ';
            p--;
            continue;
        }
        if (line_start && *p == '#') {
            char prev = 0;
            while (*p && !(*p == '\n' && prev != '\\')) {
                prev = *p;
                *p++ = ' ';
            }
            p--;
            continue;
        }
        if (*p == '\n')
            line_start = true;
        else if (!isspace((unsigned char)*p))
            line_start = false;
    }
}

static const char *const allowed_types[] = { "const", "char", "void", "uint8_t", "int32_t",
                                             "uint32_t", "int64_t", "uint64_t", "struct",
                                             NULL };

static bool type_word_ok(const char *w, bool allow_int)
{
    if (allow_int && strcmp(w, "int") == 0)
        return true;
    if (strncmp(w, "bw_", 3) == 0)
        return true;
    for (int i = 0; allowed_types[i]; i++)
        if (strcmp(w, allowed_types[i]) == 0)
            return true;
    return false;
}

/* Splits text into identifiers; returns how many (up to max). */
static int words(const char *s, size_t len, char out[][64], int max)
{
    int n = 0;
    for (size_t i = 0; i < len;) {
        if (isalpha((unsigned char)s[i]) || s[i] == '_') {
            size_t j = i;
            while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
                j++;
            if (n < max) {
                snprintf(out[n], 64, "%.*s", (int)(j - i), s + i);
                n++;
            }
            i = j;
        } else {
            i++;
        }
    }
    return n;
}

/* Checks the types in one declaration and returns the member's name. */
static void member(const char *type, const char *decl, size_t len, char name[64])
{
    char w[32][64];
    char d[1024];
    while (len && isspace((unsigned char)*decl))
        decl++, len--;
    cr_assert_lt(len, sizeof d);
    memcpy(d, decl, len);
    d[len] = 0;
    char *attr = strstr(d, "__attribute__");
    if (attr)
        *attr = 0;
    cr_expect_null(strstr(d, "enum"), "struct %s: enum in \"%s\"", type, d);
    cr_expect_null(strchr(d, ':'), "struct %s: bitfield in \"%s\"", type, d);
    char *fp = strstr(d, "(*");
    if (!fp) {
        char *br = strchr(d, '[');
        int n = words(d, br ? (size_t)(br - d) : strlen(d), w, 32);
        cr_assert_geq(n, 2, "struct %s: cannot read \"%s\"", type, d);
        for (int i = 0; i < n - 1; i++)
            cr_expect(type_word_ok(w[i], false), "struct %s: type word \"%s\" in \"%s\" is "
                      "not a fixed-width or ABI type", type, w[i], d);
        snprintf(name, 64, "%s", w[n - 1]);
        return;
    }
    int n = words(d, (size_t)(fp - d), w, 32);
    for (int i = 0; i < n; i++)
        cr_expect(type_word_ok(w[i], true), "struct %s: return type word \"%s\" in \"%s\"",
                  type, w[i], d);
    cr_assert_eq(words(fp, strcspn(fp, ")"), w, 1), 1);
    snprintf(name, 64, "%s", w[0]);
    char *params = strchr(fp + 2, '(');
    cr_assert_not_null(params, "struct %s: no parameters in \"%s\"", type, d);
    params++;
    char *close = strrchr(params, ')');
    cr_assert_not_null(close);
    for (char *p = params; p < close;) {
        size_t plen = strcspn(p, ",)");
        n = words(p, plen, w, 32);
        bool only_void = n == 1 && strcmp(w[0], "void") == 0;
        for (int i = 0; i < (only_void ? 0 : n - 1); i++)
            cr_expect(type_word_ok(w[i], false), "struct %s: parameter type word \"%s\" in %s",
                      type, w[i], name);
        p += plen + 1;
    }
}

static int parse_header(const char *path, struct parsed *out, int max)
{
    char *s = read_file(path);
    int n = 0;
    strip(s);
    for (char *p = s; (p = strstr(p, "struct bw_"));) {
        char *q = p + 7;
        size_t tl = strspn(q, "abcdefghijklmnopqrstuvwxyz_0123456789");
        char *after = q + tl;
        while (isspace((unsigned char)*after))
            after++;
        if (*after != '{') {
            p = q;
            continue;
        }
        cr_assert_lt(n, max);
        struct parsed *st = &out[n++];
        snprintf(st->type, sizeof st->type, "%.*s", (int)tl, q);
        st->n = 0;
        char *body = after + 1, *end = strchr(body, '}');
        cr_assert_not_null(end, "struct %s is not closed", st->type);
        for (char *d = body; d < end;) {
            char *semi = memchr(d, ';', (size_t)(end - d));
            if (!semi)
                break;
            size_t len = (size_t)(semi - d);
            if (strspn(d, " \t\n") < len) {
                cr_assert_lt(st->n, 64);
                member(st->type, d, len, st->members[st->n++]);
            }
            d = semi + 1;
        }
        p = end;
    }
    free(s);
    return n;
}

Test(layout, pins_cover_every_struct_and_member_of_the_headers)
{
    const char *src = getenv("BW_SRCDIR");
    cr_assert_not_null(src, "BW_SRCDIR is not set (run through make check)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/include/bookwell", src);
    DIR *dh = opendir(dir);
    cr_assert_not_null(dh, "cannot open %s", dir);
    static struct parsed all[64];
    int n = 0, headers = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (l < 3 || strcmp(de->d_name + l - 2, ".h") != 0 ||
            strcmp(de->d_name, "abi_layout.h") == 0)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        n += parse_header(path, all + n, 64 - n);
        headers++;
    }
    closedir(dh);
    cr_assert_eq(headers, 7, "expected the 7 headers of the ABI, found %d", headers);
    cr_assert_eq((size_t)n, N_SIZES, "the headers define %d structs, %zu are pinned", n,
                 N_SIZES);
    for (int i = 0; i < n; i++) {
        cr_assert_not_null(size_of(all[i].type), "struct %s is not pinned", all[i].type);
        int k = 0;
        for (size_t j = 0; j < N_PINS; j++) {
            if (strcmp(pins[j].type, all[i].type) != 0)
                continue;
            cr_assert_lt(k, all[i].n, "%s.%s is pinned but not declared", all[i].type,
                         pins[j].member);
            cr_expect_str_eq(all[i].members[k], pins[j].member,
                             "struct %s member %d is %s, the pins say %s", all[i].type, k,
                             all[i].members[k], pins[j].member);
            k++;
        }
        cr_expect_eq(k, all[i].n, "struct %s declares %d members, %d are pinned", all[i].type,
                     all[i].n, k);
    }
}

Test(layout, changelog_has_the_current_version)
{
    const char *src = getenv("BW_SRCDIR");
    cr_assert_not_null(src);
    char path[4096], heading[32];
    snprintf(path, sizeof path, "%s/docs/ABI.md", src);
    char *doc = read_file(path);
    snprintf(heading, sizeof heading, "\n### %d.%d ", BW_ABI_MAJOR, BW_ABI_MINOR);
    cr_expect_not_null(strstr(doc, heading), "docs/ABI.md has no changelog entry \"%s\"",
                       heading + 1);
    free(doc);
}
