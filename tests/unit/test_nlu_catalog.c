/*
 * Understanding: the catalog (loading a clinic's JSON, the builder's checks)
 * and finding its services and providers in messages: names and aliases,
 * several words, several services at once, typos, and the ordinary words
 * that must never be read as a service or a provider.
 */
#include "test_nlu_fixture.h"

TestSuite(nlu_catalog, .init = fixture_setup, .fini = fixture_teardown);

#define NOW "2027-03-02T20:15:00-08:00"

struct m {
    const char *text;
    const char *services;
    const char *providers;
};

static void check(const struct nlu_catalog *cat, const struct m *cases, size_t n)
{
    char a[256], b[256];
    for (size_t i = 0; i < n; i++) {
        struct nlu_result r = understand(cat, NOW, NULL, cases[i].text);
        cr_expect_str_eq(svcs(cat, &r, a, sizeof a), cases[i].services, "services of \"%s\"",
                         cases[i].text);
        cr_expect_str_eq(provs(cat, &r, b, sizeof b), cases[i].providers ? cases[i].providers : "",
                         "providers of \"%s\"", cases[i].text);
    }
}

Test(nlu_catalog, loads_the_clinic)
{
    cr_assert_eq(nlu_catalog_service_count(glow), 10);
    cr_assert_eq(nlu_catalog_provider_count(glow), 3);
    cr_assert_str_eq(nlu_catalog_zone(glow), "America/Los_Angeles");
    cr_assert_str_eq(nlu_catalog_service_id(glow, 0), "botox");
    cr_assert_str_eq(nlu_catalog_provider_id(glow, 2), "ashley");
    cr_assert_null(nlu_catalog_service_id(glow, 10));
    cr_assert_null(nlu_catalog_provider_id(glow, 3));
}

Test(nlu_catalog, rejects_malformed_clinics)
{
    const char *bad[] = {
        "[]",
        "{}",
        "{\"timezone\": \"Mars/Olympus_Mons\"}",
        "{\"timezone\": \"EST5EDT,M3.2.0\"}",
        "{\"timezone\": \"America/Chicago\", \"country\": 1}",
        "{\"timezone\": \"America/Chicago\", \"hours\": {\"tue\": [\"09:00\"]}}",
        "{\"timezone\": \"America/Chicago\", \"hours\": {\"tue\": [\"18:00\", \"09:00\"]}}",
        "{\"timezone\": \"America/Chicago\", \"hours\": {\"tuesday\": [\"09:00\", \"18:00\"]}}",
        "{\"timezone\": \"America/Chicago\", \"hours\": {\"tue\": [\"9:00\", \"18:00\"]}}",
        "{\"timezone\": \"America/Chicago\", \"services\": {}}",
        "{\"timezone\": \"America/Chicago\", \"services\": [{\"name\": \"Botox\"}]}",
        "{\"timezone\": \"America/Chicago\", \"services\": [{\"id\": \"b\", \"name\": \"B\", \"aliases\": [1]}]}",
        "{\"timezone\": \"America/Chicago\", \"services\": [{\"id\": \"b\", \"name\": \"\"}]}",
        "{\"timezone\": \"America/Chicago\", \"providers\": [{\"id\": \"x\"}]}",
        "{\"timezone\": \"America/Chicago\", \"providers\": [{\"id\": \"x\", \"name\": \"...\"}]}",
        NULL
    };
    for (int i = 0; bad[i]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        cr_assert_not_null(j, "test JSON %d", i);
        struct nlu_catalog *cat = (struct nlu_catalog *)1;
        cr_expect_lt(nlu_catalog_from_json(j, &cat), 0, "accepted %s", bad[i]);
        cr_expect_null(cat);
        cJSON_Delete(j);
    }
    cJSON *ok = cJSON_Parse("{\"timezone\": \"Europe/London\", \"country\": \"GB\", \"hours\": {}}");
    struct nlu_catalog *cat = NULL;
    cr_assert_eq(nlu_catalog_from_json(ok, &cat), 0);
    struct nlu_result r = understand(cat, "2027-03-02T12:00:00Z", NULL, "3/4");
    char buf[128];
    cr_assert_str_eq(whens(&r, buf, sizeof buf), "2027-04-03", "day first outside the US");
    nlu_catalog_free(cat);
    cJSON_Delete(ok);
}

