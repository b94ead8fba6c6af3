/*
 * A tenant's knowledge as the conversation engine reads it: name, phone,
 * address, time zone, opening hours and closed dates, booking rules (slot
 * step, horizon, minimum notice, hold length), providers (who does what, on
 * which days), the service catalog with prices, deposit rules and policies.
 * Built once from the clinic JSON (the evaluation corpus's shape, also what
 * the catalog import stores) and then read-only, shareable between threads.
 * Every price, hour and policy the assistant states comes from here.
 */
#ifndef BW_HOST_CONVO_KNOWLEDGE_H
#define BW_HOST_CONVO_KNOWLEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define KN_E_INVAL (-1) /* a field missing or out of shape */
#define KN_E_NOMEM (-2)

#define KN_SERVICES_MAX  64
#define KN_PROVIDERS_MAX 32
#define KN_RULES_MAX     16
#define KN_CLOSED_MAX    64
#define KN_ID_MAX        64
#define KN_NAME_MAX      96
#define KN_TEXT_MAX      320 /* a policy or a price note */

enum kn_price_kind { KN_PRICE_FIXED = 0, KN_PRICE_PER_UNIT, KN_PRICE_PER_SYRINGE, KN_PRICE_FROM };

struct kn_service {
    char id[KN_ID_MAX];
    char name[KN_NAME_MAX];
    int dur_min;
    uint8_t price_kind; /* enum kn_price_kind */
    int64_t cents;
    char note[KN_TEXT_MAX]; /* empty when none */
};

struct kn_provider {
    char id[KN_ID_MAX];
    char name[KN_NAME_MAX];  /* "Dr. Sarah Smith" */
    char title[KN_NAME_MAX]; /* "MD" */
    uint8_t days;            /* bit 0 = Sunday */
    uint64_t services;       /* bit i = service i */
};

struct kn_rule {
    uint64_t services; /* 0: any service */
    int8_t new_client; /* -1: either, 0: existing, 1: new */
    int64_t cents;
};

struct convo_knowledge {
    char id[KN_ID_MAX];
    char name[KN_NAME_MAX];
    char phone[32];
    char address[KN_TEXT_MAX];
    char zone[64];
    int16_t open_min[7], close_min[7]; /* -1: closed that weekday (0 = Sunday) */
    size_t nclosed;
    int32_t closed[KN_CLOSED_MAX];     /* local days since 1970-01-01 */
    int slot_step_min, horizon_days, min_notice_min, hold_minutes;
    size_t nservices;
    struct kn_service services[KN_SERVICES_MAX];
    size_t nproviders;
    struct kn_provider providers[KN_PROVIDERS_MAX];
    size_t nrules;
    struct kn_rule rules[KN_RULES_MAX];
    char cancellation[KN_TEXT_MAX];
    int cancel_notice_min; /* the notice the cancellation policy asks ("24 hours ahead"); 0: none stated */
    char parking[KN_TEXT_MAX];
    char numbing[KN_TEXT_MAX];
};

/* Reads a clinic. Returns 0 and fills *k, or KN_E_INVAL. Services past
 * KN_SERVICES_MAX (and the like) are refused, not cut. */
int convo_knowledge_from_json(const cJSON *clinic, struct convo_knowledge *k);

/* Index of a service or provider by id, -1 when absent. */
int convo_knowledge_service(const struct convo_knowledge *k, const char *id);
int convo_knowledge_provider(const struct convo_knowledge *k, const char *id);

/* Whether provider p offers service s, and works on weekday wd. */
bool convo_knowledge_offers(const struct convo_knowledge *k, int p, int s);
bool convo_knowledge_works(const struct convo_knowledge *k, int p, int wd);

/* The notice a cancellation policy's text asks for, in minutes: the first
 * "N hours" / "N-hour" / "N hrs" / "Nh" / "N days" in it; 0 when none. */
int convo_knowledge_notice_min(const char *policy);

/* Whether local day `day` is a closed date, or a weekday without hours. */
bool convo_knowledge_closed_day(const struct convo_knowledge *k, int32_t day);

#endif
