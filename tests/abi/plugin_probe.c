/*
 * bw-plugin-probe PATH [HOST_MINOR]: loads one plugin file with the host's
 * loader, as bookwelld would, and prints "loaded ID VERSION KIND" or
 * "refused REASON: SENTENCE". Exit status 0 when loaded. Used by the shell
 * checks of tests/abi.
 */
#include <stdio.h>
#include <stdlib.h>

#include "plugin_loader.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PLUGIN.so [HOST_MINOR]\n", argv[0]);
        return 2;
    }
    uint32_t minor = BW_ABI_MINOR;
    if (argc == 3) {
        char *end;
        unsigned long v = strtoul(argv[2], &end, 10);
        if (*end || end == argv[2] || v > 1000) {
            fprintf(stderr, "bad host minor %s\n", argv[2]);
            return 2;
        }
        minor = (uint32_t)v;
    }
    struct plugin_set set = { 0 };
    struct plugin_reject_info why;
    const struct plugin *p;
    int rc = plugin_loader_open(&set, argv[1], minor, &p, &why);
    if (rc == 0)
        printf("loaded %s %s %s\n", p->desc->id, p->desc->version,
               plugin_kind_name(p->desc->kind));
    else
        printf("refused %s: %s\n", plugin_reject_name(why.code), why.reason);
    plugin_set_close(&set);
    return rc == 0 ? 0 : 1;
}
