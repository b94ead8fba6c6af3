/*
 * The opt-out classifier. The text is folded into lowercase ASCII words
 * (accents removed, apostrophes dropped so "don't" is "dont", other marks
 * and emoji are spaces) grouped in segments (sentences and clauses split at
 * . , ! ? ; : and line breaks). Whole-message keywords are checked on all the
 * words; plain-word revocations are rules over one segment at a time, each a
 * revoking word plus what makes it about messages rather than appointments:
 * an object that is messaging ("texts", "these messages", "your list"), a
 * person being contacted ("don't text me"), or nothing else in the clause
 * but politeness ("stop please"). Segments are bounded; a longer clause is
 * examined in overlapping windows.
 */
#include "optout.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "textfold.h"

#define WORD_MAX 24   /* bytes kept of a word; longer words never match a rule */
#define SEG_MAX 48    /* words per examined window */
#define SEG_OVERLAP 8 /* words carried into the next window of a long clause */

struct seg {
    int n;
    bool continued; /* the window does not start its clause */
    char w[SEG_MAX][WORD_MAX + 1];
};

/* ---- word lists --------------------------------------------------------- */

static bool in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

/* Words that carry no meaning of their own next to a keyword. */
static const char *const FILLER[] = {
    "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thx", "ty", "ok", "okay",
    "it", "this", "that", "all", "already", "just", "i", "said", "asap", "immediately",
    "seriously", "again", "me", "no", "omg", "right", "away", "and", "the", "u",
    "por", "favor", "porfa", "gracias", "ya", "svp", "stp", "merci", NULL,
};
/* Words that revoke next to fillers only ("stop please", "unsubscribe me"). */
static const char *const STRONG[] = {
    "stop", "stopall", "unsubscribe", "unsub", "optout", "revoke", "quit", "arret", "arrete",
    "arretez", "alto", "baja", NULL,
};
/* Messaging as a thing ("the texts", "text alerts"). */
static const char *const COMM[] = {
    "text", "texts", "texting", "txt", "txts", "txting", "message", "messages", "messaging", "msg",
    "msgs", "sms", "notifications", "alerts", "reminders", "spam", "promotions", "promos",
    "marketing", "communication", "communications", "emails", "calls", "mensajes", "mensaje",
    "textos", "msjs", "msj", "promociones", "notificaciones", NULL,
};
/* Words allowed between a revoking verb and its messaging object. */
static const char *const OBJ_FILL[] = {
    "the", "all", "my", "your", "ur", "these", "those", "this", "any", "of", "with", "from",
    "receiving", "getting", "text", "promotional", "marketing", "automated", "future",
    "further", "more", "daily", "weekly", "such", "stupid", "annoying", "damn", "freaking",
    "fucking", "spam", "mas", "sus", "de", NULL,
};
/* Contacting someone, as an activity ("stop texting", "quit calling"). */
static const char *const GERUND[] = {
    "texting", "txting", "messaging", "sending", "contacting", "calling", "emailing",
    "bothering", "bugging", "harassing", "spamming", "pestering", "hounding", "writing",
    "reaching", NULL,
};
/* Being contacted ("I don't want to be contacted"). */
static const char *const PASSIVE[] = {
    "contacted", "texted", "messaged", "called", "emailed", "bothered", "spammed", "list", NULL,
};
/* Between a messaging word and a final "stop" ("I want these texts to stop"). */
static const char *const TO_STOP[] = {
    "to", "need", "needs", "must", "have", "has", "gotta", "got", "should", "will", "please", NULL,
};
/* Contacting someone, as an order ("don't text me"). */
static const char *const COMM_VERB[] = {
    "text", "txt", "message", "msg", "contact", "call", "email", "send", "write", "bother",
    "spam", "sms", "dm", NULL,
};
static const char *const AFTER_COMM_VERB[] = {
    "me", "us", "this", "again", "anymore", "any", "ever", "here", NULL,
};
/* Revoking verbs that need a messaging object ("end texts", "cancel texts"). */
static const char *const OBJ_VERB[] = {
    "stop", "quit", "cease", "end", "cancel", "halt", "pause", "unsubscribe", "block", "enough",
    "basta", NULL,
};
/* Removal from a list: verb, then me / my number, then off / from a list. */
static const char *const REMOVE_VERB[] = {
    "take", "remove", "delete", "drop", "erase", "lose", "get", "scratch", NULL,
};
static const char *const MY_THING[] = {
    "number", "info", "name", "phone", "contact", "information", "details", "cell", NULL,
};
static const char *const LISTY[] = {
    "list", "lists", "database", "system", "texts", "messages", "contacts", "everything",
    "records", NULL,
};
static const char *const LIST_KIND[] = {
    "mailing", "texting", "text", "contact", "sms", "marketing", "call", "spam", "messaging",
    "distribution", "email", NULL,
};
static const char *const DET[] = {
    "your", "the", "this", "ur", "all", "these", "my", "of", "yall", "ya", NULL,
};
/* Spanish: "no me manden", "dejen de escribirme", "sáquenme de la lista". */
static const char *const ES_VERB[] = {
    "manden", "envien", "escriban", "mandes", "envies", "escribas", "contacten", "llamen",
    "molesten", "mande", "envie", "escriba", "contacte", "textees", "texteen", NULL,
};
static const char *const ES_INF[] = {
    "escribir", "escribirme", "mandar", "mandarme", "enviar", "enviarme", "contactar",
    "contactarme", "llamar", "llamarme", "molestar", "molestarme", "textear", "textearme", NULL,
};
static const char *const ES_STOP[] = {
    "deja", "dejen", "dejar", "deje", "paren", "pare", "parar", NULL,
};
static const char *const ES_REMOVE[] = {
    "sacame", "saquenme", "sacarme", "quitame", "quitenme", "quitarme", "borrame", "borrenme",
    "borrarme", "eliminame", "eliminenme", "eliminarme", "bajame", "bajenme", "bajarme", NULL,
};
static const char *const FR_OUT[] = {
    "desabonner", "desabonnez", "desabonne", "desinscrire", "desinscrivez", "desinscris", NULL,
};
static const char *const FR_VERB[] = { "mecrire", "mecrivez", "menvoyer", "menvoyez", "mtexter", "mtextez", NULL };

