/*
 * ai.openai in the real daemon: bookwelld with the Twilio, Square and
 * OpenAI-compatible simulators (tests/sim/openai_sim.py), emr.local with the
 * Glow clinic, set up the way the evaluation runner does it. The simulator
 * answers what each test scripts. A model that books a slot never offered,
 * names a time never offered, quotes a wrong price, gives medical advice or
 * sends malformed tool arguments is refused and the patient gets the
 * built-in reply; a valid tool call drives the booking (hold, deposit link)
 * through the built-in policy, and the model words the host's account of
 * what it did (a wording that changes a time is refused); a draft that passes every check is sent as
 * written; a model that times out or answers 429 leaves the built-in
 * understanding (or is retried within the turn). Tokens, cost and refusals
 * are counted per tenant in /metrics; what the model receives holds no
 * patient name or phone (health details: tests/unit/test_ai_policy); a US covered entity without a BAA
 * sends nothing to the model at all.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_expect.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "support/sim_proc.h"

#define KEY_ENV "BW_TEST_OPENAI_KEY"
#define KEY "sk-sim-test-key-0123"

static struct eval_world *w;
static struct eval_case c;
static cJSON *clinic;
static struct test_sim ai;

/* Starts the simulator and the world for a case whose script is the
 * patient's messages; opts tunes the model binding. */
static void start(const char *script, const char *timeout, bool covered_entity, bool baa)
{
    char err[512], path[512], json[4096];
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(path, sizeof path, "%s/eval/clinics/glow.json", shared ? shared : "/work/shared");
    clinic = eval_read_json(path, err, sizeof err);
    cr_assert_not_null(clinic, "%s", err);
    snprintf(json, sizeof json,
             "{\"id\":\"ai-openai\",\"clinic\":\"glow\",\"now\":\"2027-03-02T12:15:00\","
             "\"patients\":[{\"id\":\"p1\",\"channel\":\"sms\",\"phone\":\"+14155550101\"}],"
             "\"script\":[%s],\"expect\":{}}", script);
    char cpath[] = "/tmp/bw-ai-case-XXXXXX";
    int fd = mkstemp(cpath);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    cr_assert_eq(eval_case_load(cpath, &c, err, sizeof err), 0, "%s", err);
    unlink(cpath);
    const char *args[] = { "--api-key", KEY, NULL };
    test_sim_start(&ai, "openai", args);
    setenv(KEY_ENV, KEY, 1);
    char url[128];
    snprintf(url, sizeof url, "%s/v1", ai.base_url);
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = getenv("BW_TEST_PG"), .emr = "local", .clinic_path = path,
                                 .clinic = clinic, .ai_url = url, .ai_model = "gpt-4o-mini",
                                 .ai_key_env = KEY_ENV, .ai_timeout = timeout, .ai_baa = baa,
                                 .covered_entity = covered_entity };
    cr_assert_not_null(o.conninfo, "BW_TEST_PG is not set");
    cr_assert_eq(eval_world_start(&w, &o, &c, err, sizeof err), 0, "%s", err);
}

static void stop(void)
{
    eval_world_stop(w);
    w = NULL;
    eval_case_free(&c);
    cJSON_Delete(clinic);
    test_sim_stop(&ai);
}

/* Queues the model's next answers (a JSON array of simulator steps). */
static void script(const char *replies)
{
    char url[128], body[4096];
    snprintf(url, sizeof url, "%s/_sim/script", ai.base_url);
    snprintf(body, sizeof body, "{\"replies\":%s}", replies);
    struct eval_resp r;
    const char *hdr[] = { "Content-Type: application/json", NULL };
    cr_assert_eq(eval_http("POST", url, hdr, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    eval_resp_free(&r);
}

/* The requests the model received (owned by the caller). */
static cJSON *model_requests(void)
{
    char url[128];
    snprintf(url, sizeof url, "%s/_sim/requests", ai.base_url);
    struct eval_resp r;
    cr_assert_eq(eval_http("GET", url, NULL, NULL, 0, &r), 0);
    cJSON *j = cJSON_Parse(r.body);
    eval_resp_free(&r);
    cr_assert_not_null(j);
    return j;
}

static int n_model_requests(void)
{
    cJSON *j = model_requests();
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "requests"));
    cJSON_Delete(j);
    return n;
}

/* Runs step i and returns the newest text the patient received. */
static const char *step(int i, struct eval_patient_obs *obs)
{
    char err[512];
    const cJSON *s = cJSON_GetArrayItem(c.script, i);
    size_t before = 0;
    cr_assert_eq(eval_world_observe(w, &c.patients[0], obs, err, sizeof err), 0, "%s", err);
    before = obs->n_sent;
    cr_assert_eq(eval_world_step(w, s, &c.patients[0], err, sizeof err), 0, "step %d: %s", i + 1, err);
    cr_assert_eq(eval_world_observe(w, &c.patients[0], obs, err, sizeof err), 0, "%s", err);
    cr_assert_gt(obs->n_sent, before, "step %d got no reply", i + 1);
    return obs->sent[obs->n_sent - 1].text;
}

