/*
 * The conversation core's own contracts, one at a time, against the Glow
 * clinic of the shared corpus: reading knowledge, deposit rules, the state's
 * JSON round trip, purity (same inputs, same outputs), the facts protocol
 * (queries only, state untouched, then the decision), silence while staff
 * have the conversation, urgent symptoms, a lost hold, lapsed holds in and
 * out of quiet hours, repeated payments, booking retries, card numbers, and
 * the wording's bounds (length, prices only from the catalog), the
 * cancellation policy's notice window when cancelling or moving an
 * appointment, and a wrong number answered once.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo/convo.h"
#include "convo_world.h"
#include "replies.h"
#include "tz.h"

static struct convo_knowledge kn;
static struct nlu_catalog *cat;
static cJSON *clinic;

static void setup(void)
{
    char *text = world_read_shared("eval/clinics/glow.json");
    cr_assert_not_null(text, "set BW_SHARED_DIR to the shared corpus");
    clinic = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(clinic);
    cr_assert_eq(convo_knowledge_from_json(clinic, &kn), 0);
    cr_assert_eq(nlu_catalog_from_json(clinic, &cat), 0);
}

static void teardown(void)
{
    nlu_catalog_free(cat);
    cJSON_Delete(clinic);
}

TestSuite(convo, .init = setup, .fini = teardown);

/* Local wall time in the clinic's zone. */
static int64_t at(int y, int mo, int d, int h, int mi)
{
    struct tz_local l = { .year = y, .month = mo, .day = d, .hour = h, .minute = mi };
    int64_t us;
    cr_assert_eq(tz_from_local(kn.zone, &l, TZ_REPEATED_FIRST, &us), 0);
    return us;
}

static struct nlu_result understand(const struct convo_state *st, int64_t now, const char *text)
{
    struct nlu_context ctx;
    convo_nlu_context(st, &ctx);
    struct nlu_result r;
    cr_assert_eq(nlu_understand(cat, now, &ctx, text, &r), 0);
    return r;
}

static const struct convo_action *find(const struct convo_result *res, enum convo_action_kind k)
{
    for (size_t i = 0; i < res->nactions; i++)
        if (res->action[i].kind == k)
            return &res->action[i];
    return NULL;
}

static struct convo_facts client_facts(bool known)
{
    struct convo_facts f;
    memset(&f, 0, sizeof f);
    f.has_client = true;
    f.client.known = known;
    return f;
}

Test(convo, knowledge_reads_the_clinic)
{
    cr_assert_str_eq(kn.name, "Glow Aesthetics");
    cr_assert_eq(kn.nservices, 10);
    cr_assert_eq(kn.nproviders, 3);
    int botox = convo_knowledge_service(&kn, "botox"), hf = convo_knowledge_service(&kn, "hydrafacial");
    cr_assert_eq(kn.services[botox].price_kind, KN_PRICE_PER_UNIT);
    cr_assert_eq(kn.services[botox].cents, 1200);
    cr_assert(convo_knowledge_offers(&kn, convo_knowledge_provider(&kn, "ashley"), hf));
    cr_assert_not(convo_knowledge_offers(&kn, convo_knowledge_provider(&kn, "jenna"), hf));
    cr_assert(convo_knowledge_closed_day(&kn, nlu_days_from_civil(2027, 3, 12)));  /* a closed date */
    cr_assert(convo_knowledge_closed_day(&kn, nlu_days_from_civil(2027, 3, 7)));   /* Sunday */
    cr_assert_not(convo_knowledge_closed_day(&kn, nlu_days_from_civil(2027, 3, 11)));
    cr_assert_eq(kn.open_min[6], 9 * 60);
    cr_assert_eq(kn.close_min[6], 15 * 60);
}

Test(convo, knowledge_refuses_bad_shapes)
{
    struct convo_knowledge k;
    cJSON *bad = cJSON_Duplicate(clinic, 1);
    cJSON *price = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(bad, "services"), 0), "price");
    cJSON_ReplaceItemInObject(price, "kind", cJSON_CreateString("per_banana"));
    cr_assert_eq(convo_knowledge_from_json(bad, &k), KN_E_INVAL);
    cJSON_Delete(bad);
    bad = cJSON_Duplicate(clinic, 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bad, "hours"), "tue", cJSON_CreateString("9 to 5"));
    cr_assert_eq(convo_knowledge_from_json(bad, &k), KN_E_INVAL);
    cJSON_Delete(bad);
    bad = cJSON_Duplicate(clinic, 1);
    cJSON *rule = cJSON_GetArrayItem(cJSON_GetObjectItem(bad, "deposit_rules"), 0);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(rule, "when"), "service", cJSON_CreateString("botox"));
    cr_assert_eq(convo_knowledge_from_json(bad, &k), KN_E_INVAL);
    cJSON_Delete(bad);
}

