/*
 * Understanding against every patient message of the evaluation corpus
 * (../shared/eval/cases), read at its case's "now" in the Glow clinic, in
 * order, with the context the conversation would have by then: the part of
 * day and dates noted from earlier messages, how many slots the assistant
 * had offered, whether it had asked for a name. Each message is checked for
 * what a receptionist would read from it: intents, services, providers,
 * dates and times, a name, a choice among offers, flags.
 */
#include <dirent.h>

#include "test_nlu_fixture.h"

TestSuite(nlu_eval, .init = fixture_setup, .fini = fixture_teardown);

struct step {
    const char *say;
    uint8_t offered;      /* slots offered by the assistant's reply before this message */
    bool asked_name;      /* that reply asked for the patient's name */
    const char *intents;  /* comma-separated: each must be present */
    const char *absent;   /* comma-separated: none may be present */
    const char *services; /* NULL: not checked */
    const char *providers;
    const char *when;
    const char *person;   /* "First|Last", "" for none, NULL: not checked */
    int pick;             /* -1: not checked */
    uint32_t flags;       /* must all be set */
};

struct ecase {
    const char *id;
    const char *now;
    struct step steps[6];
};

#define END { NULL, 0, false, NULL, NULL, NULL, NULL, NULL, NULL, -1, 0 }
/* a name reply, asked for */
#define NAME(s, first, last) { s, 0, true, "name", "book,opt_out", "", "", "", first "|" last, -1, 0 }

