/*
 * Where inbound events leave the messaging path for the conversation
 * engine. The messaging job (messaging_events.c) stores the contact, the
 * conversation and the redacted message or the call, settles compliance
 * (opt-out, opt-in, HELP), and hands everything else to the one registered
 * engine, in the job's transaction: what the engine writes (replies through
 * outbound_enqueue, state) commits with the event or not at all, and the
 * events of one contact reach it one at a time, in order. With no engine
 * registered nothing more happens.
 */
#ifndef BW_HOST_CONVO_HOOK_H
#define BW_HOST_CONVO_HOOK_H

#include <stdint.h>

#include "db.h"

enum convo_event_type {
    CONVO_EVENT_MESSAGE = 1,     /* the contact wrote */
    CONVO_EVENT_MISSED_CALL,     /* the contact called and nobody answered: text back */
};

/* Borrowed for the call. */
struct convo_event {
    int type;                    /* enum convo_event_type */
    const char *tenant_id;
    int64_t contact_id;
    int64_t conversation_id;
    int64_t message_id;          /* the inbound message row (MESSAGE); 0 otherwise */
    int64_t call_id;             /* the calls row (MISSED_CALL); 0 otherwise */
    const char *binding;         /* the channel binding (plugin id) replies go through */
    const char *channel;         /* contacts.channel: "sms", "webchat", ... */
    const char *from;            /* the contact's address */
    const char *to;              /* the clinic's address the contact used */
    const char *text;            /* MESSAGE: redacted text (health details, card numbers
                                    masked); "" for none. Never log it. */
    int media_count;
    int64_t at_us;               /* when the provider says it happened (host clock) */
};

/*
 * The engine's entry point, on a job worker thread inside the job's
 * transaction tx (no BEGIN/COMMIT of its own). Returns 0, or a negative
 * value to fail the job (it is retried with backoff; the whole event,
 * storage included, is rolled back and done again).
 */
typedef int (*convo_inbound_fn)(struct db_conn *tx, const struct convo_event *ev, void *ctx);

/* Registers the engine (NULL unregisters); at start-up, before jobs run.
 * ctx is borrowed and must outlive the daemon. */
void convo_hook_set(convo_inbound_fn fn, void *ctx);

/*
 * A filter sees each event before the engine (the answers to an
 * appointment reminder, for instance), in the same transaction. It returns
 * 1 when it handled the event (the engine is not called), 0 to pass it on
 * (it may point ev->text at other text that outlives the call, to say what
 * the patient meant), or a negative value to fail the job.
 */
typedef int (*convo_filter_fn)(struct db_conn *tx, struct convo_event *ev, void *ctx);

#define CONVO_HOOK_MAX_FILTERS 4

/* Adds a filter, called after those added before it; at start-up, before
 * jobs run. Returns 0, or -1 when CONVO_HOOK_MAX_FILTERS are added. */
int convo_hook_add_filter(convo_filter_fn fn, void *ctx);
/* Removes every filter (at start-up). */
void convo_hook_clear_filters(void);

/* Calls the filters in order, then the engine. Returns 1 when no engine is
 * registered, else its result (0 when a filter handled the event). */
int convo_hook_call(struct db_conn *tx, const struct convo_event *ev);

#endif