Test(convo, deposit_rules_first_match_and_largest_of_a_visit)
{
    struct convo_visit v = { .n = 1 };
    v.part[0].service = (int16_t)convo_knowledge_service(&kn, "coolsculpting-consult");
    cr_assert_eq(convo_deposit_cents(&kn, &v, true), 0);
    v.part[0].service = (int16_t)convo_knowledge_service(&kn, "botox");
    cr_assert_eq(convo_deposit_cents(&kn, &v, true), 5000);
    cr_assert_eq(convo_deposit_cents(&kn, &v, false), 10000);
    v.part[0].service = (int16_t)convo_knowledge_service(&kn, "hydrafacial");
    cr_assert_eq(convo_deposit_cents(&kn, &v, false), 5000);
    v.n = 2;
    v.part[1].service = (int16_t)convo_knowledge_service(&kn, "lip-filler");
    cr_assert_eq(convo_deposit_cents(&kn, &v, false), 10000);
    cr_assert_eq(convo_deposit_cents(&kn, &v, true), 5000);
}

Test(convo, state_round_trips_through_json)
{
    struct convo_state st, back;
    convo_state_init(&st);
    st.stage = CONVO_ST_HELD;
    st.greeted = true;
    st.turns = 7;
    st.client = CONVO_CLIENT_NEW;
    snprintf(st.first, sizeof st.first, "Emily");
    snprintf(st.last, sizeof st.last, "Chen");
    st.want.nservices = 2;
    st.want.services[0] = 0;
    st.want.services[1] = 4;
    st.want.provider = 1;
    st.want.day_from = st.want.day_to = nlu_days_from_civil(2027, 3, 5);
    st.want.time_kind = NLU_TIME_EXACT;
    st.want.min_from = st.want.min_to = 930;
    st.noffers = 1;
    st.offers[0] = (struct convo_visit){ 1, { { 0, 0, 30, at(2027, 3, 5, 15, 30) } } };
    st.has_chosen = true;
    st.chosen = st.offers[0];
    st.deposit_cents = 5000;
    snprintf(st.appt_ref, sizeof st.appt_ref, "emr-42");
    st.appt = (struct convo_part){ 2, 0, 60, at(2027, 3, 5, 14, 0) };
    cJSON *j = convo_state_to_json(&kn, &st);
    cr_assert_not_null(j);
    cr_assert_eq(convo_state_from_json(&kn, j, &back), 0);
    cJSON_Delete(j);
    cr_assert_eq(back.stage, CONVO_ST_HELD);
    cr_assert_eq(back.turns, 7);
    cr_assert_str_eq(back.first, "Emily");
    cr_assert_eq(back.want.nservices, 2);
    cr_assert_eq(back.want.services[1], 4);
    cr_assert_eq(back.want.provider, 1);
    cr_assert_eq(back.want.min_from, 930);
    cr_assert_eq(back.noffers, 1);
    cr_assert_eq(back.chosen.part[0].start_us, st.chosen.part[0].start_us);
    cr_assert_eq(back.deposit_cents, 5000);
    cr_assert_str_eq(back.appt_ref, "emr-42");
    cr_assert_eq(back.appt.dur_min, 60);
    cr_assert_eq(memcmp(&back, &st, sizeof st), 0, "every field survives");
}

Test(convo, state_json_is_checked)
{
    struct convo_state st;
    cJSON *j = cJSON_Parse("{\"stage\":\"dancing\",\"resume\":\"new\",\"client\":\"new\"}");
    cr_assert_eq(convo_state_from_json(&kn, j, &st), CONVO_E_INVAL);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"stage\":\"chat\",\"resume\":\"new\",\"client\":\"new\",\"turns\":\"x\"}");
    cr_assert_eq(convo_state_from_json(&kn, j, &st), CONVO_E_INVAL);
    cJSON_Delete(j);
    /* An offer naming a service the catalog no longer has is dropped. */
    j = cJSON_Parse("{\"stage\":\"offered\",\"resume\":\"new\",\"client\":\"new\",\"offers\":[[{\"service\":"
                    "\"gone\",\"provider\":\"jenna\",\"start_us\":1,\"dur_min\":30}]]}");
    cr_assert_eq(convo_state_from_json(&kn, j, &st), 0);
    cr_assert_eq(st.noffers, 0);
    cJSON_Delete(j);
}

