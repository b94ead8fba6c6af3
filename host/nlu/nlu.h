/*
 * Built-in understanding of patient messages: the embedded default that needs
 * no network and no model. One call, nlu_understand(), reads one message in
 * the light of the tenant's catalog (services, providers, hours, time zone),
 * the business clock and a little conversation context, and returns every
 * intent it carries with a score, the services and providers it names, the
 * dates and times it asks for (in the clinic's zone, relative to now), a
 * choice among offered slots, a person's name and an email address.
 *
 * It is rule-based and deterministic: the same message, catalog, now and
 * context always give the same result. It allocates nothing per message
 * (the result is a plain struct the caller owns), keeps no state between
 * calls, and is safe to call from any number of threads at once with a
 * shared catalog. Opt-out words are only flagged here: compliance decides.
 */
#ifndef BW_HOST_NLU_NLU_H
#define BW_HOST_NLU_NLU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define NLU_E_INVAL (-1) /* a bad argument or a catalog field out of shape */
#define NLU_E_NOMEM (-2)
#define NLU_E_ZONE  (-3) /* not an IANA time zone ICU knows */
#define NLU_E_ICU   (-4) /* ICU failed */
#define NLU_E_FULL  (-5) /* a catalog limit was reached */

/* Limits. A message longer than NLU_TEXT_MAX bytes is read up to there. */
#define NLU_TEXT_MAX      2048
#define NLU_TOKENS_MAX    256
#define NLU_SERVICES_MAX  128 /* services in one catalog */
#define NLU_PROVIDERS_MAX 64  /* providers in one catalog */
#define NLU_ALIASES_MAX   24  /* aliases of one service */
#define NLU_ID_MAX        64  /* bytes of an id, with its NUL */
#define NLU_NAME_MAX      96  /* bytes of a service or provider name, with its NUL */
#define NLU_HITS_MAX      8   /* services or providers reported per message */
#define NLU_WHEN_MAX      8   /* date/time items reported per message */
#define NLU_PERSON_MAX    64  /* bytes of a first or last name, with its NUL */
#define NLU_EMAIL_MAX     128 /* bytes of an email address, with its NUL */

/* ------------------------------------------------------------------ catalog */

/* What understanding needs to know of one tenant: its services (ids, names,
 * aliases), its providers (ids, names), its opening hours and time zone, and
 * how it writes numeric dates. Built once (nlu_catalog_from_json, or the
 * builder calls below), then read-only and shareable between threads. */
struct nlu_catalog;

/* An empty catalog in zone (an IANA id such as "America/Los_Angeles"),
 * opening hours all closed, dates written month first. NULL on failure
 * (*err, when not NULL, says why: NLU_E_ZONE or NLU_E_NOMEM). Free it with
 * nlu_catalog_free. */
struct nlu_catalog *nlu_catalog_new(const char *zone, int *err);
void nlu_catalog_free(struct nlu_catalog *cat);

/* Adds a service: its id, its display name, and n aliases (all borrowed for
 * the call: the catalog copies them). Returns 0 or NLU_E_*. */
int nlu_catalog_add_service(struct nlu_catalog *cat, const char *id, const char *name,
                            const char *const *aliases, size_t n);
/* Adds a provider by id and display name ("Dr. Sarah Smith"): its first and
 * last names, with the title dropped, become what a patient may call them. */
int nlu_catalog_add_provider(struct nlu_catalog *cat, const char *id, const char *name);
/* Opening hours of one weekday (0 = Sunday .. 6 = Saturday) in minutes since
 * local midnight, open_min < close_min; (-1, -1) marks the day closed.
 * Used to read "at 3" as 3 pm. */
int nlu_catalog_set_hours(struct nlu_catalog *cat, int weekday, int open_min, int close_min);
/* Whether "3/4" is the 3rd of April (day first) rather than March 4th. */
void nlu_catalog_set_day_first(struct nlu_catalog *cat, bool day_first);

