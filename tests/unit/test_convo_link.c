/*
 * The conversation core with a link-only EMR (state.link_only), against the
 * Glow clinic of the shared corpus: no availability is asked for and no
 * slot held; the patient is qualified (service, preferred time, name); a
 * deposit due is asked for with the link, and its payment makes one staff
 * task carrying the request; with no deposit due the clinic's booking page
 * is handed out, or, without one, the staff task is made at once; the flag
 * is the driver's, never stored, while the "requested" stage is.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo/convo.h"
#include "convo_world.h"
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

TestSuite(convo_link, .init = setup, .fini = teardown);

static int64_t at(int y, int mo, int d, int h, int mi)
{
    struct tz_local l = { .year = y, .month = mo, .day = d, .hour = h, .minute = mi };
    int64_t us;
    cr_assert_eq(tz_from_local(kn.zone, &l, TZ_REPEATED_FIRST, &us), 0);
    return us;
}

static const struct convo_action *find(const struct convo_result *res, enum convo_action_kind k)
{
    for (size_t i = 0; i < res->nactions; i++)
        if (res->action[i].kind == k)
            return &res->action[i];
    return NULL;
}

/* The patient says text; st becomes the new state. The client is unknown
 * to the EMR (a link-only EMR finds no patients). */
static struct convo_result say(struct convo_state *st, int64_t now, const char *text)
{
    struct nlu_context ctx;
    struct nlu_result r;
    convo_nlu_context(st, &ctx);
    cr_assert_eq(nlu_understand(cat, now, &ctx, text, &r), 0);
    struct convo_facts f;
    memset(&f, 0, sizeof f);
    f.has_client = true;
    struct convo_ev ev = { .kind = CONVO_EV_MESSAGE, .nlu = &r };
    struct convo_result res;
    cr_assert_eq(convo_decide(&kn, st, &ev, &f, now, &res), 0);
    cr_assert_not(res.need_facts, "link-only asks for no facts after the client: %s", text);
    cr_assert_null(find(&res, CONVO_ACT_QUERY_AVAILABILITY));
    cr_assert_null(find(&res, CONVO_ACT_HOLD), "nothing is held");
    *st = res.state;
    return res;
}

static const char *reply(const struct convo_result *res)
{
    const struct convo_action *a = find(res, CONVO_ACT_REPLY);
    cr_assert_not_null(a, "a reply");
    return a->text;
}

static void link_only(struct convo_state *st, bool booking_link)
{
    convo_state_init(st);
    st->link_only = true;
    st->booking_link = booking_link;
}

Test(convo_link, qualify_deposit_then_one_staff_task)
{
    struct convo_state st;
    link_only(&st, true);
    int64_t now = at(2027, 3, 2, 10, 0);
    struct convo_result res = say(&st, now, "Hi, I'd like to book a chemical peel");
    cr_expect(strstr(reply(&res), "What day and time would you prefer for Chemical Peel?") != NULL, "%s",
              reply(&res));
    res = say(&st, now, "Saturday at noon");
    cr_expect(strstr(reply(&res), "first and last name") != NULL, "%s", reply(&res));
    cr_expect_eq(st.stage, CONVO_ST_ACCEPTED);
    res = say(&st, now, "Morgan Diaz");
    const struct convo_action *dl = find(&res, CONVO_ACT_DEPOSIT_LINK);
    cr_assert_not_null(dl, "the deposit is asked for");
    cr_expect_gt(dl->cents, 0);
    const char *t = reply(&res);
    cr_expect(strstr(t, CONVO_LINK_MARK) && strstr(t, "Chemical Peel") && strstr(t, "Saturday") &&
                  strstr(t, "12:00 PM") && strstr(t, "Morgan"),
              "%s", t);
    cr_expect_null(find(&res, CONVO_ACT_STAFF_TASK), "no task before the deposit is paid");
    cr_expect_eq(st.stage, CONVO_ST_HELD);

    struct convo_ev pay = { .kind = CONVO_EV_PAYMENT, .amount_cents = dl->cents };
    cr_assert_eq(convo_decide(&kn, &st, &pay, NULL, now + 60000000, &res), 0);
    const struct convo_action *task = find(&res, CONVO_ACT_STAFF_TASK);
    cr_assert_not_null(task, "the payment makes a staff task");
    cr_expect_eq(task->cents, dl->cents);
    cr_expect_eq(task->visit.n, 1);
    cr_expect_eq(task->visit.part[0].service, convo_knowledge_service(&kn, "chemical-peel"));
    cr_expect(strstr(task->text, "Saturday") && strstr(task->text, "12:00 PM"), "%s", task->text);
    cr_expect_str_eq(task->first, "Morgan");
    cr_expect_str_eq(task->last, "Diaz");
    cr_expect(strstr(reply(&res), "deposit came through") != NULL);
    cr_expect_null(find(&res, CONVO_ACT_BOOK), "the host writes nothing to the EMR");
    cr_expect_eq(res.state.stage, CONVO_ST_REQUESTED);

    /* A repeated payment event changes nothing. */
    st = res.state;
    cr_assert_eq(convo_decide(&kn, &st, &pay, NULL, now + 120000000, &res), 0);
    cr_expect_eq(res.nactions, 0);
}

Test(convo_link, no_deposit_due_hands_out_the_booking_page)
{
    struct convo_state st;
    link_only(&st, true);
    int64_t now = at(2027, 3, 2, 10, 0);
    say(&st, now, "Can I book a coolsculpting consult Friday afternoon?");
    struct convo_result res = say(&st, now, "Morgan Diaz");
    cr_expect_null(find(&res, CONVO_ACT_DEPOSIT_LINK));
    cr_expect_null(find(&res, CONVO_ACT_STAFF_TASK));
    cr_expect(strstr(reply(&res), CONVO_BOOKING_MARK) != NULL, "%s", reply(&res));
    cr_expect_leq(strlen(reply(&res)) - strlen(CONVO_BOOKING_MARK) + CONVO_BOOKING_BUDGET, 480);
}

Test(convo_link, no_deposit_and_no_booking_page_makes_the_task_at_once)
{
    struct convo_state st;
    link_only(&st, false);
    int64_t now = at(2027, 3, 2, 10, 0);
    say(&st, now, "Can I book a coolsculpting consult Friday afternoon?");
    struct convo_result res = say(&st, now, "Morgan Diaz");
    const struct convo_action *task = find(&res, CONVO_ACT_STAFF_TASK);
    cr_assert_not_null(task);
    cr_expect_eq(task->cents, 0);
    cr_expect(strstr(task->text, "Friday") != NULL && strstr(task->text, "PM") != NULL, "%s", task->text);
    cr_expect(strstr(reply(&res), "text you to confirm") != NULL, "%s", reply(&res));
    cr_expect_eq(st.stage, CONVO_ST_REQUESTED);
}

Test(convo_link, the_flag_is_not_stored_the_stage_is)
{
    struct convo_state st, back;
    link_only(&st, true);
    st.stage = CONVO_ST_REQUESTED;
    cJSON *j = convo_state_to_json(&kn, &st);
    cr_assert_not_null(j);
    cr_assert_eq(convo_state_from_json(&kn, j, &back), 0);
    cJSON_Delete(j);
    cr_expect_eq(back.stage, CONVO_ST_REQUESTED);
    cr_expect_not(back.link_only);
    cr_expect_not(back.booking_link);
    cr_expect_str_eq(convo_stage_name(CONVO_ST_REQUESTED), "requested");
    cr_expect_str_eq(convo_action_name(CONVO_ACT_STAFF_TASK), "staff_task");
}
