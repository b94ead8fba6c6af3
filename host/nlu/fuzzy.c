/*
 * Edit distance for typo tolerance: the optimal-string-alignment variant of
 * Damerau-Levenshtein (insertions, deletions, substitutions and swaps of two
 * neighbouring letters, each costing one), bounded so that a compare stops
 * as soon as every path is past the allowance. Words are short, so three
 * rows on the stack do; nothing is allocated.
 */
#include "internal.h"

#define FUZZY_LEN_MAX 48

int nlu_fuzzy_allowed(size_t len)
{
    if (len < 4)
        return 0;
    if (len < 9)
        return 1;
    return 2;
}

int nlu_fuzzy_distance(const char *a, size_t n, const char *b, size_t m, int max)
{
    int rows[3][FUZZY_LEN_MAX + 1];
    int *pp, *p, *c;

    if (n > FUZZY_LEN_MAX || m > FUZZY_LEN_MAX) {
        bool same = n == m;
        for (size_t i = 0; same && i < n; i++)
            same = a[i] == b[i];
        return same ? 0 : max + 1;
    }
    if ((n > m ? n - m : m - n) > (size_t)max)
        return max + 1;
    pp = rows[0];
    p = rows[1];
    c = rows[2];
    for (size_t j = 0; j <= m; j++)
        p[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int rowmin = c[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = p[j - 1] + cost;
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
        int *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[m] > max ? max + 1 : p[m];
}