Test(convo, facts_protocol_queries_first_then_decides)
{
    struct convo_state st;
    convo_state_init(&st);
    int64_t now = at(2027, 3, 2, 19, 0);
    struct nlu_result r = understand(&st, now, "hydrafacial thursday at 3pm?");
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    struct convo_result *res = malloc(sizeof *res), *again = malloc(sizeof *again);
    cr_assert_not_null(res);
    cr_assert_not_null(again);

    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, now, res), 0);
    cr_assert(res->need_facts);
    cr_assert_eq(res->nactions, 1);
    cr_assert_eq(res->action[0].kind, CONVO_ACT_QUERY_CLIENT);
    cr_assert_eq(memcmp(&res->state, &st, sizeof st), 0, "state untouched while facts are missing");

    struct convo_facts f = client_facts(false);
    cr_assert_eq(convo_decide(&kn, &st, &ev, &f, now, res), 0);
    cr_assert(res->need_facts);
    const struct convo_action *q = find(res, CONVO_ACT_QUERY_AVAILABILITY);
    cr_assert_not_null(q);
    cr_assert_eq(q->query.service, convo_knowledge_service(&kn, "hydrafacial"));
    cr_assert_eq(q->query.provider, -1);
    cr_assert_leq(q->query.from_us, at(2027, 3, 4, 15, 0));
    cr_assert_gt(q->query.to_us, at(2027, 3, 4, 16, 0));

    /* Ashley free at 15:00 Thursday. */
    struct convo_slot slots[] = { { at(2027, 3, 4, 14, 45), 2 }, { at(2027, 3, 4, 15, 0), 2 } };
    f.navail = 1;
    f.avail[0] = (struct convo_avail){ q->query, false, 2, slots };
    cr_assert_eq(convo_decide(&kn, &st, &ev, &f, now, res), 0);
    cr_assert_not(res->need_facts);
    cr_assert_eq(res->state.stage, CONVO_ST_ACCEPTED);
    cr_assert(res->state.expecting_name);
    cr_assert_eq(res->state.chosen.part[0].start_us, at(2027, 3, 4, 15, 0));
    cr_assert_eq(res->state.chosen.part[0].provider, 2);
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert(strstr(reply->text, "Glow Aesthetics"), "the first reply names the clinic: %s", reply->text);
    cr_assert(strstr(reply->text, "automated"), "%s", reply->text);
    cr_assert(strstr(reply->text, "Ashley Cruz"), "%s", reply->text);
    cr_assert(strstr(reply->text, "first and last name"), "%s", reply->text);

    /* Pure: the same inputs give the same result, byte for byte. */
    cr_assert_eq(convo_decide(&kn, &st, &ev, &f, now, again), 0);
    cr_assert_eq(memcmp(res, again, sizeof *res), 0);

    /* The name completes what booking needs: hold, link, reply with the link. */
    struct convo_state st2 = res->state;
    struct nlu_result r2 = understand(&st2, now, "Quinn Adler");
    struct convo_ev ev2 = { .kind = CONVO_EV_MESSAGE, .nlu = &r2 };
    cr_assert_eq(convo_decide(&kn, &st2, &ev2, NULL, now, res), 0);
    cr_assert_not(res->need_facts);
    cr_assert_eq(res->action[0].kind, CONVO_ACT_HOLD);
    cr_assert_eq(res->action[1].kind, CONVO_ACT_DEPOSIT_LINK);
    cr_assert_eq(res->action[1].cents, 5000);
    cr_assert_eq(res->action[2].kind, CONVO_ACT_REPLY);
    cr_assert(strstr(res->action[2].text, CONVO_LINK_MARK));
    cr_assert(strstr(res->action[2].text, "$50"));
    cr_assert_leq(strlen(res->action[2].text) - strlen(CONVO_LINK_MARK) + CONVO_LINK_BUDGET, 480);
    cr_assert_eq(res->state.stage, CONVO_ST_HELD);
    free(res);
    free(again);
}

Test(convo, silent_while_staff_have_it)
{
    struct convo_state st;
    convo_state_init(&st);
    st.stage = CONVO_ST_HANDOFF;
    st.resume_stage = CONVO_ST_OFFERED;
    st.greeted = true;
    st.client = CONVO_CLIENT_NEW;
    int64_t now = at(2027, 3, 3, 16, 0);
    struct nlu_result r = understand(&st, now, "hello? how much is botox?");
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, now, res), 0);
    cr_assert_eq(res->nactions, 0);
    struct convo_ev back = { .kind = CONVO_EV_STAFF_HANDBACK };
    cr_assert_eq(convo_decide(&kn, &st, &back, NULL, now, res), 0);
    cr_assert_eq(res->state.stage, CONVO_ST_OFFERED);
    free(res);
}

