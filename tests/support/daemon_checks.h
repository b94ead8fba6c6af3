/*
 * Steps most daemon suites take around a test daemon (daemon_proc.h), with
 * Criterion assertions: stopping it and expecting a clean exit, and making
 * a tenant's API key through the admin API. Kept apart from daemon_proc so
 * that file stays free of Criterion.
 */
#ifndef BW_TESTS_DAEMON_CHECKS_H
#define BW_TESTS_DAEMON_CHECKS_H

#include <stddef.h>

#include "support/daemon_proc.h"

/* Stops d with SIGTERM, expects exit status 0, and cleans up after it. */
void test_daemon_stop_clean(struct test_daemon *d);

/* A new API key of tenant, made with the admin request body json ("{}",
 * "{\"label\":\"x\"}"); "Authorization: Bearer <key>" in header. */
void test_daemon_api_key(const struct test_daemon *d, const char *tenant, const char *json,
                         char *header, size_t cap);

#endif