Test(nlu_catalog, builder_checks_its_arguments)
{
    int err = 0;
    cr_assert_null(nlu_catalog_new("Not/AZone", &err));
    cr_assert_eq(err, NLU_E_ZONE);
    cr_assert_null(nlu_catalog_new(NULL, &err));
    struct nlu_catalog *cat = nlu_catalog_new("America/Denver", &err);
    cr_assert_not_null(cat);
    cr_assert_eq(nlu_catalog_add_service(cat, "x", "", NULL, 0), NLU_E_INVAL);
    cr_assert_eq(nlu_catalog_add_service(cat, "x", "X", NULL, 1), NLU_E_INVAL);
    const char *seven[] = { "a b c d e f g" };
    cr_assert_eq(nlu_catalog_add_service(cat, "x", "X", seven, 1), NLU_E_INVAL, "more words than a form holds");
    cr_assert_eq(nlu_catalog_service_count(cat), 0);
    cr_assert_eq(nlu_catalog_set_hours(cat, 7, 540, 600), NLU_E_INVAL);
    cr_assert_eq(nlu_catalog_set_hours(cat, 1, 600, 540), NLU_E_INVAL);
    cr_assert_eq(nlu_catalog_set_hours(cat, 1, 540, 1441), NLU_E_INVAL);
    cr_assert_eq(nlu_catalog_set_hours(cat, 1, -1, -1), 0);
    for (int i = 0; i < NLU_SERVICES_MAX; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i);
        cr_assert_eq(nlu_catalog_add_service(cat, id, id, NULL, 0), 0);
    }
    cr_assert_eq(nlu_catalog_add_service(cat, "one-more", "One More", NULL, 0), NLU_E_FULL);
    nlu_catalog_free(cat);
    nlu_catalog_free(NULL);
}

Test(nlu_catalog, names_and_aliases)
{
    static const struct m cases[] = {
        { "botox", "botox", NULL },
        { "BOTOX?", "botox", NULL },
        { "Botox please", "botox", NULL },
        { "tox", "botox", NULL },
        { "baby botox", "botox", NULL },
        { "brotox for my husband", "botox", NULL },
        { "something for my 11s", "botox", NULL },
        { "crow's feet", "botox", NULL },
        { "crows feet and forehead lines", "botox", NULL },
        { "a wrinkle relaxer", "botox", NULL },
        { "neurotoxin", "botox", NULL },
        { "dysport", "dysport", NULL },
        { "lip filler", "lip-filler", NULL },
        { "lips", "lip-filler", NULL },
        { "juvederm lips", "lip-filler", NULL },
        { "lip injections", "lip-filler", NULL },
        { "cheek filler", "cheek-filler", NULL },
        { "voluma in my cheeks", "cheek-filler", NULL },
        { "hydrafacial", "hydrafacial", NULL },
        { "HydraFacial", "hydrafacial", NULL },
        { "hydra facial", "hydrafacial", NULL },
        { "a facial", "hydrafacial", NULL },
        { "chemical peel", "chemical-peel", NULL },
        { "a peel", "chemical-peel", NULL },
        { "vi peel", "chemical-peel", NULL },
        { "laser", "laser-hair-removal", NULL },
        { "laser hair removal", "laser-hair-removal", NULL },
        { "hair removal on my legs", "laser-hair-removal", NULL },
        { "lhr", "laser-hair-removal", NULL },
        { "microneedling", "microneedling", NULL },
        { "micro needling", "microneedling", NULL },
        { "micro-needling", "microneedling", NULL },
        { "skinpen", "microneedling", NULL },
        { "collagen induction", "microneedling", NULL },
        { "a consult", "new-client-consult", NULL },
        { "consultation", "new-client-consult", NULL },
        { "new client consult", "new-client-consult", NULL },
        { "coolsculpting", "coolsculpting-consult", NULL },
        { "cool sculpting", "coolsculpting-consult", NULL },
        { "fat freezing", "coolsculpting-consult", NULL },
    };
    check(glow, cases, sizeof cases / sizeof cases[0]);
}

Test(nlu_catalog, typos)
{
    static const struct m cases[] = {
        { "botx", "botox", NULL },
        { "botx pls", "botox", NULL },
        { "bottox", "botox", NULL },
        { "boxtox", "botox", NULL },
        { "dysprt", "dysport", NULL },
        { "hydra facail", "hydrafacial", NULL },
        { "hydrafacil", "hydrafacial", NULL },
        { "hydro facial", "hydrafacial", NULL },
        { "hyrdafacial", "hydrafacial", NULL },
        { "micro needeling", "microneedling", NULL },
        { "microneedlng", "microneedling", NULL },
        { "lip fillr", "lip-filler", NULL },
        { "lip filer", "lip-filler", NULL },
        { "cheek filller", "cheek-filler", NULL },
        { "chemical peal", "chemical-peel", NULL },
        { "lazer hair removal", "laser-hair-removal", NULL },
        { "coolsculptng", "coolsculpting-consult", NULL },
        { "consultaion", "new-client-consult", NULL },
    };
    check(glow, cases, sizeof cases / sizeof cases[0]);
    struct nlu_result r = understand(glow, NOW, NULL, "botx");
    cr_assert_eq(r.services[0].dist, 1);
    cr_assert_lt(r.services[0].score, 100);
    r = understand(glow, NOW, NULL, "botox");
    cr_assert_eq(r.services[0].score, 100);
}

