/*
 * The script's steps, delivered the way the providers deliver them: a
 * missed call as Twilio's voice webhook and then the <Dial> action callback
 * the TwiML answer names, a text as Twilio's signed SMS webhook, an
 * Instagram message as Meta's webhook POST signed with the app secret
 * (X-Hub-Signature-256; the Instagram simulator makes the payload and so
 * opens its messaging window for the user), a web chat message through the
 * widget's public endpoints (a session, then the message), a payment
 * through the Square simulator's checkout (which posts Square's signed
 * notifications), a wait as the simulated clock's walk through due jobs.
 * With duplicate_webhooks on, every webhook the runner delivers is
 * delivered again, byte for byte, right after the first response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_http.h"
#include "eval/eval_json.h"
#include "eval/eval_rules.h"
#include "eval/eval_world_internal.h"
#include "support/daemon_proc.h"

static void make_sid(struct eval_world *w, const char *prefix, char out[40])
{
    snprintf(out, 40, "%s%08x%024x", prefix, ++w->seq, (unsigned)getpid());
}

static void note_event(struct eval_world *w, const struct eval_patient_def *p)
{
    if (w->n_events < EVAL_EVENTS_MAX)
        w->events[w->n_events++] = (struct eval_event){ p->id, eval_world_clock(w) };
}

/* Posts a signed Twilio webhook (twice when duplicating); *resp keeps the
 * first answer. */
static int twilio_post(struct eval_world *w, const char *url, const char *const *pairs,
                       struct eval_resp *resp, char *err, size_t cap)
{
    char sig[128], header[192];
    char *body = eval_form_encode(pairs);
    if (!body || eval_twilio_signature(EVAL_TWILIO_TOKEN, url, pairs, sig, sizeof sig) != 0) {
        free(body);
        snprintf(err, cap, "cannot sign a Twilio webhook");
        return -1;
    }
    snprintf(header, sizeof header, "X-Twilio-Signature: %s", sig);
    const char *h[] = { header, "Content-Type: application/x-www-form-urlencoded",
                        "User-Agent: TwilioProxy/1.1", NULL };
    int rc = eval_http("POST", url, h, body, strlen(body), resp);
    if (rc == 0 && w->duplicate) {
        struct eval_resp again;
        eval_http("POST", url, h, body, strlen(body), &again);
        eval_resp_free(&again);
    }
    free(body);
    if (rc != 0 || resp->status != 200) {
        snprintf(err, cap, "POST %s: HTTP %ld %.200s", url, resp->status,
                 resp->body ? resp->body : "");
        return -1;
    }
    return 0;
}

/* The action URL of the TwiML answer's <Dial>, absolute, or "" when the
 * answer does not dial. */
