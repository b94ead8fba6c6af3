/*
 * Where analytics reads whether a booked patient came: the one SQL
 * fragment every analytics query uses, so that moving to another source
 * changes this file only.
 *
 * ANALYTICS_ATTENDANCE_CTE defines a common table expression "attendance_of"
 * (booking_id bigint, state text: 'showed' or 'no_show'), one row per booking
 * of tenant $1 whose outcome is known: what the attendance job read back
 * from the EMR (the attendance table: arrived or completed is "showed"),
 * else the last "deposit.fate" entry of the booking's evidence trail with
 * the occasion "showed" or "no_show", written by POST /bookings/{id}/outcome
 * (host/deposit_fate.c; the trail's subject is the booking's hold).
 */
#ifndef BW_HOST_ANALYTICS_ATTENDANCE_H
#define BW_HOST_ANALYTICS_ATTENDANCE_H

#define ANALYTICS_ATTENDANCE_CTE                                                              \
    "attendance_of AS ("                                                                      \
    " SELECT DISTINCT ON (booking_id) booking_id, state FROM ("                               \
    "  SELECT a.booking_id, CASE WHEN a.state = 'no_show' THEN 'no_show' ELSE 'showed' END"   \
    "   AS state, 1 AS source FROM attendance a"                                              \
    "   WHERE a.tenant_id = $1 AND a.state IN ('arrived', 'completed', 'no_show')"            \
    "  UNION ALL"                                                                             \
    "  SELECT b.id, (array_agg(e.occasion ORDER BY e.seq DESC))[1], 2"                        \
    "   FROM bookings b JOIN LATERAL (SELECT x.seq, x.body::jsonb->>'occasion' AS occasion"   \
    "    FROM evidence x WHERE x.tenant_id = b.tenant_id AND x.subject = 'hold-' || b.hold_id" \
    "    AND x.kind = 'deposit.fate') e ON e.occasion IN ('showed', 'no_show')"               \
    "   WHERE b.tenant_id = $1 AND b.hold_id IS NOT NULL GROUP BY b.id"                       \
    " ) known ORDER BY booking_id, source)"

#endif
