/*
 * Opt-out recognition. The labelled set tests/data/optout_labelled.tsv (at
 * least 200 revocations, at least 60 appointment cancellations and
 * reschedules, every message saying "cancel" labelled as what it is) is
 * classified twice (contact opted in, contact opted out) and must come out
 * exactly as labelled: no revocation missed, no appointment cancellation
 * taken for one, nothing else wrong either. A failure prints the confusion
 * matrix and every misclassified line. Then the edges: the keyword flag,
 * YES, invalid UTF-8, very long words and messages, a revocation at the end
 * of a long clause.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optout.h"

#define NCLASS 4

struct line {
    int lineno;
    char label[32];
    char text[512];
};

static struct line *load(const char *rel, size_t *n)
{
    const char *src = getenv("BW_SRCDIR");
    char path[1024];
    cr_assert(snprintf(path, sizeof path, "%s/%s", src && *src ? src : ".", rel) < (int)sizeof path);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t cap = 512, count = 0;
    struct line *lines = calloc(cap, sizeof *lines);
    cr_assert_not_null(lines);
    char buf[1024];
    int lineno = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t len = strlen(buf);
        cr_assert(len > 0 && (buf[len - 1] == '\n' || feof(f)), "%s:%d too long", rel, lineno);
        if (buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len == 0 || buf[0] == '#')
            continue;
        char *tab = strchr(buf, '\t');
        cr_assert_not_null(tab, "%s:%d: no tab", rel, lineno);
        *tab = '\0';
        cr_assert_lt(count, cap, "%s: too many lines for the test", rel);
        struct line *l = &lines[count++];
        l->lineno = lineno;
        cr_assert(snprintf(l->label, sizeof l->label, "%s", buf) < (int)sizeof l->label);
        cr_assert(snprintf(l->text, sizeof l->text, "%s", tab + 1) < (int)sizeof l->text);
    }
    fclose(f);
    *n = count;
    return lines;
}

static int class_index(const char *name)
{
    for (int c = 0; c < NCLASS; c++)
        if (strcmp(name, optout_class_name((enum optout_class)c)) == 0)
            return c;
    return -1;
}

Test(optout, labelled_set)
{
    size_t n;
    struct line *lines = load("tests/data/optout_labelled.tsv", &n);
    cr_assert_geq(n, 200, "the labelled set holds %zu messages", n);

    int matrix[2][NCLASS][NCLASS] = { 0 }; /* [opted_out][want][got] */
    int wrong = 0, missed = 0, false_on_cancel = 0, cancels = 0, revocations = 0;
    char report[16384];
    size_t rlen = 0;
    report[0] = '\0';

    for (size_t i = 0; i < n; i++) {
        const struct line *l = &lines[i];
        int want[2];
        bool is_cancel = strcmp(l->label, "NONE_CANCEL") == 0;
        if (strcmp(l->label, "OPT_IN_IF_OPTED_OUT") == 0) {
            want[0] = OPTOUT_NONE;
            want[1] = OPTOUT_OPT_IN;
        } else if (is_cancel) {
            want[0] = want[1] = OPTOUT_NONE;
        } else {
            want[0] = want[1] = class_index(l->label);
            cr_assert_geq(want[0], 0, "line %d: unknown label %s", l->lineno, l->label);
        }
        if (want[0] == OPTOUT_OPT_OUT)
            revocations++;
        /* A message that says cancel and is no opt-out must be labelled as
         * the cancellation it is, so the count below cannot miss one. */
        char folded[512];
        size_t fl = 0;
        for (; l->text[fl] && fl < sizeof folded - 1; fl++)
            folded[fl] = (char)(l->text[fl] >= 'A' && l->text[fl] <= 'Z' ? l->text[fl] + 32 : l->text[fl]);
        folded[fl] = '\0';
        if (want[0] == OPTOUT_NONE && want[1] == OPTOUT_NONE && strstr(folded, "cancel"))
            cr_assert(is_cancel, "line %d says cancel but is not labelled NONE_CANCEL: %s", l->lineno,
                      l->text);
        cancels += is_cancel;
        for (int o = 0; o < 2; o++) {
            int got = (int)optout_classify(l->text, o == 1, NULL);
            matrix[o][want[o]][got]++;
            if (got == want[o])
                continue;
            wrong++;
            missed += want[o] == OPTOUT_OPT_OUT;
            false_on_cancel += is_cancel && got == OPTOUT_OPT_OUT;
            int k = snprintf(report + rlen, sizeof report - rlen, "  line %d (%s): want %s, got %s: %s\n",
                             l->lineno, o ? "opted out" : "opted in",
                             optout_class_name((enum optout_class)want[o]),
                             optout_class_name((enum optout_class)got), l->text);
            if (k > 0 && (size_t)k < sizeof report - rlen)
                rlen += (size_t)k;
        }
    }
    if (wrong) {
        fprintf(stderr, "optout confusion matrix (rows: label, columns: answer)\n");
        for (int o = 0; o < 2; o++) {
            fprintf(stderr, "contact %s:\n%10s", o ? "opted out" : "opted in", "");
            for (int c = 0; c < NCLASS; c++)
                fprintf(stderr, "%9s", optout_class_name((enum optout_class)c));
            fprintf(stderr, "\n");
            for (int r = 0; r < NCLASS; r++) {
                fprintf(stderr, "%10s", optout_class_name((enum optout_class)r));
                for (int c = 0; c < NCLASS; c++)
                    fprintf(stderr, "%9d", matrix[o][r][c]);
                fprintf(stderr, "\n");
            }
        }
        fprintf(stderr, "misclassified:\n%s", report);
    }
    cr_assert_geq(revocations, 200, "revocations in the set: %d", revocations);
    cr_assert_geq(cancels, 60, "appointment cancellations in the set: %d", cancels);
    cr_assert_eq(missed, 0, "missed revocations: %d", missed);
    cr_assert_eq(false_on_cancel, 0, "cancellations taken for revocations: %d", false_on_cancel);
    cr_assert_eq(wrong, 0, "%d misclassified (see the matrix above)", wrong);
    free(lines);
}