/* The value of a /metrics sample such as bookwell_ai_refused_total{tenant="glow"}; 0 when absent. */
static double metric(const char *sample)
{
    char url[128];
    snprintf(url, sizeof url, "%s/metrics", eval_world_admin_url(w));
    struct eval_resp r;
    cr_assert_eq(eval_http("GET", url, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    double v = 0;
    for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, sample, strlen(sample)) == 0 && line[strlen(sample)] == ' ')
            v = strtod(line + strlen(sample) + 1, NULL);
    eval_resp_free(&r);
    return v;
}

Test(ai_openai, a_valid_tool_call_drives_the_booking, .timeout = 180)
{
    start("{\"say\":\"Hi, new client, want Botox friday. text me at 415-555-0199\"},"
          "{\"say\":\"the middle one please\"},{\"say\":\"Emily Chen\"}",
          NULL, false, false);
    struct eval_patient_obs obs;
    /* find_slots, then the model words the host's offers (its tool result). */
    script("[{\"tool_calls\":[{\"name\":\"find_slots\",\"arguments\":{\"service_id\":\"botox\","
           "\"date\":\"2027-03-05\"}}]},"
           "{\"content\":\"Friday the 5th works: 9:00 AM, 10:00 AM or 11:00 AM with Dr. Smith. Which one?\"}]");
    const char *t = step(0, &obs);
    cr_expect(strcmp(t, "Friday the 5th works: 9:00 AM, 10:00 AM or 11:00 AM with Dr. Smith. Which one?") == 0,
              "the model's wording of the host's offers: %s", t);
    cJSON *reqs = model_requests();
    const cJSON *wording = cJSON_GetArrayItem(cJSON_GetObjectItem(reqs, "requests"), 1);
    const cJSON *msgs = cJSON_GetObjectItem(wording, "messages");
    const cJSON *result = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(result, "role")), "tool");
    const char *content = cJSON_GetStringValue(cJSON_GetObjectItem(result, "content"));
    cr_expect(content && strstr(content, "Which works best"), "the tool's result is the host's reply: %s",
              content ? content : "");
    cJSON_Delete(reqs);

    /* "the middle one": the model reads it as slot-2, then words it with a
     * time nobody offered. */
    script("[{\"tool_calls\":[{\"name\":\"hold_slot\",\"arguments\":{\"slot_id\":\"slot-2\"}}],"
           "\"content\":\"Done!\"},{\"content\":\"Great, you're set for 11:30 AM!\"}]");
    t = step(1, &obs);
    reqs = model_requests();
    const cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(reqs, "requests"), 2);
    const char *sys = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(second, "messages"), 0), "content"));
    cr_assert_not_null(sys);
    const char *offer = strstr(sys, "Offered slot-2: botox at ");
    cr_assert_not_null(offer, "the prompt lists the offers by slot id: %s", sys);
    char when[64];
    const char *at = strstr(offer, " at ");
    at = strstr(at + 4, " at ");
    cr_assert_not_null(at);
    snprintf(when, sizeof when, "%.*s", (int)strcspn(at + 4, " "), at + 4);
    cr_expect_not_null(strstr(t, when), "the held slot is slot-2 (%s): %s", when, t);
    cr_expect_null(strstr(t, "Done!"), "after a tool call the host's own wording says what happened");
    cr_expect_null(strstr(t, "11:30"), "a wording with another time is refused: %s", t);

    t = step(2, &obs);
    cr_expect_not_null(strstr(t, "/checkout/"), "the deposit link: %s", t);
    cr_expect_eq(obs.last_deposit_cents, 5000);
    cr_expect(obs.hold_active_unpaid);

    /* What the model saw: no name, phone or health detail. */
    char *all = cJSON_PrintUnformatted(reqs);
    cr_expect_null(strstr(all, "Emily"), "no patient name reaches the model");
    cr_expect_null(strstr(all, "Chen"));
    cr_expect_null(strstr(all, "555-0199"), "no phone reaches the model");
    cr_expect_not_null(strstr(all, "[phone]"));
    cr_expect_not_null(strstr(all, "\"tools\""));
    cJSON_free(all);
    cJSON_Delete(reqs);
    cr_expect_eq(metric("bookwell_ai_tool_calls_total{tenant=\"glow\"}"), 2);
    cr_expect_eq(metric("bookwell_ai_requests_total{tenant=\"glow\"}"), 5, "two turns of two rounds, one of one");
    cr_expect_gt(metric("bookwell_ai_input_tokens_total{tenant=\"glow\"}"), 100);
    cr_expect_gt(metric("bookwell_ai_output_tokens_total{tenant=\"glow\"}"), 0);
    cr_expect_eq(metric("bookwell_ai_refused_total{tenant=\"glow\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_drafts_sent_total{tenant=\"glow\"}"), 1);
    stop();
}