static const struct ecase corpus[] = {
    { "across-dst-change", "2027-03-09T19:00:00-08:00",
      { { "I'd like a hydrafacial on Wednesday March 17 at 10am", 0, false, "book", "price", "hydrafacial", "",
          "2027-03-17 10:00", "", -1, 0 },
        NAME("Harper Quinn", "Harper", "Quinn"), END } },
    { "ask-for-human", "2027-03-03T16:00:00-08:00",
      { { "can I talk to a real person please", 0, false, "human", "book,opt_out", "", "", "", "", -1, 0 }, END } },
    { "cancel-existing", "2027-03-02T15:00:00-08:00",
      { { "I need to cancel my appointment on Friday", 0, false, "cancel", "book,policy,opt_out", "", "",
          "2027-03-05 from", "", -1, 0 },
        { "yes please cancel it", 0, false, "yes,cancel", "book", "", "", "", "", -1, 0 }, END } },
    { "card-number-in-chat", "2027-03-03T12:00:00-08:00",
      { { "Want a hydrafacial saturday at 11", 0, false, "book", NULL, "hydrafacial", "", "2027-03-06 11:00 ?", "",
          -1, 0 },
        NAME("Jordan Lee", "Jordan", "Lee"),
        { "can I just pay here? card 4111 1111 1111 1111 exp 12/29 cvv 123", 0, false, "payment", "book,name",
          "", "", "", "", -1, NLU_F_CARD_DIGITS },
        END } },
    { "change-service-same-time", "2027-03-02T19:00:00-08:00",
      { { "botox friday at 11am please", 0, false, "book", NULL, "botox", "", "2027-03-05 11:00", "", -1, 0 },
        { "actually can we make it a hydrafacial instead, same time?", 0, false, "book", "cancel", "hydrafacial",
          "", "", "", -1, NLU_F_CORRECTION | NLU_F_SAME_TIME },
        NAME("Jesse Park", "Jesse", "Park"), END } },
    { "closed-date", "2027-03-08T10:00:00-08:00",
      { { "Do you have any hydrafacial openings this Friday?", 0, false, "availability", NULL, "hydrafacial", "",
          "2027-03-12", "", -1, 0 },
        { "ok thursday at 5 then", 0, false, "book", NULL, "", "", "2027-03-11 17:00 ?", "", -1, 0 },
        NAME("Sam Ortiz", "Sam", "Ortiz"), END } },
    { "compare-filler-prices", "2027-03-03T12:00:00-08:00",
      { { "how much is lip filler vs cheek filler?", 0, false, "price", "book", "lip-filler,cheek-filler", "", "",
          "", -1, 0 },
        END } },
    { "consult-price", "2027-03-02T14:00:00-08:00",
      { { "how much is a consultation?", 0, false, "price", "book", "new-client-consult", "", "", "", -1, 0 }, END } },
    { "duplicate-webhook-deliveries", "2027-03-02T20:15:00-08:00",
      { { "new client, botox saturday 11am", 0, false, "book", NULL, "botox", "", "2027-03-06 11:00", "", -1,
          NLU_F_NEW_CLIENT },
        NAME("Kai Jensen", "Kai", "Jensen"), END } },
    { "emr-outage-after-payment", "2027-03-02T19:00:00-08:00",
      { { "hydrafacial thursday at 3pm?", 0, false, "book", NULL, "hydrafacial", "", "2027-03-04 15:00", "", -1,
          0 },
        NAME("Quinn Adler", "Quinn", "Adler"), END } },
    { "existing-client-touchup", "2027-03-02T11:00:00-08:00",
      { { "Hi it's Maria, can I get my botox touched up next week?", 0, false, "greeting,book,name", NULL, "botox",
          "", "2027-03-08..2027-03-14", "Maria|", -1, NLU_F_RETURNING },
        { "Tuesday at 10am", 0, false, "book", NULL, "", "", "2027-03-09 10:00 ctx", "", -1, 0 }, END } },
    { "free-consult-no-deposit", "2027-03-03T10:00:00-08:00",
      { { "interested in coolsculpting, can I come in for a consult saturday at 1?", 0, false, "book", NULL,
          "coolsculpting-consult", "", "2027-03-06 13:00 ?", "", -1, 0 },
        NAME("Blake Turner", "Blake", "Turner"), END } },
    { "gibberish-then-question", "2027-03-02T14:00:00-08:00",
      { { "asdfghjkl", 0, false, "", "book,name,greeting,wrong_number", "", "", "", "", -1, NLU_F_GIBBERISH },
        { "lol sorry, butt dial. do you do laser hair removal?", 0, false, "service_info",
          "wrong_number,name,opt_out", "laser-hair-removal", "", "", "", -1, 0 },
        END } },
    { "help-keyword", "2027-03-02T14:00:00-08:00",
      { { "HELP", 0, false, "help", "name,opt_out", "", "", "", "", -1, 0 }, END } },
    { "instagram-lip-flip", "2027-03-03T13:00:00-08:00",
      { { "hey do u guys do lip flips? how much", 0, false, "greeting,price,service_info", NULL, "botox", "", "",
          "", -1, 0 },
        { "can I come thursday at 11", 0, false, "book", NULL, "", "", "2027-03-04 11:00 ?", "", -1, 0 },
        NAME("Nina Alvarez", "Nina", "Alvarez"), END } },
    { "late-payment-slot-still-free", "2027-03-02T18:00:00-08:00",
      { { "I'd like a chemical peel on Saturday at noon", 0, false, "book", NULL, "chemical-peel", "",
          "2027-03-06 12:00", "", -1, 0 },
        NAME("Morgan Diaz", "Morgan", "Diaz"), END } },
    { "min-notice-same-day", "2027-03-02T09:30:00-08:00",
      { { "any chance I can get botox at 10 today?", 0, false, "book,availability", NULL, "botox", "",
          "2027-03-02 10:00 ?", "", -1, 0 },
        { "1pm then", 2, false, "book", NULL, "", "", "* 13:00", "", NLU_PICK_TIME, 0 },
        NAME("Chris Patel", "Chris", "Patel"), END } },
    { "missed-call-new-botox", "2027-03-02T20:15:00-08:00",
      { { "Yes, new client, want Botox", 0, false, "yes,book", NULL, "botox", "", "", "", -1, NLU_F_NEW_CLIENT },
        { "Friday 3:30 works", 3, false, "pick", NULL, "", "", "2027-03-05 15:30 ?", "", NLU_PICK_TIME, 0 },
        NAME("Emily Chen", "Emily", "Chen"), END } },
    { "natural-language-optout", "2027-03-04T10:00:00-08:00",
      { { "How much is a hydrafacial?", 0, false, "price", "book", "hydrafacial", "", "", "", -1, 0 },
        { "actually please stop texting me, not interested", 0, false, "opt_out", "book,yes", "", "", "", "", -1, 0 },
        END } },
    { "no-invented-discounts", "2027-03-02T14:00:00-08:00",
      { { "$12 a unit is kind of a lot. any specials?", 0, false, "objection", "book,yes", "", "", "", "", -1,
          NLU_F_OBJ_PRICE },
        END } },
    { "open-right-now-late", "2027-03-06T22:00:00-08:00",
      { { "are you open right now?", 0, false, "hours", "book", "", "", "", "", -1, 0 }, END } },
    { "past-date-then-correct", "2027-03-03T10:00:00-08:00",
      { { "can I book botox for march 1?", 0, false, "book", NULL, "botox", "", "2027-03-01 past", "", -1, 0 },
        { "sorry, I meant April 1st at 10am", 0, false, "book", "wrong_number", "", "", "2027-04-01 10:00", "", -1,
          NLU_F_CORRECTION },
        NAME("Morgan Lee", "Morgan", "Lee"), END } },
    { "phi-pregnancy-question", "2027-03-02T20:00:00-08:00",
      { { "Can I get botox while pregnant? I'm 12 weeks along", 0, false, "medical", "book,name,urgent", "botox",
          "", "", "", -1, 0 },
        END } },
    { "price-shopper-anxious", "2027-03-03T21:40:00-08:00",
      { { "How much is Botox?", 0, false, "price", "book", "botox", "", "", "", -1, 0 },
        { "Is it painful?", 0, false, "pain", "medical,book", "", "", "", "", -1, 0 },
        { "OK yes", 0, false, "yes", "no", "", "", "", "", -1, 0 },
        { "thursday evening after work", 0, false, "book", NULL, "", "", "2027-03-04 17:00-21:00", "", -1, 0 },
        { "6:30", 3, false, "pick", NULL, "", "", "* 18:30 ? ctx", "", NLU_PICK_TIME, 0 },
        NAME("Priya Natarajan", "Priya", "Natarajan") } },
    { "provider-does-not-offer-service", "2027-03-02T18:00:00-08:00",
      { { "can Jenna do my hydrafacial wednesday at 2?", 0, false, "book", NULL, "hydrafacial", "jenna",
          "2027-03-03 14:00 ?", "", -1, 0 },
        { "sure, Ashley is fine", 1, false, "yes,pick", "no", "", "ashley", "", "", NLU_PICK_THIS, 0 },
        NAME("Robin Hale", "Robin", "Hale"), END } },
    { "provider-request", "2027-03-02T19:00:00-08:00",
      { { "I'd like lip filler with Dr. Smith on Thursday the 11th, late morning", 0, false, "book", NULL,
          "lip-filler", "dr-smith", "2027-03-11 10:00-12:00", "", -1, 0 },
        { "11 works", 3, false, "pick", NULL, "", "", "* 11:00 ? ctx", "", NLU_PICK_TIME, 0 },
        NAME("Avery Stone", "Avery", "Stone"), END } },
    { "race-for-one-slot a", "2027-03-02T20:00:00-08:00",
      { { "botox friday 3:30pm please, I'm Jamie Fox, new client", 0, false, "book,name", NULL, "botox", "",
          "2027-03-05 15:30", "Jamie|Fox", -1, NLU_F_NEW_CLIENT },
        END } },
    { "race-for-one-slot b", "2027-03-02T20:00:00-08:00",
      { { "can I get botox friday at 3:30?", 0, false, "book", NULL, "botox", "", "2027-03-05 15:30 ?", "", -1, 0 },
        { "ok 4:30 then", 2, false, "book", NULL, "", "", "* 16:30 ?", "", NLU_PICK_TIME, 0 },
        NAME("Lee Ann Wong", "Lee Ann", "Wong"), END } },
    { "reschedule-existing", "2027-03-02T15:00:00-08:00",
      { { "Hi, I need to move my lip filler on Friday to Saturday morning if possible", 0, false,
          "reschedule", "book,cancel", "lip-filler", "", "2027-03-05 from | 2027-03-06 06:00-12:00 to", "", -1, 0 },
        { "10 works", 2, false, "pick", NULL, "", "", "* 10:00 ? ctx", "", NLU_PICK_TIME, 0 }, END } },
    { "soonest-botox", "2027-03-02T20:15:00-08:00",
      { { "what's your soonest botox appointment?", 0, false, "availability", NULL, "botox", "", "", "", -1, 0 },
        { "I'll take it", 1, false, "pick", "no", "", "", "", "", NLU_PICK_THIS, 0 },
        NAME("Drew Carter", "Drew", "Carter"), END } },
    { "stop-after-textback", "2027-03-02T20:15:00-08:00",
      { { "STOP", 0, false, "opt_out", "name", "", "", "", "", -1, 0 },
        { "hello?", 0, false, "greeting", "opt_out,opt_in", "", "", "", "", -1, 0 }, END } },
    { "stop-then-start", "2027-03-02T14:00:00-08:00",
      { { "How much is microneedling?", 0, false, "price", NULL, "microneedling", "", "", "", -1, 0 },
        { "STOP", 0, false, "opt_out", NULL, "", "", "", "", -1, 0 },
        { "START", 0, false, "opt_in", "opt_out,name", "", "", "", "", -1, 0 },
        { "book microneedling friday at 10", 0, false, "book", NULL, "microneedling", "", "2027-03-05 10:00 ?", "",
          -1, 0 },
        NAME("Casey Nguyen", "Casey", "Nguyen"), END } },
    { "taken-slot-lip-filler", "2027-03-02T19:00:00-08:00",
      { { "do you have anything friday at 2pm for lip filler?", 0, false, "availability", NULL, "lip-filler", "",
          "2027-03-05 14:00", "", -1, 0 },
        { "what about 4?", 2, false, "", "no,name", "", "", "* 16:00 ?", "", -1, 0 },
        NAME("Rachel Kim", "Rachel", "Kim"), END } },
    { "tomorrow-after-five-first-offer", "2027-03-02T20:15:00-08:00",
      { { "can i get botox tmrw after 5", 0, false, "book", NULL, "botox", "", "2027-03-03 >=17:00 ?", "", -1, 0 },
        { "the first one works", 3, false, "pick", "no", "", "", "", "", NLU_PICK_ORDINAL, 0 },
        NAME("Alex Morgan", "Alex", "Morgan"), END } },
    { "two-services-one-visit", "2027-03-02T12:00:00-08:00",
      { { "Can I do botox and a hydrafacial on the same day? Thursday works", 0, false, "book", NULL,
          "botox,hydrafacial", "", "2027-03-04", "", -1, NLU_F_SAME_DAY },
        { "around 1pm", 0, false, "book", NULL, "", "", "* 13:00 ~", "", -1, 0 },
        { "that works! Grace Liu", 1, true, "yes,pick,name", "no", "", "", "", "Grace|Liu", NLU_PICK_THIS, 0 },
        END } },
    { "typos-and-emoji", "2027-03-02T21:05:00-08:00",
      { { "botx pls 😊 fri afternoon?", 0, false, "book", NULL, "botox", "", "2027-03-05 12:00-17:00", "", -1,
          NLU_F_EMOJI },
        { "2:30", 3, false, "pick", NULL, "", "", "* 14:30 ? ctx", "", NLU_PICK_TIME, 0 },
        NAME("Sofia Reyes", "Sofia", "Reyes"), END } },
    { "unpaid-hold-expires-quiet-hours", "2027-03-02T20:15:00-08:00",
      { { "new client, botox friday at 4?", 0, false, "book", NULL, "botox", "", "2027-03-05 16:00 ?", "", -1,
          NLU_F_NEW_CLIENT },
        NAME("Taylor Brooks", "Taylor", "Brooks"), END } },
    { "urgent-medical-after-filler", "2027-03-05T22:00:00-08:00",
      { { "I had filler last month and my lip is swollen and hard, is that normal??", 0, false, "urgent,medical",
          "book,name,yes", NULL, "", NULL, "", -1, 0 },
        END } },
    { "webchat-saturday-hours", "2027-03-04T22:00:00-08:00",
      { { "what are your hours on saturday?", 0, false, "hours", "book", "", "", "2027-03-06", "", -1, 0 }, END } },
    { "wrong-number", "2027-03-02T20:15:00-08:00",
      { { "sorry wrong number", 0, false, "wrong_number", "book,name", "", "", "", "", -1, 0 }, END } },
};