Test(optout, keyword_flag_and_yes)
{
    bool kw = false;
    cr_assert_eq(optout_classify("Stop.", false, &kw), OPTOUT_OPT_OUT);
    cr_assert(kw);
    cr_assert_eq(optout_classify("please stop texting me", false, &kw), OPTOUT_OPT_OUT);
    cr_assert_not(kw);
    cr_assert_eq(optout_classify("hello", false, &kw), OPTOUT_NONE);
    cr_assert_not(kw);
    cr_assert_eq(optout_classify("YES", false, &kw), OPTOUT_NONE);
    cr_assert_not(kw);
    cr_assert_eq(optout_classify("YES", true, &kw), OPTOUT_OPT_IN);
    cr_assert(kw);
    cr_assert_eq(optout_classify("stop", true, NULL), OPTOUT_OPT_OUT, "STOP again stays an opt-out");
    cr_assert_eq(optout_classify("help", true, &kw), OPTOUT_HELP);
    cr_assert(kw);
    cr_assert_eq(optout_classify(NULL, false, &kw), OPTOUT_NONE);
    cr_assert_eq(optout_classify("", true, &kw), OPTOUT_NONE);
    cr_assert_eq(optout_classify(" ... !!! ", true, &kw), OPTOUT_NONE);
    cr_assert_str_eq(optout_class_name(OPTOUT_OPT_OUT), "OPT_OUT");
    cr_assert_str_eq(optout_class_name(OPTOUT_NONE), "NONE");
    cr_assert_str_eq(optout_class_name((enum optout_class)99), "NONE");
}

Test(optout, odd_bytes_and_long_text)
{
    cr_assert_eq(optout_classify("\xff" "stop" "\xfe", false, NULL), OPTOUT_OPT_OUT, "bad bytes are spaces");
    cr_assert_eq(optout_classify("st\xc3op", false, NULL), OPTOUT_NONE);
    cr_assert_eq(optout_classify("stop\xe2\x80\x8b", false, NULL), OPTOUT_OPT_OUT, "zero-width space");
    cr_assert_eq(optout_classify("ＳＴＯＰ", false, NULL), OPTOUT_NONE, "full-width letters are not folded");

    /* A word far longer than any keyword never matches, even if it starts like one. */
    char longword[400] = "stop";
    memset(longword + 4, 'p', sizeof longword - 5);
    longword[sizeof longword - 1] = '\0';
    cr_assert_eq(optout_classify(longword, false, NULL), OPTOUT_NONE);
    char unsub[64];
    snprintf(unsub, sizeof unsub, "unsubscribe%s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    cr_assert_eq(optout_classify(unsub, false, NULL), OPTOUT_NONE);

    /* One clause of 300 words, the revocation at its very end. */
    char *big = malloc(4096);
    cr_assert_not_null(big);
    size_t len = 0;
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(big + len, 4096 - len, "word%d ", i % 10);
    snprintf(big + len, 4096 - len, "so please stop texting me");
    cr_assert_eq(optout_classify(big, false, NULL), OPTOUT_OPT_OUT);
    /* ... or split across a window boundary of the clause. */
    len = 0;
    for (int i = 0; i < 47; i++)
        len += (size_t)snprintf(big + len, 4096 - len, "w ");
    snprintf(big + len, 4096 - len, "stop texting me");
    cr_assert_eq(optout_classify(big, false, NULL), OPTOUT_OPT_OUT);
    /* A long clause that merely contains "stop" is not a keyword clause. */
    len = 0;
    for (int i = 0; i < 60; i++)
        len += (size_t)snprintf(big + len, 4096 - len, "please ");
    snprintf(big + len, 4096 - len, "stop by the clinic");
    cr_assert_eq(optout_classify(big, false, NULL), OPTOUT_NONE);
    free(big);
}
