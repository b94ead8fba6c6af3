/*
 * Understanding: every intent with messages that carry it and neighbours
 * that must not; several intents in one message; slang, typos and emoji;
 * choices among offered slots; person names and emails; message flags.
 */
#include "test_nlu_fixture.h"

#include "redact.h"

TestSuite(nlu_intent, .init = fixture_setup, .fini = fixture_teardown);

#define NOW "2027-03-03T12:00:00-08:00"

#define PER 16

struct ic {
    enum nlu_intent intent;
    const char *yes[PER];
    const char *no[PER];
};

static const struct ic cases[] = {
    { NLU_INTENT_BOOK,
      { "I'd like to book botox", "can I get botox friday?", "want to schedule a hydrafacial",
        "new client, botox saturday 11am", "can i get botox tmrw after 5", "make an appointment pls",
        "Yes, new client, want Botox", "can I come in thursday", "sign me up for a facial",
        "book microneedling friday at 10", "lets do it", "I wanna get my lips done",
        "can Sarah do my botox", "actually can we make it a hydrafacial instead, same time?", NULL },
      { "how much is botox?", "I don't want botox", "cancel my appointment", "is it painful?",
        "what are your hours?", "Can I get botox while pregnant?", "thanks!", "who is this",
        "I already booked", "wrong number", "my friend got botox there last week and loved it",
        "I got botox 2 weeks ago and my eyelid is droopy", NULL } },
    { NLU_INTENT_PRICE,
      { "how much is botox?", "price for lip filler?", "what does a hydrafacial cost",
        "whats ur pricing", "how much for 20 units", "cost?", "is it expensive?",
        "how much is lip filler vs cheek filler?", "any specials?", "do you charge per unit", NULL },
      { "how much does it hurt", "how much downtime is there", "book botox", "is it painful?",
        "what's the cancellation fee policy", "how long does botox last", NULL } },
    { NLU_INTENT_AVAILABILITY,
      { "do you have any openings friday?", "any availability this week", "what's your soonest botox appointment?",
        "when are you available", "anything open tomorrow?", "any chance I can get in today?",
        "what times do you have thursday", "is friday free?", "first available please",
        "can you fit me in", "do u take walk ins", NULL },
      { "how much is botox", "hi", "my name is Emily", "stop",
        "Can my appointment be moved from Thursday to Friday?", NULL } },
    { NLU_INTENT_HOURS,
      { "what are your hours?", "what are your hours on saturday?", "are you open right now?",
        "when do you close", "what time do you open tomorrow", "are u open sunday",
        "how late are you open", "closing time?", NULL },
      { "do you have any openings", "open to suggestions lol", "how much is it", NULL } },
    { NLU_INTENT_LOCATION,
      { "where are you located", "what's the address", "where is the clinic", "is there parking?",
        "where do I park", "directions please", "location?", NULL },
      { "where do I pay", "book botox", NULL } },
    { NLU_INTENT_POLICY,
      { "what's your cancellation policy", "is the deposit refundable?", "why do I need a deposit",
        "what if I'm running late", "do you have a no show fee", "do you use numbing cream",
        "I'll be 10 minutes late", NULL },
      { "how much is botox", "book me in", NULL } },
    { NLU_INTENT_PAIN,
      { "Is it painful?", "does it hurt", "I'm nervous about needles", "im so scared lol",
        "will it hurt?", "I have anxiety about this", "do you use numbing", NULL },
      { "how much is it", "book botox friday", "sounds good", NULL } },
    { NLU_INTENT_OBJECTION,
      { "$12 a unit is kind of a lot. any specials?", "that's too expensive", "too pricey for me",
        "I need to think about it", "let me think", "not sure yet", "I can't afford that right now",
        "do you have any discounts", "I'll check with my husband", "maybe later", NULL },
      { "how much is botox", "that's not too expensive", "sounds good, book it", NULL } },
    { NLU_INTENT_RESCHEDULE,
      { "I need to reschedule", "can I move my appointment to friday",
        "Hi, I need to move my lip filler on Friday to Saturday morning if possible",
        "can we push it to next week", "change my appointment time please", "resched pls",
        "Can my appointment be moved from Thursday to Friday?", NULL },
      { "book botox friday", "cancel my appointment", "move on", NULL } },
    { NLU_INTENT_CANCEL,
      { "I need to cancel my appointment on Friday", "yes please cancel it", "cancel",
        "I can't make it tomorrow", "pls cx my appt", NULL },
      { "what's your cancellation policy", "I don't want to cancel", "book botox", NULL } },
    { NLU_INTENT_HUMAN,
      { "can I talk to a real person please", "I want to speak to someone", "human please",
        "can someone call me", "let me talk to the manager", "is this a bot?", "call me", NULL },
      { "I'll talk to my husband", "real quick question about botox", NULL } },
    { NLU_INTENT_WRONG_NUMBER,
      { "sorry wrong number", "wrong #", "who is this?", "I didn't call you", "you have the wrong person", NULL },
      { "sorry, I meant April", "what's your number", NULL } },
    { NLU_INTENT_OPT_OUT,
      { "STOP", "stop", "Stop.", "unsubscribe", "actually please stop texting me, not interested",
        "don't text me again", "remove me from your list", "opt out", "leave me alone",
        "STOPALL", "quit", NULL },
      { "stop by tomorrow?", "don't stop", "can I stop in friday", "hello", NULL } },
    { NLU_INTENT_OPT_IN, { "START", "unstop", "start", NULL }, { "when does it start", "start time?", NULL } },
    { NLU_INTENT_HELP, { "HELP", "help", "info", NULL }, { "can you help me book", NULL } },
    { NLU_INTENT_MEDICAL,
      { "Can I get botox while pregnant? I'm 12 weeks along", "I'm breastfeeding, is that ok",
        "I take blood thinners", "is it safe?", "I'm allergic to lidocaine", "any side effects?",
        "will I bruise?", "I have an autoimmune condition", "can I work out after botox",
        "I got botox 2 weeks ago and my eyelid is droopy", "my forehead is bruised",
        "Can I get botox while [health info]? I'm [health info] along", "I have [health info], can I book?",
        NULL },
      { "how much is botox", "is it painful?", "book botox friday", NULL } },
    { NLU_INTENT_URGENT,
      { "I had filler last month and my lip is swollen and hard, is that normal??",
        "my lips are turning white after filler", "I can't see properly since my filler",
        "my vision is blurry", "trouble breathing after botox", "severe pain in my cheek",
        "my face is swollen and hot", "this is an emergency", "I have a lump and it's getting worse",
        "I have [urgent health info] after my filler", NULL },
      { "will my lips be swollen after filler?", "how long does swelling last", "is it painful?",
        "can I get botox while pregnant?", "Can I get botox while [health info]?", NULL } },
    { NLU_INTENT_GREETING,
      { "hi", "hello?", "Hey there", "good morning!", "hiii", "Hi it's Maria", NULL },
      { "this is high", "thanks", NULL } },
    { NLU_INTENT_THANKS,
      { "thanks", "thank you!", "thx", "ty so much", "appreciate it", NULL },
      { "no thanks", "hi", NULL } },
    { NLU_INTENT_YES,
      { "yes", "Yes, new client", "OK yes", "yeah", "yep that works", "sure, Ashley is fine",
        "sounds good", "perfect", "👍", "ok", "that works! Grace Liu", NULL },
      { "no", "not sure", "that doesn't work", "yesterday", NULL } },
    { NLU_INTENT_NO,
      { "no", "nope", "no thanks", "nah", "that doesn't work for me", "not really", NULL },
      { "no later than 3", "no problem", "yes", "nobody told me", NULL } },
    { NLU_INTENT_SERVICE_INFO,
      { "do you do laser hair removal?", "hey do u guys do lip flips? how much", "what is dysport",
        "how long does botox last", "tell me about microneedling", "do you offer coolsculpting", NULL },
      { "book botox friday at 2", "hi", NULL } },
    { NLU_INTENT_PAYMENT,
      { "can I just pay here?", "do you take venmo", "card 4111 1111 1111 1111",
        "can I use my hsa card", "do you offer financing", NULL },
      { "pay attention", "how much", NULL } },
};

