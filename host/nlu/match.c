/*
 * Finding the catalog's services and providers in a message. Every run of
 * one to four tokens inside a clause is compared with every form of the
 * catalog: word by word when the counts agree ("lip fillr" against "lip
 * filler"), or with the spaces squeezed out when they do not ("hydra
 * facial" against "hydrafacial"). A word may be misspelt by an edit or two
 * (more for longer words) if it starts with the right letter and is no
 * ordinary word: "botx" is Botox, "feel" is never "peel" and "later" never
 * "laser". The longest, closest candidates win and may not overlap, so "lip
 * flips" is the lip flip (Botox) rather than "lips" (lip filler); a generic
 * "consult" next to "coolsculpting" is read as part of that consultation.
 * A provider's first name stands alone; a last name alone needs a title or
 * "with" before it ("Dr. Smith", "with Park"), so "where do I park" is no
 * provider.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define NGRAM_MAX 4
#define CANDS_MAX 128
#define FAR 99

struct cand {
    uint8_t tok, ntok;
    uint8_t dist;
    uint8_t chars;
    uint16_t form;
};

/* Per-token facts the comparisons need, worked out once. */
struct tokinfo {
    bool eligible; /* a word no earlier stage claimed */
    bool known;    /* an ordinary word as written */
    bool digits;
};

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

/* Distance between token t (as written) and form word fw[0..fl), FAR when
 * it may not be read as it. */
static int word_dist(const struct nlu_token *t, const struct tokinfo *ti, const char *fw,
                     size_t fl, bool form_known)
{
    const char *r = t->raw;
    size_t n = t->rawlen;
    if (n == fl && memcmp(r, fw, fl) == 0)
        return 0;
    /* a plural or a singular of the form's word, even an ordinary word */
    if (fl >= 3 && n == fl + 1 && r[fl] == 's' && memcmp(r, fw, fl) == 0)
        return 1;
    if (n >= 3 && fl == n + 1 && fw[n] == 's' && memcmp(r, fw, n) == 0)
        return 1;
    int allow = nlu_fuzzy_allowed(fl);
    if (allow == 0 || ti->known || ti->digits || form_known || r[0] != fw[0])
        return FAR;
    int d = nlu_fuzzy_distance(r, n, fw, fl, allow);
    return d > allow ? FAR : d;
}

static int ngram_vs_form(const struct nlu_text *tx, const struct tokinfo *ti, int i, int k,
                         const struct nlu_form *f)
{
    if (k == f->nwords) {
        int total = 0;
        for (int j = 0; j < k; j++) {
            int d = word_dist(&tx->t[i + j], &ti[i + j], f->text + f->wstart[j], f->wlen[j],
                              (f->known >> j) & 1u);
            if (d >= FAR)
                return FAR;
            total += d;
        }
        return total;
    }
    /* different word counts: compare with the spaces squeezed out */
    char buf[NLU_NAME_MAX];
    size_t q = 0;
    bool any_known = false, any_digit = false;
    for (int j = 0; j < k; j++) {
        const struct nlu_token *t = &tx->t[i + j];
        if (q + t->rawlen >= sizeof buf)
            return FAR;
        memcpy(buf + q, t->raw, t->rawlen);
        q += t->rawlen;
        any_known = any_known || ti[i + j].known;
        any_digit = any_digit || ti[i + j].digits;
    }
    if (q == f->squashlen && memcmp(buf, f->squash, q) == 0)
        return f->squashlen >= 6 || k == 1 ? 0 : FAR;
    if (f->squashlen < 6 || any_known || any_digit || buf[0] != f->squash[0])
        return FAR;
    int allow = nlu_fuzzy_allowed(f->squashlen);
    int d = nlu_fuzzy_distance(buf, q, f->squash, f->squashlen, allow);
    return d > allow ? FAR : d;
}

static int cand_cmp(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->ntok != b->ntok)
        return b->ntok - a->ntok;
    if (a->dist != b->dist)
        return a->dist - b->dist;
    if (a->chars != b->chars)
        return b->chars - a->chars;
    if (a->tok != b->tok)
        return a->tok - b->tok;
    return a->form - b->form;
}

