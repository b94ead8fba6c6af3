/*
 * Shared by the understanding suites: the evaluation clinic (Glow, Los
 * Angeles, read from the shared corpus beside the checkout, or from
 * BW_SHARED_DIR), a small New York clinic built with the builder calls, and
 * helpers that run one message and describe what came out as short text
 * ("2027-03-05 15:30 ?", "botox,hydrafacial") so that tables of expectations
 * stay readable.
 */
#ifndef BW_TEST_NLU_FIXTURE_H
#define BW_TEST_NLU_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "nlu/nlu.h"

static struct nlu_catalog *glow, *nyc;

/* The path of a file of the shared corpus: BW_SHARED_DIR, else ../shared
 * beside the checkout. */
static inline const char *fixture_path(const char *rel, char *path, size_t cap)
{
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(path, cap, "%s/%s", shared, rel);
    else
        snprintf(path, cap, "%s/../shared/%s", src ? src : ".", rel);
    return path;
}

/* Reads a file of the shared corpus; the caller frees the text. */
static inline char *fixture_read(const char *rel)
{
    char path[1024];
    fixture_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (set BW_SHARED_DIR to the shared corpus)", path);
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

static inline struct nlu_catalog *fixture_glow(void)
{
    char *text = fixture_read("eval/clinics/glow.json");
    cJSON *clinic = cJSON_Parse(text);
    cr_assert_not_null(clinic);
    struct nlu_catalog *cat = NULL;
    cr_assert_eq(nlu_catalog_from_json(clinic, &cat), 0);
    cJSON_Delete(clinic);
    free(text);
    return cat;
}

/* New York: open Monday to Saturday 10:00-19:00. */
static inline struct nlu_catalog *fixture_nyc(void)
{
    int err = 0;
    struct nlu_catalog *cat = nlu_catalog_new("America/New_York", &err);
    cr_assert_not_null(cat, "err %d", err);
    const char *tox[] = { "tox", "wrinkle relaxer" };
    const char *lips[] = { "lips", "lip injections" };
    const char *hf[] = { "hydra facial", "facial" };
    cr_assert_eq(nlu_catalog_add_service(cat, "botox", "Botox", tox, 2), 0);
    cr_assert_eq(nlu_catalog_add_service(cat, "lip-filler", "Lip Filler", lips, 2), 0);
    cr_assert_eq(nlu_catalog_add_service(cat, "hydrafacial", "HydraFacial", hf, 2), 0);
    cr_assert_eq(nlu_catalog_add_provider(cat, "amy", "Dr. Amy Rivera, MD"), 0);
    cr_assert_eq(nlu_catalog_add_provider(cat, "tom", "Tom Becker"), 0);
    for (int d = 1; d <= 6; d++)
        cr_assert_eq(nlu_catalog_set_hours(cat, d, 600, 1140), 0);
    return cat;
}

static inline void fixture_setup(void)
{
    glow = fixture_glow();
    nyc = fixture_nyc();
}

static inline void fixture_teardown(void)
{
    nlu_catalog_free(glow);
    nlu_catalog_free(nyc);
}

static inline int64_t at(const char *rfc3339)
{
    int64_t us;
    cr_assert_eq(clock_parse_rfc3339(rfc3339, &us), 0, "bad time %s", rfc3339);
    return us;
}

/* Understands text at now (RFC 3339 with offset) with ctx (may be NULL). */
static inline struct nlu_result understand(const struct nlu_catalog *cat, const char *now,
                                           const struct nlu_context *ctx, const char *text)
{
    struct nlu_result r;
    int rc = nlu_understand(cat, at(now), ctx, text, &r);
    cr_assert_eq(rc, 0, "nlu_understand(\"%s\") = %d", text, rc);
    return r;
}

/* The when items joined by " | ". */
static inline const char *whens(const struct nlu_result *r, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->when.n && o + 4 < cap; i++) {
        char one[128];
        nlu_when_format(&r->when.item[i], one, sizeof one);
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? " | " : "", one);
    }
    return buf;
}

/* Service (or provider) ids joined by ",". */
static inline const char *ids(const struct nlu_catalog *cat, const struct nlu_hit *h, int n,
                              bool providers, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o + 2 < cap; i++) {
        const char *id = providers ? nlu_catalog_provider_id(cat, h[i].index)
                                   : nlu_catalog_service_id(cat, h[i].index);
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "", id);
    }
    return buf;
}

static inline const char *svcs(const struct nlu_catalog *cat, const struct nlu_result *r, char *buf,
                               size_t cap)
{
    return ids(cat, r->services, r->nservices, false, buf, cap);
}

static inline const char *provs(const struct nlu_catalog *cat, const struct nlu_result *r, char *buf,
                                size_t cap)
{
    return ids(cat, r->providers, r->nproviders, true, buf, cap);
}

/* Intents present (score >= NLU_PRESENT), by name, in enum order, joined by ",". */
static inline const char *intents(const struct nlu_result *r, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < NLU_INTENT_COUNT && o + 2 < cap; i++)
        if (r->score[i] >= NLU_PRESENT)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? "," : "",
                                  nlu_intent_name((enum nlu_intent)i));
    return buf;
}

static inline bool has(const struct nlu_result *r, enum nlu_intent i)
{
    return r->score[i] >= NLU_PRESENT;
}

#endif
