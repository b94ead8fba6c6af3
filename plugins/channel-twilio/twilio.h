/*
 * The Twilio channel plugin's internals, shared by its source files: the
 * instance (configuration read once at instance_open), webhook parsing and
 * signature checking (webhook.c), TwiML (twiml.c), the Messages API client
 * with its error mapping and per-number pacing (send.c), and the A2P 10DLC
 * registration client (a2p.c). Nothing here crosses the ABI: the plugin
 * exports only bw_plugin_entry_v1 (plugin.c).
 */
#ifndef BW_TWILIO_H
#define BW_TWILIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bookwell/channel.h>
#include <bookwell-sdk/sdk.h>

#define TW_PLUGIN_ID "channel.twilio"
#define TW_VERSION "1.0.0"

/* Largest webhook body parsed (Twilio's are a few KiB). */
#define TW_MAX_BODY (64u * 1024u)
/* Most numbers an instance serves. */
#define TW_MAX_NUMBERS 32
#define TW_URL_MAX 512

/* What the caller hears when the clinic does not answer. */
enum tw_missed_action { TW_MISSED_MESSAGE, TW_MISSED_VOICEMAIL };

/* A token bucket (pacing per sending number). */
struct tw_bucket {
    char key[40];              /* the sending number or service sid */
    double tokens;
    int64_t last_us;           /* host mono_us of the last refill */
};

struct tw_instance {
    const struct bw_host *host;
    char account_sid[64];
    char *auth_token;          /* owned copy, wiped at close */
    size_t auth_token_len;
    char messaging_service_sid[64];
    char numbers[TW_MAX_NUMBERS][24];
    uint32_t n_numbers;
    char forward_number[24];   /* empty: no forwarding, missed-call path at once */
    char public_base_url[TW_URL_MAX]; /* empty: the URL as the host saw it */
    char status_callback[TW_URL_MAX]; /* empty: public_base_url + /webhooks/twilio/status */
    char missed_message[640];
    enum tw_missed_action missed_action;
    int64_t dial_timeout_s;
    int64_t voicemail_max_s;
    char api_base[128];        /* https://api.twilio.com */
    char messaging_base[128];  /* https://messaging.twilio.com */
    /* pacing: the configured rate and burst, replaced by the campaign's
     * throughput class once A2P reports one (under lock) */
    double rate_per_s;
    double burst;
    double cfg_rate_per_s;
    double cfg_burst;
    pthread_mutex_t lock;
    struct tw_bucket buckets[TW_MAX_NUMBERS + 1];
    uint32_t n_buckets;
    /* A2P 10DLC */
    bool a2p_required;
    bool a2p_register;
    int a2p_approved_cache;    /* -1 unknown, 0 no, 1 yes (under lock) */
    uint64_t a2p_attached;     /* bit i: numbers[i] is on the campaign's service */
    int64_t a2p_checked_us;
};

/* ---- webhook.c ---------------------------------------------------------- */

enum tw_endpoint { TW_EP_UNKNOWN, TW_EP_VOICE, TW_EP_DIAL, TW_EP_SMS, TW_EP_STATUS };

/* The endpoint named by the last path segment of url ("/webhooks/twilio/voice"). */
enum tw_endpoint tw_endpoint_of(const char *url);
const char *tw_endpoint_name(enum tw_endpoint ep);

/*
 * Parses a webhook body (application/x-www-form-urlencoded) into f.
 * BW_E_INVAL for a body over TW_MAX_BODY, a malformed escape, an encoded
 * NUL; BW_E_NOMEM for more pairs than the SDK holds.
 */
int tw_form_parse(struct bwsdk_form *f, const char *body, size_t len);

/*
 * The signature Twilio computes: base64(HMAC-SHA1(token, url + sorted
 * key+value pairs)) into out (at least 32 bytes). f is sorted in place.
 */
int tw_signature(const struct bw_host *host, const char *token, size_t token_len,
                 const char *url, struct bwsdk_form *f, char *out, size_t cap);

/*
 * Whether sig verifies for url and f: tries url as given, then with the
 * default port added (or removed when it has one). 1 valid, 0 not, or a
 * negative code. Compares in constant time.
 */
int tw_signature_check(const struct bw_host *host, const char *token, size_t token_len,
                       const char *url, struct bwsdk_form *f, const char *sig);