/* ---- rules over one segment --------------------------------------------- */

static bool eq(const struct seg *s, int i, const char *w)
{
    return i >= 0 && i < s->n && strcmp(s->w[i], w) == 0;
}

static bool at(const struct seg *s, int i, const char *const *list)
{
    return i >= 0 && i < s->n && in(s->w[i], list);
}

/* True when words from i on are all fillers. */
static bool rest_filler(const struct seg *s, int i)
{
    for (; i < s->n; i++)
        if (!in(s->w[i], FILLER))
            return false;
    return true;
}

/* A messaging object after position i, across only OBJ_FILL words. */
static bool comm_object_after(const struct seg *s, int i)
{
    for (int j = i + 1; j < s->n && j <= i + 4; j++) {
        if (in(s->w[j], COMM))
            return true;
        if (!in(s->w[j], OBJ_FILL))
            return false;
    }
    return false;
}

/* "stop please", "I said stop", "unsubscribe me": a whole clause of one
 * strong keyword among fillers. */
static bool rule_keyword_clause(const struct seg *s)
{
    bool strong = false;
    if (s->continued)
        return false;
    for (int i = 0; i < s->n; i++) {
        if (in(s->w[i], STRONG))
            strong = true;
        else if (eq(s, i, "opt") && (eq(s, i + 1, "out") || (eq(s, i + 1, "me") && eq(s, i + 2, "out"))))
            strong = true, i += eq(s, i + 1, "me") ? 2 : 1;
        else if (!in(s->w[i], FILLER))
            return false;
    }
    return strong;
}

/* "stop texting", "stop sending me these", "stop getting these texts". */
static bool rule_stop_activity(const struct seg *s, int i)
{
    if (!(eq(s, i, "stop") || eq(s, i, "quit") || eq(s, i, "cease")))
        return false;
    if (at(s, i + 1, GERUND))
        return true;
    if (eq(s, i + 1, "getting") || eq(s, i + 1, "receiving"))
        return comm_object_after(s, i + 1);
    return false;
}