Test(ai_openai, an_unoffered_slot_or_time_is_refused, .timeout = 180)
{
    start("{\"say\":\"Yes, new client, want Botox\"},{\"say\":\"how much is it?\"},"
          "{\"say\":\"Friday 3:30 works\"}", NULL, false, false);
    struct eval_patient_obs obs;
    const char *t = step(0, &obs);
    cr_expect_not_null(strstr(t, "Which works best"), "the host's offers: %s", t);
    /* A text-only answer that names a time nobody offered. */
    script("[{\"content\":\"Botox is $12 per unit, and you're booked for 4:45 PM on Friday!\"}]");
    t = step(1, &obs);
    cr_expect_null(strstr(t, "4:45"), "%s", t);
    cr_expect_not_null(strstr(t, "$12 per unit"), "the built-in reply: %s", t);
    /* A hold of a slot id find_slots never gave. */
    script("[{\"tool_calls\":[{\"name\":\"hold_slot\",\"arguments\":{\"slot_id\":\"slot-9\"}}],"
           "\"content\":\"Held slot 9 for you!\"}]");
    t = step(2, &obs);
    cr_expect_not_null(strstr(t, "3:30 PM"), "the built-in reading of \"Friday 3:30\": %s", t);
    cr_expect_null(strstr(t, "slot 9"), "%s", t);
    cr_expect_eq(metric("bookwell_ai_refused_by_reason_total{reason=\"time\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_refused_by_reason_total{reason=\"unoffered_slot\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_refused_total{tenant=\"glow\"}"), 2);
    stop();
}

Test(ai_openai, wrong_prices_medical_advice_and_malformed_calls_are_refused, .timeout = 180)
{
    start("{\"say\":\"how much is botox?\"},{\"say\":\"and lip filler?\"},"
          "{\"say\":\"is it safe to get botox while pregnant?\"},{\"say\":\"what are your hours?\"}",
          NULL, false, false);
    struct eval_patient_obs obs;
    script("[{\"content\":\"Botox is only $8 per unit this month!\"}]");
    const char *t = step(0, &obs);
    cr_expect_null(strstr(t, "$8 "), "%s", t);
    cr_expect_not_null(strstr(t, "$12 per unit"), "the catalog's price, in the built-in reply: %s", t);

    script("[{\"content\":\"Lip filler is $650 per syringe. Want me to find you a time?\"}]");
    t = step(1, &obs);
    cr_expect(strcmp(t, "Lip filler is $650 per syringe. Want me to find you a time?") == 0,
              "a draft that passes every check is sent as written: %s", t);

    script("[{\"content\":\"Yes, Botox is perfectly safe during pregnancy, no need to worry.\"}]");
    t = step(2, &obs);
    cr_expect_null(strstr(t, "safe during pregnancy"), "%s", t);

    script("[{\"tool_calls\":[{\"name\":\"answer_from_knowledge\",\"arguments\":\"{topic: hours\"}]}]");
    t = step(3, &obs);
    cr_expect_not_null(strstr(t, "9:00 AM"), "the built-in hours: %s", t);
    cr_expect_eq(metric("bookwell_ai_refused_by_reason_total{reason=\"amount\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_refused_by_reason_total{reason=\"medical\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_refused_by_reason_total{reason=\"malformed\"}"), 1);
    cr_expect_eq(metric("bookwell_ai_drafts_sent_total{tenant=\"glow\"}"), 1);
    stop();
}

Test(ai_openai, timeouts_fall_back_and_429s_are_retried, .timeout = 180)
{
    start("{\"say\":\"Yes, new client, want Botox\"},{\"say\":\"how much is lip filler?\"}", "1s", false,
          false);
    struct eval_patient_obs obs;
    script("[{\"delay_ms\":2500,\"content\":\"Too late to matter\"}]");
    const char *t = step(0, &obs);
    cr_expect_not_null(strstr(t, "Which works best"), "the built-in understanding: %s", t);
    cr_expect_null(strstr(t, "Too late"), "%s", t);
    cr_expect_eq(metric("bookwell_ai_fallbacks_total{tenant=\"glow\"}"), 1);

    script("[{\"status\":429,\"retry_after\":0},{\"content\":\"Lip filler is $650 per syringe.\"}]");
    t = step(1, &obs);
    cr_expect(strcmp(t, "Lip filler is $650 per syringe.") == 0, "answered on the retry: %s", t);
    cr_expect_eq(n_model_requests(), 3, "one request timed out, then a 429 and its retry");
    cr_expect_eq(metric("bookwell_ai_fallbacks_total{tenant=\"glow\"}"), 1);
    stop();
}

Test(ai_openai, a_us_covered_entity_without_a_baa_sends_nothing, .timeout = 180)
{
    start("{\"say\":\"how much is botox?\"}", NULL, true, false);
    struct eval_patient_obs obs;
    script("[{\"content\":\"Botox is $12 per unit.\"}]");
    const char *t = step(0, &obs);
    cr_expect_not_null(strstr(t, "$12 per unit"), "%s", t);
    cr_expect_eq(n_model_requests(), 0, "nothing was sent to the endpoint");
    cr_expect_eq(metric("bookwell_ai_endpoint_refused_total{tenant=\"glow\"}"), 1);
    stop();
}
