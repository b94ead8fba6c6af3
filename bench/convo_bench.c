/*
 * Conversation turns in the real daemon: bookwelld --test-clock with the
 * Twilio plugin and its simulator, the built-in calendar (emr.local), the
 * Square plugin and its simulator and a real PostgreSQL, set up the way the
 * evaluation runner does it (tests/eval/eval_world.c) for a clinic file.
 * CONVERSATIONS patients (default 1,000) text the clinic at once, each
 * through the signed Twilio SMS webhook, round after round of a short
 * booking script (a question, a day, a pick, a name). A round ends when the
 * daemon is idle: every turn run and every reply sent to the simulator
 * (and deposit links asked of the Square simulator).
 *
 * Prints, per round and overall: turns per second (webhooks accepted to
 * idle, real time), the daemon's CPU per turn (/proc/PID/stat), and the
 * daemon's own turn cost from /metrics (bookwell_convo_turn_us: loading
 * and locking the conversation, understanding, the decision core with
 * availability, holds and outbox writes, storing the state, inside the
 * job's transaction; bookwell_convo_understand_us: understanding alone).
 *
 * Usage: bench/convo_bench [-c CONVERSATIONS] [-t POSTING_THREADS] CLINIC.json
 * Environment: BW_TEST_PG (the PostgreSQL server), BW_BUILDDIR (default .),
 * BW_SRCDIR (default ..).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/eval_case.h"
#include "eval/eval_http.h"
#include "eval/eval_world.h"
#include "eval/eval_world_internal.h"

static const char *const script[] = {
    "Hi! do you do botox? how much is it",
    "can I come in friday afternoon?",
    "the first one works",
    "Emily Chen",
};
#define ROUNDS (sizeof script / sizeof script[0])

struct poster {
    struct eval_world *w;
    int from, to;      /* conversations [from, to) */
    const char *text;
    int round;
    int failures;
};

static void phone_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "+1628555%04d", i);
}

static void *post_range(void *p)
{
    struct poster *a = p;
    char url[256], sid[40], phone[24], sig[128], header[192];
    snprintf(url, sizeof url, "%s/webhooks/twilio/sms", a->w->public_url);
    for (int i = a->from; i < a->to; i++) {
        phone_of(i, phone, sizeof phone);
        snprintf(sid, sizeof sid, "SM%02d%06d%024x", a->round, i, (unsigned)getpid());
        const char *pairs[] = { "AccountSid", EVAL_TWILIO_ACCOUNT, "ApiVersion", "2010-04-01",
                                "Body", a->text, "From", phone, "MessageSid", sid,
                                "NumMedia", "0", "NumSegments", "1", "SmsMessageSid", sid,
                                "SmsSid", sid, "SmsStatus", "received", "To", a->w->clinic_phone, NULL };
        char *body = eval_form_encode(pairs);
        if (!body || eval_twilio_signature(EVAL_TWILIO_TOKEN, url, pairs, sig, sizeof sig) != 0) {
            free(body);
            a->failures++;
            continue;
        }
        snprintf(header, sizeof header, "X-Twilio-Signature: %s", sig);
        const char *h[] = { header, "Content-Type: application/x-www-form-urlencoded",
                            "User-Agent: TwilioProxy/1.1", NULL };
        struct eval_resp r;
        if (eval_http("POST", url, h, body, strlen(body), &r) != 0 || r.status != 200)
            a->failures++;
        eval_resp_free(&r);
        free(body);
    }
    return NULL;
}

/* utime + stime of pid in clock ticks, or -1. */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* after ")": state(3) ... utime is field 14, stime 15 */
    long long ut = 0, st = 0;
    int field = 2;
    for (char *s = p + 1; *s && field < 15; s++) {
        if (*s == ' ') {
            field++;
            if (field == 14)
                ut = strtoll(s + 1, NULL, 10);
            else if (field == 15)
                st = strtoll(s + 1, NULL, 10);
        }
    }
    return ut + st;
}

