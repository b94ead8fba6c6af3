/*
 * A clinic's A2P 10DLC registration as the host sees it: read through the
 * tenant's channel.twilio instance (its health op reads the brand, the
 * Messaging Service, the campaign and the numbers from Twilio and, when the
 * binding sets a2p_register, takes one more step of the registration), and
 * watched in the background: the "a2p.watch" job reads it at start and then
 * every A2P_WATCH_INTERVAL_US while a registration is under way (registering,
 * not yet registered, nothing failed), so brand vetting and campaign review,
 * which take days, move on without anyone asking, and each change of status
 * is logged. GET /admin/tenants/{id}/a2p (routes_a2p.c) reads it on demand.
 */
#ifndef BW_HOST_A2P_H
#define BW_HOST_A2P_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct daemon;

#define A2P_PLUGIN "channel.twilio"
#define A2P_WATCH_KIND "a2p.watch"
#define A2P_WATCH_INTERVAL_US (60LL * 60 * 1000000) /* an hour */

enum a2p_read_error {
    A2P_OK = 0,
    A2P_E_NO_BINDING = -1,  /* the tenant has no channel.twilio binding */
    A2P_E_NOT_SUPPORTED = -2, /* the plugin reports no health */
    A2P_E_PROVIDER = -3,    /* Twilio or the plugin failed; message says why */
};

/*
 * Reads tenant's registration now (a plugin call of up to 20 s: not on a
 * listener thread). On A2P_OK *out is the report (owned by the caller):
 * {"brand", "service", "campaign", "numbers": [...], "registered",
 * "required", "registering", "send_rate_per_number", "send_rate_from",
 * "tenant", "plugin"}. Otherwise message (cap bytes) says why, without
 * secrets. request_id may be NULL.
 */
int a2p_read(struct daemon *d, const char *tenant, const char *request_id, cJSON **out,
             char *message, size_t cap);

/* Whether a report describes a registration still under way. */
bool a2p_in_progress(const cJSON *report);

/* Queues the watch of tenant at run_at_us on tx (once per tenant and hour). 0 or -1. */
int a2p_watch_schedule(struct db_conn *tx, const char *tenant, int64_t run_at_us);

/* Registers A2P_WATCH_KIND (before the jobs start). 0 or -1. */
int a2p_watch_register(struct daemon *d);

/* Queues a first watch, now, of every tenant whose channel.twilio binding
 * registers A2P (a2p_register = true), at start; a watch that finds nothing
 * under way ends there. 0 or -1. */
int a2p_watch_schedule_all(struct daemon *d);

#endif