Test(convo, urgent_symptoms_alert_staff_and_give_no_advice)
{
    struct convo_state st;
    convo_state_init(&st);
    int64_t now = at(2027, 3, 5, 22, 0);
    struct nlu_result r = understand(&st, now, "I had filler yesterday and now my vision is blurry");
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    struct convo_facts f = client_facts(false);
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, &f, now, res), 0);
    cr_assert_not_null(find(res, CONVO_ACT_STAFF_ALERT));
    cr_assert_not_null(find(res, CONVO_ACT_HANDOFF));
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert(strstr(reply->text, "911"), "%s", reply->text);
    cr_assert(strstr(reply->text, "(415) 555-0100"), "%s", reply->text);
    cr_assert_null(strstr(reply->text, "blurry"), "never echoes health words");
    cr_assert_null(strstr(reply->text, "normal"));
    cr_assert_eq(res->state.stage, CONVO_ST_HANDOFF);
    cJSON *j = convo_state_to_json(&kn, &res->state);
    char *s = cJSON_PrintUnformatted(j);
    cr_assert_null(strstr(s, "vision"));
    cr_assert_null(strstr(s, "filler yesterday"));
    free(s);
    cJSON_Delete(j);
    free(res);
}

/* A conversation holding Friday 15:30 Botox with Dr. Smith, link sent. */
static struct convo_state held(void)
{
    struct convo_state st;
    convo_state_init(&st);
    st.stage = CONVO_ST_HELD;
    st.greeted = true;
    st.client = CONVO_CLIENT_NEW;
    snprintf(st.first, sizeof st.first, "Taylor");
    snprintf(st.last, sizeof st.last, "Brooks");
    st.has_chosen = true;
    st.chosen = (struct convo_visit){ 1, { { 0, 0, 30, at(2027, 3, 5, 15, 30) } } };
    st.deposit_cents = 5000;
    return st;
}

Test(convo, lapsed_hold_in_quiet_hours_waits_for_morning)
{
    struct convo_state st = held();
    struct convo_ev ev = { .kind = CONVO_EV_HOLD_EXPIRED };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, at(2027, 3, 2, 22, 30), res), 0);
    cr_assert_null(find(res, CONVO_ACT_REPLY), "nothing proactive at 22:30");
    const struct convo_action *s = find(res, CONVO_ACT_SCHEDULE);
    cr_assert_not_null(s);
    cr_assert_eq(s->timer, CONVO_TIMER_FOLLOWUP);
    cr_assert_eq(s->at_us, at(2027, 3, 3, 8, 0));
    cr_assert_eq(res->state.stage, CONVO_ST_EXPIRED);

    struct convo_state st2 = res->state;
    struct convo_ev t = { .kind = CONVO_EV_TIMER, .timer = CONVO_TIMER_FOLLOWUP };
    cr_assert_eq(convo_decide(&kn, &st2, &t, NULL, at(2027, 3, 3, 8, 0), res), 0);
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert(reply->proactive);
    cr_assert(res->state.followed_up);
    /* Once only. */
    struct convo_state st3 = res->state;
    cr_assert_eq(convo_decide(&kn, &st3, &t, NULL, at(2027, 3, 3, 9, 0), res), 0);
    cr_assert_eq(res->nactions, 0);
    free(res);
}

Test(convo, payment_books_once)
{
    struct convo_state st = held();
    struct convo_ev ev = { .kind = CONVO_EV_PAYMENT, .amount_cents = 5000 };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, at(2027, 3, 2, 20, 20), res), 0);
    const struct convo_action *b = find(res, CONVO_ACT_BOOK);
    cr_assert_not_null(b);
    cr_assert(b->new_client);
    cr_assert_str_eq(b->first, "Taylor");
    cr_assert_str_eq(b->last, "Brooks");
    cr_assert_eq(b->cents, 5000);
    cr_assert_eq(res->state.stage, CONVO_ST_BOOKED);
    struct convo_state again = res->state;
    cr_assert_eq(convo_decide(&kn, &again, &ev, NULL, at(2027, 3, 2, 20, 21), res), 0);
    cr_assert_eq(res->nactions, 0, "a repeated payment event changes nothing");
    free(res);
}

