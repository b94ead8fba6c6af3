/*
 * The area-code table. Sources: the NANPA list of geographic NPAs in
 * service or announced for service (overlays included), matched to the
 * time zones of the counties each code serves. Codes whose territory spans
 * two zones list both (the Florida panhandle's 850/448 is Eastern and
 * Central; Idaho's 208 is Mountain and Pacific), so a quiet-hours check
 * honours the stricter local time. New overlays appear every year: a code
 * missing here falls back to the clinic's zone, which is safe for clinics
 * texting their own region; add codes as NANPA announces them.
 *
 * Zone letters, to keep the table one line per few codes:
 * E New_York, C Chicago, M Denver, Z Phoenix, P Los_Angeles, A Anchorage,
 * W Honolulu, R Puerto_Rico, G Guam, S Pago_Pago; Canada: t Toronto,
 * w Winnipeg, r Regina, e Edmonton, v Vancouver, h Halifax, n St_Johns,
 * y Whitehorse. 782/902 serve Nova Scotia and Prince Edward Island (listed
 * as NS); 867 serves Yukon, the Northwest Territories and Nunavut (no
 * single region).
 */
#include "area_codes.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    short npa;
    char region[3];
    char zones[AREA_CODES_MAX_ZONES + 1];
};

static const struct entry table[] = {
    { 201, "NJ", "E" }, { 202, "DC", "E" }, { 203, "CT", "E" }, { 204, "MB", "w" },
    { 205, "AL", "C" }, { 206, "WA", "P" }, { 207, "ME", "E" }, { 208, "ID", "MP" },
    { 209, "CA", "P" }, { 210, "TX", "C" }, { 212, "NY", "E" }, { 213, "CA", "P" },
    { 214, "TX", "C" }, { 215, "PA", "E" }, { 216, "OH", "E" }, { 217, "IL", "C" },
    { 218, "MN", "C" }, { 219, "IN", "C" }, { 220, "OH", "E" }, { 223, "PA", "E" },
    { 224, "IL", "C" }, { 225, "LA", "C" }, { 226, "ON", "t" }, { 227, "MD", "E" },
    { 228, "MS", "C" }, { 229, "GA", "E" }, { 231, "MI", "E" }, { 234, "OH", "E" },
    { 235, "MO", "C" }, { 236, "BC", "ve" }, { 239, "FL", "E" }, { 240, "MD", "E" },
    { 248, "MI", "E" }, { 249, "ON", "t" }, { 250, "BC", "ve" }, { 251, "AL", "C" },
    { 252, "NC", "E" }, { 253, "WA", "P" }, { 254, "TX", "C" }, { 256, "AL", "C" },
    { 257, "BC", "ve" }, { 260, "IN", "E" }, { 262, "WI", "C" }, { 263, "QC", "t" },
    { 267, "PA", "E" }, { 269, "MI", "E" }, { 270, "KY", "EC" }, { 272, "PA", "E" },
    { 274, "WI", "C" }, { 276, "VA", "E" }, { 279, "CA", "P" }, { 281, "TX", "C" },
    { 283, "OH", "E" }, { 289, "ON", "t" }, { 301, "MD", "E" }, { 302, "DE", "E" },
    { 303, "CO", "M" }, { 304, "WV", "E" }, { 305, "FL", "E" }, { 306, "SK", "r" },
    { 307, "WY", "M" }, { 308, "NE", "CM" }, { 309, "IL", "C" }, { 310, "CA", "P" },
    { 312, "IL", "C" }, { 313, "MI", "E" }, { 314, "MO", "C" }, { 315, "NY", "E" },
    { 316, "KS", "C" }, { 317, "IN", "E" }, { 318, "LA", "C" }, { 319, "IA", "C" },
    { 320, "MN", "C" }, { 321, "FL", "E" }, { 323, "CA", "P" }, { 324, "FL", "E" },
    { 325, "TX", "C" }, { 326, "OH", "E" }, { 327, "AR", "C" }, { 329, "NY", "E" },
    { 330, "OH", "E" }, { 331, "IL", "C" }, { 332, "NY", "E" }, { 334, "AL", "C" },
    { 336, "NC", "E" }, { 337, "LA", "C" }, { 339, "MA", "E" }, { 340, "VI", "R" },
    { 341, "CA", "P" }, { 343, "ON", "t" }, { 346, "TX", "C" }, { 347, "NY", "E" },
    { 350, "CA", "P" }, { 351, "MA", "E" }, { 352, "FL", "E" }, { 353, "WI", "C" },
    { 354, "QC", "t" }, { 357, "CA", "P" }, { 360, "WA", "P" }, { 361, "TX", "C" },
    { 363, "NY", "E" }, { 364, "KY", "EC" }, { 365, "ON", "t" }, { 367, "QC", "t" },
    { 368, "AB", "e" }, { 369, "CA", "P" }, { 380, "OH", "E" }, { 382, "ON", "t" },
    { 385, "UT", "M" }, { 386, "FL", "E" }, { 401, "RI", "E" }, { 402, "NE", "C" },
    { 403, "AB", "e" }, { 404, "GA", "E" }, { 405, "OK", "C" }, { 406, "MT", "M" },
    { 407, "FL", "E" }, { 408, "CA", "P" }, { 409, "TX", "C" }, { 410, "MD", "E" },
    { 412, "PA", "E" }, { 413, "MA", "E" }, { 414, "WI", "C" }, { 415, "CA", "P" },
    { 416, "ON", "t" }, { 417, "MO", "C" }, { 418, "QC", "t" }, { 419, "OH", "E" },
    { 423, "TN", "EC" }, { 424, "CA", "P" }, { 425, "WA", "P" }, { 428, "NB", "h" },
    { 430, "TX", "C" }, { 431, "MB", "w" }, { 432, "TX", "CM" }, { 434, "VA", "E" },
    { 435, "UT", "M" }, { 436, "OH", "E" }, { 437, "ON", "t" }, { 438, "QC", "t" },
    { 440, "OH", "E" }, { 442, "CA", "P" }, { 443, "MD", "E" }, { 445, "PA", "E" },
    { 447, "IL", "C" }, { 448, "FL", "EC" }, { 450, "QC", "t" }, { 457, "LA", "C" },
    { 458, "OR", "PM" }, { 463, "IN", "E" }, { 464, "IL", "C" }, { 468, "QC", "t" },
    { 469, "TX", "C" }, { 470, "GA", "E" }, { 472, "NC", "E" }, { 474, "SK", "r" },
    { 475, "CT", "E" }, { 478, "GA", "E" }, { 479, "AR", "C" }, { 480, "AZ", "Z" },
    { 484, "PA", "E" }, { 501, "AR", "C" }, { 502, "KY", "E" }, { 503, "OR", "P" },
    { 504, "LA", "C" }, { 505, "NM", "M" }, { 506, "NB", "h" }, { 507, "MN", "C" },
    { 508, "MA", "E" }, { 509, "WA", "P" }, { 510, "CA", "P" }, { 512, "TX", "C" },
    { 513, "OH", "E" }, { 514, "QC", "t" }, { 515, "IA", "C" }, { 516, "NY", "E" },
    { 517, "MI", "E" }, { 518, "NY", "E" }, { 519, "ON", "t" }, { 520, "AZ", "Z" },
    { 530, "CA", "P" }, { 531, "NE", "C" }, { 534, "WI", "C" }, { 539, "OK", "C" },
    { 540, "VA", "E" }, { 541, "OR", "PM" }, { 548, "ON", "t" }, { 551, "NJ", "E" },
    { 557, "MO", "C" }, { 559, "CA", "P" }, { 561, "FL", "E" }, { 562, "CA", "P" },
    { 563, "IA", "C" }, { 564, "WA", "P" }, { 567, "OH", "E" }, { 570, "PA", "E" },
    { 571, "VA", "E" }, { 572, "OK", "C" }, { 573, "MO", "C" }, { 574, "IN", "E" },
    { 575, "NM", "M" }, { 579, "QC", "t" }, { 580, "OK", "C" }, { 581, "QC", "t" },
    { 582, "PA", "E" }, { 584, "MB", "w" }, { 585, "NY", "E" }, { 586, "MI", "E" },
    { 587, "AB", "e" }, { 601, "MS", "C" }, { 602, "AZ", "Z" }, { 603, "NH", "E" },
    { 604, "BC", "v" }, { 605, "SD", "CM" }, { 606, "KY", "EC" }, { 607, "NY", "E" },
    { 608, "WI", "C" }, { 609, "NJ", "E" }, { 610, "PA", "E" }, { 612, "MN", "C" },
    { 613, "ON", "t" }, { 614, "OH", "E" }, { 615, "TN", "C" }, { 616, "MI", "E" },
    { 617, "MA", "E" }, { 618, "IL", "C" }, { 619, "CA", "P" }, { 620, "KS", "CM" },
    { 623, "AZ", "Z" }, { 624, "NY", "E" }, { 626, "CA", "P" }, { 628, "CA", "P" },
    { 629, "TN", "C" }, { 630, "IL", "C" }, { 631, "NY", "E" }, { 636, "MO", "C" },
    { 639, "SK", "r" }, { 640, "NJ", "E" }, { 641, "IA", "C" }, { 645, "FL", "E" },
    { 646, "NY", "E" }, { 647, "ON", "t" }, { 650, "CA", "P" }, { 651, "MN", "C" },
    { 656, "FL", "E" }, { 657, "CA", "P" }, { 659, "AL", "C" }, { 660, "MO", "C" },
    { 661, "CA", "P" }, { 662, "MS", "C" }, { 667, "MD", "E" }, { 669, "CA", "P" },
    { 670, "MP", "G" }, { 671, "GU", "G" }, { 672, "BC", "ve" }, { 678, "GA", "E" },
    { 679, "MI", "E" }, { 680, "NY", "E" }, { 681, "WV", "E" }, { 682, "TX", "C" },
    { 683, "ON", "t" }, { 684, "AS", "S" }, { 686, "VA", "E" }, { 689, "FL", "E" },
    { 701, "ND", "CM" }, { 702, "NV", "P" }, { 703, "VA", "E" }, { 704, "NC", "E" },
    { 705, "ON", "t" }, { 706, "GA", "E" }, { 707, "CA", "P" }, { 708, "IL", "C" },
    { 709, "NL", "nh" }, { 712, "IA", "C" }, { 713, "TX", "C" }, { 714, "CA", "P" },
    { 715, "WI", "C" }, { 716, "NY", "E" }, { 717, "PA", "E" }, { 718, "NY", "E" },
    { 719, "CO", "M" }, { 720, "CO", "M" }, { 724, "PA", "E" }, { 725, "NV", "P" },
    { 726, "TX", "C" }, { 727, "FL", "E" }, { 728, "FL", "E" }, { 730, "IL", "C" },
    { 731, "TN", "C" }, { 732, "NJ", "E" }, { 734, "MI", "E" }, { 737, "TX", "C" },
    { 738, "CA", "P" }, { 740, "OH", "E" }, { 742, "ON", "t" }, { 743, "NC", "E" },
    { 747, "CA", "P" }, { 753, "ON", "t" }, { 754, "FL", "E" }, { 757, "VA", "E" },
    { 760, "CA", "P" }, { 762, "GA", "E" }, { 763, "MN", "C" }, { 765, "IN", "E" },
    { 769, "MS", "C" }, { 770, "GA", "E" }, { 771, "DC", "E" }, { 772, "FL", "E" },
    { 773, "IL", "C" }, { 774, "MA", "E" }, { 775, "NV", "P" }, { 778, "BC", "ve" },
    { 779, "IL", "C" }, { 780, "AB", "e" }, { 781, "MA", "E" }, { 782, "NS", "h" },
    { 785, "KS", "CM" }, { 786, "FL", "E" }, { 787, "PR", "R" }, { 801, "UT", "M" },
    { 802, "VT", "E" }, { 803, "SC", "E" }, { 804, "VA", "E" }, { 805, "CA", "P" },
    { 806, "TX", "C" }, { 807, "ON", "tw" }, { 808, "HI", "W" }, { 810, "MI", "E" },
    { 812, "IN", "EC" }, { 813, "FL", "E" }, { 814, "PA", "E" }, { 815, "IL", "C" },
    { 816, "MO", "C" }, { 817, "TX", "C" }, { 818, "CA", "P" }, { 819, "QC", "t" },
    { 820, "CA", "P" }, { 821, "SC", "E" }, { 825, "AB", "e" }, { 826, "VA", "E" },
    { 828, "NC", "E" }, { 830, "TX", "C" }, { 831, "CA", "P" }, { 832, "TX", "C" },
    { 835, "PA", "E" }, { 838, "NY", "E" }, { 839, "SC", "E" }, { 840, "CA", "P" },
    { 843, "SC", "E" }, { 845, "NY", "E" }, { 847, "IL", "C" }, { 848, "NJ", "E" },
    { 850, "FL", "EC" }, { 854, "SC", "E" }, { 856, "NJ", "E" }, { 857, "MA", "E" },
    { 858, "CA", "P" }, { 859, "KY", "E" }, { 860, "CT", "E" }, { 861, "IL", "C" },
    { 862, "NJ", "E" }, { 863, "FL", "E" }, { 864, "SC", "E" }, { 865, "TN", "E" },
    { 867, "", "yewt" }, { 870, "AR", "C" }, { 872, "IL", "C" }, { 873, "QC", "t" },
    { 878, "PA", "E" }, { 879, "NL", "nh" }, { 901, "TN", "C" }, { 902, "NS", "h" },
    { 903, "TX", "C" }, { 904, "FL", "E" }, { 905, "ON", "t" }, { 906, "MI", "EC" },
    { 907, "AK", "A" }, { 908, "NJ", "E" }, { 909, "CA", "P" }, { 910, "NC", "E" },
    { 912, "GA", "E" }, { 913, "KS", "C" }, { 914, "NY", "E" }, { 915, "TX", "M" },
    { 916, "CA", "P" }, { 917, "NY", "E" }, { 918, "OK", "C" }, { 919, "NC", "E" },
    { 920, "WI", "C" }, { 924, "MN", "C" }, { 925, "CA", "P" }, { 928, "AZ", "ZM" },
    { 929, "NY", "E" }, { 930, "IN", "EC" }, { 931, "TN", "C" }, { 934, "NY", "E" },
    { 936, "TX", "C" }, { 937, "OH", "E" }, { 938, "AL", "C" }, { 939, "PR", "R" },
    { 940, "TX", "C" }, { 941, "FL", "E" }, { 942, "ON", "t" }, { 943, "GA", "E" },
    { 945, "TX", "C" }, { 947, "MI", "E" }, { 948, "VA", "E" }, { 949, "CA", "P" },
    { 951, "CA", "P" }, { 952, "MN", "C" }, { 954, "FL", "E" }, { 956, "TX", "C" },
    { 959, "CT", "E" }, { 970, "CO", "M" }, { 971, "OR", "P" }, { 972, "TX", "C" },
    { 973, "NJ", "E" }, { 975, "MO", "C" }, { 978, "MA", "E" }, { 979, "TX", "C" },
    { 980, "NC", "E" }, { 983, "CO", "M" }, { 984, "NC", "E" }, { 985, "LA", "C" },
    { 986, "ID", "MP" }, { 989, "MI", "E" },
};