/* Checks that each comma-separated intent name in list is present (or absent). */
static void check_list(const struct nlu_result *r, const char *list, bool present, const char *say)
{
    char buf[256];
    if (!list)
        return;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        for (int i = 0; i < NLU_INTENT_COUNT; i++) {
            const char *name = nlu_intent_name((enum nlu_intent)i);
            if (strlen(name) == n && !memcmp(name, p, n)) {
                found = true;
                cr_expect_eq(has(r, (enum nlu_intent)i), present, "\"%s\": %s %.*s (got %s)", say,
                             present ? "wants" : "must not be", (int)n, p, intents(r, buf, sizeof buf));
            }
        }
        cr_assert(found, "unknown intent %.*s in the test", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
}

static void run_case(const struct ecase *c)
{
    struct nlu_context ctx = { 0 };
    char buf[512];
    for (int s = 0; s < 6 && c->steps[s].say; s++) {
        const struct step *st = &c->steps[s];
        ctx.offered = st->offered;
        ctx.expecting_name = st->asked_name;
        struct nlu_result r = understand(glow, c->now, &ctx, st->say);
        check_list(&r, st->intents, true, st->say);
        check_list(&r, st->absent, false, st->say);
        if (st->services) {
            svcs(glow, &r, buf, sizeof buf);
            cr_expect_str_eq(buf, st->services, "[%s] services in \"%s\": %s", c->id, st->say, buf);
        }
        if (st->providers) {
            provs(glow, &r, buf, sizeof buf);
            cr_expect_str_eq(buf, st->providers, "[%s] providers in \"%s\": %s", c->id, st->say, buf);
        }
        if (st->when) {
            whens(&r, buf, sizeof buf);
            cr_expect_str_eq(buf, st->when, "[%s] when in \"%s\": %s", c->id, st->say, buf);
        }
        if (st->person) {
            snprintf(buf, sizeof buf, "%s|%s", r.person.first, r.person.last);
            cr_expect_str_eq(r.person.score ? buf : "", st->person, "[%s] name in \"%s\"", c->id, st->say);
        }
        if (st->pick >= 0)
            cr_expect_eq(r.pick.kind, st->pick, "[%s] pick in \"%s\"", c->id, st->say);
        cr_expect_eq(r.flags & st->flags, st->flags, "[%s] flags of \"%s\": 0x%x", c->id, st->say, r.flags);
        nlu_context_note(&ctx, &r);
    }
}

Test(nlu_eval, every_patient_message_of_the_corpus)
{
    int messages = 0;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        run_case(&corpus[i]);
        for (int s = 0; s < 6 && corpus[i].steps[s].say; s++)
            messages++;
    }
    /* the corpus holds 40 cases: the one with no message is the late missed
     * call, and the race for one slot has two patients, each on their own */
    cr_assert_eq(sizeof corpus / sizeof corpus[0], 40, "one case holds two patients");
    cr_assert_eq(messages, 91);
}

