/*
 * The guard around a language model: every draft check (length, catalog
 * amounts, offered times, medical advice, card numbers, links, quiet hours,
 * opt-out), the BAA rule for US covered entities, the redaction of what a
 * model is sent, and the validation of tool calls (unknown tools, malformed
 * arguments, ids the clinic lacks, slots never offered) against the Glow
 * clinic of the shared evaluation corpus.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai_policy.h"
#include "convo/ai_turn.h"
#include "convo/convo.h"
#include "tz.h"

static struct convo_knowledge k;

static void load_glow(void)
{
    const char *dir = getenv("BW_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", dir ? dir : "/work/shared");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 65536);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = 0;
    cJSON *doc = cJSON_Parse(buf);
    cr_assert_not_null(doc);
    cr_assert_eq(convo_knowledge_from_json(doc, &k), 0);
    cJSON_Delete(doc);
    free(buf);
}

TestSuite(ai_policy, .init = load_glow);

static const int offered[] = { 15 * 60 + 30, 10 * 60 };

static enum ai_draft_verdict check(const char *text)
{
    struct ai_draft_ctx c = { .k = &k, .extra_cents = -1, .times_min = offered, .ntimes = 2, .max_len = 480 };
    return ai_policy_check_draft(&c, text);
}

Test(ai_policy, catalog_amounts_pass_and_invented_ones_fail)
{
    cr_expect_eq(check("Botox is $12 per unit, lip filler $650 a syringe."), AI_DRAFT_OK);
    cr_expect_eq(check("Cheek filler is $800.00 per syringe."), AI_DRAFT_OK);
    cr_expect_eq(check("The deposit is $50, or $100 for injectables."), AI_DRAFT_OK);
    cr_expect_eq(check("Botox is $9 per unit this week!"), AI_DRAFT_AMOUNT);
    cr_expect_eq(check("Lip filler is $1,200."), AI_DRAFT_AMOUNT);
    cr_expect_eq(check("That's only 249 dollars."), AI_DRAFT_AMOUNT);
    cr_expect_eq(check("HydraFacial is 199 dollars; full legs are $399."), AI_DRAFT_OK,
                 "a fixed price, and an amount of a price note");
    cr_expect_eq(check("USD 75 for the consult."), AI_DRAFT_AMOUNT);
    struct ai_draft_ctx c = { .k = &k, .extra_cents = 7500, .max_len = 480 };
    cr_expect_eq(ai_policy_check_draft(&c, "Your $75 deposit link is on its way."), AI_DRAFT_OK,
                 "an amount the host stated itself");
}

Test(ai_policy, only_offered_times_and_opening_hours)
{
    cr_expect_eq(check("Friday at 3:30 PM works, or 10:00 AM."), AI_DRAFT_OK);
    cr_expect_eq(check("We have 3:30 or 10am."), AI_DRAFT_OK);
    cr_expect_eq(check("We open at 9 am and close at 6pm."), AI_DRAFT_OK);
    cr_expect_eq(check("You're booked for 4:45 PM."), AI_DRAFT_TIME);
    cr_expect_eq(check("How about 11 am?"), AI_DRAFT_TIME);
    cr_expect_eq(check("Most areas need 20-30 units; results show in 3 days."), AI_DRAFT_OK,
                 "numbers that are no clock time");
}

Test(ai_policy, medical_advice_is_refused_deflection_is_not)
{
    cr_expect_eq(check("Take 400 mg of ibuprofen for the swelling."), AI_DRAFT_MEDICAL);
    cr_expect_eq(check("Yes, it's safe during pregnancy."), AI_DRAFT_MEDICAL);
    cr_expect_eq(check("Some bruising is completely normal, nothing to worry about."), AI_DRAFT_MEDICAL);
    cr_expect_eq(check("Sounds like an infection, apply ice."), AI_DRAFT_MEDICAL);
    cr_expect_eq(check("That's a question for our provider: I'll have someone call you."), AI_DRAFT_OK);
}

Test(ai_policy, card_numbers_links_length)
{
    cr_expect_eq(check("Just send your card 4111 1111 1111 1111 here."), AI_DRAFT_CARD);
    cr_expect_eq(check("Pay at https://pay.example.com/x"), AI_DRAFT_LINK);
    cr_expect_eq(check("Pay at www.example.com"), AI_DRAFT_LINK);
    cr_expect_eq(check(""), AI_DRAFT_LENGTH);
    cr_expect_eq(check("   \n"), AI_DRAFT_LENGTH);
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_expect_eq(check(big), AI_DRAFT_LENGTH);
}

Test(ai_policy, quiet_hours_and_opt_out)
{
    struct ai_draft_ctx c = { .k = &k, .extra_cents = -1, .max_len = 480, .quiet = true };
    cr_expect_eq(ai_policy_check_draft(&c, "Hi!"), AI_DRAFT_OK, "a reply to the patient is no proactive text");
    c.proactive = true;
    cr_expect_eq(ai_policy_check_draft(&c, "Hi!"), AI_DRAFT_QUIET);
    c.quiet = false;
    c.opted_out = true;
    cr_expect_eq(ai_policy_check_draft(&c, "Hi!"), AI_DRAFT_OPTED_OUT);
    cr_expect_str_eq(ai_draft_verdict_name(AI_DRAFT_AMOUNT), "amount");
}

Test(ai_policy, a_rewording_keeps_every_time_and_amount_of_the_host_reply)
{
    const char *host = "I have Friday, March 5 at 9:00 AM, 10:00 AM, or 11:00 AM, with Dr. Sarah Smith. "
                       "A $50 deposit holds it. Which works best?";
    struct ai_draft_ctx c = { .k = &k, .extra_cents = -1, .max_len = 480, .reference = host };
    cr_expect_eq(ai_policy_check_draft(&c, "Friday the 5th: 9:00 AM, 10 AM or 11:00 am with Dr. Smith, "
                                           "$50 deposit. Which one?"), AI_DRAFT_OK);
    cr_expect_eq(ai_policy_check_draft(&c, "Friday at 9:00 AM or 10:00 AM with Dr. Smith, $50 deposit?"),
                 AI_DRAFT_INCOMPLETE, "an offered time left out");
    cr_expect_eq(ai_policy_check_draft(&c, "Friday at 9:00 AM, 10:00 AM or 11:00 AM, no deposit needed!"),
                 AI_DRAFT_INCOMPLETE, "the deposit left out");
    cr_expect_eq(ai_policy_check_draft(&c, "Friday at 9:00 AM, 10:00 AM, 11:00 AM or 12:30 PM, $50 deposit."),
                 AI_DRAFT_TIME, "a time added");
    cr_expect_eq(ai_policy_check_draft(&c, "Thanks [name]! 9:00 AM, 10:00 AM or 11:00 AM, $50 deposit."),
                 AI_DRAFT_MARKER, "a redaction marker is never sent");
}

Test(ai_policy, baa_required_for_us_covered_entities)
{
    cr_expect_not(ai_policy_endpoint_allowed("US", true, false));
    cr_expect(ai_policy_endpoint_allowed("US", true, true));
    cr_expect(ai_policy_endpoint_allowed("US", false, false));
    cr_expect(ai_policy_endpoint_allowed("CA", true, false));
}

Test(ai_policy, redaction_before_the_model)
{
    const char *names[] = { "Emily", "Chen", "", NULL };
    char *r = ai_policy_redact("Hi I'm Emily Chen, emily.c@example.com, call 415-555-0101. "
                               "I'm pregnant, card 4111111111111111, botox friday at 3:30 for $12?",
                               names, 4);
    cr_assert_not_null(r);
    cr_expect_null(strstr(r, "Emily"), "%s", r);
    cr_expect_null(strstr(r, "Chen"), "%s", r);
    cr_expect_null(strstr(r, "example.com"), "%s", r);
    cr_expect_null(strstr(r, "555"), "%s", r);
    cr_expect_null(strstr(r, "pregnant"), "%s", r);
    cr_expect_null(strstr(r, "4111111111111111"), "%s", r);
    cr_expect_not_null(strstr(r, "[email]"), "%s", r);
    cr_expect_not_null(strstr(r, "[phone]"), "%s", r);
    cr_expect_not_null(strstr(r, "[name]"), "%s", r);
    cr_expect_not_null(strstr(r, "botox friday at 3:30 for $12"), "what the model needs stays: %s", r);
    free(r);
}

/* ------------------------------------------------------------------ tools */

