/*
 * Recording normalized webhook events. Validation and redaction happen
 * before any SQL, so a refused event never touches the caller's transaction;
 * the insert uses ON CONFLICT DO NOTHING on (tenant_id, provider,
 * provider_event_id), so a duplicate never raises an error that would abort
 * that transaction either.
 */
#include "inbox.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json_util.h"
#include "redact.h"

static _Atomic(inbox_redactor_fn) redactor = inbox_redact_default;

void inbox_set_redactor(inbox_redactor_fn fn)
{
    atomic_store(&redactor, fn ? fn : inbox_redact_default);
}

int inbox_redact_default(cJSON *event)
{
    redact_json_card_numbers(event);
    /* Out of memory leaves some strings unredacted: refuse the event rather
     * than store them; the provider retries. */
    return redact_json_health(event) < 0 ? -1 : 0;
}

static bool text_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max;
}

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF): the
 * database refuses anything else, and that refusal would abort the caller's
 * transaction. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

DB_STMT(insert_event,
        "INSERT INTO inbox (tenant_id, provider, provider_event_id, kind, event, received_at) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz) "
        "ON CONFLICT (tenant_id, provider, provider_event_id) DO NOTHING "
        "RETURNING id");
DB_STMT(find_event,
        "SELECT id FROM inbox WHERE tenant_id = $1 AND provider = $2 AND provider_event_id = $3");

int inbox_record(struct db_conn *c, const struct inbox_event *ev, bool *duplicate, int64_t *id)
{
    cJSON *event = NULL;
    char *text = NULL;
    PGresult *r = NULL;
    char when[32];
    int rc;

    *duplicate = false;
    *id = 0;
    if (!text_ok(ev->tenant_id, 63) || !text_ok(ev->provider, 64) ||
        !text_ok(ev->provider_event_id, INBOX_MAX_ID_BYTES) || !text_ok(ev->kind, 64) ||
        !ev->event_json) {
        rc = INBOX_E_INVALID;
        goto out;
    }
    size_t len = strlen(ev->event_json);
    if (len > INBOX_MAX_EVENT_BYTES || json_depth(ev->event_json, len) > JSON_MAX_DEPTH ||
        !(event = cJSON_ParseWithLength(ev->event_json, len)) || !cJSON_IsObject(event)) {
        rc = INBOX_E_INVALID;
        goto out;
    }
    inbox_redactor_fn fn = atomic_load(&redactor);
    if (fn(event) != 0) {
        rc = INBOX_E_REDACT;
        goto out;
    }
    if (!(text = cJSON_PrintUnformatted(event))) {
        rc = INBOX_E_DB; /* out of memory: the caller retries like a database failure */
        goto out;
    }
    if (!utf8_ok((const unsigned char *)text, strlen(text))) {
        rc = INBOX_E_INVALID;
        goto out;
    }
    clock_format_utc(ev->received_at_us ? ev->received_at_us : clock_now_us(), when);

    const char *params[] = { ev->tenant_id, ev->provider, ev->provider_event_id, ev->kind, text,
                             when };
    r = db_exec(c, &insert_event, 6, params);
    if (!db_ok(r)) {
        rc = INBOX_E_DB;
        goto out;
    }
    if (PQntuples(r) == 1) {
        *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        rc = 0;
        goto out;
    }
    /* A conflict: the first delivery committed (READ COMMITTED waited for it),
     * and a new statement sees it. */
    PQclear(r);
    *duplicate = true;
    r = db_exec(c, &find_event, 3, params);
    if (!db_ok(r)) {
        rc = INBOX_E_DB;
        goto out;
    }
    if (PQntuples(r) == 1)
        *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    rc = 0;
out:
    PQclear(r);
    free(text);
    cJSON_Delete(event);
    return rc;
}
