/*
 * A loopback listener keeping posted notifications (hook_catcher.h).
 */
#include "support/hook_catcher.h"

#include <criterion/criterion.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    (void)url, (void)method, (void)version;
    struct hook_catcher *hc = cls;
    struct caught_hook *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof *u);
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        char *nb = realloc(u->body, u->len + *size + 1);
        if (!nb)
            return MHD_NO;
        memcpy(nb + u->len, data, *size);
        u->body = nb;
        u->len += *size;
        u->body[u->len] = 0;
        *size = 0;
        return MHD_YES;
    }
    const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, hc->signature_header);
    snprintf(u->sig, sizeof u->sig, "%s", sig ? sig : "");
    pthread_mutex_lock(&hc->mu);
    if (hc->n < HOOK_CATCHER_MAX && u->body)
        hc->hooks[hc->n++] = *u;
    else
        free(u->body);
    pthread_mutex_unlock(&hc->mu);
    free(u);
    *con_cls = NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

void hook_catcher_start(struct hook_catcher *hc, const char *path, const char *signature_header)
{
    memset(hc, 0, sizeof *hc);
    pthread_mutex_init(&hc->mu, NULL);
    snprintf(hc->signature_header, sizeof hc->signature_header, "%s", signature_header);
    hc->server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, hc,
                                  MHD_OPTION_END);
    cr_assert_not_null(hc->server);
    hc->port = MHD_get_daemon_info(hc->server, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(hc->url, sizeof hc->url, "http://127.0.0.1:%u%s", hc->port, path);
}

int hook_catcher_count(struct hook_catcher *hc)
{
    pthread_mutex_lock(&hc->mu);
    int n = hc->n;
    pthread_mutex_unlock(&hc->mu);
    return n;
}

void hook_catcher_wait(struct hook_catcher *hc, int n)
{
    for (int i = 0; i < 250 && hook_catcher_count(hc) < n; i++)
        usleep(20000);
    cr_assert_geq(hook_catcher_count(hc), n, "%d notifications arrived", hook_catcher_count(hc));
}

void hook_catcher_stop(struct hook_catcher *hc)
{
    if (hc->server)
        MHD_stop_daemon(hc->server);
    hc->server = NULL;
    for (int i = 0; i < hc->n; i++)
        free(hc->hooks[i].body);
    hc->n = 0;
    pthread_mutex_destroy(&hc->mu);
}
