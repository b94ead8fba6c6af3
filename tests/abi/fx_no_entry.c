/* Exports no bw_plugin_entry_v1: the entry function has another name. */
#define FX_CUSTOM_ENTRY
#include "fixture.h"

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry(void);
BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry(void)
{
    return &fx_descriptor;
}
