/*
 * Route registration, one function per family of routes. Each adds its
 * routes to the daemon's tables with daemon_add_route(); docs/openapi.yaml
 * describes every one of them (a test checks it).
 */
#ifndef BW_HOST_ROUTES_H
#define BW_HOST_ROUTES_H

struct daemon;

int routes_health_register(struct daemon *d);   /* /healthz, /readyz on both listeners */
int routes_admin_register(struct daemon *d);    /* /metrics, /admin/status, tenants, keys */
int routes_test_register(struct daemon *d);     /* /admin/test/... (only with --test-clock) */
int routes_test_clock_register(struct daemon *d); /* /admin/test/clock, /idle (from the above) */
int routes_clinic_register(struct daemon *d);   /* the clinic API on the public listener */
int routes_jobs_register(struct daemon *d);     /* /admin/jobs and the jobs gauges */
int routes_plugins_register(struct daemon *d);  /* /admin/plugins (+ a test-only plugin call) */
int routes_webhooks_register(struct daemon *d); /* POST /webhooks/{provider}/{endpoint}[/{tenant}] */
int routes_test_messaging_register(struct daemon *d); /* /admin/test/tenants/{tenant}/... */
int routes_compliance_register(struct daemon *d); /* consent ledger, contact erasure */
int routes_evidence_register(struct daemon *d);  /* /admin/evidence/{tenant}/{subject} */
int routes_deposits_register(struct daemon *d);  /* /bookings/{id}/outcome, /deposits/{id}/refund */
int routes_test_deposits_register(struct daemon *d); /* /admin/test/deposits... (--test-clock) */
int routes_catalog_register(struct daemon *d);  /* catalog import, /availability, /holds */
int routes_booking_register(struct daemon *d);  /* /bookings, /patients */
int routes_staff_tasks_register(struct daemon *d); /* /staff-tasks, /staff-tasks/{id}/done */
int routes_a2p_register(struct daemon *d);      /* /admin/tenants/{tenant}/a2p */
int routes_calendar_register(struct daemon *d); /* GET /calendar/{token}.ics */
int routes_waitlist_register(struct daemon *d); /* POST /waitlist */
int routes_metrics_register(struct daemon *d);  /* /metrics/... (the clinic's analytics) */
int routes_dashboard_register(struct daemon *d); /* /dashboard..., /admin/tenants/{tenant}/users */
int routes_inbox_register(struct daemon *d);     /* /dashboard/inbox..., /dashboard/audit, /conversations/{id}... */
int routes_conversations_register(struct daemon *d); /* POST /conversations/start, /message */

#endif