static int64_t at_local(int y, int mo, int d, int h, int mi)
{
    struct tz_local l = { .year = y, .month = mo, .day = d, .hour = h, .minute = mi };
    int64_t us;
    cr_assert_eq(tz_from_local(k.zone, &l, TZ_REPEATED_FIRST, &us), 0);
    return us;
}

static void offered_state(struct convo_state *st)
{
    convo_state_init(st);
    st->stage = CONVO_ST_OFFERED;
    st->noffers = 2;
    for (int i = 0; i < 2; i++) {
        st->offers[i].n = 1;
        st->offers[i].part[0] = (struct convo_part){ .service = 0, .provider = 0, .dur_min = 30,
                                                     .start_us = at_local(2027, 3, 5, 15 + i, 30) };
    }
}

static enum ai_tool_verdict read_answer(const struct convo_state *st, const char *json, struct nlu_result *nr,
                                        struct ai_turn_outcome *o)
{
    cJSON *resp = cJSON_Parse(json);
    cr_assert_not_null(resp, "%s", json);
    memset(nr, 0, sizeof *nr);
    nr->score[NLU_INTENT_GREETING] = 90;
    snprintf(nr->person.first, sizeof nr->person.first, "Emily");
    cr_assert_eq(ai_turn_read(&k, st, resp, nr, o), 0);
    cJSON_Delete(resp);
    return o->verdict;
}