/* A metric's value from the daemon's /metrics ("name{labels}" or "name"), or -1. */
static double metric(struct eval_world *w, const char *series)
{
    char url[256];
    snprintf(url, sizeof url, "%s/metrics", w->admin_url);
    struct eval_resp r;
    double v = -1;
    if (eval_http("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 200 && r.body) {
        size_t len = strlen(series);
        for (const char *line = r.body; line && *line;) {
            if (strncmp(line, series, len) == 0 && line[len] == ' ') {
                v = strtod(line + len + 1, NULL);
                break;
            }
            line = strchr(line, '\n');
            if (line)
                line++;
        }
    }
    eval_resp_free(&r);
    return v;
}

static int wait_idle(struct eval_world *w)
{
    char err[256];
    for (int i = 0; i < 20; i++)   /* eval_world_wait_idle gives up after 30 s */
        if (eval_world_wait_idle(w, err, sizeof err) == 0)
            return 0;
    fprintf(stderr, "%s\n", err);
    return -1;
}

int main(int argc, char **argv)
{
    int conversations = 1000, threads = 4, opt;
    while ((opt = getopt(argc, argv, "c:t:")) != -1) {
        if (opt == 'c')
            conversations = (int)strtol(optarg, NULL, 10);
        else if (opt == 't')
            threads = (int)strtol(optarg, NULL, 10);
        else
            goto usage;
    }
    if (optind != argc - 1 || conversations < 1 || conversations > 9999 || threads < 1 || threads > 64)
        goto usage;
    const char *clinic_path = argv[optind];
    const char *conninfo = getenv("BW_TEST_PG");
    if (!conninfo) {
        fprintf(stderr, "BW_TEST_PG is not set\n");
        return 2;
    }
    char err[512];
    cJSON *clinic = eval_read_json(clinic_path, err, sizeof err);
    if (!clinic) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* A case with one patient (the world needs one) at a weekday morning. */
    static const char case_json[] =
        "{\"id\":\"convo-bench\",\"clinic\":\"bench\",\"now\":\"2027-03-02T09:30:00\","
        "\"patients\":[{\"id\":\"p0\",\"channel\":\"sms\",\"phone\":\"+16285559999\"}],"
        "\"script\":[],\"expect\":{}}";
    char cpath[] = "/tmp/bw-convo-bench-XXXXXX";
    int fd = mkstemp(cpath);
    if (fd < 0 || write(fd, case_json, sizeof case_json - 1) != (ssize_t)(sizeof case_json - 1)) {
        perror("case file");
        return 1;
    }
    close(fd);
    struct eval_case c;
    int rc = eval_case_load(cpath, &c, err, sizeof err);
    unlink(cpath);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *builddir = getenv("BW_BUILDDIR"), *srcdir = getenv("BW_SRCDIR");
    struct eval_world_opts o = { .builddir = builddir ? builddir : ".", .srcdir = srcdir ? srcdir : "..",
                                 .conninfo = conninfo, .emr = "local", .clinic_path = clinic_path,
                                 .clinic = clinic };
    struct eval_world *w = NULL;
    if (eval_world_start(&w, &o, &c, err, sizeof err) != 0) {
        fprintf(stderr, "starting the world: %s\n", err);
        return 1;
    }
    long hz = sysconf(_SC_CLK_TCK);
    printf("%d conversations, %zu rounds, %d posting threads, daemon pid %d\n", conversations, ROUNDS,
           threads, (int)w->daemon);
    printf("%-6s %-40s %10s %10s %12s %14s\n", "round", "message", "post s", "idle s", "turns/s",
           "CPU/turn us");
    double total_s = 0, turns_before = metric(w, "bookwell_convo_turn_us_count");
    long long cpu0_all = cpu_ticks(w->daemon);
    int failures = 0;
    for (size_t round = 0; round < ROUNDS; round++) {
        pthread_t th[64];
        struct poster args[64];
        long long cpu0 = cpu_ticks(w->daemon);
        double t0 = eval_now_ms();
        for (int i = 0; i < threads; i++) {
            args[i] = (struct poster){ w, conversations * i / threads, conversations * (i + 1) / threads,
                                       script[round], (int)round, 0 };
            pthread_create(&th[i], NULL, post_range, &args[i]);
        }
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            failures += args[i].failures;
        }
        double t_posted = eval_now_ms();
        if (wait_idle(w) != 0) {
            failures++;
            break;
        }
        double t1 = eval_now_ms();
        long long cpu1 = cpu_ticks(w->daemon);
        double secs = (t1 - t0) / 1000.0;
        total_s += secs;
        printf("%-6zu %-40s %10.2f %10.2f %12.0f %14.0f\n", round + 1, script[round], (t_posted - t0) / 1000.0,
               secs, conversations / secs, (double)(cpu1 - cpu0) * 1e6 / (double)hz / conversations);
        fflush(stdout);
    }
    long long cpu1_all = cpu_ticks(w->daemon);
    double turns = metric(w, "bookwell_convo_turn_us_count") - turns_before;
    int sent = -1;
    char url[256];
    struct eval_resp r;
    cJSON *msgs = NULL;
    snprintf(url, sizeof url, "%s/_sim/messages", w->twilio.base_url);
    if (eval_http_json("GET", url, NULL, NULL, &r, &msgs) == 0) {
        const cJSON *list = cJSON_IsArray(msgs) ? msgs : cJSON_GetObjectItemCaseSensitive(msgs, "messages");
        if (cJSON_IsArray(list))
            sent = cJSON_GetArraySize(list);
    }
    eval_resp_free(&r);
    cJSON_Delete(msgs);
    printf("\nturns run by the daemon: %.0f of %d posted; replies the Twilio simulator received: %d; "
           "failed posts: %d\n",
           turns, conversations * (int)ROUNDS, sent, failures);
    printf("all rounds: %.0f turns/s, daemon CPU %.0f us per turn (everything: webhooks, jobs, sends)\n",
           turns / total_s, (double)(cpu1_all - cpu0_all) * 1e6 / (double)hz / turns);
    printf("turn in the daemon (us):          p50 %.0f  p90 %.0f  p99 %.0f  mean %.0f\n",
           metric(w, "bookwell_convo_turn_us{quantile=\"0.5\"}"), metric(w, "bookwell_convo_turn_us{quantile=\"0.9\"}"),
           metric(w, "bookwell_convo_turn_us{quantile=\"0.99\"}"),
           metric(w, "bookwell_convo_turn_us_sum") / metric(w, "bookwell_convo_turn_us_count"));
    printf("understanding alone (us):         p50 %.0f  p90 %.0f  p99 %.0f  mean %.0f\n",
           metric(w, "bookwell_convo_understand_us{quantile=\"0.5\"}"),
           metric(w, "bookwell_convo_understand_us{quantile=\"0.9\"}"),
           metric(w, "bookwell_convo_understand_us{quantile=\"0.99\"}"),
           metric(w, "bookwell_convo_understand_us_sum") / metric(w, "bookwell_convo_understand_us_count"));
    eval_world_stop(w);
    eval_case_free(&c);
    cJSON_Delete(clinic);
    return failures || turns < conversations * (double)ROUNDS ? 1 : 0;
usage:
    fprintf(stderr, "usage: %s [-c CONVERSATIONS] [-t POSTING_THREADS] CLINIC.json\n", argv[0]);
    return 2;
}