/* "cancel texts", "end all text messages", "stop the reminders". */
static bool rule_verb_object(const struct seg *s, int i)
{
    return at(s, i, OBJ_VERB) && comm_object_after(s, i);
}

/* "don't text me", "do not contact me again", "never text me again". */
static bool rule_dont_contact(const struct seg *s, int i)
{
    int j;
    if (eq(s, i, "dont") || eq(s, i, "never"))
        j = i + 1;
    else if (eq(s, i, "do") && eq(s, i + 1, "not"))
        j = i + 2;
    else
        return false;
    if (eq(s, j, "ever") || eq(s, j, "you") || eq(s, j, "u"))
        j++;
    if (!at(s, j, COMM_VERB))
        return false;
    return j + 1 >= s->n || at(s, j + 1, AFTER_COMM_VERB) || rest_filler(s, j + 1);
}

/* "I don't want these texts", "I no longer wish to receive messages". */
static bool rule_dont_want(const struct seg *s, int i)
{
    int j;
    if (eq(s, i, "dont") || eq(s, i, "never"))
        j = i + 1;
    else if ((eq(s, i, "do") && eq(s, i + 1, "not")) || (eq(s, i, "no") && eq(s, i + 1, "longer")))
        j = i + 2;
    else
        return false;
    if (!(eq(s, j, "want") || eq(s, j, "wish")))
        return false;
    for (int k = j + 1; k < s->n && k <= j + 6; k++)
        if (in(s->w[k], COMM) || in(s->w[k], PASSIVE))
            return true;
    return false;
}

/* "I want these texts to stop", "the messages need to stop". */
static bool rule_comm_then_stop(const struct seg *s, int i)
{
    if (!at(s, i, COMM))
        return false;
    for (int j = i + 1; j < s->n && j <= i + 4; j++) {
        if (eq(s, j, "stop"))
            return rest_filler(s, j + 1);
        if (!in(s->w[j], TO_STOP))
            return false;
    }
    return false;
}

/* "take me off your list", "remove my number", "remove me", "I want off
 * your mailing list" -- but not "remove my tattoo" or "off the waitlist". */
static bool rule_list_removal(const struct seg *s, int i)
{
    int j;
    if (eq(s, i, "off") && at(s, i + 1, DET)) {
        j = i + 1;
        while (at(s, j, DET))
            j++;
        return eq(s, j, "list") || (at(s, j, LIST_KIND) && eq(s, j + 1, "list"));
    }
    if (!at(s, i, REMOVE_VERB))
        return false;
    j = i + 1;
    if (eq(s, j, "me"))
        j++;
    else if ((eq(s, j, "my") || eq(s, j, "this")) && at(s, j + 1, MY_THING))
        j += 2;
    else
        return false;
    if (eq(s, i, "get") && !(eq(s, j, "off") || eq(s, j, "out")))
        return false; /* "get me a time" */
    if (j >= s->n || rest_filler(s, j))
        return true;
    if (!(eq(s, j, "off") || eq(s, j, "from") || eq(s, j, "out")))
        return false;
    j++;
    if (j >= s->n || rest_filler(s, j))
        return true; /* "take me off", "take my number off please" */
    while (at(s, j, DET))
        j++;
    return at(s, j, LISTY) || (at(s, j, LIST_KIND) && (eq(s, j + 1, "list") || eq(s, j + 1, "lists")));
}

/* "opt out", "opt me out", "I want to opt out of these texts" -- but not
 * "opt out of the numbing cream". */
static bool rule_opt_out(const struct seg *s, int i)
{
    int j;
    if (eq(s, i, "opt") && eq(s, i + 1, "out"))
        j = i + 2;
    else if (eq(s, i, "opt") && eq(s, i + 1, "me") && eq(s, i + 2, "out"))
        j = i + 3;
    else
        return false;
    if (j >= s->n || rest_filler(s, j))
        return true;
    if (!eq(s, j, "of"))
        return false;
    j++;
    while (at(s, j, DET) || eq(s, j, "any"))
        j++;
    return at(s, j, COMM) || at(s, j, LISTY) || j >= s->n;
}

