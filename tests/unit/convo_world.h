/*
 * Test scaffolding for the conversation core: a small in-memory world built
 * from a clinic file (its calendar, clients and booking rules, a simulated
 * clock, holds that lapse, deposit links, timers), a driver loop that does
 * what bookwelld's driver will do around convo_decide() (fetch facts, execute
 * actions in order, report failures), and a runner for the cases of the
 * shared evaluation corpus that checks each case's expectations and the
 * README's rules as far as a pure core can show them. Opt-out, START and
 * HELP are handled by a stand-in for compliance, as the real path handles
 * them before the engine.
 */
#ifndef BW_TEST_CONVO_WORLD_H
#define BW_TEST_CONVO_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "convo/convo.h"

/* Reads a file of the shared corpus (BW_SHARED_DIR, else ../shared beside
 * BW_SRCDIR or the current directory); malloc'd text or NULL. */
char *world_read_shared(const char *rel);

enum world_verdict { WORLD_PASS = 0, WORLD_FAIL, WORLD_SKIP };

struct world_report {
    int verdict;
    char why[1024];  /* what differed, or why skipped */
    bool stand_in;   /* the expectations rest on the compliance stand-in */
    char transcript[16384];
};

/* Runs one case (parsed JSON) against the clinic (parsed JSON). */
int world_run_case(const cJSON *clinic, const cJSON *kase, struct world_report *rep);

#endif