/* A catalog from a clinic in the evaluation corpus's shape: "timezone",
 * "hours" ({"tue": ["09:00", "18:00"], ...}), "country" (not "US": day
 * first), "services" ([{"id", "name", "aliases"}]) and "providers"
 * ([{"id", "name"}]). Other members are ignored. Returns 0 and sets *out,
 * or NLU_E_*. */
int nlu_catalog_from_json(const cJSON *clinic, struct nlu_catalog **out);

size_t nlu_catalog_service_count(const struct nlu_catalog *cat);
const char *nlu_catalog_service_id(const struct nlu_catalog *cat, size_t i);
size_t nlu_catalog_provider_count(const struct nlu_catalog *cat);
const char *nlu_catalog_provider_id(const struct nlu_catalog *cat, size_t i);
const char *nlu_catalog_zone(const struct nlu_catalog *cat);

/* ------------------------------------------------------------------ context */

/* Parts of the day a patient may name. */
enum nlu_part {
    NLU_PART_NONE = 0,
    NLU_PART_MORNING,   /* 06:00-12:00 */
    NLU_PART_AFTERNOON, /* 12:00-17:00 */
    NLU_PART_EVENING,   /* 17:00-21:00 (and "tonight", "after work") */
    NLU_PART_NIGHT,     /* 19:00-24:00 */
};

/* What the conversation already knows, so that a short reply can be read:
 * "6:30" after "thursday evening" is 18:30, "Tuesday" after "next week" is
 * next week's Tuesday, "the first one" needs offers to point at. All fields
 * zero means a fresh conversation. */
struct nlu_context {
    uint8_t part;         /* enum nlu_part named earlier, if any */
    int32_t day_from;     /* a date range named earlier (local days since */
    int32_t day_to;       /*   1970-01-01, inclusive); 0 and 0 when none */
    uint8_t offered;      /* how many slots the last reply offered */
    bool expecting_name;  /* the last reply asked for the patient's name */
    bool expecting_email; /* ... for an email address */
};

/* ------------------------------------------------------------------ result */

enum nlu_intent {
    NLU_INTENT_BOOK = 0,
    NLU_INTENT_PRICE,
    NLU_INTENT_AVAILABILITY,
    NLU_INTENT_HOURS,
    NLU_INTENT_LOCATION,
    NLU_INTENT_POLICY,
    NLU_INTENT_PAIN,          /* pain or anxiety about a treatment */
    NLU_INTENT_OBJECTION,     /* too expensive, need to think, any specials */
    NLU_INTENT_RESCHEDULE,
    NLU_INTENT_CANCEL,
    NLU_INTENT_HUMAN,         /* wants a person */
    NLU_INTENT_WRONG_NUMBER,
    NLU_INTENT_OPT_OUT,       /* flag only: compliance decides */
    NLU_INTENT_OPT_IN,        /* START, UNSTOP: flag only */
    NLU_INTENT_HELP,          /* the HELP keyword: flag only */
    NLU_INTENT_MEDICAL,       /* a medical question: never answered with advice */
    NLU_INTENT_URGENT,        /* an urgent symptom: call the clinic or 911 */
    NLU_INTENT_GREETING,
    NLU_INTENT_THANKS,
    NLU_INTENT_YES,
    NLU_INTENT_NO,
    NLU_INTENT_PICK,          /* picks one of the offered slots (see nlu_pick) */
    NLU_INTENT_NAME,          /* gives a person's name (see nlu_person) */
    NLU_INTENT_EMAIL,         /* gives an email address */
    NLU_INTENT_SERVICE_INFO,  /* asks whether / how a service is done */
    NLU_INTENT_PAYMENT,       /* asks how to pay, or tries to pay in the chat */
    NLU_INTENT_COUNT
};

