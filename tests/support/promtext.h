/*
 * A checker for the Prometheus text exposition format (0.0.4), strict enough
 * to catch what a scraper would reject or silently mangle: malformed names,
 * labels or values, bad escapes, HELP or TYPE given twice for a family, a
 * TYPE after the family's first sample, a family split into two runs,
 * duplicate series, histograms without their +Inf bucket.
 */
#ifndef BW_TESTS_PROMTEXT_H
#define BW_TESTS_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Returns 0 when text is well-formed, else -1 with the first problem and
 * its line number in err. */
int promtext_check(const char *text, char *err, size_t errcap);

/* The value of the sample whose name and labels are exactly series, as
 * written (e.g. "bookwell_http_requests_total{listener=\"public\",...}").
 * Returns true and sets *value when found. */
bool promtext_value(const char *text, const char *series, double *value);

#endif