Test(nlu_catalog, several_services_in_one_message)
{
    static const struct m cases[] = {
        { "botox and a hydrafacial", "botox,hydrafacial", NULL },
        { "how much is lip filler vs cheek filler?", "lip-filler,cheek-filler", NULL },
        { "botox, lip filler & a facial", "botox,lip-filler,hydrafacial", NULL },
        { "laser and a peel", "laser-hair-removal,chemical-peel", NULL },
        { "botox and botox again", "botox", NULL },
        { "dysport or botox", "dysport,botox", NULL },
        /* a generic consult next to a named consultation is that consultation */
        { "interested in coolsculpting, can I come in for a consult", "coolsculpting-consult", NULL },
        { "coolsculpting consult", "coolsculpting-consult", NULL },
        /* the longest reading wins: a lip flip is Botox, not lip filler */
        { "do u guys do lip flips?", "botox", NULL },
        { "lip flip", "botox", NULL },
        { "lip flip and lips", "botox,lip-filler", NULL },
    };
    check(glow, cases, sizeof cases / sizeof cases[0]);
    struct nlu_result r = understand(glow, NOW, NULL, "can I get laser hair removal and botox");
    cr_assert_eq(r.nservices, 2);
    cr_assert_eq(r.services[0].tok, 3);
    cr_assert_eq(r.services[0].ntok, 3);
    cr_assert_eq(r.services[1].tok, 7);
}

Test(nlu_catalog, ordinary_words_are_no_services)
{
    static const struct m cases[] = {
        { "I feel great", "", NULL },
        { "see you later", "", NULL },
        { "let me check my calendar", "", NULL },
        { "the volume was too low", "", NULL },
        { "I filled out the form", "", NULL },
        { "is there a filter", "", NULL },
        { "just a peek", "", NULL },
        { "that sounds toxic", "", NULL },
        { "I did a detox", "", NULL },
        { "he lies", "", NULL },
        { "a lisp", "", NULL },
        { "the facts", "", NULL },
        { "a layer of sunscreen", "", NULL },
        { "I'm a loser lol", "", NULL },
        { "how about a cool pool", "", NULL },
        { "to x", "", NULL },
        { "is it a boat tour", "", NULL },
        { "filler", "", NULL },
        { "hello", "", NULL },
        { "", "", NULL },
    };
    check(glow, cases, sizeof cases / sizeof cases[0]);
}

Test(nlu_catalog, providers)
{
    static const struct m cases[] = {
        { "with Jenna", "", "jenna" },
        { "can jenna do it", "", "jenna" },
        { "jena please", "", "jenna" },
        { "Jenna Park", "", "jenna" },
        { "Ms. Park", "", "jenna" },
        { "Dr. Smith", "", "dr-smith" },
        { "dr smith", "", "dr-smith" },
        { "Dr Sarah Smith", "", "dr-smith" },
        { "doctor smith", "", "dr-smith" },
        { "Sarah", "", "dr-smith" },
        { "sure, Ashley is fine", "", "ashley" },
        { "ashley cruz", "", "ashley" },
        { "Jenna or Ashley", "", "jenna,ashley" },
        { "botox with Dr. Smith", "botox", "dr-smith" },
        { "I'd like lip filler with Dr. Smith", "lip-filler", "dr-smith" },
        /* a last name alone is no provider, nor is someone else's full name */
        { "where do I park", "", "" },
        { "is there parking", "", "" },
        { "Jesse Park", "", "" },
        { "Smith", "", "" },
        { "Ashley Jones", "", "" },
        { "Sarah Connor", "", "" },
        { "Mr. Cruz", "", "ashley" },
    };
    check(glow, cases, sizeof cases / sizeof cases[0]);
    static const struct m ny[] = {
        { "Dr. Rivera", "", "amy" },
        { "amy please", "", "amy" },
        { "tom", "", "tom" },
        { "Becker", "", "" },
        { "with Becker", "", "tom" },
        { "tox with Amy", "botox", "amy" },
    };
    check(nyc, ny, sizeof ny / sizeof ny[0]);
    struct nlu_result r = understand(glow, NOW, NULL, "Dr. Smith");
    cr_assert_eq(r.providers[0].score, 90);
    r = understand(glow, NOW, NULL, "Jenna Park");
    cr_assert_eq(r.providers[0].score, 100);
}
