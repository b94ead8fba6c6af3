/*
 * Time zones for the built-in calendar, which links no ICU: the system's
 * compiled zone files (TZif, RFC 8536, in /usr/share/zoneinfo) read with
 * plain file I/O, their transition table for the years it covers and
 * their POSIX TZ footer rule ("PST8PDT,M3.2.0,M11.1.0") beyond, so local
 * working hours map to instants correctly across DST changes.
 */
#ifndef BW_EMR_LOCAL_ZONE_H
#define BW_EMR_LOCAL_ZONE_H

#include <stdbool.h>
#include <stdint.h>

struct zone_rule_date {
    int kind;       /* 'M': month.week.day, 'J': Julian 1..365 without Feb 29, 'D': 0..365 */
    int month, week, wday, day;
    int32_t time_s; /* local seconds after midnight when it happens (may be < 0 or > 86400) */
};

struct zone {
    char name[64];
    int64_t *trans;       /* UTC seconds, n_trans, ascending */
    uint8_t *trans_type;  /* index into offs */
    int32_t *offs;        /* UTC offset (seconds east) of each local time type */
    uint32_t n_trans, n_types;
    int32_t first_off;    /* before the first transition */
    bool has_rule;        /* the footer gives times after the last transition */
    int32_t std_off, dst_off;
    bool rule_dst;
    struct zone_rule_date start, end;
};

/* Loads dir/name (name a zone id: letters, digits, '/', '_', '-', '+').
 * Returns 0 or -1 (absent, malformed, or unsafe name). */
int zone_load(const char *dir, const char *name, struct zone *z);
void zone_free(struct zone *z);

/* The UTC offset, seconds east, at utc_s. */
int32_t zone_offset(const struct zone *z, int64_t utc_s);

/* The instant of a local wall time (seconds since the epoch as if local were
 * UTC): the first occurrence when repeated. Returns 0, or 1 when the local
 * time does not exist (a gap), with *utc_s the instant after the gap. */
int zone_from_local(const struct zone *z, int64_t local_s, int64_t *utc_s);

#endif
