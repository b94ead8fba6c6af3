/*
 * A loopback HTTP listener that keeps what is posted to it, for tests
 * where a simulator sends notifications (the Square simulator's payment
 * webhooks) that the test then inspects or forwards: each request's body
 * and one signature header, in arrival order. Requests without a body are
 * answered and not kept.
 */
#ifndef BW_TESTS_HOOK_CATCHER_H
#define BW_TESTS_HOOK_CATCHER_H

#include <pthread.h>
#include <stddef.h>

#define HOOK_CATCHER_MAX 32

struct caught_hook {
    char *body;                  /* NUL-terminated (owned) */
    size_t len;
    char sig[128];               /* the signature header, or "" */
};

struct hook_catcher {
    struct MHD_Daemon *server;
    unsigned port;
    char url[128];               /* "http://127.0.0.1:PORT<path>" */
    char signature_header[64];
    pthread_mutex_t mu;          /* guards hooks and n */
    struct caught_hook hooks[HOOK_CATCHER_MAX];
    int n;
};

/* Listens on a free loopback port; url names path on it. The value of
 * signature_header in each request is kept with its body. */
void hook_catcher_start(struct hook_catcher *hc, const char *path, const char *signature_header);

/* How many requests were kept so far. */
int hook_catcher_count(struct hook_catcher *hc);

/* Waits up to 5 s for n kept requests; asserts that they came. */
void hook_catcher_wait(struct hook_catcher *hc, int n);

/* Stops listening and frees what was kept. */
void hook_catcher_stop(struct hook_catcher *hc);

#endif
