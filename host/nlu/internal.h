/*
 * What the files of host/nlu share and nothing outside it may use: the token
 * a message is cut into, the vocabulary of known words, the fuzzy compare,
 * the catalog's layout, the calendar, and each stage's entry point. The
 * stages run in this order over one struct nlu_text: tokens (text.c),
 * services and providers (match.c), typo correction of keywords
 * (lexicon.c), dates and times (when.c, when_resolve.c), intents (intent.c),
 * names and emails (names.c); nlu.c strings them together.
 */
#ifndef BW_HOST_NLU_INTERNAL_H
#define BW_HOST_NLU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicode/ucal.h>

#include "nlu.h"

/* ------------------------------------------------------------------ tokens */

enum tok_kind {
    TK_WORD = 0, /* letters (and digits after a letter: "b4") */
    TK_NUM,      /* digits, with the details below */
    TK_MONEY,    /* "$12", "$1,200.50" */
    TK_EMAIL,
    TK_URL,
};

/* Token flags: how it was written and what follows it. */
#define TF_CAP     0x00001u /* first letter written upper case */
#define TF_UPPER   0x00002u /* every letter upper case, more than one */
#define TF_JOIN    0x00004u /* no space before it: "3pm" gives "3" then "pm" */
#define TF_HYPHEN  0x00008u /* joined to the previous token by '-': "lee-ann", "2-4" */
#define TF_COMMA   0x00010u /* a comma follows */
#define TF_STOP    0x00020u /* '.', '!', ';', ':' or a line break follows */
#define TF_QMARK   0x00040u /* '?' follows */
#define TF_MINUTES 0x00080u /* number written with minutes: "3:30" (num2 = 30) */
#define TF_SLASH   0x00100u /* number written as a date: "3/15" (num2), "3/15/27" (num3) */
#define TF_ORD     0x00200u /* ordinal suffix: "11th" */
#define TF_AM      0x00400u /* "3am", or the word am / a.m. */
#define TF_PM      0x00800u /* "3pm", or the word pm / p.m. */
#define TF_ISH     0x01000u /* "4ish" */
#define TF_ATSIGN  0x02000u /* '@' right before it: "@4" */
#define TF_TILDE   0x04000u /* '~' right before it */
#define TF_HASH    0x08000u /* '#' right before it */
#define TF_GROUPED 0x10000u /* a number with thousands commas, or part of a digit run */

#define TF_BOUNDARY (TF_COMMA | TF_STOP | TF_QMARK)

/* What a token was taken to be part of, once a stage claims it. */
enum tok_ent {
    TE_NONE = 0,
    TE_SERVICE,
    TE_PROVIDER,
    TE_TITLE, /* "dr" before a provider's name */
    TE_WHEN,
};

struct nlu_token {
    const char *w;    /* canonical lower-case form (slang and typos fixed); not NUL-terminated */
    const char *raw;  /* lower-case form as written (apostrophes dropped) */
    uint8_t wlen, rawlen;
    uint8_t kind;     /* enum tok_kind */
    uint8_t ent;      /* enum tok_ent */
    uint32_t flags;   /* TF_* */
    int16_t id;       /* vocabulary id of w, -1 when not a known word */
    int16_t num;      /* TK_NUM, TK_MONEY: the leading value (-1 when over 9999) */
    int16_t num2;     /* minutes, or the day of "3/15" */
    int16_t num3;     /* the year of "3/15/27", -1 when none */
    uint8_t ndig;     /* digits in the leading value */
    uint8_t clause;   /* index of the clause (split at , . ! ? ; and line breaks) */
    uint16_t ooff;    /* span in the original text */
    uint16_t olen;
};

struct nlu_text {
    const char *orig;            /* the message as given (borrowed) */
    size_t origlen;
    char low[NLU_TEXT_MAX + 64]; /* lower-cased word bytes the tokens point into */
    size_t lowlen;
    struct nlu_token t[NLU_TOKENS_MAX];
    int n;
    uint32_t flags;              /* NLU_F_* found while cutting */
    int email_tok;               /* index of the first TK_EMAIL token, -1 when none */
};

/* Cuts text into tokens. Never fails: what does not fit is dropped and
 * NLU_F_TRUNCATED set. */
void nlu_text_cut(struct nlu_text *tx, const char *text);

/* Lower-cases one word the way tokens and catalog names are lower-cased:
 * ASCII and Latin-1 letters folded, apostrophes dropped, other bytes kept.
 * Writes at most cap-1 bytes and a NUL; returns the length. */
size_t nlu_fold(const char *s, size_t n, char *out, size_t cap);

static inline bool tok_is(const struct nlu_token *t, const char *word)
{
    size_t i = 0;
    for (; i < t->wlen; i++)
        if (word[i] != t->w[i])
            return false;
    return word[i] == '\0';
}

/* Whether token i of tx is the word w (false past the end). */
static inline bool tx_is(const struct nlu_text *tx, int i, const char *w)
{
    return i >= 0 && i < tx->n && tx->t[i].kind == TK_WORD && tok_is(&tx->t[i], w);
}

/* ------------------------------------------------------------------ vocabulary */

/* Builds the vocabulary and compiles the intent patterns, once per process
 * (pthread_once). Returns 0, or NLU_E_NOMEM. */