Test(ai_policy, tool_calls_are_validated)
{
    struct convo_state st;
    struct nlu_result nr;
    struct ai_turn_outcome o;
    offered_state(&st);

    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"hold_slot\",\"arguments\":"
                                  "{\"slot_id\":\"slot-2\"}}],\"usage\":{\"input_tokens\":10,\"output_tokens\":3}}",
                             &nr, &o), AI_TOOL_APPLIED);
    cr_expect_eq(nr.score[NLU_INTENT_PICK], 100);
    cr_expect_eq(nr.pick.ordinal, 2);
    cr_expect_eq(nr.score[NLU_INTENT_GREETING], 0, "the tool's reading replaces the built-in one");
    cr_expect_str_eq(nr.person.first, "Emily", "the patient's own name stays");
    cr_expect_eq(o.input_tokens, 10);

    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"hold_slot\",\"arguments\":"
                                  "{\"slot_id\":\"slot-7\"}}],\"message\":{\"content\":\"Booked 4:45!\"}}",
                             &nr, &o), AI_TOOL_UNOFFERED_SLOT);
    cr_expect_eq(nr.score[NLU_INTENT_GREETING], 90, "a refused call leaves the built-in understanding");
    cr_expect_not(o.has_draft, "and its wording is dropped");

    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"hold_slot\",\"arguments\":"
                                  "{\"slot_id\":\"slot-1\",\"start\":\"2027-03-05T17:00\"}}]}", &nr, &o),
                 AI_TOOL_UNOFFERED_SLOT, "a time that is not the slot's");
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"hold_slot\",\"arguments\":"
                                  "{\"slot_id\":\"slot-1\",\"start\":\"2027-03-05T15:30\"}}]}", &nr, &o),
                 AI_TOOL_APPLIED);
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"find_slots\",\"arguments\":"
                                  "{\"service_id\":\"vampire-facial\"}}]}", &nr, &o), AI_TOOL_UNKNOWN_ID);
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"find_slots\",\"arguments\":"
                                  "\"{service_id: botox\"}]}", &nr, &o), AI_TOOL_MALFORMED);
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"book_now\",\"arguments\":{}}]}",
                             &nr, &o), AI_TOOL_UNKNOWN);
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"cancel\",\"arguments\":"
                                  "{\"appointment_id\":\"apt_999\"}}]}", &nr, &o), AI_TOOL_UNKNOWN_ID);
    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"request_deposit\",\"arguments\":{}}]}",
                             &nr, &o), AI_TOOL_OUT_OF_PLACE, "no hold, no deposit");

    cr_expect_eq(read_answer(&st, "{\"tool_calls\":[{\"id\":\"c\",\"name\":\"find_slots\",\"arguments\":"
                                  "{\"service_id\":\"lip-filler\",\"provider_id\":\"dr-smith\","
                                  "\"date\":\"2027-03-06\",\"part_of_day\":\"morning\"}}]}", &nr, &o),
                 AI_TOOL_APPLIED);
    cr_expect_eq(nr.score[NLU_INTENT_BOOK], 100);
    cr_expect_eq(nr.nservices, 1);
    cr_expect_eq(nr.services[0].index, convo_knowledge_service(&k, "lip-filler"));
    cr_expect_eq(nr.when.n, 1);
    cr_expect_eq(nr.when.item[0].day_from, nlu_days_from_civil(2027, 3, 6));
    cr_expect_eq(nr.when.item[0].part, NLU_PART_MORNING);

    cr_expect_eq(read_answer(&st, "{\"message\":{\"role\":\"assistant\",\"content\":\"Hi there!\"}}", &nr, &o),
                 AI_TOOL_NONE);
    cr_expect(o.has_draft);
    cr_expect_str_eq(o.draft, "Hi there!");
    cr_expect_eq(nr.score[NLU_INTENT_GREETING], 90);
}

Test(ai_policy, the_request_holds_the_knowledge_and_the_offers)
{
    struct convo_state st;
    offered_state(&st);
    struct ai_turn_msg h[] = { { true, "botox friday?" } };
    cJSON *rq = ai_turn_request(&k, &st, at_local(2027, 3, 2, 12, 15), h, 1);
    cr_assert_not_null(rq);
    char *s = cJSON_PrintUnformatted(rq);
    cr_expect_not_null(strstr(s, "$12 per unit"), "prices from the catalog");
    cr_expect_not_null(strstr(s, "slot-2"), "the offers as slot ids");
    cr_expect_not_null(strstr(s, "\"name\":\"hold_slot\""));
    cr_expect_not_null(strstr(s, "\"name\":\"answer_from_knowledge\""));
    cr_expect_not_null(strstr(s, "\"role\":\"user\",\"content\":\"botox friday?\""));
    cJSON_free(s);
    cJSON_Delete(rq);
}
