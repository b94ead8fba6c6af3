/*
 * Deposit rules: how much a visit's deposit is, from the tenant's ordered
 * rules as the clinic catalog writes them (`deposit_rules` in
 * the clinic JSON files of eval/clinics): [{"when":{"service":[ids],"new_client":bool},
 * "cents":N}, ...]. For each service of the visit the first rule whose
 * conditions all hold applies (a rule with an empty `when` matches
 * anything); the visit's deposit is the largest amount any of its services
 * gets. Zero means no deposit: no link, a direct booking.
 *
 * Library code: pure, no I/O, no logging.
 */
#ifndef BW_HOST_DEPOSIT_RULES_H
#define BW_HOST_DEPOSIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The deposit in minor units for a visit of n services (ids) by a new or
 * returning client, from rules (a JSON array). Returns 0 with *amount set,
 * or -1 when rules is not an array of well-formed rules (a rule without an
 * integer "cents" >= 0, a `when` that is not an object, an unknown
 * condition) or n is 0. *rule (may be NULL) gets the index of the rule that
 * decided the amount, -1 when no rule matched (the amount is then 0).
 */
int deposit_rules_amount(const cJSON *rules, const char *const *services, size_t n,
                         bool new_client, int64_t *amount, int *rule);

#endif
