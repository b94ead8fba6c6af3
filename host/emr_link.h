/*
 * Whether a tenant's EMR books through the host or is link-only (the
 * BW_EMR_CAP_LINK_ONLY capability: no booking API), and the clinic's own
 * booking page the binding configures (its "booking_url" setting), read
 * from the tenant's "emr" binding on the calling thread.
 */
#ifndef BW_HOST_EMR_LINK_H
#define BW_HOST_EMR_LINK_H

#include <stdbool.h>
#include <stddef.h>

struct registry;

#define EMR_LINK_URL_MAX 512

struct emr_link {
    bool link_only;
    char booking_url[EMR_LINK_URL_MAX]; /* "" when none is configured */
    char plugin_id[72];                 /* "" when the tenant has no EMR binding */
};

/* Fills *out (all false/empty when the tenant has no EMR binding). */
void emr_link_get(struct registry *reg, const char *tenant, struct emr_link *out);

#endif