static bool is_title_tok(const struct nlu_token *t)
{
    return t->kind == TK_WORD && (tok_is(t, "dr") || tok_is(t, "doctor") || tok_is(t, "nurse") ||
                                  tok_is(t, "ms") || tok_is(t, "mrs") || tok_is(t, "mr") ||
                                  tok_is(t, "miss") || tok_is(t, "injector") || tok_is(t, "np"));
}

static bool is_cue_tok(const struct nlu_token *t)
{
    return t->kind == TK_WORD && (tok_is(t, "with") || tok_is(t, "see") || tok_is(t, "by") ||
                                  tok_is(t, "prefer") || tok_is(t, "want") || tok_is(t, "and") ||
                                  tok_is(t, "or"));
}

/* Whether a provider candidate stands in its context (see the top). */
static bool provider_ok(const struct nlu_catalog *cat, const struct nlu_text *tx,
                        const struct tokinfo *ti, const struct cand *c)
{
    const struct nlu_form *f = &cat->forms[c->form];
    const struct nlu_token *t = &tx->t[c->tok];
    bool titled = c->tok > 0 && is_title_tok(&tx->t[c->tok - 1]) &&
                  !(tx->t[c->tok - 1].flags & (TF_COMMA | TF_QMARK));
    bool cued = c->tok > 0 && is_cue_tok(&tx->t[c->tok - 1]);
    if (f->kind == FORM_PROV_FULL)
        return true;
    if (f->kind == FORM_PROV_LAST)
        return titled || (cued && !ti[c->tok].known);
    /* a first name */
    if (ti[c->tok].known && !(t->flags & TF_CAP) && !titled && !cued)
        return false;
    int nx = c->tok + 1;
    if (!titled && nx < tx->n && !(t->flags & TF_BOUNDARY) && tx->t[nx].kind == TK_WORD &&
        (tx->t[nx].flags & TF_CAP) && !ti[nx].known && (t->flags & TF_CAP)) {
        /* "Ashley Jones": someone else's full name, unless it is this
         * provider's own last name (then the full form matched first). */
        return false;
    }
    return true;
}

/* Drops a generic one-word mention ("consult") when another service found
 * in the same message has that word in its name ("CoolSculpting
 * Consultation"). */
static bool absorbed(const struct nlu_catalog *cat, const struct nlu_form *f, uint16_t other)
{
    if (f->nwords != 1)
        return false;
    for (size_t i = 0; i < cat->nforms; i++) {
        const struct nlu_form *g = &cat->forms[i];
        if (g->kind != FORM_SERVICE || g->owner != other)
            continue;
        /* the first form of a service is its name */
        for (int k = 0; k < g->nwords; k++)
            if (g->wlen[k] >= f->wlen[0] && memcmp(g->text + g->wstart[k], f->text, f->wlen[0]) == 0)
                return g->nwords > 1;
        return false;
    }
    return false;
}

static void add_hit(struct nlu_hit *hits, int *n, uint16_t owner, const struct cand *c, int score)
{
    for (int i = 0; i < *n; i++)
        if (hits[i].index == owner)
            return;
    if (*n >= NLU_HITS_MAX)
        return;
    struct nlu_hit *h = &hits[(*n)++];
    h->index = owner;
    h->tok = c->tok;
    h->ntok = c->ntok;
    h->dist = c->dist;
    h->score = (uint8_t)(score < 1 ? 1 : score);
}

static int hit_cmp(const void *pa, const void *pb)
{
    const struct nlu_hit *a = pa, *b = pb;
    return a->tok - b->tok;
}

