/*
 * A tenant's catalog as understanding sees it: services (id, name, aliases)
 * and providers (id, name), each turned into "forms", the folded word
 * sequences a patient may write ("hydrafacial", "hydra facial", "facial";
 * "sarah smith", "sarah", "smith"); opening hours, used to read "at 3" as
 * 3 pm; the time zone; and whether numeric dates are written day first.
 * Built by the calls below or from a clinic JSON object; read-only after.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct nlu_catalog *nlu_catalog_new(const char *zone, int *err)
{
    struct nlu_catalog *cat;
    int rc = nlu_lexicon_init();
    if (err)
        *err = rc;
    if (rc)
        return NULL;
    if (!zone || strlen(zone) >= sizeof cat->zone || !nlu_zone_valid(zone)) {
        if (err)
            *err = NLU_E_ZONE;
        return NULL;
    }
    cat = calloc(1, sizeof *cat);
    if (!cat) {
        if (err)
            *err = NLU_E_NOMEM;
        return NULL;
    }
    memcpy(cat->zone, zone, strlen(zone) + 1);
    for (int d = 0; d < 7; d++)
        cat->open_min[d] = cat->close_min[d] = -1;
    return cat;
}

void nlu_catalog_free(struct nlu_catalog *cat)
{
    if (!cat)
        return;
    free(cat->forms);
    free(cat);
}

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap)
        return NLU_E_INVAL;
    memcpy(dst, src, n + 1);
    return 0;
}

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Splits folded text into at most max words: starts and lengths. */
static int split_words(const char *s, size_t n, uint8_t start[], uint8_t len[], int max)
{
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && !word_byte((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        size_t b = i;
        while (i < n && word_byte((unsigned char)s[i]))
            i++;
        if (k >= max || b > 255 || i - b > 255)
            return -1;
        start[k] = (uint8_t)b;
        len[k] = (uint8_t)(i - b);
        k++;
    }
    return k;
}

/* Adds the form made of words [from, to) of folded text f. */
static int add_form(struct nlu_catalog *cat, const char *f, const uint8_t *ws, const uint8_t *wl,
                    int from, int to, uint8_t kind, uint16_t owner)
{
    struct nlu_form fm;
    size_t o = 0, q = 0;
    memset(&fm, 0, sizeof fm);
    if (to <= from)
        return 0;
    for (int k = from; k < to; k++) {
        if (o + wl[k] + 2 > sizeof fm.text)
            return NLU_E_INVAL;
        if (k > from)
            fm.text[o++] = ' ';
        fm.wstart[fm.nwords] = (uint8_t)o;
        fm.wlen[fm.nwords] = wl[k];
        fm.nwords++;
        memcpy(fm.text + o, f + ws[k], wl[k]);
        memcpy(fm.squash + q, f + ws[k], wl[k]);
        o += wl[k];
        q += wl[k];
    }
    fm.text[o] = '\0';
    fm.squash[q] = '\0';
    fm.squashlen = (uint8_t)q;
    for (int k = 0; k < fm.nwords; k++)
        if (nlu_word_known(fm.text + fm.wstart[k], fm.wlen[k]))
            fm.known |= (uint8_t)(1u << k);
    fm.kind = kind;
    fm.owner = owner;
    for (size_t i = 0; i < cat->nforms; i++)
        if (cat->forms[i].owner == owner && cat->forms[i].kind == kind &&
            strcmp(cat->forms[i].text, fm.text) == 0)
            return 0;
    if (cat->nforms == cat->formcap) {
        size_t cap = cat->formcap ? cat->formcap * 2 : 32;
        struct nlu_form *nf = realloc(cat->forms, cap * sizeof *nf);
        if (!nf)
            return NLU_E_NOMEM;
        cat->forms = nf;
        cat->formcap = cap;
    }
    cat->forms[cat->nforms++] = fm;
    return 0;
}

/* Adds a service form from a display string ("Hydra Facial", "crow's feet"). */
static int add_service_form(struct nlu_catalog *cat, const char *text, uint16_t owner)
{
    char f[NLU_NAME_MAX * 2];
    uint8_t ws[FORM_WORDS_MAX], wl[FORM_WORDS_MAX];
    size_t n = nlu_fold(text, strlen(text), f, sizeof f);
    int k = split_words(f, n, ws, wl, FORM_WORDS_MAX);
    if (k <= 0)
        return k == 0 ? 0 : NLU_E_INVAL;
    return add_form(cat, f, ws, wl, 0, k, FORM_SERVICE, owner);
}

int nlu_catalog_add_service(struct nlu_catalog *cat, const char *id, const char *name,
                            const char *const *aliases, size_t n)
{
    int rc;
    if (!cat || !id || !name || (n > 0 && !aliases) || n > NLU_ALIASES_MAX)
        return NLU_E_INVAL;
    if (cat->nservices >= NLU_SERVICES_MAX)
        return NLU_E_FULL;
    struct nlu_entry *e = &cat->services[cat->nservices];
    if ((rc = copy_str(e->id, sizeof e->id, id)) || (rc = copy_str(e->name, sizeof e->name, name)))
        return rc;
    uint16_t owner = (uint16_t)cat->nservices;
    size_t before = cat->nforms;
    if ((rc = add_service_form(cat, name, owner)))
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (!aliases[i] || (rc = add_service_form(cat, aliases[i], owner)))
            goto fail;
    if ((rc = add_service_form(cat, id, owner)))
        goto fail;
    cat->nservices++;
    return 0;
fail:
    cat->nforms = before;
    return rc ? rc : NLU_E_INVAL;
}

static bool is_title(const char *w, size_t n)
{
    static const char *const titles[] = { "dr", "doctor", "nurse", "mr", "mrs", "ms", "miss",
                                          "prof", "mx", NULL };
    for (int i = 0; titles[i]; i++)
        if (strlen(titles[i]) == n && memcmp(titles[i], w, n) == 0)
            return true;
    return false;
}

static bool is_credential(const char *w, size_t n)
{
    static const char *const creds[] = { "md", "rn", "np", "pa", "bsn", "lvn", "lpn", "phd",
                                         "dds", "dnp", "aprn", "fnp", "pac", "cns", "le", NULL };
    for (int i = 0; creds[i]; i++)
        if (strlen(creds[i]) == n && memcmp(creds[i], w, n) == 0)
            return true;
    return false;
}

int nlu_catalog_add_provider(struct nlu_catalog *cat, const char *id, const char *name)
{
    char f[NLU_NAME_MAX * 2];
    uint8_t ws[FORM_WORDS_MAX], wl[FORM_WORDS_MAX];
    int rc;
    if (!cat || !id || !name)
        return NLU_E_INVAL;
    if (cat->nproviders >= NLU_PROVIDERS_MAX)
        return NLU_E_FULL;
    struct nlu_entry *e = &cat->providers[cat->nproviders];
    if ((rc = copy_str(e->id, sizeof e->id, id)) || (rc = copy_str(e->name, sizeof e->name, name)))
        return rc;
    const char *comma = strchr(name, ',');
    size_t len = comma ? (size_t)(comma - name) : strlen(name);
    size_t n = nlu_fold(name, len, f, sizeof f);
    int k = split_words(f, n, ws, wl, FORM_WORDS_MAX);
    if (k <= 0)
        return NLU_E_INVAL;
    int from = 0, to = k;
    while (from < to - 1 && is_title(f + ws[from], wl[from]))
        from++;
    while (to > from + 1 && is_credential(f + ws[to - 1], wl[to - 1]))
        to--;
    uint16_t owner = (uint16_t)cat->nproviders;
    size_t before = cat->nforms;
    if ((rc = add_form(cat, f, ws, wl, from, from + 1, FORM_PROV_FIRST, owner)))
        goto fail;
    if (to - from >= 2) {
        if ((rc = add_form(cat, f, ws, wl, from, to, FORM_PROV_FULL, owner)) ||
            (rc = add_form(cat, f, ws, wl, to - 1, to, FORM_PROV_LAST, owner)))
            goto fail;
    }
    cat->nproviders++;
    return 0;
fail:
    cat->nforms = before;
    return rc;
}

int nlu_catalog_set_hours(struct nlu_catalog *cat, int weekday, int open_min, int close_min)
{
    if (!cat || weekday < 0 || weekday > 6)
        return NLU_E_INVAL;
    if (open_min == -1 && close_min == -1) {
        cat->open_min[weekday] = cat->close_min[weekday] = -1;
        return 0;
    }
    if (open_min < 0 || close_min > 1440 || open_min >= close_min)
        return NLU_E_INVAL;
    cat->open_min[weekday] = (int16_t)open_min;
    cat->close_min[weekday] = (int16_t)close_min;
    return 0;
}

void nlu_catalog_set_day_first(struct nlu_catalog *cat, bool day_first)
{
    if (cat)
        cat->day_first = day_first;
}

size_t nlu_catalog_service_count(const struct nlu_catalog *cat) { return cat ? cat->nservices : 0; }
size_t nlu_catalog_provider_count(const struct nlu_catalog *cat) { return cat ? cat->nproviders : 0; }
const char *nlu_catalog_zone(const struct nlu_catalog *cat) { return cat ? cat->zone : NULL; }

const char *nlu_catalog_service_id(const struct nlu_catalog *cat, size_t i)
{
    return cat && i < cat->nservices ? cat->services[i].id : NULL;
}

const char *nlu_catalog_provider_id(const struct nlu_catalog *cat, size_t i)
{
    return cat && i < cat->nproviders ? cat->providers[i].id : NULL;
}

/* ------------------------------------------------------------------ JSON */

/* "09:00" -> 540; -1 when malformed. */
static int parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static int load_hours(struct nlu_catalog *cat, const cJSON *hours)
{
    static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
    const cJSON *it;
    if (!cJSON_IsObject(hours))
        return NLU_E_INVAL;
    cJSON_ArrayForEach(it, hours)
    {
        int d = -1;
        for (int k = 0; k < 7; k++)
            if (it->string && strcmp(it->string, days[k]) == 0)
                d = k;
        if (d < 0 || !cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2)
            return NLU_E_INVAL;
        int o = parse_hhmm(cJSON_GetStringValue(cJSON_GetArrayItem(it, 0)));
        int c = parse_hhmm(cJSON_GetStringValue(cJSON_GetArrayItem(it, 1)));
        int rc = nlu_catalog_set_hours(cat, d, o, c);
        if (o < 0 || c < 0 || rc)
            return NLU_E_INVAL;
    }
    return 0;
}

static int load_service(struct nlu_catalog *cat, const cJSON *svc)
{
    const char *aliases[NLU_ALIASES_MAX];
    size_t n = 0;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "id"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "name"));
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(svc, "aliases"), *it;
    if (!id || !name || (al && !cJSON_IsArray(al)))
        return NLU_E_INVAL;
    cJSON_ArrayForEach(it, al)
    {
        if (!cJSON_IsString(it) || n >= NLU_ALIASES_MAX)
            return NLU_E_INVAL;
        aliases[n++] = it->valuestring;
    }
    return nlu_catalog_add_service(cat, id, name, aliases, n);
}

