/*
 * The tenant's EMR mode and booking link (emr_link.h).
 */
#include "emr_link.h"

#include <stdio.h>
#include <string.h>

#include <bookwell/emr.h>

#include "plugin_call.h"
#include "plugin_registry.h"

void emr_link_get(struct registry *reg, const char *tenant, struct emr_link *out)
{
    memset(out, 0, sizeof *out);
    struct registry_handle h;
    if (!reg || registry_acquire(reg, tenant, "emr", &h) != 0)
        return;
    snprintf(out->plugin_id, sizeof out->plugin_id, "%s", h.desc->id);
    const struct bw_emr_ops *ops = h.desc->ops;
    struct bw_call call;
    uint64_t caps = 0;
    registry_call_begin(&h, &call, NULL, 2000);
    if (ops->capabilities(h.instance, &call, &caps) == 0 && (caps & BW_EMR_CAP_LINK_ONLY)) {
        out->link_only = true;
        struct bw_str s;
        if (plugin_services()->config_string(&call, "booking_url", &s) == 0 && s.len > 0 &&
            s.len < sizeof out->booking_url && strncmp(s.ptr, "https://", 8) == 0) {
            memcpy(out->booking_url, s.ptr, (size_t)s.len);
            out->booking_url[s.len] = 0;
        }
    }
    registry_call_end(&h, &call);
    registry_release(&h);
}
