/*
 * Runs a third-party API simulator (tests/sim/<name>_sim.py, Python 3,
 * standard library only) as a child process for a test: starts it on a free
 * loopback port with the arguments the test gives, waits for its ready file,
 * and kills it at the end. The simulator's stderr goes to a log file the
 * test can print when something fails.
 */
#ifndef BW_TESTS_SIM_PROC_H
#define BW_TESTS_SIM_PROC_H

#include <sys/types.h>

struct test_sim {
    pid_t pid;
    unsigned port;
    char base_url[64];     /* "http://127.0.0.1:PORT" */
    char dir[256];         /* holds the ready file and the log (removed at stop) */
    char log_path[320];
};

/*
 * Starts tests/sim/<name>_sim.py (found under BW_SRCDIR, else ".") with
 * "--port 0 --ready-file F" and then args (NULL-terminated, may be NULL).
 * Waits up to 20 s for the ready file, which holds {"port":N}; aborts the
 * test (printing the simulator's log) when it does not come.
 */
void test_sim_start(struct test_sim *s, const char *name, const char *const *args);

/* Kills the simulator, waits for it and removes its directory. */
void test_sim_stop(struct test_sim *s);

/* The simulator's log so far (malloc'd, caller frees), or NULL. */
char *test_sim_log(const struct test_sim *s);

#endif