Test(convo, booking_retries_tell_the_patient_once)
{
    struct convo_state st = held();
    struct convo_ev ev = { .kind = CONVO_EV_BOOKING_FAILED, .retryable = true };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, at(2027, 3, 2, 19, 0), res), 0);
    cr_assert_not_null(find(res, CONVO_ACT_REPLY));
    cr_assert_not_null(find(res, CONVO_ACT_SCHEDULE));
    cr_assert_eq(res->state.stage, CONVO_ST_PAID);
    struct convo_state st2 = res->state;
    cr_assert_eq(convo_decide(&kn, &st2, &ev, NULL, at(2027, 3, 2, 19, 2), res), 0);
    cr_assert_null(find(res, CONVO_ACT_REPLY), "told once");
    cr_assert_not_null(find(res, CONVO_ACT_SCHEDULE));
    struct convo_state st3 = res->state;
    struct convo_ev t = { .kind = CONVO_EV_TIMER, .timer = CONVO_TIMER_RETRY_BOOK };
    cr_assert_eq(convo_decide(&kn, &st3, &t, NULL, at(2027, 3, 2, 19, 4), res), 0);
    cr_assert_not_null(find(res, CONVO_ACT_BOOK));
    cr_assert_eq(res->state.stage, CONVO_ST_BOOKED);
    free(res);
}

Test(convo, a_lost_hold_offers_other_times)
{
    struct convo_state st;
    convo_state_init(&st);
    st.stage = CONVO_ST_ACCEPTED;
    st.greeted = true;
    st.client = CONVO_CLIENT_NEW;
    st.want.nservices = 1;
    st.want.services[0] = 0;
    st.has_chosen = true;
    st.chosen = (struct convo_visit){ 1, { { 0, 0, 30, at(2027, 3, 5, 15, 30) } } };
    struct convo_ev ev = { .kind = CONVO_EV_HOLD_FAILED };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    int64_t now = at(2027, 3, 2, 20, 0);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, now, res), 0);
    cr_assert(res->need_facts);
    struct convo_facts f = { 0 };
    struct convo_slot slots[] = { { at(2027, 3, 5, 16, 0), 0 }, { at(2027, 3, 5, 16, 30), 0 },
                                  { at(2027, 3, 5, 17, 0), 1 } };
    f.navail = 1;
    f.avail[0] = (struct convo_avail){ res->action[0].query, false, 3, slots };
    cr_assert_eq(convo_decide(&kn, &st, &ev, &f, now, res), 0);
    cr_assert_eq(res->state.stage, CONVO_ST_OFFERED);
    cr_assert_geq(res->state.noffers, 2);
    cr_assert_not(res->state.has_chosen);
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert(strstr(reply->text, "4:00 PM"), "%s", reply->text);
    free(res);
}

Test(convo, card_numbers_are_never_repeated)
{
    struct convo_state st = held();
    int64_t now = at(2027, 3, 3, 12, 0);
    struct nlu_result r = understand(&st, now, "here is my card 4111 1111 1111 1111 exp 12/29");
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    cr_assert_eq(convo_decide(&kn, &st, &ev, NULL, now, res), 0);
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert_null(strstr(reply->text, "4111"));
    cr_assert(strstr(reply->text, CONVO_LINK_MARK), "points to the secure link: %s", reply->text);
    cr_assert_null(find(res, CONVO_ACT_BOOK));
    free(res);
}

Test(convo, wording_stays_short_and_prices_come_from_the_catalog)
{
    for (size_t s = 0; s < kn.nservices; s++) {
        struct reply r;
        replies_init(&r, (unsigned)s);
        cr_assert_eq(replies_price(&r, &kn, (int)s), 0);
        cr_assert_leq(r.n, 480);
        char money[32];
        replies_money(kn.services[s].cents, money, sizeof money);
        if (kn.services[s].cents)
            cr_assert(strstr(r.s, money), "%s", r.s);
        else
            cr_assert(strstr(r.s, "free"), "%s", r.s);
        cr_assert_null(strstr(r.s, "discount"));
    }
    struct reply r;
    replies_init(&r, 0);
    cr_assert_eq(replies_hours(&r, &kn, -1), 0);
    cr_assert(strstr(r.s, "Sat 9:00 AM to 3:00 PM"), "%s", r.s);
    replies_init(&r, 0);
    cr_assert_eq(replies_open_now(&r, &kn, nlu_days_from_civil(2027, 3, 6), 22 * 60), 0);
    cr_assert(strstr(r.s, "closed"), "%s", r.s);
    cr_assert(strstr(r.s, "Tuesday, March 9"), "%s", r.s);
    replies_init(&r, 0);
    cr_assert_eq(replies_open_now(&r, &kn, nlu_days_from_civil(2027, 3, 4), 19 * 60), 0);
    cr_assert(strstr(r.s, "open right now until 8:00 PM"), "%s", r.s);
    /* An append that does not fit is dropped whole. */
    replies_init(&r, 0);
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(replies_add(&r, "%s", big), 0);
    cr_assert_eq(replies_add(&r, "%s", big), -1);
    cr_assert_eq(r.n, 399);
}

