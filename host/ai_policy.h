/*
 * The host's guard around a language model: the checks every reply a model
 * drafts must pass before a patient sees it (length, amounts only from the
 * catalog, times only from the slots the host found, no medical advice, no
 * card numbers, no links, quiet hours, opt-out state; and when the draft
 * rewords a reply of the host's, every time and amount of it kept), the rule that keeps
 * an endpoint without a business associate agreement away from a US covered
 * entity's conversations, and the redaction of what is sent to a model
 * (health details and card numbers as host/redact.c masks them, phone
 * numbers, email addresses and the patient's names). Pure functions: no
 * database, no clock, no I/O.
 */
#ifndef BW_HOST_AI_POLICY_H
#define BW_HOST_AI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convo/knowledge.h"

#define AI_POLICY_TIMES_MAX 32

/* Why a draft was refused; AI_DRAFT_OK when it may be sent. */
enum ai_draft_verdict {
    AI_DRAFT_OK = 0,
    AI_DRAFT_LENGTH,   /* empty, or longer than max_len bytes */
    AI_DRAFT_AMOUNT,   /* names an amount that is no price or deposit of the catalog */
    AI_DRAFT_TIME,     /* names a clock time the host did not offer (nor an opening hour) */
    AI_DRAFT_MEDICAL,  /* reads as medical advice */
    AI_DRAFT_CARD,     /* holds a card number (or a security code or expiry) */
    AI_DRAFT_LINK,     /* holds a URL: links come only from the host */
    AI_DRAFT_QUIET,    /* a proactive message inside quiet hours */
    AI_DRAFT_OPTED_OUT, /* the contact opted out */
    AI_DRAFT_INCOMPLETE, /* leaves out a time or amount the host's own reply states */
    AI_DRAFT_MARKER,   /* holds a redaction marker ("[name]", "[health info]") */
    AI_DRAFT_COUNT
};

/* What a draft is checked against. Borrowed for the call. */
struct ai_draft_ctx {
    const struct convo_knowledge *k; /* prices, deposit rules, opening hours */
    int64_t extra_cents;             /* another amount the host stated (a deposit sent); < 0: none */
    const int *times_min;            /* local minutes since midnight of the slots offered, */
    size_t ntimes;                   /*   chosen or held, and of the appointment being changed */
    size_t max_len;                  /* bytes */
    const char *reference;           /* the host's own reply the draft rewords, or NULL: its
                                        times and amounts are allowed, and must all be kept */
    bool proactive;                  /* not an answer to the patient's own message */
    bool quiet;                      /* now is inside the recipient's quiet hours */
    bool opted_out;
};

/* The first rule text breaks, or AI_DRAFT_OK. */
enum ai_draft_verdict ai_policy_check_draft(const struct ai_draft_ctx *c, const char *text);

/* Stable lowercase names ("amount", "medical", ...), for metrics labels. */
const char *ai_draft_verdict_name(enum ai_draft_verdict v);

/* Whether a tenant may send its conversations to a model endpoint: not
 * when the tenant is in the US (country "US"), marked a covered entity, and
 * no BAA covers the endpoint. */
bool ai_policy_endpoint_allowed(const char *country, bool covered_entity, bool baa);

/* A malloc'd copy of text as a model may see it: redact_message() (card
 * numbers, health details), then email addresses as "[email]", phone
 * numbers (7 or more digits with their separators) as "[phone]", and each
 * of the n names (whole words, any case, 2 bytes or longer) as "[name]".
 * NULL when out of memory. */
char *ai_policy_redact(const char *text, const char *const *names, size_t n);

#endif