/* "no more", "no more texts please", "no más mensajes" -- not "no more
 * than $500" nor "I have no more pain". */
static bool rule_no_more(const struct seg *s, int i)
{
    if (!eq(s, i, "no") || !(eq(s, i + 1, "more") || eq(s, i + 1, "mas")))
        return false;
    if (comm_object_after(s, i + 1))
        return true;
    return i == 0 && !s->continued && rest_filler(s, i + 2);
}

/* Single words and fixed phrases that revoke wherever they appear. */
static bool rule_anywhere(const struct seg *s, int i)
{
    const char *w = s->w[i];
    if (strcmp(w, "unsubscribe") == 0 || strcmp(w, "unsub") == 0 ||
        strcmp(w, "unsubscribed") == 0 || strcmp(w, "revoke") == 0 || strcmp(w, "stopall") == 0 ||
        strcmp(w, "optout") == 0 || in(w, FR_OUT))
        return true;
    if (eq(s, i, "leave") && eq(s, i + 1, "me") && eq(s, i + 2, "alone"))
        return true;
    if ((eq(s, i, "never") || eq(s, i, "didnt") || (eq(s, i, "did") && eq(s, i + 1, "not"))) &&
        (eq(s, i + 1, "signed") || eq(s, i + 1, "sign") || eq(s, i + 2, "sign")) &&
        (eq(s, i + 2, "up") || eq(s, i + 3, "up")))
        return true;
    if (eq(s, i, "is") && eq(s, i + 1, "spam"))
        return true;
    return false;
}

/* Spanish and French. */
static bool rule_other_languages(const struct seg *s, int i)
{
    /* "no me manden más", "ya no me escriban", "favor de no enviarme" */
    if (eq(s, i, "no") && eq(s, i + 1, "me") && at(s, i + 2, ES_VERB))
        return true;
    if (eq(s, i, "no") && at(s, i + 1, ES_INF))
        return true;
    /* "dejen de escribirme", "paren de mandar mensajes" */
    if (at(s, i, ES_STOP) && eq(s, i + 1, "de") && at(s, i + 2, ES_INF))
        return true;
    /* "sáquenme de su lista", "quítame de la lista" */
    if (at(s, i, ES_REMOVE))
        for (int j = i + 1; j < s->n && j <= i + 4; j++)
            if (eq(s, j, "lista") || eq(s, j, "listas"))
                return true;
    /* "no quiero recibir más mensajes" */
    if (eq(s, i, "no") && eq(s, i + 1, "quiero"))
        for (int j = i + 2; j < s->n && j <= i + 6; j++)
            if (at(s, j, COMM))
                return true;
    /* "darme de baja", "dar de baja" */
    if ((eq(s, i, "darme") || eq(s, i, "dar") || eq(s, i, "doy")) && eq(s, i + 1, "de") &&
        eq(s, i + 2, "baja"))
        return true;
    /* "arrêtez de m'écrire", "ne m'écrivez plus" */
    if ((eq(s, i, "arretez") || eq(s, i, "arrete")) && eq(s, i + 1, "de") && at(s, i + 2, FR_VERB))
        return true;
    if (at(s, i, FR_VERB))
        for (int j = i + 1; j < s->n && j <= i + 3; j++)
            if (eq(s, j, "plus"))
                return true;
    return false;
}

static bool segment_revokes(const struct seg *s)
{
    if (s->n == 0)
        return false;
    if (rule_keyword_clause(s))
        return true;
    for (int i = 0; i < s->n; i++)
        if (rule_stop_activity(s, i) || rule_verb_object(s, i) || rule_dont_contact(s, i) ||
            rule_dont_want(s, i) || rule_list_removal(s, i) || rule_opt_out(s, i) ||
            rule_no_more(s, i) || rule_comm_then_stop(s, i) || rule_anywhere(s, i) ||
            rule_other_languages(s, i))
            return true;
    return false;
}

/* ---- the scan ----------------------------------------------------------- */

#define WHOLE_MAX 3 /* a whole-message keyword is at most this many words */

