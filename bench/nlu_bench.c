/*
 * Cost of the built-in understanding per message. Reads a clinic and the
 * evaluation cases, collects every patient message with its case's "now"
 * (the clinic's wall clock, turned into UTC in the clinic's zone), then
 * understands the whole corpus over and over on one thread and prints the
 * mean, median and 99th percentile wall-clock microseconds per message,
 * and the process's CPU time per message.
 *
 *   bench/nlu_bench [-n PASSES] [-v] CLINIC.json CASE.json|DIR ...
 *
 * -v also lists the five messages with the highest median.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "clock.h"
#include "nlu/nlu.h"

#define MSGS_MAX 4096

struct msg {
    char *text;
    int64_t now_us;
};

static struct msg msgs[MSGS_MAX];
static int nmsgs;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1))) {
        if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

/* "2027-03-02T20:15:00" in zone -> UTC microseconds. */
static int local_to_utc(const char *zone, const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    UChar uz[64];
    UErrorCode st = U_ZERO_ERROR;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 || strlen(zone) >= 64)
        return -1;
    u_charsToUChars(zone, uz, (int32_t)strlen(zone));
    UCalendar *cal = ucal_open(uz, (int32_t)strlen(zone), "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return -1;
    ucal_clear(cal);
    ucal_setDateTime(cal, y, mo - 1, d, h, mi, sec, &st);
    UDate ms = ucal_getMillis(cal, &st);
    ucal_close(cal);
    if (U_FAILURE(st))
        return -1;
    *out = (int64_t)ms * 1000;
    return 0;
}

static int load_case(const char *zone, const char *path)
{
    char *text = slurp(path);
    if (!text) {
        fprintf(stderr, "nlu_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    cJSON *c = cJSON_Parse(text);
    free(text);
    const char *now = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "now"));
    const cJSON *script = cJSON_GetObjectItemCaseSensitive(c, "script"), *st;
    int64_t now_us;
    if (!now || !cJSON_IsArray(script) || local_to_utc(zone, now, &now_us)) {
        fprintf(stderr, "nlu_bench: %s: not a case\n", path);
        cJSON_Delete(c);
        return -1;
    }
    cJSON_ArrayForEach(st, script)
    {
        const char *say = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "say"));
        if (say && nmsgs < MSGS_MAX && (msgs[nmsgs].text = strdup(say))) {
            msgs[nmsgs].now_us = now_us;
            nmsgs++;
        }
    }
    cJSON_Delete(c);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(const char *zone, const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return load_case(zone, path);
    char *names[1024];
    int n = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    for (int i = 0; i < n; i++) {
        char full[4096];
        if (snprintf(full, sizeof full, "%s/%s", path, names[i]) < (int)sizeof full && rc == 0)
            rc = load_case(zone, full);
        free(names[i]);
    }
    return rc;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int passes = 300, argi = 1;
    bool verbose = false;
    for (;;) {
        if (argc > argi + 1 && strcmp(argv[argi], "-n") == 0) {
            passes = (int)strtol(argv[argi + 1], NULL, 10);
            argi += 2;
        } else if (argc > argi && strcmp(argv[argi], "-v") == 0) {
            verbose = true;
            argi++;
        } else {
            break;
        }
    }
    if (argc - argi < 2 || passes <= 0) {
        fprintf(stderr, "usage: nlu_bench [-n PASSES] [-v] CLINIC.json CASE.json|DIR ...\n");
        return 2;
    }
    char *ctext = slurp(argv[argi]);
    cJSON *clinic = ctext ? cJSON_Parse(ctext) : NULL;
    struct nlu_catalog *cat = NULL;
    if (!clinic || nlu_catalog_from_json(clinic, &cat)) {
        fprintf(stderr, "nlu_bench: %s: not a clinic\n", argv[argi]);
        return 1;
    }
    for (int i = argi + 1; i < argc; i++)
        if (load_path(nlu_catalog_zone(cat), argv[i]))
            return 1;
    if (nmsgs == 0) {
        fprintf(stderr, "nlu_bench: no messages\n");
        return 1;
    }
    struct nlu_result r;
    for (int i = 0; i < nmsgs; i++) /* warm up: vocabulary, ICU zone data, caches */
        nlu_understand(cat, msgs[i].now_us, NULL, msgs[i].text, &r);

    size_t total = (size_t)passes * (size_t)nmsgs;
    int64_t *lat = malloc(total * sizeof *lat), *per = malloc(total * sizeof *per);
    if (!lat || !per)
        return 1;
    size_t k = 0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    int64_t t0 = clock_mono_us();
    for (int p = 0; p < passes; p++)
        for (int i = 0; i < nmsgs; i++) {
            int64_t a = clock_mono_us();
            if (nlu_understand(cat, msgs[i].now_us, NULL, msgs[i].text, &r) != 0) {
                fprintf(stderr, "nlu_bench: failed on \"%s\"\n", msgs[i].text);
                return 1;
            }
            lat[k] = clock_mono_us() - a;
            per[(size_t)i * (size_t)passes + (size_t)p] = lat[k];
            k++;
        }
    int64_t wall = clock_mono_us() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    qsort(lat, total, sizeof *lat, cmp64);
    printf("messages %d, passes %d, calls %zu\n", nmsgs, passes, total);
    printf("mean %.1f us/message, p50 %lld us, p99 %lld us, max %lld us\n", (double)wall / (double)total,
           (long long)lat[total / 2], (long long)lat[total * 99 / 100], (long long)lat[total - 1]);
    printf("cpu %.1f us/message (getrusage: steadier than wall time on a busy machine)\n", cpu / (double)total);
    printf("%.0f messages/s on one thread\n", (double)total * 1e6 / (double)wall);
    if (verbose) {
        /* each message's median, then the five highest */
        int64_t med[MSGS_MAX];
        for (int i = 0; i < nmsgs; i++) {
            qsort(per + (size_t)i * (size_t)passes, (size_t)passes, sizeof *per, cmp64);
            med[i] = per[(size_t)i * (size_t)passes + (size_t)passes / 2];
        }
        for (int top = 0; top < 5 && top < nmsgs; top++) {
            int best = -1;
            for (int i = 0; i < nmsgs; i++)
                if (med[i] >= 0 && (best < 0 || med[i] > med[best]))
                    best = i;
            printf("  p50 %lld us: %s\n", (long long)med[best], msgs[best].text);
            med[best] = -1;
        }
    }
    free(lat);
    free(per);
    for (int i = 0; i < nmsgs; i++)
        free(msgs[i].text);
    nlu_catalog_free(cat);
    cJSON_Delete(clinic);
    free(ctext);
    return 0;
}
