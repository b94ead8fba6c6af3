/*
 * CASL in the send path (see casl_gate.h): the gate rule reads the
 * contact's consent facts from the ledger in the worker's transaction and
 * asks casl_decide; it only ever makes the decision stricter. The footer
 * hook rewrites the stored text in the same transaction, so what the
 * messages table holds is what the contact received.
 */
#include "casl_gate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casl.h"

int casl_gate_rule(struct db_conn *c, const struct send_gate_input *in,
                   struct send_gate_decision *d, void *ctx)
{
    (void)ctx;
    if (d->verdict == SEND_GATE_DROP || !in->country || strcmp(in->country, "CA") != 0 ||
        !casl_kind_commercial(in->kind))
        return 0;
    struct casl_facts f;
    struct casl_decision cd;
    int rc = casl_facts_load(c, in->tenant_id, in->address, &f);
    if (rc == 0)
        rc = casl_decide(in->country, in->clinic_zone, true, &f, in->now_us, &cd);
    if (rc != 0)
        return rc;
    if (!cd.allowed) {
        d->verdict = SEND_GATE_DROP;
        d->hold_until_us = 0;
        snprintf(d->reason, sizeof d->reason, "casl_%s", casl_reason_name(cd.reason));
    }
    return 0;
}

int casl_gate_install(void)
{
    return send_gate_add_rule("casl", casl_gate_rule, NULL);
}

DB_STMT(st_body, "UPDATE messages SET body = $3 WHERE tenant_id = $1 AND id = $2::bigint");

int casl_gate_footer(struct db_conn *c, const char *tenant_id, const char *country,
                     const char *clinic_name, int64_t message_id, const char *kind, char **body)
{
    if (!country || strcmp(country, "CA") != 0 || !casl_kind_commercial(kind))
        return 0;
    size_t cap = strlen(*body) + strlen(clinic_name) + 64;
    char *out = malloc(cap);
    if (!out)
        return CASL_E_NOMEM;
    bool added = false;
    int rc = casl_footer_apply(*body, clinic_name, out, cap, &added);
    if (rc == 0 && added) {
        char sid[24];
        snprintf(sid, sizeof sid, "%" PRId64, message_id);
        const char *p[] = { tenant_id, sid, out };
        PGresult *r = db_exec(c, &st_body, 3, p);
        rc = db_ok(r) ? 0 : CASL_E_DB;
        PQclear(r);
        if (rc == 0) {
            free(*body);
            *body = out;
            return 0;
        }
    }
    free(out);
    return rc;
}