struct scan {
    struct seg seg;
    char word[WORD_MAX + 1];
    size_t wlen;
    bool in_word;
    bool revoked;
    int total;                           /* words in the message */
    char whole[WHOLE_MAX][WORD_MAX + 1]; /* its first words */
};

static void end_word(struct scan *sc)
{
    if (!sc->in_word)
        return;
    sc->word[sc->wlen] = '\0';
    if (sc->total < WHOLE_MAX)
        memcpy(sc->whole[sc->total], sc->word, sc->wlen + 1);
    sc->total++;
    struct seg *s = &sc->seg;
    if (s->n == SEG_MAX) {
        /* A long clause: examine this window, keep its tail for context. */
        sc->revoked = sc->revoked || segment_revokes(s);
        memmove(s->w, s->w[SEG_MAX - SEG_OVERLAP], sizeof s->w[0] * SEG_OVERLAP);
        s->n = SEG_OVERLAP;
        s->continued = true;
    }
    memcpy(s->w[s->n++], sc->word, sc->wlen + 1);
    sc->in_word = false;
    sc->wlen = 0;
}

static void end_segment(struct scan *sc)
{
    end_word(sc);
    sc->revoked = sc->revoked || segment_revokes(&sc->seg);
    sc->seg.n = 0;
    sc->seg.continued = false;
}

static void add_letters(struct scan *sc, const char *bytes, size_t n)
{
    sc->in_word = true;
    for (size_t i = 0; i < n; i++)
        if (sc->wlen < WORD_MAX)
            sc->word[sc->wlen++] = bytes[i];
        else
            sc->word[WORD_MAX - 1] = '\x7f'; /* a truncated word matches nothing */
}

static bool whole_is(const struct scan *sc, const char *a, const char *b)
{
    if (b)
        return sc->total == 2 && strcmp(sc->whole[0], a) == 0 && strcmp(sc->whole[1], b) == 0;
    return sc->total == 1 && strcmp(sc->whole[0], a) == 0;
}

enum optout_class optout_classify(const char *text, bool opted_out, bool *keyword)
{
    struct scan sc;
    const char *p = text ? text : "";

    memset(&sc, 0, sizeof sc);
    if (keyword)
        *keyword = false;
    while (*p) {
        uint32_t cp;
        size_t len = textfold_next(p, &cp);
        char buf[5];
        switch (textfold_kind(cp)) {
        case TEXTFOLD_JOIN:
            break;
        case TEXTFOLD_BREAK:
            end_segment(&sc);
            break;
        case TEXTFOLD_SPACE:
            end_word(&sc);
            break;
        case TEXTFOLD_LETTER:
            add_letters(&sc, buf, textfold_letter(cp, p, len, buf));
            break;
        }
        p += len;
    }
    end_segment(&sc);

    static const char *const OUT1[] = { "stop", "stopall", "unsubscribe", "cancel", "end", "quit",
                                        "revoke", "optout", "remove", "arret", NULL };
    enum optout_class c = OPTOUT_NONE;
    bool kw = true;
    if ((sc.total == 1 && in(sc.whole[0], OUT1)) || whole_is(&sc, "opt", "out"))
        c = OPTOUT_OPT_OUT;
    else if (whole_is(&sc, "start", NULL) || whole_is(&sc, "unstop", NULL) ||
             (opted_out && whole_is(&sc, "yes", NULL)))
        c = OPTOUT_OPT_IN;
    else if (whole_is(&sc, "help", NULL) || whole_is(&sc, "info", NULL) || whole_is(&sc, "aide", NULL))
        c = OPTOUT_HELP;
    else if (sc.revoked)
        c = OPTOUT_OPT_OUT, kw = false;
    else
        kw = false;
    if (keyword)
        *keyword = kw;
    return c;
}

const char *optout_class_name(enum optout_class c)
{
    switch (c) {
    case OPTOUT_OPT_OUT: return "OPT_OUT";
    case OPTOUT_OPT_IN: return "OPT_IN";
    case OPTOUT_HELP: return "HELP";
    case OPTOUT_NONE: break;
    }
    return "NONE";
}
