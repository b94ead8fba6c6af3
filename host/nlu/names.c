/*
 * A person's name and an email address. A name is read where a receptionist
 * would read one: after "my name is", "I'm", "it's" or "this is" ("Hi it's
 * Maria, ..."), or as a clause made only of one to three name-like words
 * ("Emily Chen", "that works! Grace Liu", "emily chen" when the name was
 * asked for). A name-like word is made of letters, has a vowel and no long
 * run of consonants (so "asdfghjkl" is none), and is neither a service,
 * provider, date or time nor a word understanding knows - except words that
 * are also common names ("Park", "Grace", "Will"). The first name is every
 * word but the last; the last name keeps particles such as "de la".
 * Lower-case or upper-case names are written in title case.
 */
#include "internal.h"

#include <string.h>

#define WORDS_MAX 6
#define NAME_WORDS_MAX 3 /* besides particles */

/* Words understanding knows that are also common given names or surnames. */
static const char *const name_words[] = {
    "park", "grace", "hope", "will", "may", "june", "april", "august", "rose", "summer",
    "mark", "bill", "jack", "faith", "joy", "dawn", "sky", "brook", "brooks", "stone", "fox",
    "hale", "king", "long", "young", "white", "black", "brown", "green", "gray", "grey", "rich",
    "love", "lee", "kim", "page", "rush", "wade", "chase", "hunter", "carter", "mason", "cooper",
    "baker", "taylor", "cook", "miller", "walker", "hill", "wood", "ward", "lane", "frank", "art",
    "ray", "dean", "sterling", "hart", "bell", "sage", "robin", "sunny", "blake", "reed", "price",
    "chance", "mercy", "star", "storm", "autumn", "winter", "river", "drew", "case", "bond",
    "best", "gold", "rock", "house", "field", "fields", "banks", "hall", "cross", "north",
    "west", "east", "south", "lake", "ford", "marsh", "moss", "nash", "pierce", "rose", "sharp",
    "short", "small", "strong", "swift", "wise", "day", "may", "ash", "jay", "sun", "april",
    "march", "paris", "london", "jordan", "dakota", "austin", "eve", NULL
};

static bool in_list(const char *const *list, const char *w, size_t n)
{
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return true;
    return false;
}

static bool shape_ok(const char *w, size_t n)
{
    int run = 0, vowels = 0;
    if (n < 2 || n > 30)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= '0' && c <= '9')
            return false;
        bool v = c >= 0x80 || c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
        vowels += v;
        run = v ? 0 : run + 1;
        if (run >= 5)
            return false;
    }
    return vowels > 0;
}

/* Whether token i can be (part of) a person's name. A provider's name can
 * be the patient's own when the name was asked for or introduced ("I'm
 * Sarah"). */
static bool name_tok(const struct nlu_context *ctx, const struct nlu_text *tx, int i, bool introduced)
{
    if (i < 0 || i >= tx->n)
        return false;
    const struct nlu_token *t = &tx->t[i];
    bool expecting = (ctx && ctx->expecting_name) || introduced;
    if (t->kind != TK_WORD)
        return false;
    if (t->ent != TE_NONE && !(t->ent == TE_PROVIDER && expecting))
        return false;
    if (!shape_ok(t->raw, t->rawlen))
        return false;
    if (t->w != t->raw)
        return false; /* slang or a misspelt keyword */
    if (nlu_word_known(t->raw, t->rawlen) && !in_list(name_words, t->raw, t->rawlen))
        return false;
    return true;
}

struct nword {
    int from, to; /* tokens [from, to): hyphen-joined tokens make one word */
};

/* Reads up to max name words from token i on, inside one clause.
 * Returns how many. */
static int read_words(const struct nlu_context *ctx, const struct nlu_text *tx, int i,
                      struct nword *out, int max, bool intro, int *next)
{
    int k = 0;
    while (i < tx->n && k < max && name_tok(ctx, tx, i, intro)) {
        int j = i + 1;
        while (j < tx->n && (tx->t[j].flags & TF_HYPHEN) && (tx->t[j].flags & TF_JOIN) &&
               !(tx->t[j - 1].flags & TF_BOUNDARY) && name_tok(ctx, tx, j, intro))
            j++;
        out[k].from = i;
        out[k].to = j;
        k++;
        bool end = tx->t[j - 1].flags & TF_BOUNDARY;
        i = j;
        if (end)
            break;
    }
    *next = i;
    return k;
}