Test(nlu_intent, each_intent_with_and_without)
{
    char buf[256];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct ic *ic = &cases[c];
        for (int i = 0; i < PER && ic->yes[i]; i++) {
            struct nlu_result r = understand(glow, NOW, NULL, ic->yes[i]);
            cr_expect(has(&r, ic->intent), "\"%s\" should be %s (got %s)", ic->yes[i],
                      nlu_intent_name(ic->intent), intents(&r, buf, sizeof buf));
        }
        for (int i = 0; i < PER && ic->no[i]; i++) {
            struct nlu_result r = understand(glow, NOW, NULL, ic->no[i]);
            cr_expect_not(has(&r, ic->intent), "\"%s\" should not be %s (got %s)", ic->no[i],
                          nlu_intent_name(ic->intent), intents(&r, buf, sizeof buf));
        }
    }
}

Test(nlu_intent, several_intents_with_scores_in_order)
{
    struct nlu_result r = understand(glow, NOW, NULL, "Hi it's Maria, can I get my botox touched up next week?");
    cr_assert(has(&r, NLU_INTENT_GREETING));
    cr_assert(has(&r, NLU_INTENT_BOOK));
    cr_assert(has(&r, NLU_INTENT_NAME));
    cr_assert(r.flags & NLU_F_RETURNING);
    enum nlu_intent list[NLU_INTENT_COUNT];
    int n = nlu_intents(&r, NLU_PRESENT, list, NLU_INTENT_COUNT);
    cr_assert_geq(n, 3);
    for (int i = 1; i < n; i++)
        cr_assert_geq(r.score[list[i - 1]], r.score[list[i]]);
    cr_assert_eq(nlu_intents(&r, NLU_PRESENT, list, 1), 1);
    cr_assert_str_eq(nlu_intent_name(NLU_INTENT_WRONG_NUMBER), "wrong_number");
    cr_assert_str_eq(nlu_intent_name((enum nlu_intent)99), "unknown");

    r = understand(glow, NOW, NULL, "yes please cancel it");
    cr_assert(has(&r, NLU_INTENT_YES) && has(&r, NLU_INTENT_CANCEL));
    r = understand(glow, NOW, NULL, "cancel");
    cr_assert(has(&r, NLU_INTENT_CANCEL) && has(&r, NLU_INTENT_OPT_OUT),
              "a lone CANCEL is flagged for compliance too");
    r = understand(glow, NOW, NULL, "How much is Botox? is it painful?");
    cr_assert(has(&r, NLU_INTENT_PRICE) && has(&r, NLU_INTENT_PAIN));
}

