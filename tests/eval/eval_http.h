/*
 * The evaluation runner's HTTP client: one blocking request with libcurl,
 * the response's status, body and elapsed real time; and the signatures the
 * providers put on their webhooks (Twilio's X-Twilio-Signature, Square's
 * x-square-hmacsha256-signature, Meta's X-Hub-Signature-256), so the runner
 * can deliver patient events the way the providers do.
 */
#ifndef BW_TESTS_EVAL_HTTP_H
#define BW_TESTS_EVAL_HTTP_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct eval_resp {
    long status;     /* 0: no response */
    char *body;      /* malloc'd, NUL-terminated */
    size_t len;
    double ms;       /* real time the request took */
};

/* headers: NULL-terminated "Name: value" list, or NULL. Returns 0 when a
 * response came. */
int eval_http(const char *method, const char *url, const char *const *headers, const char *body,
              size_t len, struct eval_resp *out);
void eval_resp_free(struct eval_resp *r);

/* The same with a JSON body; *json receives the parsed answer (or NULL). */
int eval_http_json(const char *method, const char *url, const char *const *headers,
                   const cJSON *body, struct eval_resp *out, cJSON **json);

/* application/x-www-form-urlencoded of the pairs (k0, v0, k1, v1, ..., NULL). */
char *eval_form_encode(const char *const *pairs);

/* Twilio: base64(HMAC-SHA1(token, url + every key and value, keys sorted)). */
int eval_twilio_signature(const char *token, const char *url, const char *const *pairs,
                          char *out, size_t cap);

/* base64(HMAC-SHA256(key, prefix + body)) (Square: prefix = notification URL). */
int eval_hmac256_b64(const char *key, const char *prefix, const char *body, char *out, size_t cap);

/* "sha256=" + hex(HMAC-SHA256(key, body)) (Meta). */
int eval_hub_signature(const char *key, const char *body, char *out, size_t cap);

/* Real time in milliseconds since the epoch (comparable with what the
 * simulators record). */
double eval_now_ms(void);

#endif
