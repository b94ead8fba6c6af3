/*
 * channel.twilio in the daemon against the Twilio simulator (twilio_world.h).
 */
#include "support/twilio_world.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/sim_state.h"
#include "support/testfiles.h"

void twilio_world_prepare(struct twilio_world *tw, const char *token)
{
    memset(tw, 0, sizeof *tw);
    plugin_world_prepare(&tw->base, "channel.twilio-1.0.0.so");
    snprintf(tw->token_path, sizeof tw->token_path, "%s/twilio_token", tw->base.dir);
    test_write_file(tw->token_path, token, 0600);
    plugin_world_start_sim(&tw->base, "twilio", NULL);
}

void twilio_world_start_daemon(struct twilio_world *tw, const char *tenant_conf,
                               const char *public_base)
{
    char cfg[512];
    /* 12:00 in Los Angeles. */
    plugin_world_start_daemon(&tw->base, "2026-11-24T20:00:00Z", tenant_conf);
    struct test_http_resp r;
    cr_assert_eq(test_admin(&tw->base.daemon, "POST", "/admin/test/engine", "{\"engine\":\"echo\"}",
                            &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    test_http_resp_free(&r);
    snprintf(cfg, sizeof cfg,
             "{\"callback_base\":\"http://127.0.0.1:%u\",\"public_base\":\"%s\","
             "\"callback_delay_ms\":20}",
             tw->base.daemon.public_port, public_base);
    cJSON_Delete(test_sim_send_json(&tw->base.sim, "POST", "/_sim/config", cfg));
}

void twilio_world_stop(struct twilio_world *tw)
{
    plugin_world_stop(&tw->base);
}
