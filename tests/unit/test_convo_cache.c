/*
 * The conversation engine's per-tenant tables (host/convo_cache.h): built
 * once per catalog version and shared, rebuilt for a new version or after an
 * import's invalidation, held entries outliving their replacement, a
 * document that does not fit refused, and many threads getting and
 * releasing at once. Also the turn cost histograms (host/convo_stats.h).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "convo/knowledge.h"
#include "convo_cache.h"
#include "convo_stats.h"
#include "test_nlu_fixture.h"

static cJSON *doc;

static void setup(void)
{
    char *text = fixture_read("eval/clinics/glow.json");
    doc = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(doc);
    convo_cache_invalidate(NULL);
}

static void teardown(void)
{
    convo_cache_invalidate(NULL);
    cJSON_Delete(doc);
}

TestSuite(convo_cache, .init = setup, .fini = teardown);

Test(convo_cache, one_build_per_version)
{
    uint64_t b0 = convo_cache_builds();
    const struct convo_tables *a = NULL, *b = NULL, *c = NULL;
    cr_assert_eq(convo_cache_get("glow", 1, doc, &a), 0);
    cr_assert_eq(convo_cache_get("glow", 1, doc, &b), 0);
    cr_assert_eq(a, b, "the same version is shared");
    cr_assert_eq(convo_cache_builds() - b0, 1);
    cr_assert_gt(a->ck->nservices, 0);
    cr_assert_gt(nlu_catalog_service_count(a->nlu), 0);
    cr_assert_str_eq(a->ck->zone, "America/Los_Angeles");

    /* another tenant has its own entry */
    cr_assert_eq(convo_cache_get("other", 1, doc, &c), 0);
    cr_assert_neq(c, a);
    cr_assert_eq(convo_cache_builds() - b0, 2);
    convo_cache_release(c);

    /* a new version replaces the entry; the held old one stays usable */
    const struct convo_tables *v2 = NULL, *v2b = NULL;
    cr_assert_eq(convo_cache_get("glow", 2, doc, &v2), 0);
    cr_assert_neq(v2, a);
    cr_assert_eq(convo_cache_builds() - b0, 3);
    cr_assert_eq(convo_cache_get("glow", 2, doc, &v2b), 0);
    cr_assert_eq(v2b, v2);
    cr_assert_str_eq(a->ck->name, v2->ck->name);
    convo_cache_release(a);
    convo_cache_release(b);
    convo_cache_release(v2b);

    /* an import invalidates: the same version number is built again */
    convo_cache_invalidate("glow");
    const struct convo_tables *after = NULL;
    cr_assert_eq(convo_cache_get("glow", 2, doc, &after), 0);
    cr_assert_eq(convo_cache_builds() - b0, 4);
    cr_assert_str_eq(v2->ck->id, after->ck->id, "the invalidated entry is still valid while held");
    convo_cache_release(v2);
    convo_cache_release(after);
    convo_cache_release(NULL);
}

Test(convo_cache, the_content_follows_the_document)
{
    const struct convo_tables *a = NULL, *b = NULL;
    cr_assert_eq(convo_cache_get("glow", 7, doc, &a), 0);
    cJSON *copy = cJSON_Duplicate(doc, true);
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "name", cJSON_CreateString("Glow Renamed"));
    cr_assert_eq(convo_cache_get("glow", 8, copy, &b), 0);
    cr_assert_str_eq(b->ck->name, "Glow Renamed");
    cr_assert_str_neq(a->ck->name, "Glow Renamed");
    convo_cache_release(a);
    convo_cache_release(b);
    /* an older version asked for after a newer one was cached: built for the
     * caller, the newer entry kept */
    const struct convo_tables *old = NULL, *cur = NULL;
    cr_assert_eq(convo_cache_get("glow", 7, doc, &old), 0);
    cr_assert_str_neq(old->ck->name, "Glow Renamed");
    cr_assert_eq(convo_cache_get("glow", 8, doc, &cur), 0);
    cr_assert_str_eq(cur->ck->name, "Glow Renamed", "the version 8 entry was kept");
    convo_cache_release(old);
    convo_cache_release(cur);
    cJSON_Delete(copy);
}

Test(convo_cache, refuses_what_does_not_fit)
{
    cJSON *bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "name", "no services, no zone");
    const struct convo_tables *t = (const struct convo_tables *)&bad;
    cr_assert_eq(convo_cache_get("bad", 1, bad, &t), CONVO_CACHE_E_INVAL);
    cr_assert_null(t);
    cJSON_Delete(bad);
}

static atomic_int current_version = 1;

struct worker_arg {
    const cJSON *doc;
    int id;
    int failures;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    char tenant[16];
    for (int i = 0; i < 300; i++) {
        snprintf(tenant, sizeof tenant, "t%d", i % 3);
        const struct convo_tables *t = NULL;
        /* thread 0 imports now and then (a new version, and an invalidation)
         * while the others read the current version */
        if (a->id == 0 && i % 50 == 49)
            atomic_fetch_add(&current_version, 1);
        if (convo_cache_get(tenant, atomic_load(&current_version), a->doc, &t) != 0 || !t || t->ck->nservices == 0 ||
            nlu_catalog_service_count(t->nlu) != t->ck->nservices)
            a->failures++;
        if (a->id == 0 && i % 97 == 0)
            convo_cache_invalidate(tenant);
        convo_cache_release(t);
    }
    return NULL;
}

Test(convo_cache, many_threads)
{
    enum { N = 6 };
    pthread_t th[N];
    struct worker_arg args[N];
    uint64_t b0 = convo_cache_builds();
    for (int i = 0; i < N; i++) {
        args[i] = (struct worker_arg){ doc, i, 0 };
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].failures, 0, "thread %d", i);
    }
    /* 3 tenants x 6 versions at least (fewer when a version passed before a
     * tenant was asked for); far fewer builds than the 1,800 gets */
    uint64_t builds = convo_cache_builds() - b0;
    cr_expect_geq(builds, 6);
    cr_expect_lt(builds, 400, "%llu builds", (unsigned long long)builds);
}

Test(convo_stats, quantiles)
{
    convo_stats_reset();
    uint64_t n = 99;
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_TURN, 0.5, &n), 0);
    cr_assert_eq(n, 0);
    for (int i = 1; i <= 100; i++)
        convo_stats_record(CONVO_STAT_TURN, i);
    convo_stats_record(CONVO_STAT_UNDERSTAND, 12345);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_TURN, 0.5, &n), 51, "upper bound of the 50 us bucket");
    cr_assert_eq(n, 100);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_TURN, 0.99, NULL), 100);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_TURN, 1.0, NULL), 101);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_UNDERSTAND, 0.5, NULL), 12350, "10 us buckets past 2 ms");
    convo_stats_record(CONVO_STAT_UNDERSTAND, 345678);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_UNDERSTAND, 1.0, NULL), 346000, "1 ms buckets past 200 ms");
    convo_stats_record(CONVO_STAT_UNDERSTAND, 5000000);
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_UNDERSTAND, 1.0, NULL), 2000000, "the overflow bucket");
    convo_stats_reset();
    cr_assert_eq(convo_stats_quantile(CONVO_STAT_TURN, 0.5, &n), 0);
}
