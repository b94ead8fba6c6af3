/*
 * The context of one conversation (conversation_context.h): the staff
 * inbox's head of it (staff_inbox_head), one query for its stored engine
 * state and the hold, booking and deposit rows, then the engine's facts picked out of the state's "core"
 * object (convo/state.c writes it; instants are stored as "start_s").
 */
#include "conversation_context.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "staff_inbox.h"

#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

DB_STMT(st_context,
        "SELECT c.contact_id, c.state::text, "
        "(SELECT json_build_object('id', h.id, 'state', h.state, 'service', h.service_id, "
        "  'provider', h.provider_id, 'start', " UTC("h.start_at") ", "
        "  'expires_at', " UTC("h.expires_at") ") "
        "  FROM holds h WHERE h.tenant_id = c.tenant_id AND h.contact_id = c.contact_id "
        "  ORDER BY h.id DESC LIMIT 1)::text, "
        "(SELECT json_build_object('id', b.id, 'state', b.state, 'service', b.service_id, "
        "  'provider', b.provider_id, 'start', " UTC("b.start_at") ") "
        "  FROM bookings b JOIN holds h ON h.tenant_id = b.tenant_id AND h.id = b.hold_id "
        "  WHERE b.tenant_id = c.tenant_id AND h.contact_id = c.contact_id "
        "  ORDER BY b.id DESC LIMIT 1)::text, "
        "(SELECT json_build_object('id', d.id, 'status', d.status, 'amount_minor', d.amount_minor, "
        "  'currency', d.currency) FROM deposits d WHERE d.tenant_id = c.tenant_id "
        "  AND d.conversation_id = c.id ORDER BY d.id DESC LIMIT 1)::text "
        "FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2::bigint");

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A stored visit (an array of parts) as [{service, provider, start, minutes}]. */
static cJSON *visit(const cJSON *parts)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            break;
        }
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "start_s");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "dur_min");
        char at[32];
        cJSON_AddStringToObject(o, "service", str(p, "service") ? str(p, "service") : "");
        cJSON_AddStringToObject(o, "provider", str(p, "provider") ? str(p, "provider") : "");
        if (cJSON_IsNumber(s)) {
            clock_format_utc((int64_t)s->valuedouble * INT64_C(1000000), at);
            snprintf(at + 19, sizeof at - 19, "Z"); /* whole seconds, as the rows' times */
            cJSON_AddStringToObject(o, "start", at);
        }
        if (cJSON_IsNumber(m))
            cJSON_AddNumberToObject(o, "minutes", m->valuedouble);
    }
    return a;
}

/* The engine's facts out of the stored state's "core" into o. */
static void engine_facts(cJSON *o, const char *state_text)
{
    cJSON *state = cJSON_Parse(state_text);
    const cJSON *core = cJSON_GetObjectItemCaseSensitive(state, "core");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(core, "want");
    const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(core, "chosen");
    const cJSON *offers = cJSON_GetObjectItemCaseSensitive(core, "offers");
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(want, "services");
    const char *stage = str(core, "stage");
    cJSON_AddStringToObject(o, "stage", stage ? stage : "new");
    cJSON *svc = cJSON_CreateArray();
    const cJSON *s;
    cJSON_ArrayForEach(s, services)
        if (cJSON_IsString(s))
            cJSON_AddItemToArray(svc, cJSON_CreateString(s->valuestring));
    cJSON_AddItemToObject(o, "services", svc);
    const cJSON *first_chosen = cJSON_GetArrayItem(chosen, 0);
    const cJSON *first_offer = cJSON_GetArrayItem(cJSON_GetArrayItem(offers, 0), 0);
    const char *service = str(first_chosen, "service")  ? str(first_chosen, "service")
                          : cJSON_GetArraySize(services) ? cJSON_GetStringValue(cJSON_GetArrayItem(services, 0))
                                                         : str(first_offer, "service");
    const char *provider = str(first_chosen, "provider") ? str(first_chosen, "provider") : str(want, "provider");
    if (service)
        cJSON_AddStringToObject(o, "service", service);
    else
        cJSON_AddNullToObject(o, "service");
    if (provider)
        cJSON_AddStringToObject(o, "provider", provider);
    else
        cJSON_AddNullToObject(o, "provider");
    cJSON *offered = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, offers)
        cJSON_AddItemToArray(offered, visit(v));
    cJSON_AddItemToObject(o, "offered", offered);
    if (chosen)
        cJSON_AddItemToObject(o, "chosen", visit(chosen));
    else
        cJSON_AddNullToObject(o, "chosen");
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(core, "deposit_cents");
    if (cJSON_IsNumber(dep) && dep->valuedouble >= 0)
        cJSON_AddNumberToObject(o, "deposit_cents", dep->valuedouble);
    cJSON_Delete(state);
}

/* Column i of row 0 as JSON, or null. */
static void add_row_json(cJSON *o, const char *key, PGresult *r, int i)
{
    cJSON *v = PQgetisnull(r, 0, i) ? NULL : cJSON_Parse(PQgetvalue(r, 0, i));
    if (v)
        cJSON_AddItemToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

int conversation_context(struct db_conn *c, const char *tenant, int64_t id, cJSON **out)
{
    cJSON *o = NULL;
    int rc = staff_inbox_head(c, tenant, id, &o);
    *out = NULL;
    if (rc != 0)
        return rc == STAFF_INBOX_NOTFOUND ? CONVERSATION_CONTEXT_NOTFOUND : -1;
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *p[] = { tenant, ids };
    PGresult *r = db_exec(c, &st_context, 2, p);
    if (!db_ok(r) || PQntuples(r) != 1) {
        rc = db_ok(r) ? CONVERSATION_CONTEXT_NOTFOUND : -1;
        PQclear(r);
        cJSON_Delete(o);
        return rc;
    }
    cJSON_AddNumberToObject(o, "contact_id", (double)strtoll(PQgetvalue(r, 0, 0), NULL, 10));
    engine_facts(o, PQgetvalue(r, 0, 1));
    add_row_json(o, "hold", r, 2);
    add_row_json(o, "booking", r, 3);
    add_row_json(o, "deposit", r, 4);
    PQclear(r);
    *out = o;
    return 0;
}
