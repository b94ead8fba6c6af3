/*
 * The waitlist. A patient joins for a service, optionally one provider, a
 * range of dates, weekdays and times of day ("any Saturday morning"):
 * through the clinic API (routes_waitlist.c) or by texting (waitlist_text.h
 * reads "put me on the waitlist for botox saturday mornings"). A scan job
 * per tenant ("waitlist.scan", every WAITLIST_SCAN_US of host time while
 * anyone waits, and at once when someone joins) looks for free slots that
 * match each waiting patient (the availability engine: whatever freed them,
 * a cancellation, a lapsed hold, a reschedule) and offers them by text, in
 * the order patients joined, each offer open for the tenant's offer
 * minutes before the next patient gets the slot (a patient who let an offer
 * lapse is offered nothing more for a day); or to every matching patient
 * at once, first to accept wins (catalog "waitlist": {"offer":
 * "in_order" | "all_at_once", "offer_minutes": 30}). An offer is never made
 * inside quiet hours, nor to an opted-out patient (the send gate decides;
 * the next scan tries again). A patient who accepts is booked through the
 * conversation engine as if they had asked for that time, with the usual
 * hold and deposit.
 */
#ifndef BW_HOST_WAITLIST_H
#define BW_HOST_WAITLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define WAITLIST_SCAN_KIND "waitlist.scan"
#define WAITLIST_SCAN_US (15 * 60 * INT64_C(1000000))
#define WAITLIST_OFFER_MINUTES_DEFAULT 30
#define WAITLIST_DEFAULT_DAYS 60          /* a range not given: from now, this many days */

#define WAITLIST_E_INVAL (-1)
#define WAITLIST_E_DB (-2)
#define WAITLIST_E_NOCHANNEL (-3)         /* no SMS binding to reach a new phone with */

/* What a patient waits for. Strings borrowed. */
struct waitlist_want {
    const char *service_id;
    const char *provider_id;  /* NULL: any */
    int64_t from_us, to_us;   /* 0: now / now + WAITLIST_DEFAULT_DAYS */
    unsigned weekdays;        /* bit w: weekday w (0 = Sunday); 0: any */
    int day_from_min, day_to_min; /* local minutes [from, to); 0 and 0: the whole day */
};

struct daemon;

/* Adds contact_id to the waitlist on tx and queues a scan now. source is
 * "api" or "conversation". *id (may be NULL) gets the entry. 0 or a
 * WAITLIST_E_*. */
int waitlist_join(struct db_conn *tx, const char *tenant, int64_t contact_id,
                  const struct waitlist_want *w, const char *source, int64_t *id);

/* The SMS contact of phone, created (with a conversation on the tenant's
 * SMS binding) when the clinic has never texted with it. 0 and *contact_id,
 * or a WAITLIST_E_*. */
int waitlist_contact_for_phone(struct db_conn *tx, const char *tenant, const char *phone,
                               int64_t *contact_id);

/* Registers the scan job and the conversation filter (offers accepted or
 * declined, joins by text); d is borrowed for the daemon's life. 0 or -1. */
int waitlist_register(struct daemon *d);

#endif
