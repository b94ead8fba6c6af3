/*
 * The catalog: the clinic format validated with a path in every error, the
 * lookups and deposit rules, and storage with the per-tenant cache.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "knowledge.h"
#include "support/testdb.h"

static char *glow_text(void)
{
    const char *dir = getenv("BW_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", dir ? dir : "/work/shared");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    char *buf = calloc(1, 65536);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int parse_text(const char *text, struct knowledge **k, char *err, size_t cap)
{
    cJSON *doc = cJSON_Parse(text);
    cr_assert_not_null(doc);
    int rc = knowledge_parse(doc, "glow", 1, k, err, cap);
    cJSON_Delete(doc);
    return rc;
}

Test(knowledge, glow_parses_with_every_field)
{
    char *t = glow_text(), err[300] = "";
    struct knowledge *k;
    cr_assert_eq(parse_text(t, &k, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(k->timezone, "America/Los_Angeles");
    cr_expect_str_eq(k->phone, "+14155550100");
    cr_expect_eq(k->n_services, 10);
    cr_expect_eq(k->n_providers, 3);
    cr_expect_eq(k->slot_step_min, 15);
    cr_expect_eq(k->min_notice_min, 120);
    cr_expect_eq(k->booking_horizon_days, 30);
    cr_expect_eq(k->hold_minutes, 30);
    cr_expect_eq(k->hours[0].open_min, -1, "closed on Sundays");
    cr_expect_eq(k->hours[4].close_min, 20 * 60, "Thursday until 20:00");
    const struct kn_service *b = knowledge_service(k, "botox");
    cr_assert_not_null(b);
    cr_expect_eq(b->price_kind, KN_PRICE_PER_UNIT);
    cr_expect_eq(b->price_cents, 1200);
    cr_expect_eq(b->n_aliases, 9);
    cr_expect(knowledge_closed_on(k, "2027-03-12"));
    cr_expect(!knowledge_closed_on(k, "2027-03-11"));
    cr_expect(knowledge_provider_offers(knowledge_provider(k, "jenna"), "microneedling"));
    cr_expect(!knowledge_provider_offers(knowledge_provider(k, "dr-smith"), "hydrafacial"));
    const char *svc1[] = { "botox" }, *svc2[] = { "coolsculpting-consult" },
               *svc3[] = { "hydrafacial", "lip-filler" };
    cr_expect_eq(knowledge_deposit_cents(k, svc1, 1, true), 5000);
    cr_expect_eq(knowledge_deposit_cents(k, svc1, 1, false), 10000);
    cr_expect_eq(knowledge_deposit_cents(k, svc2, 1, true), 0);
    cr_expect_eq(knowledge_deposit_cents(k, svc3, 2, false), 10000, "the largest of a visit");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(k->policies, "parking")),
                     "Validated parking in the Market St garage.");
    knowledge_free(k);
    free(t);
}

static void expect_error(const char *from, const char *to, const char *want)
{
    char *t = glow_text(), err[300] = "";
    char *at = strstr(t, from);
    cr_assert_not_null(at, "fixture text '%s' not found", from);
    size_t n = strlen(t) + strlen(to) + 1;
    char *m = calloc(1, n);
    cr_assert_not_null(m);
    memcpy(m, t, (size_t)(at - t));
    strcat(m, to);
    strcat(m, at + strlen(from));
    struct knowledge *k = NULL;
    cr_expect_eq(parse_text(m, &k, err, sizeof err), KNOWLEDGE_E_INVAL);
    cr_expect(strstr(err, want) != NULL, "error '%s' should contain '%s'", err, want);
    free(m);
    free(t);
}

Test(knowledge, errors_name_the_path)
{
    expect_error("\"America/Los_Angeles\"", "\"Mars/Olympus\"", "timezone");
    expect_error("\"duration_min\": 30", "\"duration_min\": \"30\"", "services[0].duration_min");
    expect_error("\"kind\": \"per_unit\"", "\"kind\": \"per_hour\"", "services[0].price.kind");
    expect_error("\"tue\",\n        \"thu\"", "\"tue\",\n        \"thursday\"",
                 "providers[0].days[1]");
    expect_error("\"cheek-filler\",\n        \"new-client-consult\"",
                 "\"cheek-fillers\",\n        \"new-client-consult\"", "providers[0].services[3]");
    expect_error("\"2027-03-12\"", "\"2027-02-30\"", "closed_dates[0]");
    expect_error("\"09:00\",\n      \"18:00\"", "\"18:00\",\n      \"09:00\"", "hours.tue");
}

Test(knowledge, import_caches_and_sees_new_versions)
{
    char *conninfo = testdb_create();
    char err[300];
    PGconn *raw = testdb_connect(conninfo);
    testdb_exec(raw, "INSERT INTO tenants (tenant_id, name, timezone, country) "
                     "VALUES ('glow', 'Glow', 'America/Los_Angeles', 'US')");
    PQfinish(raw);
    PGresult *r;
    struct db_pool *pool;
    cr_assert_eq(db_pool_open(&pool, conninfo, 2, 5000, err, sizeof err), 0);
    struct db_conn *c = db_acquire(pool, 5000);
    cr_assert_not_null(c);
    const struct knowledge *k;
    cr_expect_eq(knowledge_get(c, "glow", &k), KNOWLEDGE_E_NOTFOUND);
    char *t = glow_text();
    int64_t v = 0;
    cr_assert_eq(knowledge_import(c, "glow", t, strlen(t), &v, err, sizeof err), 0, "%s", err);
    cr_expect_eq(v, 1);
    cr_assert_eq(knowledge_import(c, "nobody", t, strlen(t), &v, err, sizeof err),
                 KNOWLEDGE_E_NOTFOUND);
    cr_assert_eq(knowledge_get(c, "glow", &k), 0);
    cr_expect_eq(k->version, 1);
    const struct knowledge *again;
    cr_assert_eq(knowledge_get(c, "glow", &again), 0);
    cr_expect_eq(again, k, "the cache hands out the same catalog");
    knowledge_release(again);
    /* A new import replaces it; the old one stays valid while held. */
    char *t2 = strdup(t);
    char *p = strstr(t2, "\"hold_minutes\": 30");
    cr_assert_not_null(p);
    memcpy(p, "\"hold_minutes\": 45", 18);
    cr_assert_eq(knowledge_import(c, "glow", t2, strlen(t2), &v, err, sizeof err), 0, "%s", err);
    cr_expect_eq(v, 2);
    const struct knowledge *k2;
    cr_assert_eq(knowledge_get(c, "glow", &k2), 0);
    cr_expect_eq(k2->hold_minutes, 45);
    cr_expect_eq(k->hold_minutes, 30);
    knowledge_release(k);
    knowledge_release(k2);
    /* The built-in calendar's copy has no clients or appointments. */
    const char *pp[] = { "glow" };
    static struct db_stmt st = { "SELECT convert_from(value, 'UTF8') FROM plugin_kv WHERE "
                                 "tenant_id = $1 AND plugin_id = 'emr.local' AND key = 'catalog'",
                                 -1 };
    r = db_exec(c, &st, 1, pp);
    cr_assert(db_ok(r) && PQntuples(r) == 1);
    cr_expect(strstr(PQgetvalue(r, 0, 0), "\"hold_minutes\":45") != NULL);
    cr_expect(strstr(PQgetvalue(r, 0, 0), "Maria") == NULL);
    PQclear(r);
    /* A refused document changes nothing. */
    cr_expect_eq(knowledge_import(c, "glow", "{\"id\":\"glow\"}", 13, &v, err, sizeof err),
                 KNOWLEDGE_E_INVAL);
    cr_assert_eq(knowledge_get(c, "glow", &k2), 0);
    cr_expect_eq(k2->version, 2);
    knowledge_release(k2);
    knowledge_invalidate(NULL);
    free(t);
    free(t2);
    db_release(pool, c);
    db_pool_close(pool);
    testdb_drop(conninfo);
    free(conninfo);
}