static void dial_action(const struct eval_world *w, const char *twiml, char *out, size_t cap)
{
    out[0] = '\0';
    const char *dial = strstr(twiml, "<Dial");
    const char *action = dial ? strstr(dial, "action=\"") : NULL;
    const char *close = dial ? strchr(dial, '>') : NULL;
    if (!action || (close && action > close))
        return;
    action += 8;
    const char *end = strchr(action, '"');
    if (!end)
        return;
    size_t n = 0;
    if (action[0] == '/')
        n = (size_t)snprintf(out, cap, "%s", w->public_url);
    for (const char *p = action; p < end && n + 1 < cap; p++) {
        if (strncmp(p, "&amp;", 5) == 0) {
            out[n++] = '&';
            p += 4;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static int step_missed_call(struct eval_world *w, const struct eval_patient_def *p, char *err,
                            size_t cap)
{
    char sid[40], url[512], action[512];
    if (strcmp(p->channel, "sms") != 0) {
        snprintf(err, cap, "a missed call needs a phone patient");
        return -1;
    }
    make_sid(w, "CA", sid);
    const char *voice[] = { "AccountSid", EVAL_TWILIO_ACCOUNT, "ApiVersion", "2010-04-01",
                            "CallSid", sid, "CallStatus", "ringing", "Called", w->clinic_phone,
                            "Caller", p->phone, "Direction", "inbound", "From", p->phone,
                            "To", w->clinic_phone, NULL };
    snprintf(url, sizeof url, "%s/webhooks/twilio/voice", w->public_url);
    struct eval_resp r;
    int idx = eval_world_patient_index(w, p);
    double t0 = eval_now_ms();
    if (twilio_post(w, url, voice, &r, err, cap) != 0) {
        eval_resp_free(&r);
        return -1;
    }
    dial_action(w, r.body, action, sizeof action);
    eval_resp_free(&r);
    if (action[0]) {
        const char *dialed[] = { "AccountSid", EVAL_TWILIO_ACCOUNT, "ApiVersion", "2010-04-01",
                                 "CallSid", sid, "CallStatus", "in-progress", "Direction", "inbound",
                                 "DialCallDuration", "0", "DialCallStatus", "no-answer",
                                 "From", p->phone, "To", w->clinic_phone, NULL };
        t0 = eval_now_ms();
        if (twilio_post(w, action, dialed, &r, err, cap) != 0) {
            eval_resp_free(&r);
            return -1;
        }
        eval_resp_free(&r);
    }
    if (idx >= 0 && w->first_webhook_ms[idx] == 0)
        w->first_webhook_ms[idx] = t0;
    if (idx >= 0)
        w->calls[idx]++;
    note_event(w, p);
    return 0;
}

/* Posts body to url with headers (twice when duplicating). */
static int post_twice(struct eval_world *w, const char *url, const char *const *h, const char *body,
                      long want, char *err, size_t cap)
{
    struct eval_resp r;
    int rc = eval_http("POST", url, h, body, strlen(body), &r);
    long status = r.status;
    eval_resp_free(&r);
    if (rc == 0 && w->duplicate) {
        eval_http("POST", url, h, body, strlen(body), &r);
        eval_resp_free(&r);
    }
    if (rc != 0 || status != want) {
        snprintf(err, cap, "POST %s: HTTP %ld", url, status);
        return -1;
    }
    return 0;
}

/* The Instagram simulator's clock follows the business clock, so Meta's
 * messaging windows are judged on the time the product sees. */
static void instagram_clock(struct eval_world *w)
{
    int64_t now = eval_world_clock(w);
    char url[256], body[64];
    struct eval_resp r;
    if (!w->have_instagram || now < 0)
        return;
    snprintf(url, sizeof url, "%s/_sim/clock", w->instagram.base_url);
    snprintf(body, sizeof body, "{\"now_ms\":%lld}", (long long)(now / 1000));
    const char *h[] = { "Content-Type: application/json", NULL };
    eval_http("POST", url, h, body, strlen(body), &r);
    eval_resp_free(&r);
}

static int step_say_instagram(struct eval_world *w, const struct eval_patient_def *p,
                              const char *text, char *err, size_t cap)
{
    char url[256], sig[96], header[128];
    struct eval_resp r;
    instagram_clock(w);
    cJSON *q = cJSON_CreateObject(), *made = NULL;
    cJSON_AddStringToObject(q, "account", EVAL_IG_ACCOUNT);
    cJSON_AddStringToObject(q, "sender", p->ig_user);
    cJSON_AddStringToObject(q, "text", text);
    cJSON_AddBoolToObject(q, "deliver", false);
    snprintf(url, sizeof url, "%s/_sim/inbound", w->instagram.base_url);
    eval_http_json("POST", url, NULL, q, &r, &made);
    cJSON_Delete(q);
    eval_resp_free(&r);
    const char *body = eval_str_of(made, "body");
    if (!body || eval_hub_signature(EVAL_IG_APP_SECRET, body, sig, sizeof sig) != 0) {
        cJSON_Delete(made);
        snprintf(err, cap, "the Instagram simulator made no webhook payload");
        return -1;
    }
    snprintf(header, sizeof header, "X-Hub-Signature-256: %s", sig);
    const char *h[] = { header, "Content-Type: application/json",
                        "User-Agent: facebookexternalua", NULL };
    snprintf(url, sizeof url, "%s/webhooks/instagram/main", w->public_url);
    int idx = eval_world_patient_index(w, p);
    double t0 = eval_now_ms();
    int rc = post_twice(w, url, h, body, 200, err, cap);
    cJSON_Delete(made);
    if (rc == 0 && idx >= 0 && w->first_webhook_ms[idx] == 0)
        w->first_webhook_ms[idx] = t0;
    if (rc == 0)
        note_event(w, p);
    return rc;
}

/* The widget's session for patient p: started on its first message, as the
 * widget does when its panel first opens. */
static int webchat_session(struct eval_world *w, int idx, char *err, size_t cap)
{
    struct eval_patient_run *run = &w->run[idx];
    char url[256];
    struct eval_resp r;
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    if (run->token[0]) {
        cJSON_Delete(body);
        return 0;
    }
    snprintf(url, sizeof url, "%s/webhooks/webchat/session?key=%s", w->public_url, w->widget_key);
    eval_http_json("POST", url, NULL, body, &r, &answer);
    long status = r.status;
    cJSON_Delete(body);
    eval_resp_free(&r);
    const char *token = eval_str_of(answer, "token"), *visitor = eval_str_of(answer, "visitor");
    if (status != 200 || !token || !visitor || strlen(token) >= sizeof run->token ||
        strlen(visitor) >= sizeof run->address) {
        snprintf(err, cap, "web chat session: HTTP %ld", status);
        cJSON_Delete(answer);
        return -1;
    }
    snprintf(run->token, sizeof run->token, "%s", token);
    snprintf(run->address, sizeof run->address, "%s", visitor);
    cJSON_Delete(answer);
    return 0;
}

static int step_say_webchat(struct eval_world *w, const struct eval_patient_def *p,
                            const char *text, char *err, size_t cap)
{
    int idx = eval_world_patient_index(w, p);
    if (idx < 0 || webchat_session(w, idx, err, cap) != 0)
        return -1;
    char url[256], auth[320], id[40];
    snprintf(url, sizeof url, "%s/webhooks/webchat/messages?key=%s", w->public_url, w->widget_key);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", w->run[idx].token);
    /* The widget's form: "m" and hex. ("msg-00000001-00002093" would read
     * as a 16-digit run, a card number one time in ten.) */
    snprintf(id, sizeof id, "m%08x%08x", ++w->seq, (unsigned)getpid());
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", id);
    cJSON_AddStringToObject(m, "text", text);
    char *body = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!body) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    const char *h[] = { auth, "Content-Type: application/json", NULL };
    double t0 = eval_now_ms();
    int rc = post_twice(w, url, h, body, 202, err, cap);
    cJSON_free(body);
    if (rc == 0 && w->first_webhook_ms[idx] == 0)
        w->first_webhook_ms[idx] = t0;
    if (rc == 0)
        note_event(w, p);
    return rc;
}

static int step_say_sms(struct eval_world *w, const struct eval_patient_def *p, const char *text,
                        char *err, size_t cap)
{
    char sid[40], url[256];
    make_sid(w, "SM", sid);
    const char *pairs[] = { "AccountSid", EVAL_TWILIO_ACCOUNT, "ApiVersion", "2010-04-01",
                            "Body", text, "From", p->phone, "MessageSid", sid,
                            "NumMedia", "0", "NumSegments", "1", "SmsMessageSid", sid,
                            "SmsSid", sid, "SmsStatus", "received", "To", w->clinic_phone, NULL };
    snprintf(url, sizeof url, "%s/webhooks/twilio/sms", w->public_url);
    struct eval_resp r;
    int idx = eval_world_patient_index(w, p);
    double t0 = eval_now_ms();
    int rc = twilio_post(w, url, pairs, &r, err, cap);
    eval_resp_free(&r);
    if (rc == 0 && idx >= 0 && w->first_webhook_ms[idx] == 0)
        w->first_webhook_ms[idx] = t0;
    if (rc == 0)
        note_event(w, p);
    return rc;
}

/* The Square checkout link id in the last message to p that carries one. */
static int last_link(struct eval_world *w, const struct eval_patient_def *p, char *id, size_t cap)
{
    char err[256];
    if (eval_world_refresh(w, err, sizeof err) != 0)
        return -1;
    const char *found = NULL, *address = eval_world_address(w, p);
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(w->sent, "messages")) {
        const char *to = eval_str_of(m, "to"), *body = eval_str_of(m, "body");
        if (!to || !body || !address[0] || strcmp(to, address) != 0)
            continue;
        const char *at = strstr(body, "/checkout/");
        if (at)
            found = at + 10;
    }
    if (!found)
        return -1;
    size_t n = strcspn(found, " \n\t/?#.,)");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(id, found, n);
    id[n] = '\0';
    return 0;
}

static int step_pay(struct eval_world *w, const struct eval_patient_def *p, char *err, size_t cap)
{
    char link[128], url[512];
    if (last_link(w, p, link, sizeof link) != 0) {
        snprintf(err, cap, "pay_deposit: no deposit link was sent to %s", p->id);
        return -1;
    }
    snprintf(url, sizeof url, "%s/_sim/pay?link=%s%s", w->square.base_url, link,
             w->duplicate ? "&duplicate=1" : "");
    struct eval_resp r;
    int rc = eval_http("POST", url, NULL, "", 0, &r);
    long status = r.status;
    eval_resp_free(&r);
    if (rc != 0 || status != 200) {
        snprintf(err, cap, "pay_deposit: the Square simulator answered HTTP %ld", status);
        return -1;
    }
    note_event(w, p);
    return 0;
}

static int step_wait(struct eval_world *w, const char *iso, char *err, size_t cap)
{
    if (eval_parse_duration(iso) < 0) {
        snprintf(err, cap, "wait: %s is not an ISO 8601 duration", iso);
        return -1;
    }
    char url[256];
    const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "advance", iso);
    cJSON_AddNumberToObject(body, "timeout_ms", 120000);
    snprintf(url, sizeof url, "%s/admin/test/clock", w->admin_url);
    struct eval_resp r;
    int rc = eval_http_json("POST", url, h, body, &r, NULL);
    long status = r.status;
    cJSON_Delete(body);
    eval_resp_free(&r);
    if (rc != 0 || status != 200) {
        snprintf(err, cap, "wait %s: HTTP %ld", iso, status);
        return -1;
    }
    return 0;
}