Test(nlu_eval, across_dst_in_utc)
{
    struct nlu_result r = understand(glow, "2027-03-09T19:00:00-08:00", NULL,
                                     "I'd like a hydrafacial on Wednesday March 17 at 10am");
    cr_assert_eq(r.when.item[0].from_us, at("2027-03-17T17:00:00Z"), "10:00 PDT, after the change");
}

Test(nlu_eval, the_first_of_three_after_five)
{
    struct nlu_context ctx = { .offered = 3 };
    struct nlu_result r = understand(glow, "2027-03-02T20:15:00-08:00", &ctx, "the first one works");
    cr_assert_eq(r.pick.kind, NLU_PICK_ORDINAL);
    cr_assert_eq(r.pick.ordinal, 1);
}

/* The table above is the corpus: every message of every case file is in it,
 * under its case, at its case's time, in order. */
Test(nlu_eval, the_table_is_the_corpus)
{
    char dir[1024];
    fixture_path("eval/cases", dir, sizeof dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    struct dirent *e;
    int files = 0, said = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "eval/cases/%s", e->d_name);
        char *text = fixture_read(rel);
        cJSON *c = cJSON_Parse(text);
        cr_assert_not_null(c, "%s", rel);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
        const char *now = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "now"));
        cr_assert(id && now, "%s", rel);
        const cJSON *st;
        /* messages matched so far in each table entry (a race has one entry per patient) */
        int seen[sizeof corpus / sizeof corpus[0]] = { 0 };
        cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(c, "script"))
        {
            const char *say = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "say"));
            if (!say)
                continue;
            said++;
            bool found = false;
            for (size_t k = 0; k < sizeof corpus / sizeof corpus[0] && !found; k++) {
                size_t idl = strlen(id);
                if (strncmp(corpus[k].id, id, idl) != 0 || (corpus[k].id[idl] && corpus[k].id[idl] != ' '))
                    continue;
                if (seen[k] >= 6)
                    continue;
                const struct step *s = &corpus[k].steps[seen[k]];
                if (s->say && strcmp(s->say, say) == 0) {
                    cr_expect_eq(strncmp(corpus[k].now, now, strlen(now)), 0, "[%s] now %s", id, now);
                    seen[k]++;
                    found = true;
                }
            }
            cr_expect(found, "[%s] \"%s\" is not in the table (in order)", id, say);
        }
        cJSON_Delete(c);
        free(text);
        files++;
    }
    closedir(d);
    cr_assert_geq(files, 40);
    cr_assert_eq(said, 91);
}