Test(nlu_intent, slang_typos_and_emoji)
{
    char s[64];
    struct nlu_result r = understand(glow, NOW, NULL, "botx pls 😊 fri afternoon?");
    cr_assert(has(&r, NLU_INTENT_BOOK));
    cr_assert_str_eq(svcs(glow, &r, s, sizeof s), "botox");
    cr_assert(r.flags & NLU_F_EMOJI);
    r = understand(glow, NOW, NULL, "thx u r the best 🙏");
    cr_assert(has(&r, NLU_INTENT_THANKS));
    r = understand(glow, NOW, NULL, "can i get an apointment tomorow");
    cr_assert(has(&r, NLU_INTENT_BOOK));
    cr_assert_eq(r.when.n, 1);
    r = understand(glow, NOW, NULL, "👍");
    cr_assert(has(&r, NLU_INTENT_YES));
    r = understand(glow, NOW, NULL, "HOW MUCH IS BOTOX??");
    cr_assert(has(&r, NLU_INTENT_PRICE));
}

Test(nlu_intent, choices_among_offered_slots)
{
    struct nlu_context three = { .offered = 3 }, one = { .offered = 1 }, none = { 0 };
    struct {
        const struct nlu_context *ctx;
        const char *text;
        uint8_t kind;
        int8_t ordinal;
    } picks[] = {
        { &three, "the first one works", NLU_PICK_ORDINAL, 1 },
        { &three, "first one", NLU_PICK_ORDINAL, 1 },
        { &three, "the second", NLU_PICK_ORDINAL, 2 },
        { &three, "2nd one pls", NLU_PICK_ORDINAL, 2 },
        { &three, "the 2nd", NLU_PICK_ORDINAL, 2 },
        { &three, "third", NLU_PICK_ORDINAL, 3 },
        { &three, "the last one", NLU_PICK_ORDINAL, -1 },
        { &three, "option 2", NLU_PICK_ORDINAL, 2 },
        { &three, "#3", NLU_PICK_ORDINAL, 3 },
        { &three, "the middle one", NLU_PICK_ORDINAL, 2 },
        { &three, "the earliest", NLU_PICK_EARLIEST, 0 },
        { &three, "the latest you have", NLU_PICK_LATEST, 0 },
        { &three, "the later one", NLU_PICK_LATEST, 0 },
        { &one, "I'll take it", NLU_PICK_THIS, 0 },
        { &three, "that one", NLU_PICK_THIS, 0 },
        { &one, "that works!", NLU_PICK_THIS, 0 },
        { &one, "yes", NLU_PICK_THIS, 0 },
        { &three, "3:30 works", NLU_PICK_TIME, 0 },
        { &three, "Friday 3:30 works", NLU_PICK_TIME, 0 },
        { &three, "11 works", NLU_PICK_TIME, 0 },
        { &three, "ok 4:30 then", NLU_PICK_TIME, 0 },
        /* not choices */
        { &three, "first time here", NLU_PICK_NONE, 0 },
        { &three, "first thing in the morning", NLU_PICK_NONE, 0 },
        { &three, "April 1st", NLU_PICK_NONE, 0 },
        { &three, "none of those work", NLU_PICK_NONE, 0 },
        { &none, "I'll take it", NLU_PICK_THIS, 0 },
        { &none, "3:30 works", NLU_PICK_NONE, 0 },
        { &none, "yes", NLU_PICK_NONE, 0 },
    };
    for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
        struct nlu_result r = understand(glow, NOW, picks[i].ctx, picks[i].text);
        cr_expect_eq(r.pick.kind, picks[i].kind, "pick kind of \"%s\" (offered %d)", picks[i].text,
                     picks[i].ctx->offered);
        if (picks[i].kind == NLU_PICK_ORDINAL)
            cr_expect_eq(r.pick.ordinal, picks[i].ordinal, "ordinal of \"%s\"", picks[i].text);
        if (picks[i].kind != NLU_PICK_NONE && picks[i].ctx->offered)
            cr_expect(has(&r, NLU_INTENT_PICK), "\"%s\" is a pick", picks[i].text);
    }
    struct nlu_result r = understand(glow, NOW, &three, "none of those work");
    cr_assert(has(&r, NLU_INTENT_NO));
}

