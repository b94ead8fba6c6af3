/*
 * Every case of the shared evaluation corpus (eval/cases, in the Glow
 * clinic) driven through the conversation core with the test world's
 * calendar, clock, holds and links (convo_world.h): each case's
 * expectations (outcome, appointments, deposit, client, replies included and
 * excluded, what is stored) and the corpus rules the core can show (reply
 * length, dollar amounts only from the catalog, no proactive message in
 * quiet hours, no booking before a due deposit is paid, no overlapping
 * appointments). Prints each transcript of a failing case.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convo_world.h"

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

Test(convo_eval, every_case_of_the_corpus)
{
    char *clinic_text = world_read_shared("eval/clinics/glow.json");
    cr_assert_not_null(clinic_text, "set BW_SHARED_DIR to the shared corpus");
    cJSON *clinic = cJSON_Parse(clinic_text);
    cr_assert_not_null(clinic);

    char dir[1024];
    const char *shared = getenv("BW_SHARED_DIR");
    const char *src = getenv("BW_SRCDIR");
    if (shared && *shared)
        snprintf(dir, sizeof dir, "%s/eval/cases", shared);
    else
        snprintf(dir, sizeof dir, "%s/../shared/eval/cases", src ? src : ".");
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    cr_assert_geq(n, 40, "the corpus has %d cases", n);

    int pass = 0, failed = 0, skipped = 0, stand_in = 0;
    struct world_report *rep = malloc(sizeof *rep);
    cr_assert_not_null(rep);
    for (int i = 0; i < n; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "eval/cases/%s", names[i]);
        char *text = world_read_shared(rel);
        cr_assert_not_null(text, "%s", rel);
        cJSON *kase = cJSON_Parse(text);
        cr_assert_not_null(kase, "%s does not parse", rel);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "id"));
        int v = world_run_case(clinic, kase, rep);
        if (v == WORLD_PASS) {
            pass++;
            stand_in += rep->stand_in;
            fprintf(stderr, "PASS %s%s\n", id, rep->stand_in ? " (opt-out/HELP by the compliance stand-in)" : "");
        } else if (v == WORLD_SKIP) {
            skipped++;
            fprintf(stderr, "SKIP %s: %s\n", id, rep->why);
        } else {
            failed++;
            fprintf(stderr, "FAIL %s: %s\n%s", id, rep->why, rep->transcript);
            cr_expect_fail("%s: %s", id, rep->why);
        }
        if (getenv("CONVO_TRANSCRIPTS"))
            fprintf(stderr, "%s", rep->transcript);
        cJSON_Delete(kase);
        free(text);
        free(names[i]);
    }
    fprintf(stderr, "%d passed, %d failed (%d of the passes rest on the compliance stand-in)%s\n", pass, failed,
            stand_in, skipped ? ", some skipped" : "");
    free(rep);
    cJSON_Delete(clinic);
    free(clinic_text);
}