/* ------------------------------------------------------------------ more conversations */

/* Runs a case written inline (the corpus's format) in the test world. */
static void run_inline(const char *json)
{
    cJSON *kase = cJSON_Parse(json);
    cr_assert_not_null(kase, "bad inline case");
    struct world_report *rep = malloc(sizeof *rep);
    cr_assert_not_null(rep);
    int v = world_run_case(clinic, kase, rep);
    cr_expect_eq(v, WORLD_PASS, "%s\n%s", rep->why, rep->transcript);
    free(rep);
    cJSON_Delete(kase);
}

Test(convo, information_in_any_order)
{
    run_inline("{\"id\":\"name-first\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550190\"}],"
               "\"script\":[{\"say\":\"Hi, I'm Sam Lee\"},{\"say\":\"I'd like a hydrafacial\"},"
               "{\"say\":\"saturday at 11\"},{\"pay_deposit\":true}],"
               "\"expect\":{\"p1\":{\"outcome\":\"booked\",\"appointment\":{\"service\":\"hydrafacial\","
               "\"start\":\"2027-03-06T11:00\"},\"deposit_cents\":5000,"
               "\"client_created\":{\"first_name\":\"Sam\",\"last_name\":\"Lee\"},"
               "\"replies_exclude\":[\"first and last name\"]}}}");
}

Test(convo, a_held_time_changed_to_another_day)
{
    run_inline("{\"id\":\"move-hold\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550191\"}],"
               "\"script\":[{\"say\":\"botox friday at 4 please\"},{\"say\":\"Robin Vale\"},"
               "{\"say\":\"actually can we do saturday at 11 instead?\"},{\"pay_deposit\":true}],"
               "\"expect\":{\"p1\":{\"outcome\":\"booked\",\"appointment\":{\"service\":\"botox\","
               "\"start\":\"2027-03-06T11:00\"},\"deposit_cents\":5000}}}");
}

Test(convo, letting_a_held_time_go)
{
    run_inline("{\"id\":\"release\",\"clinic\":\"glow\",\"now\":\"2027-03-02T10:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550192\"}],"
               "\"script\":[{\"say\":\"botox friday at 4 please\"},{\"say\":\"Robin Vale\"},"
               "{\"say\":\"never mind, please cancel that\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"no_booking\",\"deposit_cents\":5000,"
               "\"replies_include\":[\"let that time go\"]}}}");
}

Test(convo, moving_an_appointment_asks_where_to)
{
    run_inline("{\"id\":\"move-ask\",\"clinic\":\"glow\",\"now\":\"2027-03-02T11:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550142\"}],"
               "\"script\":[{\"say\":\"I need to reschedule my appointment\"},{\"say\":\"thursday at 3pm\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"rescheduled\",\"appointment\":{\"service\":\"botox\","
               "\"start\":\"2027-03-04T15:00\",\"provider\":\"jenna\"},\"client_created\":false,"
               "\"replies_include\":[\"Maria\",\"what day\"]}}}");
}

Test(convo, instagram_client_carries_the_name)
{
    run_inline("{\"id\":\"ig\",\"clinic\":\"glow\",\"now\":\"2027-03-03T13:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"instagram\",\"ig_user\":\"1784\"}],"
               "\"script\":[{\"say\":\"chemical peel thursday at 10?\"},{\"say\":\"Lena Ruiz\"},"
               "{\"pay_deposit\":true}],"
               "\"expect\":{\"p1\":{\"outcome\":\"booked\",\"deposit_cents\":5000,"
               "\"client_created\":{\"first_name\":\"Lena\",\"last_name\":\"Ruiz\"},"
               "\"replies_include\":[\"Glow Aesthetics\",\"automated\",\"\\\\$50\\\\b\"]}}}");
}

Test(convo, open_now_and_where)
{
    run_inline("{\"id\":\"open\",\"clinic\":\"glow\",\"now\":\"2027-03-04T19:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550193\"}],"
               "\"script\":[{\"say\":\"are you open right now?\"},{\"say\":\"where are you located?\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"no_booking\","
               "\"replies_include\":[\"open right now until 8:00 PM\",\"210 Market St\",\"parking\"]}}}");
}

