/*
 * A plugin in the daemon against its simulator (plugin_world.h).
 */
#include "support/plugin_world.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/daemon_checks.h"
#include "support/testdb.h"
#include "support/testfiles.h"

#define SCRATCH_PREFIX "bw-plugin"

void plugin_world_prepare(struct plugin_world *pw, const char *plugin_file)
{
    char plugins[128];
    memset(pw, 0, sizeof *pw);
    pw->conninfo = testdb_create();
    test_scratch_dir(pw->dir, sizeof pw->dir, SCRATCH_PREFIX);
    snprintf(plugins, sizeof plugins, "%s/plugins", pw->dir);
    cr_assert_eq(mkdir(plugins, 0755), 0);
    test_install_plugin(plugins, plugin_file);
}

void plugin_world_start_sim(struct plugin_world *pw, const char *name, const char *const *args)
{
    test_sim_start(&pw->sim, name, args);
    pw->sim_started = true;
}

void plugin_world_start_daemon(struct plugin_world *pw, const char *clock_start,
                               const char *tenant_conf)
{
    char conf[256];
    snprintf(conf, sizeof conf, "plugins = { dir = \"%s/plugins\"; };\n", pw->dir);
    struct test_daemon_opts o = { .conninfo = pw->conninfo, .test_clock = true,
                                  .test_clock_start = clock_start, .extra_conf = conf,
                                  .tenant_conf = tenant_conf };
    test_daemon_start(&pw->daemon, &o);
    pw->daemon_started = true;
}

void plugin_world_stop(struct plugin_world *pw)
{
    if (pw->daemon_started) {
        test_daemon_stop_clean(&pw->daemon);
        pw->daemon_started = false;
    }
    if (pw->sim_started) {
        test_sim_stop(&pw->sim);
        pw->sim_started = false;
    }
    test_scratch_remove(pw->dir, SCRATCH_PREFIX);
    pw->dir[0] = 0;
    if (pw->conninfo) {
        testdb_drop(pw->conninfo);
        free(pw->conninfo);
        pw->conninfo = NULL;
    }
}
