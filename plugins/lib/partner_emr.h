/*
 * The EMR plugin for practice-management systems without a public booking
 * API (Mangomint, Aesthetic Record). Each vendor's file gives its id, name
 * and wording (struct partner_vendor) and its descriptor; the ops here are
 * shared:
 *   - link-only (no api_base): capabilities are link_only; the catalog comes
 *     from the tenant's imported catalog (kv "catalog") or clinic_file, and
 *     the host hands the patient the clinic's own booking_url or makes a
 *     staff task;
 *   - partner endpoints (api_base set, for a clinic with partner access or
 *     an integration gateway): availability, patient_create and book over
 *     plain JSON at configurable paths, with a bearer api_key, and the
 *     plugin declares those capabilities instead.
 * The partner wire format is written in each plugin's README.md and served
 * by tests/sim/partner_sim.py.
 */
#ifndef BW_PLUGIN_PARTNER_EMR_H
#define BW_PLUGIN_PARTNER_EMR_H

#include <bookwell/emr.h>

struct partner_vendor {
    const char *id;           /* "emr.mangomint" */
    const char *name;         /* "Mangomint": for error messages */
    const char *booking_page; /* "Express Booking link": what booking_url is */
};

/* The shared ops, config fields and lifecycle; a vendor's descriptor points
 * at these with its own partner_vendor as the plugin state (init). */
extern const struct bw_emr_ops partner_emr_ops;
#define PARTNER_EMR_CONFIG_N 7
extern const struct bw_config_field partner_emr_config[PARTNER_EMR_CONFIG_N];

int partner_emr_open(const struct bw_host *host, void *state, struct bw_call *call, void **out,
                     struct bw_error *err);
void partner_emr_close(void *state, void *instance);
int partner_emr_health(void *instance, struct bw_call *call, struct bw_buf *out, struct bw_error *err);

#endif