Test(convo, cancellation_notice_comes_from_the_policy_text)
{
    cr_assert_eq(kn.cancel_notice_min, 24 * 60, "glow: \"at least 24 hours ahead\"");
    cr_assert_eq(convo_knowledge_notice_min("Please give us 48-hour notice."), 48 * 60);
    cr_assert_eq(convo_knowledge_notice_min("Cancel 12 hrs ahead or pay a $50 fee"), 12 * 60);
    cr_assert_eq(convo_knowledge_notice_min("We need 2 days' notice"), 2 * 24 * 60);
    cr_assert_eq(convo_knowledge_notice_min("24h notice please"), 24 * 60);
    cr_assert_eq(convo_knowledge_notice_min("A $50 fee applies to no-shows."), 0);
    cr_assert_eq(convo_knowledge_notice_min("Suite 400, 2nd floor"), 0);
    cr_assert_eq(convo_knowledge_notice_min(""), 0);
    cr_assert_eq(convo_knowledge_notice_min(NULL), 0);
}

Test(convo, cancelling_ahead_of_the_notice_window)
{
    run_inline("{\"id\":\"cancel-early\",\"clinic\":\"glow\",\"now\":\"2027-03-02T15:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
               "\"script\":[{\"say\":\"I need to cancel my appointment\"},{\"say\":\"yes\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"cancelled\",\"client_created\":false,"
               "\"replies_include\":[\"Lip Filler\",\"24 hours ahead to keep your deposit\","
               "\"more than 24 hours ahead\",\"is cancelled\"],"
               "\"replies_exclude\":[\"less than 24 hours\"]}}}");
}

Test(convo, cancelling_inside_the_notice_window_says_the_policy_applies)
{
    run_inline("{\"id\":\"cancel-late\",\"clinic\":\"glow\",\"now\":\"2027-03-05T09:30:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
               "\"script\":[{\"say\":\"I can't make it today, please cancel\"},{\"say\":\"yes please cancel it\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"cancelled\",\"client_created\":false,"
               "\"replies_include\":[\"less than 24 hours away, so that applies here\"],"
               "\"replies_exclude\":[\"more than 24 hours\"]}}}");
}

Test(convo, moving_inside_the_notice_window_says_the_policy_first)
{
    run_inline("{\"id\":\"move-late\",\"clinic\":\"glow\",\"now\":\"2027-03-04T16:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
               "\"script\":[{\"say\":\"can I move my lip filler tomorrow to saturday at 11?\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"rescheduled\",\"client_created\":false,"
               "\"appointment\":{\"service\":\"lip-filler\",\"start\":\"2027-03-06T11:00\",\"provider\":\"dr-smith\"},"
               "\"replies_include\":[\"less than 24 hours away\",\"moved to\"]}}}");
}

Test(convo, moving_ahead_of_the_window_does_not_warn)
{
    run_inline("{\"id\":\"move-early\",\"clinic\":\"glow\",\"now\":\"2027-03-02T15:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550177\"}],"
               "\"script\":[{\"say\":\"can I move my lip filler on friday to saturday at 11?\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"rescheduled\","
               "\"appointment\":{\"service\":\"lip-filler\",\"start\":\"2027-03-06T11:00\"},"
               "\"replies_exclude\":[\"less than 24 hours\"]}}}");
}

Test(convo, wrong_number_is_answered_once_and_books_nothing)
{
    run_inline("{\"id\":\"wrong\",\"clinic\":\"glow\",\"now\":\"2027-03-02T20:15:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550109\"}],"
               "\"script\":[{\"missed_call\":true},{\"say\":\"sorry wrong number\"},{\"say\":\"ok\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"no_booking\",\"deposit_cents\":0,"
               "\"replies_include\":[\"sorry for the mix-up\"],"
               "\"replies_exclude\":[\"unsubscribed\",\"which treatment\",\"help you today\"]}}}");
}

Test(convo, after_a_wrong_number_a_real_question_is_answered)
{
    run_inline("{\"id\":\"wrong-then-ask\",\"clinic\":\"glow\",\"now\":\"2027-03-02T12:00:00\","
               "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550108\"}],"
               "\"script\":[{\"missed_call\":true},{\"say\":\"wrong number sorry\"},{\"say\":\"thanks\"},"
               "{\"say\":\"actually how much is a hydrafacial?\"},{\"say\":\"yes\"}],"
               "\"expect\":{\"p1\":{\"outcome\":\"no_booking\","
               "\"replies_include\":[\"mix-up\",\"\\\\$199\",\"(Thursday|Wednesday|Friday|day)\"],"
               "\"replies_exclude\":[\"welcome\"]}}}");
}

