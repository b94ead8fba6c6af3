/*
 * Understanding under abuse: random bytes, random soups of the words it
 * knows best, the longest messages, and many threads sharing one catalog.
 * Every result must stay well formed (scores within 0-100, names and emails
 * terminated, dates and times in range), and a message must read the same
 * on every thread as it does alone.
 */
#include <pthread.h>

#include "test_nlu_fixture.h"

TestSuite(nlu_robust, .init = fixture_setup, .fini = fixture_teardown);

#define NOW "2027-03-02T20:15:00-08:00"

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void well_formed(const struct nlu_result *r, const char *text)
{
    for (int i = 0; i < NLU_INTENT_COUNT; i++)
        cr_assert_leq(r->score[i], 100, "score of %s in \"%s\"", nlu_intent_name((enum nlu_intent)i), text);
    cr_assert_leq(r->nservices, NLU_HITS_MAX);
    cr_assert_leq(r->nproviders, NLU_HITS_MAX);
    for (int i = 0; i < r->nservices; i++)
        cr_assert_lt(r->services[i].index, nlu_catalog_service_count(glow));
    for (int i = 0; i < r->nproviders; i++)
        cr_assert_lt(r->providers[i].index, nlu_catalog_provider_count(glow));
    cr_assert_leq(r->when.n, NLU_WHEN_MAX);
    for (int i = 0; i < r->when.n; i++) {
        const struct nlu_when_item *it = &r->when.item[i];
        cr_assert(it->min_from >= 0 && it->min_to <= 1440 && it->min_from <= it->min_to,
                  "times of \"%s\"", text);
        if (it->day_from != NLU_DAY_NONE) {
            cr_assert_leq(it->day_from, it->day_to, "days of \"%s\"", text);
            cr_assert_leq(it->from_us, it->to_us, "span of \"%s\"", text);
        }
    }
    cr_assert_lt(strnlen(r->person.first, sizeof r->person.first), sizeof r->person.first);
    cr_assert_lt(strnlen(r->person.last, sizeof r->person.last), sizeof r->person.last);
    cr_assert_lt(strnlen(r->email, sizeof r->email), sizeof r->email);
}

Test(nlu_robust, random_bytes)
{
    char buf[300];
    for (int n = 0; n < 2000; n++) {
        size_t len = next() % (sizeof buf - 1);
        for (size_t i = 0; i < len; i++) {
            uint32_t x = next();
            /* mostly printable, some UTF-8 lead and continuation bytes, no NUL */
            buf[i] = (char)(x % 4 == 0 ? 0x80 + x % 0x7F : 0x20 + x % 0x5F);
        }
        buf[len] = '\0';
        struct nlu_result r = understand(glow, NOW, NULL, buf);
        well_formed(&r, buf);
    }
}

Test(nlu_robust, soups_of_known_words)
{
    static const char *const words[] = {
        "botox", "botx", "lip", "flip", "filler", "hydra", "facial", "peel", "laser", "at", "after",
        "before", "between", "and", "or", "the", "first", "last", "latest", "next", "this", "week",
        "weekend", "friday", "sat", "sun", "tmrw", "tonight", "morning", "evening", "noon", "3",
        "4:30", "11am", "2pm", "12", "15th", "3/15", "april", "may", "march", "1st", "ish", "-",
        ",", "?", "!", "my", "name", "is", "I'm", "Emily", "Chen", "de", "la", "Jenna", "Dr.",
        "Smith", "Park", "with", "cancel", "stop", "help", "yes", "no", "ok", "😊", "👍", "$12",
        "units", "weeks", "ago", "in", "2", "days", "from", "to", "until", "no", "later", "than",
        "half", "past", "quarter", "o'clock", "emily@example.com", "#2", "option", "~", "@",
    };
    char buf[512];
    for (int n = 0; n < 3000; n++) {
        size_t o = 0;
        int count = 1 + (int)(next() % 14);
        for (int k = 0; k < count; k++) {
            const char *w = words[next() % (sizeof words / sizeof words[0])];
            int wrote = snprintf(buf + o, sizeof buf - o, "%s%s", k ? " " : "", w);
            if (wrote < 0 || (size_t)wrote >= sizeof buf - o)
                break;
            o += (size_t)wrote;
        }
        struct nlu_context ctx = { .offered = (uint8_t)(next() % 4), .part = (uint8_t)(next() % 5),
                                   .expecting_name = next() % 2 };
        struct nlu_result r = understand(glow, NOW, &ctx, buf);
        well_formed(&r, buf);
    }
}

Test(nlu_robust, longest_messages)
{
    static char big[NLU_TEXT_MAX * 3];
    size_t o = 0;
    while (o + 40 < sizeof big)
        o += (size_t)snprintf(big + o, sizeof big - o, "botox friday at 3:30 or saturday %zu, ", o % 13);
    struct nlu_result r = understand(glow, NOW, NULL, big);
    well_formed(&r, "(long)");
    cr_assert(r.flags & NLU_F_TRUNCATED);
    cr_assert_eq(r.when.n, NLU_WHEN_MAX, "items are bounded");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    r = understand(glow, NOW, NULL, big);
    well_formed(&r, "(one long word)");
}

struct job {
    const char *const *texts;
    int n;
    struct nlu_result *out;
    int rc;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    int64_t now;
    clock_parse_rfc3339(NOW, &now);
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < j->n; i++)
            if (nlu_understand(glow, now, NULL, j->texts[i], &j->out[i]) != 0)
                j->rc = -1;
    return NULL;
}

Test(nlu_robust, threads_share_a_catalog)
{
    static const char *const texts[] = {
        "can i get botox tmrw after 5", "Hi it's Maria, can I get my botox touched up next week?",
        "I'd like lip filler with Dr. Smith on Thursday the 11th, late morning",
        "botx pls 😊 fri afternoon?", "Emily Chen", "how much is lip filler vs cheek filler?",
        "I had filler last month and my lip is swollen and hard, is that normal??",
        "Hi, I need to move my lip filler on Friday to Saturday morning if possible",
    };
    enum { N = sizeof texts / sizeof texts[0], T = 4 };
    struct nlu_result alone[N], out[T][N];
    pthread_t th[T];
    struct job jobs[T];
    for (int i = 0; i < N; i++)
        alone[i] = understand(glow, NOW, NULL, texts[i]);
    for (int t = 0; t < T; t++) {
        jobs[t] = (struct job){ texts, N, out[t], 0 };
        cr_assert_eq(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        cr_assert_eq(jobs[t].rc, 0);
        for (int i = 0; i < N; i++)
            cr_assert_eq(memcmp(&out[t][i], &alone[i], sizeof alone[i]), 0, "\"%s\" on thread %d", texts[i], t);
    }
}