/* Message flags. */
#define NLU_F_QUESTION    0x0001u /* a question mark, or shaped as a question */
#define NLU_F_CORRECTION  0x0002u /* "actually", "I meant", "instead" */
#define NLU_F_NEW_CLIENT  0x0004u /* "new client", "first time" */
#define NLU_F_RETURNING   0x0008u /* "existing client", "touch up", "been before" */
#define NLU_F_SAME_TIME   0x0010u /* "same time" */
#define NLU_F_SAME_DAY    0x0020u /* "same day", "together" */
#define NLU_F_EMOJI       0x0040u /* held emoji or other pictographs */
#define NLU_F_GIBBERISH   0x0080u /* no word of it could be read */
#define NLU_F_CARD_DIGITS 0x0100u /* a long run of digits such as a card number */
#define NLU_F_NEGATED     0x0200u /* "don't", "not", "no" negates something */
#define NLU_F_TRUNCATED   0x0400u /* longer than NLU_TEXT_MAX or NLU_TOKENS_MAX */
#define NLU_F_OBJ_PRICE   0x0800u /* objection about price, or asks for a deal */
#define NLU_F_OBJ_THINK   0x1000u /* objection: needs time to think */
#define NLU_F_REFUND      0x2000u /* "refund", "my money back" */

/* Topics of policy questions, as a mask. */
#define NLU_TOPIC_CANCELLATION 0x01u
#define NLU_TOPIC_DEPOSIT      0x02u
#define NLU_TOPIC_PARKING      0x04u
#define NLU_TOPIC_NUMBING      0x08u
#define NLU_TOPIC_REFUND       0x10u
#define NLU_TOPIC_LATE         0x20u

/* A service or provider the message names. */
struct nlu_hit {
    uint16_t index;  /* into the catalog's services or providers */
    uint8_t score;   /* 100 exact, lower for a typo or a partial name */
    uint8_t tok;     /* first token of the mention */
    uint8_t ntok;    /* how many tokens */
    uint8_t dist;    /* edits between what was written and the name */
};

enum nlu_time_kind {
    NLU_TIME_NONE = 0,
    NLU_TIME_EXACT,  /* at min_from (== min_to) */
    NLU_TIME_WINDOW, /* from min_from, before min_to */
    NLU_TIME_AFTER,  /* at or after min_from (min_to = 1440) */
    NLU_TIME_BEFORE, /* before min_to (min_from = 0) */
};

enum nlu_role {
    NLU_ROLE_NONE = 0,
    NLU_ROLE_FROM, /* the date of an existing appointment ("my botox on Friday") */
    NLU_ROLE_TO,   /* the date to move it to ("to Saturday morning") */
};

/* When-item flags. */
#define NLU_W_PAST      0x0001u /* lies wholly before now */
#define NLU_W_INFERRED  0x0002u /* am/pm was not written: inferred from hours or context */
#define NLU_W_AMBIGUOUS 0x0004u /* another reading is about as likely (am and pm both */
                                /* within hours, "next friday" on a Monday) */
#define NLU_W_APPROX    0x0008u /* "4ish", "around 1pm" */
#define NLU_W_MISMATCH  0x0010u /* the weekday written is not the date's weekday */
#define NLU_W_CONTEXT   0x0020u /* the date or part of day came from the context */

#define NLU_DAY_NONE INT32_MIN  /* day_from/day_to when the item names no date */

/* One date/time alternative the patient asked for: "friday at 2 or saturday
 * morning" gives two. Dates are local calendar days (days since 1970-01-01
 * in the clinic's zone, see nlu_days_from_civil); times are minutes since
 * local midnight. from_us/to_us is the smallest UTC interval holding every
 * instant the item allows (to_us exclusive, except for an exact time, where
 * it is that time on the last day: from_us itself for a single day; both 0
 * when the item names no date), computed in the clinic's zone across any
 * DST change. */
struct nlu_when_item {
    int32_t day_from, day_to; /* inclusive; NLU_DAY_NONE when no date */
    uint8_t wday_mask;        /* bit 0 = Sunday; 0 = every weekday */
    uint8_t time_kind;        /* enum nlu_time_kind */
    int16_t min_from, min_to;
    uint8_t part;             /* enum nlu_part the words named (or the context gave) */
    uint8_t role;             /* enum nlu_role */
    uint8_t tok;              /* the token where its date (else its time) starts */
    uint16_t flags;           /* NLU_W_* */
    int64_t from_us, to_us;
};

