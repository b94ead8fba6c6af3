/*
 * emr.mangomint: the Mangomint salon and spa software, which publishes no booking API. Link-only by default:
 * the host qualifies the patient, takes the deposit and sends the clinic's
 * Express Booking link (booking_url) or makes a staff task; with a partner API
 * (api_base, api_key) it reads availability and books. The ops are shared
 * with the other link-only vendors (plugins/lib/partner_emr.c); this file
 * is the descriptor. README.md says what is and is not possible.
 */
#include <bookwell/abi.h>
#include <bookwell/plugin.h>

#include "../lib/partner_emr.h"

static const struct partner_vendor vendor = {
    .id = "emr.mangomint",
    .name = "Mangomint",
    .booking_page = "Express Booking link",
};

static int vendor_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)host;
    (void)call;
    *state = (void *)&vendor; /* static: never freed */
    return 0;
}

static const struct bw_plugin_descriptor descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = "emr.mangomint",
    .version = "1.0.0",
    .description = "Mangomint: link-only booking (the clinic's Express Booking link), or its partner API where granted",
    .config = partner_emr_config,
    .n_config = PARTNER_EMR_CONFIG_N,
    .init = vendor_init,
    .instance_open = partner_emr_open,
    .instance_close = partner_emr_close,
    .health = partner_emr_health,
    .ops = &partner_emr_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major, uint32_t host_minor)
{
    (void)host_minor;
    return host_major == BW_ABI_MAJOR ? &descriptor : NULL;
}