int nlu_catalog_from_json(const cJSON *clinic, struct nlu_catalog **out)
{
    int rc = 0;
    const cJSON *it;
    struct nlu_catalog *cat;
    *out = NULL;
    if (!cJSON_IsObject(clinic))
        return NLU_E_INVAL;
    const char *zone = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(clinic, "timezone"));
    if (!zone)
        return NLU_E_INVAL;
    if (!(cat = nlu_catalog_new(zone, &rc)))
        return rc;
    const cJSON *country = cJSON_GetObjectItemCaseSensitive(clinic, "country");
    if (country) {
        const char *c = cJSON_GetStringValue(country);
        if (!c) {
            rc = NLU_E_INVAL;
            goto fail;
        }
        cat->day_first = strcmp(c, "US") != 0 && strcmp(c, "CA") != 0 && strcmp(c, "PH") != 0;
    }
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(clinic, "hours");
    if (hours && (rc = load_hours(cat, hours)))
        goto fail;
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(clinic, "services");
    if (svcs && !cJSON_IsArray(svcs)) {
        rc = NLU_E_INVAL;
        goto fail;
    }
    cJSON_ArrayForEach(it, svcs)
    {
        if (!cJSON_IsObject(it) || (rc = load_service(cat, it)))
            goto fail;
    }
    const cJSON *provs = cJSON_GetObjectItemCaseSensitive(clinic, "providers");
    if (provs && !cJSON_IsArray(provs)) {
        rc = NLU_E_INVAL;
        goto fail;
    }
    cJSON_ArrayForEach(it, provs)
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
        if (!id || !name) {
            rc = NLU_E_INVAL;
            goto fail;
        }
        if ((rc = nlu_catalog_add_provider(cat, id, name)))
            goto fail;
    }
    *out = cat;
    return 0;
fail:
    nlu_catalog_free(cat);
    return rc ? rc : NLU_E_INVAL;
}