/* The URL a signature covers: public_base (when not empty) with the path
 * and query of req_url, else req_url. */
int tw_public_url(const char *public_base, const char *req_url, char *out, size_t cap);

/*
 * Parses a verified webhook into events/1 (appended to events) and the
 * TwiML reply. idem is the I-Twilio-Idempotency-Token header or NULL.
 */
int tw_webhook_events(struct tw_instance *in, enum tw_endpoint ep, const struct bwsdk_form *f,
                      const char *idem, struct bw_buf *events, struct bw_webhook_reply *reply,
                      struct bw_error *err);

/* ---- twiml.c ------------------------------------------------------------ */

/* Appends s XML-escaped (text and attribute values). */
int tw_xml_escape(const struct bw_host *host, struct bw_buf *out, const char *s);
/* <Dial timeout action method><Number>number</Number></Dial>. */
int tw_twiml_dial(const struct bw_host *host, struct bw_buf *out, const char *number,
                  int64_t timeout_s, const char *action_url);
/* The missed-call answer: <Say> the message, then <Record> (voicemail) or <Hangup/>. */
int tw_twiml_missed(const struct bw_host *host, struct bw_buf *out, enum tw_missed_action a,
                    const char *message, int64_t voicemail_max_s);
/* An empty <Response/> (SMS: replies go through the Messages API) or a hangup. */
int tw_twiml_empty(const struct bw_host *host, struct bw_buf *out);
int tw_twiml_hangup(const struct bw_host *host, struct bw_buf *out);

/* ---- send.c ------------------------------------------------------------- */

int tw_send(struct tw_instance *in, struct bw_call *call, const struct bw_json *msg,
            struct bw_buf *out, struct bw_error *err);

/*
 * Maps a Messages API error answer to a BW_E_* code and fills err:
 * 20429 and HTTP 429/5xx retry (retry_after_ms from Retry-After, else 1 s);
 * 20003 and 401/403 are BW_E_AUTH; 21211, 21610 and other 4xx are final
 * refusals (BW_E_INVAL: nothing was sent) with the provider's code in
 * err->provider_code; anything else BW_E_REMOTE.
 */
int tw_map_error(const struct bw_http_response *resp, struct bw_error *err);

/*
 * Takes a token for key from the instance's bucket at time now_us. Returns
 * 0, or the microseconds to wait until one is available.
 */
int64_t tw_pace_take(struct tw_instance *in, const char *key, int64_t now_us);

/* Basic auth header value for the account ("Basic base64(sid:token)"). */
int tw_basic_auth(const struct tw_instance *in, char *out, size_t cap);

/* ---- a2p.c -------------------------------------------------------------- */

/*
 * The health op's A2P part: with a2p_register, one step of the registration
 * (brand, its approval, the Messaging Service, attaching each number, the
 * campaign, its verification); then, when a service is known, its current
 * state read from Twilio (the service, its Usa2p campaigns, its phone
 * numbers, and the brand when registered elsewhere). The state is kept in kv
 * under "a2p/state"; the report (brand, service, campaign, each number and
 * whether it is attached, whether sends are allowed, blocked or warned) is
 * appended to out when out is not NULL.
 */
int tw_a2p_step(struct tw_instance *in, struct bw_call *call, struct bw_buf *out,
                struct bw_error *err);

/* Whether a send from number (NULL: through the Messaging Service) is on a
 * verified campaign: *on_campaign. Also applies the campaign's throughput
 * class to pacing. */
int tw_a2p_allows(struct tw_instance *in, struct bw_call *call, const char *number,
                  bool *on_campaign);

/* Messages per second per sending number for a campaign whose AT&T class
 * allows mps messages per second over n_numbers numbers (0: unknown). */
double tw_a2p_rate(double mps, uint32_t n_numbers);

/* ---- shared helpers ----------------------------------------------------- */

/* Copies a config string into a fixed buffer ("" when unset and optional). */
int tw_cfg_str(const struct bw_host *h, struct bw_call *call, const char *key, char *out,
               size_t cap, bool required);

/* Performs a form-encoded request to url with Basic auth; resp filled. */
int tw_http_form(struct tw_instance *in, struct bw_call *call, const char *method,
                 const char *url, const struct bwsdk_form *form, struct bw_http_response *resp,
                 struct bw_error *err);

#endif
