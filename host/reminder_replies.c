/*
 * The answers to appointment reminders (reminder_replies.h).
 */
#include "reminder_replies.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "booking_notify.h"
#include "clock.h"
#include "convo_hook.h"
#include "daemon.h"
#include "knowledge.h"
#include "log.h"
#include "outbound.h"
#include "reminder_text.h"

DB_STMT(st_open,
        "SELECT r.booking_id FROM appointment_reminders r JOIN bookings b "
        "ON b.tenant_id = r.tenant_id AND b.id = r.booking_id "
        "WHERE r.tenant_id = $1 AND r.contact_id = $2::bigint AND r.reply_open "
        "AND b.state = 'booked' AND b.start_at > to_timestamp($3::double precision / 1e6) "
        "ORDER BY b.start_at LIMIT 1 FOR UPDATE OF r");
DB_STMT(st_answered,
        "UPDATE appointment_reminders SET reply_open = false, "
        "confirmed_at = CASE WHEN $3::boolean THEN to_timestamp($4::double precision / 1e6) "
        "ELSE confirmed_at END, confirmed_by = CASE WHEN $3::boolean THEN 'reply' "
        "ELSE confirmed_by END WHERE tenant_id = $1 AND booking_id = $2::bigint");

/* What the engine is told the patient meant. */
static const char reschedule_text[] = "I need to reschedule my appointment";
static const char cancel_text[] = "I need to cancel my appointment";

static int reply(struct db_conn *tx, const struct convo_event *ev, const char *text)
{
    struct outbound_msg m = { .tenant_id = ev->tenant_id, .conversation_id = ev->conversation_id,
                              .kind = "reply", .text = text, .caused_by = ev->message_id };
    return outbound_enqueue(tx, &m, NULL) == 0 ? 0 : -1;
}

static void log_answer(const struct convo_event *ev, int64_t booking_id, const char *kind)
{
    char bid[24];
    snprintf(bid, sizeof bid, "%" PRId64, booking_id);
    const char *fields[] = { "tenant", ev->tenant_id, "booking", bid, "answer", kind, NULL };
    log_write(LOG_INFO, NULL, fields, "reminder answered");
}

static int filter(struct db_conn *tx, struct convo_event *ev, void *ctx)
{
    struct daemon *d = ctx;
    if (ev->type != CONVO_EVENT_MESSAGE || !ev->text || !ev->text[0])
        return 0;
    char cid[24], now[24], bid[24];
    snprintf(cid, sizeof cid, "%" PRId64, ev->contact_id);
    snprintf(now, sizeof now, "%" PRId64, clock_now_us());
    const char *p[] = { ev->tenant_id, cid, now };
    PGresult *r = db_exec(tx, &st_open, 3, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    int64_t booking_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    snprintf(bid, sizeof bid, "%" PRId64, booking_id);
    enum reminder_reply kind = reminder_reply_classify(ev->text);
    const char *up[] = { ev->tenant_id, bid, kind == REMINDER_REPLY_CONFIRM ? "true" : "false",
                         now };
    r = db_exec(tx, &st_answered, 4, up);
    int ok = db_ok(r);
    PQclear(r);
    if (!ok)
        return -1;
    if (kind == REMINDER_REPLY_RESCHEDULE) {
        log_answer(ev, booking_id, "reschedule");
        ev->text = reschedule_text;
        return 0;
    }
    if (kind == REMINDER_REPLY_CANCEL) {
        log_answer(ev, booking_id, "cancel");
        ev->text = cancel_text;
        return 0;
    }
    struct booking b;
    if (booking_get(tx, ev->tenant_id, booking_id, &b) != 0)
        return -1;
    const struct knowledge *k = NULL;
    int krc = knowledge_get(tx, ev->tenant_id, &k);
    char desc[200], text[480];
    booking_describe_slot(krc == 0 ? k : NULL, b.service_id, b.start_us, desc, sizeof desc);
    int rc = 0;
    if (kind == REMINDER_REPLY_CONFIRM) {
        log_answer(ev, booking_id, "confirm");
        snprintf(text, sizeof text, "Thanks, you're confirmed for %s. See you then!", desc);
        rc = reply(tx, ev, text);
    } else {
        log_answer(ev, booking_id, "other");
        char staff[400];
        snprintf(staff, sizeof staff,
                 "the patient of booking %" PRId64 " (%s) answered its reminder with a message "
                 "that needs a person; please reply in the inbox.",
                 b.id, desc);
        snprintf(text, sizeof text,
                 "Thanks! I've passed your message to the team at %s; someone will get back "
                 "to you shortly.",
                 k && k->name ? k->name : "the clinic");
        if (booking_tell_staff(tx, ev->tenant_id, &b, "reminder.reply", staff,
                               booking_staff_phone(d, ev->tenant_id)) < 0 ||
            reply(tx, ev, text) != 0)
            rc = -1;
    }
    if (k)
        knowledge_release(k);
    booking_clear(&b);
    return rc < 0 ? -1 : 1;
}

int reminder_replies_install(struct daemon *d)
{
    return convo_hook_add_filter(filter, d);
}