static bool particle(const struct nlu_text *tx, const struct nword *w);

/* Copies the original text of a name word, title-cased when written all in
 * one case (particles such as "de" are kept as written). */
static void copy_word(const struct nlu_text *tx, const struct nword *w, char *out, size_t cap,
                      size_t *o)
{
    size_t a = tx->t[w->from].ooff, b = tx->t[w->to - 1].ooff + tx->t[w->to - 1].olen;
    bool lower = false, upper = false;
    for (size_t i = a; i < b; i++) {
        char c = tx->orig[i];
        lower = lower || (c >= 'a' && c <= 'z');
        upper = upper || (c >= 'A' && c <= 'Z');
    }
    bool recase = !(lower && upper) && !particle(tx, w);
    bool start = true;
    for (size_t i = a; i < b && *o + 1 < cap; i++) {
        char c = tx->orig[i];
        if (recase && c >= 'A' && c <= 'Z' && !start)
            c = (char)(c | 0x20);
        if (recase && c >= 'a' && c <= 'z' && start)
            c = (char)(c & ~0x20);
        start = c == '-' || c == '\'';
        out[(*o)++] = c;
    }
    out[*o] = '\0';
}

static bool particle(const struct nlu_text *tx, const struct nword *w)
{
    static const char *const parts[] = { "van", "von", "de", "del", "della", "da", "di", "la",
                                         "le", "du", "dos", "das", "ten", "ter", "bin", "al", NULL };
    const struct nlu_token *t = &tx->t[w->from];
    return w->to == w->from + 1 && !(t->flags & TF_CAP) && in_list(parts, t->raw, t->rawlen);
}

static bool particle_tok(const struct nlu_text *tx, int i)
{
    struct nword w = { i, i + 1 };
    return i < tx->n && tx->t[i].kind == TK_WORD && particle(tx, &w);
}

static void set_person(const struct nlu_text *tx, const struct nword *w, int k, int score,
                       struct nlu_person *p)
{
    size_t o = 0;
    int last = k - 1;
    if (k == 1) {
        copy_word(tx, &w[0], p->first, sizeof p->first, &o);
        p->last[0] = '\0';
    } else {
        int lf = last;
        while (lf > 1 && particle(tx, &w[lf - 1]))
            lf--;
        for (int i = 0; i < lf; i++) {
            if (i > 0 && o + 1 < sizeof p->first)
                p->first[o++] = ' ';
            copy_word(tx, &w[i], p->first, sizeof p->first, &o);
        }
        o = 0;
        for (int i = lf; i < k; i++) {
            if (i > lf && o + 1 < sizeof p->last)
                p->last[o++] = ' ';
            copy_word(tx, &w[i], p->last, sizeof p->last, &o);
        }
    }
    p->score = (uint8_t)score;
    p->tok = (uint8_t)w[0].from;
    p->ntok = (uint8_t)(w[k - 1].to - w[0].from);
}

/* Reads words at i, letting lower-case particles through ("Ana de la Cruz"). */
static int read_name(const struct nlu_context *ctx, const struct nlu_text *tx, int i,
                     struct nword *w, bool intro, int *next)
{
    int k = 0, j = i;
    while (k < WORDS_MAX && j < tx->n) {
        if (k > 0 && particle_tok(tx, j) && !(tx->t[j - 1].flags & TF_BOUNDARY)) {
            w[k].from = j;
            w[k].to = j + 1;
            k++;
            j++;
            continue;
        }
        int nx;
        int got = read_words(ctx, tx, j, w + k, WORDS_MAX - k, intro, &nx);
        if (got == 0)
            break;
        k += got;
        j = nx;
        if (tx->t[j - 1].flags & TF_BOUNDARY)
            break;
        if (!particle_tok(tx, j))
            break;
    }
    while (k > 0 && particle(tx, &w[k - 1]))
        k--;
    *next = j;
    return k;
}

static int proper_words(const struct nlu_text *tx, const struct nword *w, int k)
{
    int n = 0;
    for (int i = 0; i < k; i++)
        n += !particle(tx, &w[i]);
    return n;
}

static bool all_cap(const struct nlu_text *tx, const struct nword *w, int k)
{
    for (int i = 0; i < k; i++)
        if (!particle(tx, &w[i]) && !(tx->t[w[i].from].flags & TF_CAP))
            return false;
    return true;
}