#define TABLE_LEN ((int)(sizeof table / sizeof table[0]))

static const char *zone_name(char letter)
{
    switch (letter) {
    case 'E': return "America/New_York";
    case 'C': return "America/Chicago";
    case 'M': return "America/Denver";
    case 'Z': return "America/Phoenix";
    case 'P': return "America/Los_Angeles";
    case 'A': return "America/Anchorage";
    case 'W': return "Pacific/Honolulu";
    case 'R': return "America/Puerto_Rico";
    case 'G': return "Pacific/Guam";
    case 'S': return "Pacific/Pago_Pago";
    case 't': return "America/Toronto";
    case 'w': return "America/Winnipeg";
    case 'r': return "America/Regina";
    case 'e': return "America/Edmonton";
    case 'v': return "America/Vancouver";
    case 'h': return "America/Halifax";
    case 'n': return "America/St_Johns";
    case 'y': return "America/Whitehorse";
    default: return NULL;
    }
}

static int fill(const struct entry *e, struct area_code_info *out)
{
    memset(out, 0, sizeof *out);
    out->npa = e->npa;
    memcpy(out->region, e->region, sizeof out->region);
    for (int i = 0; i < AREA_CODES_MAX_ZONES && e->zones[i]; i++) {
        const char *z = zone_name(e->zones[i]);
        if (!z)
            return -1;
        out->zones[out->n_zones++] = z;
    }
    return out->n_zones > 0 ? 0 : -1;
}

static int by_npa(const void *key, const void *elem)
{
    return *(const int *)key - ((const struct entry *)elem)->npa;
}

int area_codes_lookup(const char *e164, struct area_code_info *out)
{
    if (!e164 || e164[0] != '+' || e164[1] != '1' || strlen(e164) != 12)
        return 0;
    for (int i = 2; i < 12; i++)
        if (e164[i] < '0' || e164[i] > '9')
            return 0;
    /* NANP: area code and exchange both start with 2-9. */
    if (e164[2] < '2' || e164[5] < '2')
        return 0;
    int npa = (e164[2] - '0') * 100 + (e164[3] - '0') * 10 + (e164[4] - '0');
    const struct entry *e = bsearch(&npa, table, TABLE_LEN, sizeof table[0], by_npa);
    return e && fill(e, out) == 0 ? 1 : 0;
}

int area_codes_count(void)
{
    return TABLE_LEN;
}

int area_codes_entry(int i, struct area_code_info *out)
{
    if (i < 0 || i >= TABLE_LEN)
        return -1;
    return fill(&table[i], out);
}
