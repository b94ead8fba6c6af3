/*
 * A plugin from the future: built against ABI 1.3, whose descriptor and
 * ops table are longer than 1.0's, but needing only 1.0. A 1.0 host reads
 * the 1.0 part and loads it.
 */
#define FX_CUSTOM_ENTRY
#define FX_ABI_MINOR 3
#define FX_ID "emr.future"
#include "fixture.h"

struct future_descriptor {
    struct bw_plugin_descriptor v1_0;
    const void *added_in_1_1;
    uint64_t added_in_1_3;
};

struct future_ops {
    struct bw_emr_ops v1_0;
    int (*added_in_1_2)(void *instance);
};

static const struct future_ops ops = {
    .v1_0 = { .struct_size = sizeof(struct future_ops), .capabilities = fx_capabilities,
              .catalog = fx_catalog },
};

static const struct future_descriptor descriptor = {
    .v1_0 = {
        .magic = BW_PLUGIN_MAGIC,
        .struct_size = sizeof(struct future_descriptor),
        .abi_major = 1,
        .abi_minor = 3,
        .abi_minor_required = 0,
        .kind = BW_KIND_EMR,
        .id = "emr.future",
        .version = "3.1.4-rc.1+build.5",
        .instance_open = fx_instance_open,
        .instance_close = fx_instance_close,
        .ops = &ops,
    },
    .added_in_1_3 = 42,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_major;
    (void)host_minor;
    (void)fx_descriptor;
    return &descriptor.v1_0;
}
