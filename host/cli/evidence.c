/*
 * bookwell evidence verify TENANT SUBJECT: asks the daemon to recompute the
 * hash chain of one subject's evidence trail (a hold, and the booking it
 * became) and reports whether it is intact, or the first entry that was
 * changed, removed or reordered (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

int cli_evidence_verify(const struct admin_client *ac, const struct cli_opts *o,
                        const char *tenant, const char *subject)
{
    char t[200], s[640], path[900];
    struct admin_reply r;
    if (admin_escape_segment(tenant, t, sizeof t) != 0 ||
        admin_escape_segment(subject, s, sizeof s) != 0) {
        fprintf(stderr, "bookwell: tenant or subject too long\n");
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/admin/evidence/%s/%s", t, s);
    if (admin_request(ac, "GET", path, NULL, &r) != 0) {
        fprintf(stderr, "bookwell: cannot reach the admin listener at %s: %s\n", ac->url, r.error);
        return CLI_UNREACHABLE;
    }
    int rc = r.status == 200 ? CLI_OK : CLI_REFUSED;
    cJSON *reply = cJSON_ParseWithLength(r.body, r.len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "verification");
    if (!reply) {
        fprintf(stderr, "bookwell: the daemon's reply (HTTP %ld) is not JSON\n", r.status);
        rc = CLI_REFUSED;
    } else if (rc != CLI_OK || !cJSON_IsObject(v)) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(reply, "error");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
        fputs("bookwell: ", stderr);
        output_clean(stderr, cJSON_IsString(m) ? m->valuestring : "unexpected reply");
        fprintf(stderr, " (HTTP %ld)\n", r.status);
        rc = CLI_REFUSED;
    } else {
        int entries = cJSON_GetObjectItemCaseSensitive(v, "entries")->valueint;
        bool intact = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "intact"));
        if (o->json) {
            fwrite(r.body, 1, r.len, stdout);
            fputc('\n', stdout);
        } else if (intact) {
            printf("evidence of %s: %d entries, hash chain intact\n", subject, entries);
        } else {
            const cJSON *why = cJSON_GetObjectItemCaseSensitive(v, "reason");
            printf("evidence of %s: TAMPERED at entry %d of %d: ", subject,
                   cJSON_GetObjectItemCaseSensitive(v, "first_bad")->valueint, entries);
            output_clean(stdout, cJSON_IsString(why) ? why->valuestring : "");
            fputc('\n', stdout);
        }
        if (!intact)
            rc = CLI_REFUSED;
    }
    cJSON_Delete(reply);
    admin_reply_free(&r);
    return rc;
}
