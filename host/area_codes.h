/*
 * Where a North American number's recipient probably is: the US, Canadian
 * and US-territory area codes (NPA) with their state or province and the
 * IANA zones they cover. Quiet hours use it to judge the recipient's local
 * time. An area code says where a number was issued, not where its owner is
 * now, so this is the best guess the rules allow, not a fact; an area code
 * that covers several zones lists them all, and callers honour every one.
 * The table is compiled in (see area_codes.c for its sources and upkeep).
 */
#ifndef BW_HOST_AREA_CODES_H
#define BW_HOST_AREA_CODES_H

#define AREA_CODES_MAX_ZONES 4

struct area_code_info {
    int npa;                                  /* 201 ... 989 */
    char region[3];                           /* "CA", "FL", "ON"; "" when it spans several */
    int n_zones;                              /* 1 ... AREA_CODES_MAX_ZONES */
    const char *zones[AREA_CODES_MAX_ZONES];  /* static IANA names, most populous first */
};

/* Looks up the area code of e164, which must be "+1" and ten digits.
 * Returns 1 and fills out when the code is a known US, Canadian or US
 * territory code; 0 for any other number (another country, a toll-free or
 * Caribbean code, not E.164 at all). */
int area_codes_lookup(const char *e164, struct area_code_info *out);

/* The table, for tests and tools: entries 0 .. area_codes_count()-1 in
 * ascending NPA order. Returns 0, or -1 when i is out of range. */
int area_codes_count(void);
int area_codes_entry(int i, struct area_code_info *out);

#endif