void nlu_match_catalog(const struct nlu_catalog *cat, struct nlu_text *tx, struct nlu_result *r)
{
    struct tokinfo ti[NLU_TOKENS_MAX];
    struct cand cands[CANDS_MAX];
    int nc = 0;

    r->nservices = r->nproviders = 0;
    if (!cat || cat->nforms == 0)
        return;
    for (int i = 0; i < tx->n; i++) {
        const struct nlu_token *t = &tx->t[i];
        ti[i].eligible = t->kind == TK_WORD && t->ent == TE_NONE && t->rawlen > 0;
        ti[i].known = ti[i].eligible && (nlu_word_known(t->raw, t->rawlen) || t->w != t->raw);
        ti[i].digits = ti[i].eligible && has_digit(t->raw, t->rawlen);
    }
    for (int i = 0; i < tx->n; i++) {
        if (!ti[i].eligible)
            continue;
        for (int k = 1; k <= NGRAM_MAX && i + k <= tx->n; k++) {
            if (!ti[i + k - 1].eligible || (k > 1 && (tx->t[i + k - 2].flags & TF_BOUNDARY)))
                break;
            int best = FAR, bestf = -1;
            char first = tx->t[i].raw[0];
            for (size_t f = 0; f < cat->nforms; f++) {
                /* every reading needs the first letter right */
                if (cat->forms[f].text[0] != first)
                    continue;
                int d = ngram_vs_form(tx, ti, i, k, &cat->forms[f]);
                if (d < best) {
                    best = d;
                    bestf = (int)f;
                }
            }
            if (bestf < 0 || nc >= CANDS_MAX)
                continue;
            int chars = 0;
            for (int j = 0; j < k; j++)
                chars += tx->t[i + j].rawlen;
            cands[nc++] = (struct cand){ .tok = (uint8_t)i, .ntok = (uint8_t)k, .dist = (uint8_t)best,
                                         .chars = (uint8_t)(chars > 255 ? 255 : chars),
                                         .form = (uint16_t)bestf };
        }
    }
    qsort(cands, (size_t)nc, sizeof cands[0], cand_cmp);

    struct cand chosen[CANDS_MAX];
    int nchosen = 0;
    bool taken[NLU_TOKENS_MAX] = { false };
    for (int c = 0; c < nc; c++) {
        bool overlap = false;
        for (int j = 0; j < cands[c].ntok; j++)
            overlap = overlap || taken[cands[c].tok + j];
        if (overlap)
            continue;
        const struct nlu_form *f = &cat->forms[cands[c].form];
        if (f->kind != FORM_SERVICE && !provider_ok(cat, tx, ti, &cands[c]))
            continue;
        for (int j = 0; j < cands[c].ntok; j++)
            taken[cands[c].tok + j] = true;
        chosen[nchosen++] = cands[c];
    }
    for (int c = 0; c < nchosen; c++) {
        const struct nlu_form *f = &cat->forms[chosen[c].form];
        if (f->kind == FORM_SERVICE) {
            bool drop = false;
            for (int o = 0; o < nchosen && !drop; o++) {
                const struct nlu_form *g = &cat->forms[chosen[o].form];
                drop = o != c && g->kind == FORM_SERVICE && g->owner != f->owner &&
                       absorbed(cat, f, g->owner);
            }
            if (drop)
                continue;
            add_hit(r->services, &r->nservices, f->owner, &chosen[c], 100 - 10 * chosen[c].dist);
            for (int j = 0; j < chosen[c].ntok; j++)
                tx->t[chosen[c].tok + j].ent = TE_SERVICE;
        } else {
            int score = f->kind == FORM_PROV_FULL ? 100 : f->kind == FORM_PROV_LAST ? 90 : 85;
            add_hit(r->providers, &r->nproviders, f->owner, &chosen[c], score - 10 * chosen[c].dist);
            for (int j = 0; j < chosen[c].ntok; j++)
                tx->t[chosen[c].tok + j].ent = TE_PROVIDER;
            int pt = chosen[c].tok - 1;
            if (pt >= 0 && is_title_tok(&tx->t[pt]))
                tx->t[pt].ent = TE_TITLE;
        }
    }
    qsort(r->services, (size_t)r->nservices, sizeof r->services[0], hit_cmp);
    qsort(r->providers, (size_t)r->nproviders, sizeof r->providers[0], hit_cmp);
}