/* Decides ev with facts answered from slots (those that start inside each
 * query's range and match its provider), as many rounds as it asks. */
static void decide_with_slots(const struct convo_state *st, const struct convo_ev *ev, int64_t now,
                              const struct convo_slot *slots, size_t nslots, struct convo_result *res)
{
    static struct convo_slot picked[CONVO_QUERIES_MAX][16];
    struct convo_facts f = client_facts(false);
    cr_assert_eq(convo_decide(&kn, st, ev, &f, now, res), 0);
    for (int round = 0; res->need_facts && round < 4; round++) {
        for (size_t i = 0; i < res->nactions && f.navail < CONVO_QUERIES_MAX; i++) {
            if (res->action[i].kind != CONVO_ACT_QUERY_AVAILABILITY)
                continue;
            const struct convo_query *q = &res->action[i].query;
            size_t n = 0;
            for (size_t s = 0; s < nslots && n < 16; s++)
                if (slots[s].start_us >= q->from_us && slots[s].start_us < q->to_us &&
                    (q->provider < 0 || q->provider == slots[s].provider))
                    picked[f.navail][n++] = slots[s];
            f.avail[f.navail] = (struct convo_avail){ *q, false, n, picked[f.navail] };
            f.navail++;
        }
        cr_assert_eq(convo_decide(&kn, st, ev, &f, now, res), 0);
    }
    cr_assert_not(res->need_facts, "facts enough after four rounds");
}

/* A deposit paid after the hold lapsed for a time someone else took: staff
 * are told, other times are offered, and the payment goes toward the one
 * picked, with no second link; or back to the card on REFUND. */
Test(convo, a_payment_for_a_lost_slot_is_credit_for_another_time)
{
    struct convo_state st = held();
    st.stage = CONVO_ST_EXPIRED;
    struct convo_slot others[] = { { at(2027, 3, 5, 16, 0), 0 }, { at(2027, 3, 5, 16, 30), 0 } };
    struct convo_ev pay = { .kind = CONVO_EV_PAYMENT, .amount_cents = 5000 };
    struct convo_result *res = malloc(sizeof *res);
    cr_assert_not_null(res);
    int64_t now = at(2027, 3, 3, 10, 0);
    decide_with_slots(&st, &pay, now, others, 2, res);
    cr_assert_not_null(find(res, CONVO_ACT_STAFF_ALERT), "staff know about the payment");
    cr_assert_null(find(res, CONVO_ACT_HANDOFF), "the assistant keeps the conversation");
    cr_assert_null(find(res, CONVO_ACT_BOOK));
    const struct convo_action *reply = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(reply);
    cr_assert(strstr(reply->text, "$50"), "%s", reply->text);
    cr_assert(strstr(reply->text, "REFUND"), "%s", reply->text);
    cr_assert(strstr(reply->text, "4:00 PM"), "another time offered: %s", reply->text);
    cr_assert_eq(res->state.stage, CONVO_ST_OFFERED);
    cr_assert_eq(res->state.credit_cents, 5000);
    struct convo_state offered = res->state;

    /* Picking one books it with the payment: no second link. */
    struct nlu_result r = understand(&offered, now, "4pm works");
    struct convo_ev msg = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    decide_with_slots(&offered, &msg, now, others, 2, res);
    cr_assert_null(find(res, CONVO_ACT_DEPOSIT_LINK), "the deposit is paid already");
    cr_assert_not_null(find(res, CONVO_ACT_HOLD));
    const struct convo_action *b = find(res, CONVO_ACT_BOOK);
    cr_assert_not_null(b);
    cr_assert_eq(b->cents, 5000);
    cr_assert_eq(b->visit.part[0].start_us, at(2027, 3, 5, 16, 0));
    cr_assert_eq(res->state.stage, CONVO_ST_BOOKED);
    cr_assert_eq(res->state.credit_cents, 0);

    /* Or the patient wants it back. */
    r = understand(&offered, now, "can I just get a refund please");
    decide_with_slots(&offered, &msg, now, others, 2, res);
    const struct convo_action *refund = find(res, CONVO_ACT_REFUND);
    cr_assert_not_null(refund);
    cr_assert_eq(refund->cents, 5000);
    cr_assert_null(find(res, CONVO_ACT_BOOK));
    cr_assert_eq(res->state.credit_cents, 0);
    cJSON *j = convo_state_to_json(&kn, &offered);
    struct convo_state back;
    cr_assert_eq(convo_state_from_json(&kn, j, &back), 0);
    cr_assert_eq(back.credit_cents, 5000, "the credit survives storage");
    cJSON_Delete(j);
    free(res);
}