enum nlu_order {
    NLU_ORDER_NONE = 0,
    NLU_ORDER_EARLIEST, /* soonest, earliest, first available, asap */
    NLU_ORDER_LATEST,   /* the latest you have, last appointment */
};

#define NLU_WHEN_NOW 0x01u /* "right now", "currently" */
#define NLU_WHEN_ANY 0x02u /* "anytime", "whenever" */

struct nlu_when {
    int n;
    struct nlu_when_item item[NLU_WHEN_MAX];
    uint8_t order;  /* enum nlu_order */
    uint8_t flags;  /* NLU_WHEN_* */
    int32_t today;  /* the local day now falls on */
    int16_t now_min; /* local minutes since midnight now */
};

enum nlu_pick_kind {
    NLU_PICK_NONE = 0,
    NLU_PICK_ORDINAL, /* ordinal: 1 = the first offered, -1 = the last */
    NLU_PICK_EARLIEST,
    NLU_PICK_LATEST,
    NLU_PICK_THIS,    /* "I'll take it", "that one", "that works" */
    NLU_PICK_TIME,    /* names a time ("3:30 works"): match when.item[0] */
};

struct nlu_pick {
    uint8_t kind;
    int8_t ordinal;
};

struct nlu_person {
    char first[NLU_PERSON_MAX];
    char last[NLU_PERSON_MAX];   /* empty when only one name was given */
    uint8_t score;               /* 0 when none */
    uint8_t tok, ntok;           /* where it was written, in tokens */
};

struct nlu_result {
    uint8_t score[NLU_INTENT_COUNT]; /* 0-100 per enum nlu_intent */
    uint32_t flags;                  /* NLU_F_* */
    uint8_t topics;                  /* NLU_TOPIC_* */
    int nservices;
    struct nlu_hit services[NLU_HITS_MAX]; /* in message order */
    int nproviders;
    struct nlu_hit providers[NLU_HITS_MAX];
    struct nlu_when when;
    struct nlu_pick pick;
    struct nlu_person person;
    char email[NLU_EMAIL_MAX];       /* empty when none */
};

/* A score at or above this means the intent is there. */
#define NLU_PRESENT 50

/* Reads text (UTF-8, NUL-terminated) sent at now_us (UTC microseconds, the
 * host clock) to the clinic of cat, with ctx (NULL: a fresh conversation).
 * Fills *out. Returns 0, or NLU_E_INVAL / NLU_E_ICU. */
int nlu_understand(const struct nlu_catalog *cat, int64_t now_us, const struct nlu_context *ctx,
                   const char *text, struct nlu_result *out);

/* The intents of r with a score of at least min, best first (ties in enum
 * order), into out[cap]. Returns how many. */
int nlu_intents(const struct nlu_result *r, int min, enum nlu_intent *out, int cap);

/* Stable lowercase name of an intent ("book", "pick", ...). */
const char *nlu_intent_name(enum nlu_intent i);

/* A context updated with what r says: its part of day, its date range, and
 * nothing else (the engine sets offered and expecting_*). */
void nlu_context_note(struct nlu_context *ctx, const struct nlu_result *r);

/* ------------------------------------------------------------------ dates */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int32_t nlu_days_from_civil(int y, int m, int d);
void nlu_civil_from_days(int32_t days, int *y, int *m, int *d);
/* 0 = Sunday .. 6 = Saturday. */
int nlu_weekday(int32_t days);

/* Writes item as "2027-03-05 15:30", "2027-03-08..2027-03-14",
 * "2027-03-03 >=17:00", "2027-03-04 17:00-21:00", "* <12:00", with " ~"
 * (approx), " ?" (inferred), " !" (ambiguous), " past", " mismatch",
 * " from"/" to" (role) and " wd=0x.." appended as they apply. Returns out. */
char *nlu_when_format(const struct nlu_when_item *item, char *out, size_t cap);

#endif
