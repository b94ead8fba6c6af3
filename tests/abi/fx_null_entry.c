/* Declines every host: its entry returns NULL. */
#define FX_CUSTOM_ENTRY
#include "fixture.h"

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_major;
    (void)host_minor;
    (void)fx_descriptor;
    return NULL;
}
