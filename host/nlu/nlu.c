/*
 * The understanding entry point: cuts the message into tokens, maps slang,
 * finds the catalog's services and providers, corrects misspelt keywords,
 * reads dates and times in the clinic's zone, names and emails, then scores
 * intents; and marks which dates of a reschedule or cancel request name the
 * existing appointment and which the new time. Also the small helpers the
 * engine uses around a result: intents in order, names, context update.
 */
#include "internal.h"

#include <string.h>

static const char *const intent_names[NLU_INTENT_COUNT] = {
    [NLU_INTENT_BOOK] = "book",
    [NLU_INTENT_PRICE] = "price",
    [NLU_INTENT_AVAILABILITY] = "availability",
    [NLU_INTENT_HOURS] = "hours",
    [NLU_INTENT_LOCATION] = "location",
    [NLU_INTENT_POLICY] = "policy",
    [NLU_INTENT_PAIN] = "pain",
    [NLU_INTENT_OBJECTION] = "objection",
    [NLU_INTENT_RESCHEDULE] = "reschedule",
    [NLU_INTENT_CANCEL] = "cancel",
    [NLU_INTENT_HUMAN] = "human",
    [NLU_INTENT_WRONG_NUMBER] = "wrong_number",
    [NLU_INTENT_OPT_OUT] = "opt_out",
    [NLU_INTENT_OPT_IN] = "opt_in",
    [NLU_INTENT_HELP] = "help",
    [NLU_INTENT_MEDICAL] = "medical",
    [NLU_INTENT_URGENT] = "urgent",
    [NLU_INTENT_GREETING] = "greeting",
    [NLU_INTENT_THANKS] = "thanks",
    [NLU_INTENT_YES] = "yes",
    [NLU_INTENT_NO] = "no",
    [NLU_INTENT_PICK] = "pick",
    [NLU_INTENT_NAME] = "name",
    [NLU_INTENT_EMAIL] = "email",
    [NLU_INTENT_SERVICE_INFO] = "service_info",
    [NLU_INTENT_PAYMENT] = "payment",
};

const char *nlu_intent_name(enum nlu_intent i)
{
    return (unsigned)i < NLU_INTENT_COUNT ? intent_names[i] : "unknown";
}

int nlu_intents(const struct nlu_result *r, int min, enum nlu_intent *out, int cap)
{
    int n = 0;
    bool used[NLU_INTENT_COUNT] = { false };
    while (n < cap) {
        int best = -1;
        for (int i = 0; i < NLU_INTENT_COUNT; i++)
            if (!used[i] && r->score[i] >= min && r->score[i] > 0 &&
                (best < 0 || r->score[i] > r->score[best]))
                best = i;
        if (best < 0)
            break;
        used[best] = true;
        out[n++] = (enum nlu_intent)best;
    }
    return n;
}

void nlu_context_note(struct nlu_context *ctx, const struct nlu_result *r)
{
    for (int i = 0; i < r->when.n; i++) {
        const struct nlu_when_item *it = &r->when.item[i];
        if (it->part && !(it->flags & NLU_W_CONTEXT))
            ctx->part = it->part;
        if (it->day_from != NLU_DAY_NONE && it->role != NLU_ROLE_FROM) {
            ctx->day_from = it->day_from;
            ctx->day_to = it->day_to;
        }
    }
}

/* Which dates of a reschedule or cancel request are the existing
 * appointment ("my lip filler on Friday") and which the new time ("to
 * Saturday morning"). */
static void set_roles(const struct nlu_text *tx, struct nlu_result *r)
{
    bool resched = r->score[NLU_INTENT_RESCHEDULE] >= NLU_PRESENT;
    bool cancel = r->score[NLU_INTENT_CANCEL] >= NLU_PRESENT;
    bool any_to = false;
    if (!resched && !cancel)
        return;
    for (int i = 0; i < r->when.n; i++) {
        struct nlu_when_item *it = &r->when.item[i];
        if (it->day_from == NLU_DAY_NONE && it->time_kind == NLU_TIME_NONE)
            continue;
        int t = it->tok - 1;
        while (t >= 0 && t >= it->tok - 3 &&
               (tx_is(tx, t, "on") || tx_is(tx, t, "the") || tx_is(tx, t, "this") ||
                tx_is(tx, t, "next") || tx_is(tx, t, "at")))
            t--;
        if (resched && (tx_is(tx, t, "to") || tx_is(tx, t, "for") || tx_is(tx, t, "until") ||
                        tx_is(tx, t, "into") || tx_is(tx, t, "till"))) {
            it->role = NLU_ROLE_TO;
            any_to = true;
        } else if (tx_is(tx, t, "from")) {
            it->role = NLU_ROLE_FROM;
        }
    }
    for (int i = 0; i < r->when.n; i++) {
        struct nlu_when_item *it = &r->when.item[i];
        if (it->role != NLU_ROLE_NONE || it->day_from == NLU_DAY_NONE)
            continue;
        if (cancel && !resched)
            it->role = NLU_ROLE_FROM;
        else if (any_to)
            it->role = NLU_ROLE_FROM;
    }
}

/* "I'm Sarah": a provider's first name given as the patient's own is no
 * provider request. */
static void drop_own_name(struct nlu_text *tx, struct nlu_result *r)
{
    if (r->person.score < NLU_PRESENT)
        return;
    int a = r->person.tok, b = r->person.tok + r->person.ntok, o = 0;
    for (int i = 0; i < r->nproviders; i++) {
        const struct nlu_hit *h = &r->providers[i];
        if (h->tok >= a && h->tok + h->ntok <= b) {
            for (int t = h->tok; t < h->tok + h->ntok; t++)
                tx->t[t].ent = TE_NONE;
            continue;
        }
        r->providers[o++] = *h;
    }
    r->nproviders = o;
}

int nlu_understand(const struct nlu_catalog *cat, int64_t now_us, const struct nlu_context *ctx,
                   const char *text, struct nlu_result *out)
{
    struct nlu_text tx;
    struct nlu_cal cal;
    int rc;
    if (!cat || !text || !out)
        return NLU_E_INVAL;
    if ((rc = nlu_lexicon_init()))
        return rc;
    memset(out, 0, sizeof *out);
    nlu_text_cut(&tx, text);
    nlu_lexicon_slang(&tx);
    nlu_lexicon_ids(&tx);
    nlu_match_catalog(cat, &tx, out);
    nlu_lexicon_correct(&tx, ctx && ctx->expecting_name);
    if ((rc = nlu_cal_open(&cal, cat->zone)))
        return rc == NLU_E_ZONE ? NLU_E_INVAL : rc;
    rc = nlu_when_parse(cat, &cal, now_us, ctx, &tx, out);
    nlu_cal_close(&cal);
    if (rc)
        return rc;
    out->flags |= tx.flags;
    nlu_names_extract(ctx, &tx, out);
    drop_own_name(&tx, out);
    nlu_intent_score(ctx, &tx, out);
    set_roles(&tx, out);
    return 0;
}
