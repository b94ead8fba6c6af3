/*
 * channel.twilio in the daemon against the Twilio simulator (twilio_world.h).
 */
#include "support/twilio_world.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/sim_state.h"
#include "support/daemon_checks.h"
#include "support/testdb.h"
#include "support/testfiles.h"

#define SCRATCH_PREFIX "bw-twilio"

void twilio_world_prepare(struct twilio_world *tw, const char *token)
{
    memset(tw, 0, sizeof *tw);
    tw->conninfo = testdb_create();
    test_scratch_dir(tw->dir, sizeof tw->dir, SCRATCH_PREFIX);
    test_install_plugin(tw->dir, "channel.twilio-1.0.0.so");
    snprintf(tw->token_path, sizeof tw->token_path, "%s/twilio_token", tw->dir);
    test_write_file(tw->token_path, token, 0600);
    test_sim_start(&tw->sim, "twilio", NULL);
    tw->sim_started = true;
}

void twilio_world_start_daemon(struct twilio_world *tw, const char *tenant_conf,
                               const char *public_base)
{
    char conf[256], cfg[512];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s\"; };\n", tw->dir);
    struct test_daemon_opts o = { .conninfo = tw->conninfo, .test_clock = true,
                                  .test_clock_start = "2026-11-24T20:00:00Z",
                                  .extra_conf = conf, .tenant_conf = tenant_conf };
    test_daemon_start(&tw->daemon, &o);
    tw->daemon_started = true;
    struct test_http_resp r;
    cr_assert_eq(test_admin(&tw->daemon, "POST", "/admin/test/engine", "{\"engine\":\"echo\"}", &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    snprintf(cfg, sizeof cfg,
             "{\"callback_base\":\"http://127.0.0.1:%u\",\"public_base\":\"%s\","
             "\"callback_delay_ms\":20}",
             tw->daemon.public_port, public_base);
    cJSON_Delete(test_sim_send_json(&tw->sim, "POST", "/_sim/config", cfg));
}

void twilio_world_stop(struct twilio_world *tw)
{
    if (tw->daemon_started) {
        test_daemon_stop_clean(&tw->daemon);
        tw->daemon_started = false;
    }
    if (tw->sim_started) {
        test_sim_stop(&tw->sim);
        tw->sim_started = false;
    }
    test_scratch_remove(tw->dir, SCRATCH_PREFIX);
    tw->dir[0] = 0;
    if (tw->conninfo) {
        testdb_drop(tw->conninfo);
        free(tw->conninfo);
        tw->conninfo = NULL;
    }
}