static int step_emr(struct eval_world *w, bool down, char *err, size_t cap)
{
    char url[256];
    struct eval_resp r;
    int rc;
    if (w->have_emr_sim) {
        snprintf(url, sizeof url, "%s/_sim/%s", w->emr_sim.base_url, down ? "down" : "up");
        rc = eval_http("POST", url, NULL, "", 0, &r);
    } else {
        const char *h[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN, NULL };
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "tenant", w->tenant);
        cJSON_AddBoolToObject(body, "down", down);
        snprintf(url, sizeof url, "%s/admin/test/emr", w->admin_url);
        rc = eval_http_json("POST", url, h, body, &r, NULL);
        cJSON_Delete(body);
    }
    long status = r.status;
    eval_resp_free(&r);
    if (rc != 0 || status != 200) {
        snprintf(err, cap, "emr %s: HTTP %ld", down ? "down" : "up", status);
        return -1;
    }
    w->emr_down = down;
    return 0;
}

int eval_world_step(struct eval_world *w, const cJSON *step, const struct eval_patient_def *p,
                    char *err, size_t cap)
{
    int rc;
    const char *say = eval_str_of(step, "say"), *wait = eval_str_of(step, "wait"), *emr = eval_str_of(step, "emr");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "duplicate_webhooks"))) {
        w->duplicate = true;
        rc = 0;
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "missed_call"))) {
        rc = step_missed_call(w, p, err, cap);
    } else if (say) {
        if (strcmp(p->channel, "sms") == 0)
            rc = step_say_sms(w, p, say, err, cap);
        else if (strcmp(p->channel, "instagram") == 0)
            rc = step_say_instagram(w, p, say, err, cap);
        else
            rc = step_say_webchat(w, p, say, err, cap);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "pay_deposit"))) {
        rc = step_pay(w, p, err, cap);
    } else if (wait) {
        rc = step_wait(w, wait, err, cap);
    } else if (emr && (strcmp(emr, "down") == 0 || strcmp(emr, "up") == 0)) {
        rc = step_emr(w, strcmp(emr, "down") == 0, err, cap);
    } else {
        char *text = cJSON_PrintUnformatted(step);
        snprintf(err, cap, "unknown step %s", text ? text : "?");
        cJSON_free(text);
        rc = -1;
    }
    if (rc != 0)
        eval_world_print_warnings(w, 20);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "as", p ? p->id : "");
    cJSON_AddItemToObject(entry, "step", cJSON_Duplicate(step, 1));
    cJSON_AddItemToArray(w->transcript, entry);
    if (rc == 0)
        rc = eval_world_wait_idle(w, err, cap);
    if (rc == 0) {
        /* Web chat replies are stamped when first seen: look right away. */
        eval_world_collect(w);
        if (wait)
            instagram_clock(w);
    }
    return rc;
}