/* "my name is", "name is", "names", "im", "i am", "its", "it is", "this is",
 * "call me": returns the tokens of the marker at i, 0 when none; *strong
 * for the explicit ones that need no capital letter after them. */
static int marker(const struct nlu_text *tx, int i, bool *strong)
{
    *strong = true;
    if (tx_is(tx, i, "my") && tx_is(tx, i + 1, "name") && tx_is(tx, i + 2, "is"))
        return 3;
    if (tx_is(tx, i, "name") && tx_is(tx, i + 1, "is"))
        return 2;
    if (tx_is(tx, i, "names"))
        return 1;
    if (tx_is(tx, i, "name") && (tx->t[i].flags & TF_STOP))
        return 1;
    if (tx_is(tx, i, "call") && tx_is(tx, i + 1, "me"))
        return 2;
    *strong = false;
    if (tx_is(tx, i, "im") || tx_is(tx, i, "its") || tx_is(tx, i, "thats"))
        return 1;
    if ((tx_is(tx, i, "i") && tx_is(tx, i + 1, "am")) || (tx_is(tx, i, "it") && tx_is(tx, i + 1, "is")) ||
        (tx_is(tx, i, "this") && tx_is(tx, i + 1, "is")))
        return 2;
    return 0;
}

static void read_email(const struct nlu_text *tx, struct nlu_result *r)
{
    r->email[0] = '\0';
    if (tx->email_tok < 0)
        return;
    const struct nlu_token *t = &tx->t[tx->email_tok];
    size_t n = t->olen;
    if (n >= sizeof r->email)
        return;
    memcpy(r->email, tx->orig + t->ooff, n);
    r->email[n] = '\0';
}

void nlu_names_extract(const struct nlu_context *ctx, const struct nlu_text *tx,
                       struct nlu_result *r)
{
    struct nword w[WORDS_MAX];
    bool expecting = ctx && ctx->expecting_name;
    int best = 0;
    memset(&r->person, 0, sizeof r->person);
    read_email(tx, r);

    /* after a marker */
    for (int i = 0; i < tx->n; i++) {
        bool strong;
        int m = marker(tx, i, &strong);
        if (!m || (tx->t[i + m - 1].flags & (TF_QMARK)))
            continue;
        int nx, k = read_name(ctx, tx, i + m, w, true, &nx);
        if (k == 0 || proper_words(tx, w, k) > NAME_WORDS_MAX)
            continue;
        bool cap = all_cap(tx, w, k);
        if (!strong && !cap && !expecting)
            continue;
        /* "I'm Jamie Fox" ends there; "I'm Emily and I want..." too */
        if (!(tx->t[nx - 1].flags & TF_BOUNDARY) && nx < tx->n && !tx_is(tx, nx, "and") &&
            !tx_is(tx, nx, "here") && !strong && !cap)
            continue;
        int score = strong || cap ? 92 : 80;
        if (score > best) {
            best = score;
            set_person(tx, w, k, score, &r->person);
        }
        i = nx - 1;
    }
    if (best)
        return;

    /* a clause made of name words only */
    int i = 0;
    while (i < tx->n) {
        int c = tx->t[i].clause, j = i;
        while (j < tx->n && tx->t[j].clause == c)
            j++;
        int from = i;
        while (from < j && (tx_is(tx, from, "and") || tx_is(tx, from, "its")))
            from++;
        int nx, k = read_name(ctx, tx, from, w, false, &nx);
        int end = j;
        if (end > nx && tx_is(tx, end - 1, "here"))
            end--;
        if (k > 0 && proper_words(tx, w, k) <= NAME_WORDS_MAX && nx == end) {
            bool cap = all_cap(tx, w, k);
            bool whole = i == 0 && j == tx->n;
            int score;
            if (!cap && !whole && !expecting) {
                i = j; /* "lol sorry, butt dial. ...": lower case inside a longer message */
                continue;
            }
            if (k >= 2)
                score = expecting ? 95 : cap ? 85 : 70;
            else
                score = expecting ? 85 : cap ? 55 : 40;
            if (whole && score < 95)
                score += 5;
            bool provider = false;
            for (int t = from; t < nx; t++)
                provider = provider || tx->t[t].ent == TE_PROVIDER;
            if (provider && !expecting)
                score = 0;
            if (score > best) {
                best = score;
                set_person(tx, w, k, score, &r->person);
            }
        }
        i = j;
    }
}