Test(nlu_intent, person_names)
{
    struct nlu_context asked = { .expecting_name = true };
    struct {
        const struct nlu_context *ctx;
        const char *text, *first, *last;
    } names[] = {
        { NULL, "Emily Chen", "Emily", "Chen" },
        { NULL, "emily chen", "Emily", "Chen" },
        { NULL, "EMILY CHEN", "Emily", "Chen" },
        { NULL, "It's Emily Chen", "Emily", "Chen" },
        { NULL, "its emily chen", "Emily", "Chen" },
        { NULL, "my name is emily chen", "Emily", "Chen" },
        { NULL, "Emily", "Emily", "" },
        { &asked, "emily", "Emily", "" },
        { NULL, "Hi it's Maria, can I get my botox touched up next week?", "Maria", "" },
        { NULL, "botox friday 3:30pm please, I'm Jamie Fox, new client", "Jamie", "Fox" },
        { NULL, "that works! Grace Liu", "Grace", "Liu" },
        { NULL, "Lee Ann Wong", "Lee Ann", "Wong" },
        { NULL, "Lee-Ann Wong", "Lee-Ann", "Wong" },
        { NULL, "Ana de la Cruz", "Ana", "de la Cruz" },
        { NULL, "José Álvarez", "José", "Álvarez" },
        { NULL, "Jesse Park", "Jesse", "Park" },
        { NULL, "Drew Carter", "Drew", "Carter" },
        { NULL, "Sarah O'Neil", "Sarah", "O'Neil" },
        { NULL, "Emily here", "Emily", "" },
        { &asked, "Jenna", "Jenna", "" },
        { &asked, "Frida Kahlo", "Frida", "Kahlo" },
        { NULL, "Hey! I'm Sarah, I'd like to book a facial", "Sarah", "" },
        /* first names that are also months */
        { NULL, "my name is April Jones", "April", "Jones" },
        { NULL, "It's June Park", "June", "Park" },
        { &asked, "April Jones", "April", "Jones" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct nlu_result r = understand(glow, NOW, names[i].ctx, names[i].text);
        cr_expect_str_eq(r.person.first, names[i].first, "first name in \"%s\"", names[i].text);
        cr_expect_str_eq(r.person.last, names[i].last, "last name in \"%s\"", names[i].text);
        cr_expect(has(&r, NLU_INTENT_NAME) || !names[i].last[0], "\"%s\" gives a name", names[i].text);
    }
    const char *not_names[] = { "asdfghjkl", "Botox Friday", "sure, Ashley is fine", "OK yes",
                                "Thursday works", "lol sorry, butt dial. do you do laser hair removal?",
                                "I'm nervous", "its fine", "I'm 12 weeks along", "Jenna Park",
                                "STOP", "HELP", "Sounds Good", "Next Week", "hydra facial",
                                "Dr. Smith", "no thanks", NULL };
    for (int i = 0; not_names[i]; i++) {
        struct nlu_result r = understand(glow, NOW, NULL, not_names[i]);
        cr_expect_eq(r.person.score, 0, "no name in \"%s\" (got '%s' '%s')", not_names[i],
                     r.person.first, r.person.last);
    }
    struct nlu_result r = understand(glow, NOW, NULL, "Hey! I'm Sarah, I'd like to book a facial");
    cr_assert_eq(r.nproviders, 0, "the patient's own name is no provider");
    r = understand(glow, NOW, NULL, "can Sarah do my botox");
    cr_assert_eq(r.nproviders, 1);
    cr_assert_eq(r.person.score, 0);
    r = understand(glow, NOW, NULL, "Emily Chen");
    struct nlu_result l = understand(glow, NOW, NULL, "emily chen");
    struct nlu_result a = understand(glow, NOW, &asked, "emily chen");
    cr_assert_gt(r.person.score, l.person.score, "capitals make it likelier");
    cr_assert_gt(a.person.score, l.person.score, "so does having asked");
}

Test(nlu_intent, emails)
{
    struct nlu_result r = understand(glow, NOW, NULL, "it's emily.chen@example.com thanks");
    cr_assert_str_eq(r.email, "emily.chen@example.com");
    cr_assert(has(&r, NLU_INTENT_EMAIL));
    cr_assert(has(&r, NLU_INTENT_THANKS));
    cr_assert_eq(r.person.score, 0, "an email is not a name");
    r = understand(glow, NOW, NULL, "Maria.Lopez@Example.com.");
    cr_assert_str_eq(r.email, "Maria.Lopez@Example.com");
    r = understand(glow, NOW, NULL, "my email is at gmail");
    cr_assert_str_eq(r.email, "");
    cr_assert_not(has(&r, NLU_INTENT_EMAIL));
}

Test(nlu_intent, flags)
{
    struct {
        const char *text;
        uint32_t flag;
        bool set;
    } f[] = {
        { "actually can we make it a hydrafacial instead, same time?", NLU_F_CORRECTION, true },
        { "actually can we make it a hydrafacial instead, same time?", NLU_F_SAME_TIME, true },
        { "sorry, I meant April 1st at 10am", NLU_F_CORRECTION, true },
        { "book botox friday", NLU_F_CORRECTION, false },
        { "new client, botox saturday 11am", NLU_F_NEW_CLIENT, true },
        { "it's my first time", NLU_F_NEW_CLIENT, true },
        { "I've been there before", NLU_F_RETURNING, true },
        { "Can I do botox and a hydrafacial on the same day? Thursday works", NLU_F_SAME_DAY, true },
        { "how much?", NLU_F_QUESTION, true },
        { "how much", NLU_F_QUESTION, true },
        { "book botox", NLU_F_QUESTION, false },
        { "asdfghjkl", NLU_F_GIBBERISH, true },
        { "qwrtzpsdf", NLU_F_GIBBERISH, true },
        { "hello", NLU_F_GIBBERISH, false },
        { "I don't want botox", NLU_F_NEGATED, true },
        { "$12 a unit is kind of a lot. any specials?", NLU_F_OBJ_PRICE, true },
        { "I need to think about it", NLU_F_OBJ_THINK, true },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        struct nlu_result r = understand(glow, NOW, NULL, f[i].text);
        cr_expect_eq((r.flags & f[i].flag) != 0, f[i].set, "flag 0x%x on \"%s\"", f[i].flag, f[i].text);
    }
    struct nlu_result r = understand(glow, NOW, NULL, "is the deposit refundable if I cancel? also parking?");
    cr_assert_eq(r.topics & (NLU_TOPIC_DEPOSIT | NLU_TOPIC_REFUND | NLU_TOPIC_PARKING),
                 NLU_TOPIC_DEPOSIT | NLU_TOPIC_REFUND | NLU_TOPIC_PARKING);
}

Test(nlu_intent, arguments_and_empty_messages)
{
    struct nlu_result r;
    cr_assert_eq(nlu_understand(NULL, 0, NULL, "hi", &r), NLU_E_INVAL);
    cr_assert_eq(nlu_understand(glow, 0, NULL, NULL, &r), NLU_E_INVAL);
    cr_assert_eq(nlu_understand(glow, 0, NULL, "hi", NULL), NLU_E_INVAL);
    r = understand(glow, NOW, NULL, "");
    enum nlu_intent list[4];
    cr_assert_eq(nlu_intents(&r, 1, list, 4), 0);
    r = understand(glow, NOW, NULL, "   ...   ");
    cr_assert_eq(nlu_intents(&r, 1, list, 4), 0);
    r = understand(glow, NOW, NULL, "\xFF\xFE bad \xC3 bytes \xE2\x82");
    cr_assert_eq(r.when.n, 0);
}

/* The engine reads messages after inbound redaction: what redact_message()
 * leaves of a health question or an urgent symptom is still one. */
Test(nlu_intent, redacted_health_details_stay_medical)
{
    static const char *const medical[] = {
        "Can I get botox while pregnant? I'm 12 weeks along", "I'm breastfeeding, can I get filler",
        "I have diabetes, is microneedling ok", NULL,
    };
    static const char *const urgent[] = { "I have chest pain after my filler", "my vision is blurry since friday",
                                          NULL };
    char buf[256];
    for (int i = 0; medical[i]; i++) {
        char *red = redact_message(medical[i]);
        cr_assert_not_null(red);
        cr_expect_neq(strcmp(red, medical[i]), 0, "\"%s\" was not redacted", medical[i]);
        struct nlu_result r = understand(glow, NOW, NULL, red);
        cr_expect(has(&r, NLU_INTENT_MEDICAL), "\"%s\" should be medical (got %s)", red, intents(&r, buf, sizeof buf));
        cr_expect_not(has(&r, NLU_INTENT_URGENT), "\"%s\" should not be urgent", red);
        free(red);
    }
    for (int i = 0; urgent[i]; i++) {
        char *red = redact_message(urgent[i]);
        cr_assert_not_null(red);
        struct nlu_result r = understand(glow, NOW, NULL, red);
        cr_expect(has(&r, NLU_INTENT_URGENT), "\"%s\" should be urgent (got %s)", red, intents(&r, buf, sizeof buf));
        free(red);
    }
}
