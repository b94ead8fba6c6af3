/*
 * The hash-chained evidence trail (evidence.h).
 */
#include "evidence.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ZERO_HASH[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

DB_STMT(st_lock, "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(10) || $2, 7))");
DB_STMT(st_last, "SELECT seq, hash FROM evidence WHERE tenant_id = $1 AND subject = $2"
                 " ORDER BY seq DESC LIMIT 1");
DB_STMT(st_insert,
        "INSERT INTO evidence (tenant_id, subject, seq, kind, at, body, prev_hash, hash)"
        " VALUES ($1, $2, $3::integer, $4,"
        " timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6, $7, $8)");
DB_STMT(st_chain, "SELECT seq, kind, (extract(epoch FROM at) * 1000000)::bigint, body,"
                  " prev_hash, hash FROM evidence WHERE tenant_id = $1 AND subject = $2"
                  " ORDER BY seq");

void evidence_hash(const char *prev_hash, const char *tenant_id, const char *subject, int seq,
                   const char *kind, int64_t at_us, const char *body,
                   char out[EVIDENCE_HASH_HEX + 1])
{
    unsigned char md[32];
    unsigned int len = 0;
    char head[128];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int n = snprintf(head, sizeof head, "\n%d\n", seq);
    int m;
    char at[64];
    m = snprintf(at, sizeof at, "\n%" PRId64 "\n", at_us);
    out[0] = 0;
    if (!ctx)
        return;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(ctx, prev_hash, strlen(prev_hash)) &&
        EVP_DigestUpdate(ctx, "\n", 1) &&
        EVP_DigestUpdate(ctx, tenant_id, strlen(tenant_id)) &&
        EVP_DigestUpdate(ctx, "\n", 1) &&
        EVP_DigestUpdate(ctx, subject, strlen(subject)) &&
        EVP_DigestUpdate(ctx, head, (size_t)n) &&
        EVP_DigestUpdate(ctx, kind, strlen(kind)) &&
        EVP_DigestUpdate(ctx, at, (size_t)m) &&
        EVP_DigestUpdate(ctx, body, strlen(body)) && EVP_DigestFinal_ex(ctx, md, &len) &&
        len == 32) {
        for (unsigned i = 0; i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    EVP_MD_CTX_free(ctx);
}

int evidence_append(struct db_conn *tx, const char *tenant_id, const char *subject,
                    const char *kind, const cJSON *body, int64_t at_us, int *seq)
{
    char prev[EVIDENCE_HASH_HEX + 1], hash[EVIDENCE_HASH_HEX + 1], seqs[16], ats[24];
    char *text = cJSON_PrintUnformatted(body);
    int rc = -1, next = 1;
    if (!text)
        return -1;
    const char *lp[] = { tenant_id, subject };
    PGresult *r = db_exec(tx, &st_lock, 2, lp);
    bool ok = db_ok(r);
    PQclear(r);
    if (!ok)
        goto out;
    r = db_exec(tx, &st_last, 2, lp);
    if (!db_ok(r)) {
        PQclear(r);
        goto out;
    }
    snprintf(prev, sizeof prev, "%s", ZERO_HASH);
    if (PQntuples(r) == 1) {
        next = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) + 1;
        snprintf(prev, sizeof prev, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    evidence_hash(prev, tenant_id, subject, next, kind, at_us, text, hash);
    if (!hash[0])
        goto out;
    snprintf(seqs, sizeof seqs, "%d", next);
    snprintf(ats, sizeof ats, "%" PRId64, at_us);
    const char *ip[] = { tenant_id, subject, seqs, kind, ats, text, prev, hash };
    r = db_exec(tx, &st_insert, 8, ip);
    ok = db_ok(r);
    PQclear(r);
    if (ok) {
        rc = 0;
        if (seq)
            *seq = next;
    }
out:
    cJSON_free(text);
    return rc;
}

int evidence_verify(struct db_conn *c, const char *tenant_id, const char *subject,
                    struct evidence_report *report)
{
    const char *p[] = { tenant_id, subject };
    char prev[EVIDENCE_HASH_HEX + 1], hash[EVIDENCE_HASH_HEX + 1];
    memset(report, 0, sizeof *report);
    PGresult *r = db_exec(c, &st_chain, 2, p);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    snprintf(prev, sizeof prev, "%s", ZERO_HASH);
    report->entries = PQntuples(r);
    for (int i = 0; i < report->entries; i++) {
        int seq = (int)strtol(PQgetvalue(r, i, 0), NULL, 10);
        int64_t at = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        const char *stored_prev = PQgetvalue(r, i, 4), *stored = PQgetvalue(r, i, 5);
        const char *why = NULL;
        if (seq != i + 1)
            why = "an entry is missing before this one";
        else if (strcmp(stored_prev, prev) != 0)
            why = "prev_hash is not the previous entry's hash";
        else {
            evidence_hash(prev, tenant_id, subject, seq, PQgetvalue(r, i, 1), at,
                          PQgetvalue(r, i, 3), hash);
            if (strcmp(hash, stored) != 0)
                why = "the content does not match its hash";
        }
        if (why) {
            report->first_bad = i + 1;
            snprintf(report->reason, sizeof report->reason, "%s", why);
            break;
        }
        snprintf(prev, sizeof prev, "%s", stored);
    }
    PQclear(r);
    return 0;
}

cJSON *evidence_list(struct db_conn *c, const char *tenant_id, const char *subject)
{
    const char *p[] = { tenant_id, subject };
    PGresult *r = db_exec(c, &st_chain, 2, p);
    cJSON *doc = NULL, *list;
    if (!db_ok(r))
        goto out;
    if (!(doc = cJSON_CreateObject()) || !cJSON_AddStringToObject(doc, "subject", subject) ||
        !(list = cJSON_AddArrayToObject(doc, "entries")))
        goto fail;
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *e = cJSON_CreateObject(), *body;
        if (!e)
            goto fail;
        cJSON_AddItemToArray(list, e);
        body = cJSON_Parse(PQgetvalue(r, i, 3));
        if (!body || !cJSON_AddNumberToObject(e, "seq", strtol(PQgetvalue(r, i, 0), NULL, 10)) ||
            !cJSON_AddStringToObject(e, "kind", PQgetvalue(r, i, 1)) ||
            !cJSON_AddNumberToObject(e, "at_us", (double)strtoll(PQgetvalue(r, i, 2), NULL, 10)) ||
            !cJSON_AddStringToObject(e, "hash", PQgetvalue(r, i, 5))) {
            cJSON_Delete(body);
            goto fail;
        }
        cJSON_AddItemToObject(e, "body", body);
    }
    goto out;
fail:
    cJSON_Delete(doc);
    doc = NULL;
out:
    PQclear(r);
    return doc;
}
