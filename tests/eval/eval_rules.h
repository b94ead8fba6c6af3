/*
 * The rules every evaluation case checks (../shared/eval/README.md, "Rules
 * every case checks"), as pure functions over texts and the clinic file:
 * message length, the dollar amounts an assistant message may carry, card
 * numbers (Luhn), "stored" matching (any letter case, with or without
 * spaces), whether a send was proactive and inside quiet hours, ISO 8601
 * durations, and what a duplicated webhook may not change. The runner
 * applies them to what the product sent and stored;
 * tests/unit/test_eval_rules.c proves them on their own.
 */
#ifndef BW_TESTS_EVAL_RULES_H
#define BW_TESTS_EVAL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define EVAL_MESSAGE_MAX_CHARS 480
#define EVAL_MONEY_MAX 4096

/* The amounts (in cents) an assistant message may name for one clinic. */
struct eval_money {
    int64_t cents[EVAL_MONEY_MAX];
    size_t n;
};

/* Fills m from the clinic: catalog prices, 1-100 units of per_unit prices,
 * 1-5 syringes of per_syringe prices, amounts written in price notes and
 * policies, deposit rule amounts. Returns 0, or -1 on a malformed clinic. */
int eval_money_from_clinic(const cJSON *clinic, struct eval_money *m);

bool eval_money_allowed(const struct eval_money *m, int64_t cents);

/*
 * Calls fn for every dollar amount in text: "$" then digits with optional
 * thousands commas and cents; the far end of a range ("$240-360",
 * "$240 to $360") counts too. Returns how many it found.
 */
size_t eval_dollar_amounts(const char *text, void (*fn)(int64_t cents, void *ctx), void *ctx);

/* Rule 2: 0 when every amount in text is allowed; else -1 with the first
 * offending amount in *bad_cents. */
int eval_check_dollars(const struct eval_money *m, const char *text, int64_t *bad_cents);

/* Rule 1: the length of text in characters (UTF-8 code points). */
size_t eval_utf8_chars(const char *text);

/*
 * Rule 5: whether text holds a card number: a run of 13-19 digits, possibly
 * in groups joined by single spaces or dashes, with no digit or letter
 * directly before or after it, that passes the Luhn check.
 */
bool eval_has_card_number(const char *text);
bool eval_luhn_ok(const char *digits, size_t n);

/*
 * stored_exclude: whether needle occurs in haystack in any letter case,
 * with or without spaces (both are compared with spaces removed and ASCII
 * letters folded).
 */
bool eval_contains_loosely(const char *haystack, const char *needle);

/* ISO 8601 duration ("PT2H", "P1DT30M", "PT10M", "PT45S") in seconds, or -1. */
int64_t eval_parse_duration(const char *iso);

/*
 * Rule 3: a message sent at local minute-of-day local_min (0..1439) is fine
 * unless it is proactive (no message, call or payment of the patient within
 * the previous 60 s of business time: caused is false) and outside
 * 08:00-21:00.
 */
bool eval_quiet_hours_ok(int local_min, bool caused);

/*
 * Rule 8 for one contact of the daemon's test state route (its "messages"
 * with direction, kind, text, provider_id and caused_by, and its
 * "missed_calls"): a redelivered webhook changed nothing. Each provider
 * message id is stored once; no more missed calls are recorded than the
 * script made (calls_made); no assistant message is sent twice for one
 * cause (the same text of the same kind answering the same message or
 * call). Returns 0, or -1 with err naming who.
 */
int eval_check_once(const cJSON *contact, unsigned calls_made, const char *who, char *err,
                    size_t cap);

/*
 * Rule 8 in the EMR: no appointment the case created (one of appts, an
 * appointment_list answer, that before lacks) repeats another live one of
 * the same patient, service and start. Returns 0, or -1 with err.
 */
int eval_check_appointments_once(const cJSON *appts, const cJSON *before, char *err, size_t cap);

#endif