int nlu_lexicon_init(void);
/* Vocabulary id of a word, -1 when unknown. */
int nlu_vocab_find(const char *w, size_t n);
/* The canonical spelling of vocabulary id. */
const char *nlu_vocab_word(int id);
/* Whether the word is an ordinary English word or one of understanding's
 * own keywords: such words are never read as typos of a service name. */
bool nlu_word_known(const char *w, size_t n);
/* Whether vocabulary id is a word a date or time may start with. */
bool nlu_vocab_when(int id);
/* How many words the vocabulary holds (ids are 0 .. count-1). */
int nlu_vocab_count(void);
/* Slang and short forms: "tmrw" -> "tomorrow". NULL when w is not one. */
const char *nlu_slang(const char *w, size_t n);
/* Maps slang on every word token (sets w, keeps raw). */
void nlu_lexicon_slang(struct nlu_text *tx);
/* Fixes a misspelt keyword ("tomorow", "thrusday", "apointment") in place
 * on every token that is not a known word and not claimed by a stage;
 * capitalized words are left alone when keep_capitalized (a name was asked
 * for: "Frida" is no "friday"). */
void nlu_lexicon_correct(struct nlu_text *tx, bool keep_capitalized);
/* Sets every token's vocabulary id. */
void nlu_lexicon_ids(struct nlu_text *tx);

/* Each stage's own words, given to the vocabulary while it is built. */
void nlu_when_add_words(void (*add)(const char *w, size_t n));
void nlu_intent_add_words(void (*add)(const char *w, size_t n));
/* Compiles the intent patterns against the vocabulary (once, from
 * nlu_lexicon_init). Returns 0 or NLU_E_FULL. */
int nlu_intent_compile(void);

/* ------------------------------------------------------------------ fuzzy */

/* Optimal-string-alignment (restricted Damerau-Levenshtein) distance
 * between a[0..n) and b[0..m), or max + 1 when it exceeds max. Strings past
 * 48 bytes compare exactly. */
int nlu_fuzzy_distance(const char *a, size_t n, const char *b, size_t m, int max);
/* Edits allowed for a word of len bytes: 0 below 4, 1 below 9, else 2. */
int nlu_fuzzy_allowed(size_t len);

/* ------------------------------------------------------------------ catalog */

#define FORM_WORDS_MAX 6

enum form_kind {
    FORM_SERVICE = 0, /* a service's name or one of its aliases */
    FORM_PROV_FULL,   /* "sarah smith" */
    FORM_PROV_FIRST,  /* "sarah" */
    FORM_PROV_LAST,   /* "smith": alone only after a title or "with" */
};

struct nlu_form {
    char text[NLU_NAME_MAX];   /* folded words joined by single spaces */
    char squash[NLU_NAME_MAX]; /* the same without the spaces */
    uint8_t nwords;
    uint8_t wstart[FORM_WORDS_MAX], wlen[FORM_WORDS_MAX];
    uint8_t kind;              /* enum form_kind */
    uint8_t squashlen;
    uint8_t known;             /* bit k: word k is an ordinary word (never fuzzy) */
    uint16_t owner;            /* service or provider index */
};

struct nlu_entry {
    char id[NLU_ID_MAX];
    char name[NLU_NAME_MAX];
};

struct nlu_catalog {
    char zone[64];
    bool day_first;
    int16_t open_min[7], close_min[7]; /* -1 when closed */
    size_t nservices, nproviders, nforms, formcap;
    struct nlu_entry services[NLU_SERVICES_MAX];
    struct nlu_entry providers[NLU_PROVIDERS_MAX];
    struct nlu_form *forms;
};

/* Finds the services and providers the message names, claims their tokens
 * (TE_SERVICE, TE_PROVIDER, TE_TITLE) and fills r->services, r->providers. */
void nlu_match_catalog(const struct nlu_catalog *cat, struct nlu_text *tx, struct nlu_result *r);

/* ------------------------------------------------------------------ calendar */

/* One ICU calendar in the clinic's zone, opened for one nlu_understand call. */
struct nlu_cal {
    UCalendar *cal;
};

int nlu_cal_open(struct nlu_cal *c, const char *zone);
void nlu_cal_close(struct nlu_cal *c);
/* The local day and minute of an instant. */
int nlu_cal_local(struct nlu_cal *c, int64_t utc_us, int32_t *day, int *minute);
/* The instant of a local day and minute (minute may be 1440: the next
 * midnight). A wall time in a spring-forward gap maps to the first instant
 * after the gap; one that happens twice maps to its first occurrence. */
int nlu_cal_instant(struct nlu_cal *c, int32_t day, int minute, int64_t *utc_us);
/* Whether zone is an IANA zone ICU knows. */
bool nlu_zone_valid(const char *zone);

/* ------------------------------------------------------------------ stages */

/* Dates and times: claims tokens (TE_WHEN) and fills r->when. */
int nlu_when_parse(const struct nlu_catalog *cat, struct nlu_cal *cal, int64_t now_us,
                   const struct nlu_context *ctx, struct nlu_text *tx, struct nlu_result *r);
/* Intents, flags and the pick; runs after the entities are known. */
void nlu_intent_score(const struct nlu_context *ctx, const struct nlu_text *tx,
                      struct nlu_result *r);
/* Person name and email. */
void nlu_names_extract(const struct nlu_context *ctx, const struct nlu_text *tx,
                       struct nlu_result *r);

#endif
