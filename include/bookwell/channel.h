/*
 * Channel plugins: the ways patients reach a clinic and the clinic answers
 * (SMS and MMS, voice call events, Instagram, web chat, RCS). A channel
 * instance tells the host which inbound addresses it serves, turns the
 * provider's webhooks into normalized events, and sends messages.
 *
 * Every op: instance is the plugin's own (from instance_open); call, the
 * inputs and the outputs are borrowed from the host for the call; results
 * are appended to host-owned buffers; a failure returns a BW_E_* code with
 * err filled. Ops run on worker threads, concurrently, within the call's
 * deadline (bw_host.check).
 */
#ifndef BOOKWELL_CHANNEL_H
#define BOOKWELL_CHANNEL_H

#include <bookwell/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities of a channel instance (bit set). */
#define BW_CHANNEL_CAP_SMS       (UINT64_C(1) << 0)
#define BW_CHANNEL_CAP_MMS       (UINT64_C(1) << 1)
#define BW_CHANNEL_CAP_VOICE     (UINT64_C(1) << 2)  /* call events: missed, ended */
#define BW_CHANNEL_CAP_INSTAGRAM (UINT64_C(1) << 3)
#define BW_CHANNEL_CAP_WEBCHAT   (UINT64_C(1) << 4)
#define BW_CHANNEL_CAP_RBM       (UINT64_C(1) << 5)  /* RCS business messaging */

/*
 * Payload schemas (UTF-8 JSON; docs/ABI.md shows full examples).
 *  route_keys/1: {"keys":[{"type":"phone"|"account","value":"+14155550100"}]}
 *  events/1:     {"events":[{"id":provider event id,"type":"message"|"call_missed"|
 *                "call_ended"|"status"|"opt_out"|"opt_in","from","to","at":RFC 3339,
 *                "text","media":[url],"status","message_id"}]}
 *  message/1:    {"to","from","text","media":[url],"reference":host message id}
 *  send_result/1:{"message_id":provider id,"status":"queued"|"sent"|"delivered"}
 *  route_key/1:  {"type":"phone"|"account","value":"+14155550100"} (1.1)
 */
#define BW_SCHEMA_CHANNEL_ROUTE_KEYS  "bookwell.channel.route_keys/1"
#define BW_SCHEMA_CHANNEL_EVENTS      "bookwell.channel.events/1"
#define BW_SCHEMA_CHANNEL_MESSAGE     "bookwell.channel.message/1"
#define BW_SCHEMA_CHANNEL_SEND_RESULT "bookwell.channel.send_result/1"
#define BW_SCHEMA_CHANNEL_ROUTE_KEY   "bookwell.channel.route_key/1"

/* The ops of a channel plugin. Static const in the plugin. Mandatory in 1.0:
 * capabilities, webhook, send. */
struct bw_channel_ops {
    uint32_t struct_size;      /* sizeof(struct bw_channel_ops) */
    uint32_t _reserved;

    /* The instance's BW_CHANNEL_CAP_* bits. */
    int (*capabilities)(void *instance, struct bw_call *call, uint64_t *caps);

    /* Appends route_keys/1: the inbound numbers and account ids the instance
     * serves, so the host routes webhooks and inbound messages to it. NULL:
     * routed by the webhook URL alone. */
    int (*route_keys)(void *instance, struct bw_call *call, struct bw_buf *out,
                      struct bw_error *err);

    /*
     * Verifies req's signature (BW_E_AUTH when it does not verify: the host
     * answers 403 and persists nothing), parses it into events/1 appended to
     * events, and sets what the provider should receive in reply. The host
     * acknowledges only after the events are committed.
     */
    int (*webhook)(void *instance, struct bw_call *call, const struct bw_webhook_request *req,
                   struct bw_webhook_reply *reply, struct bw_buf *events,
                   struct bw_error *err);

    /*
     * Sends msg (message/1) and appends send_result/1. A provider that
     * cannot deduplicate sends must not be retried blindly: return
     * BW_E_REMOTE, not BW_E_RETRY, when the send may have happened.
     */
    int (*send)(void *instance, struct bw_call *call, const struct bw_json *msg,
                struct bw_buf *out, struct bw_error *err);

    /* ---- since 1.1 ---- */

    /*
     * Optional. Reads which tenant a webhook is for before any instance is
     * chosen: appends route_key/1, {"type":"phone"|"account","value":...},
     * one of the keys some instance reports through route_keys (for Twilio,
     * the message's or call's To number). The call is bound to no instance
     * (no configuration, secrets or storage) and nothing is verified yet:
     * read the key only. BW_E_INVAL when the request carries none (the host
     * answers 404). NULL: the host routes by the URL's tenant segment.
     */
    int (*webhook_route)(struct bw_call *call, const struct bw_webhook_request *req,
                         struct bw_buf *out, struct bw_error *err);
};

#ifdef __cplusplus
}
#endif

#endif
