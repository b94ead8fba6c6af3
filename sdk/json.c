/*
 * JSON helpers over cJSON (see include/bookwell-sdk/json.h): bounded
 * parsing, dotted-path lookups with type checks, exact integers, and
 * emitting a result into a host buffer.
 */
#include <bookwell-sdk/sdk.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers below 2^53 in magnitude are exact in a double; 2^53 itself may
 * be a rounded 2^53 + 1, so it is refused. */
#define EXACT_LIMIT 9007199254740992.0

static int depth_ok(const cJSON *n, int depth)
{
    if (depth > BWSDK_JSON_MAX_DEPTH)
        return 0;
    for (const cJSON *c = n->child; c; c = c->next)
        if ((c->type & (cJSON_Object | cJSON_Array)) && !depth_ok(c, depth + 1))
            return 0;
    return 1;
}

int bwsdk_json_parse_bytes(const void *data, size_t len, cJSON **out)
{
    *out = NULL;
    if (!data && len)
        return BW_E_INVAL;
    const char *text = data ? (const char *)data : "", *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root)
        return BW_E_INVAL;
    /* Only white space may follow the value. */
    for (; end && end < text + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            cJSON_Delete(root);
            return BW_E_INVAL;
        }
    }
    if (!depth_ok(root, 1)) {
        cJSON_Delete(root);
        return BW_E_INVAL;
    }
    *out = root;
    return 0;
}

int bwsdk_json_parse(const struct bw_json *in, const char *schema, cJSON **out)
{
    *out = NULL;
    if (!in || (schema && (!in->schema || strcmp(in->schema, schema) != 0)))
        return BW_E_INVAL;
    return bwsdk_json_parse_bytes(in->data, (size_t)in->len, out);
}

/* Parses a decimal array index of a path step; -1 when it is not one. */
static long step_index(const char *s, size_t n)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

const cJSON *bwsdk_json_path(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    const char *p = path;
    if (!root || !path)
        return NULL;
    if (!*path)
        return root;
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (cJSON_IsArray(cur)) {
            long idx = step_index(p, n);
            cur = idx < 0 ? NULL : cJSON_GetArrayItem(cur, (int)idx);
        } else if (cJSON_IsObject(cur)) {
            const cJSON *next = NULL;
            for (const cJSON *c = cur->child; c; c = c->next) {
                if (c->string && strlen(c->string) == n && memcmp(c->string, p, n) == 0) {
                    next = c;
                    break;
                }
            }
            cur = next;
        } else {
            return NULL;
        }
        if (!dot)
            return cur;
        p = dot + 1;
    }
    return NULL;
}

int bwsdk_json_string(const cJSON *root, const char *path, const char **out)
{
    const cJSON *n = bwsdk_json_path(root, path);
    if (!cJSON_IsString(n) || !n->valuestring)
        return BW_E_INVAL;
    *out = n->valuestring;
    return 0;
}

const char *bwsdk_json_string_or(const cJSON *root, const char *path, const char *def)
{
    const char *s;
    return bwsdk_json_string(root, path, &s) == 0 ? s : def;
}

int bwsdk_json_int(const cJSON *root, const char *path, int64_t *out)
{
    const cJSON *n = bwsdk_json_path(root, path);
    if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;
        if (!(d > -EXACT_LIMIT && d < EXACT_LIMIT) || d != (double)(int64_t)d)
            return BW_E_INVAL;
        *out = (int64_t)d;
        return 0;
    }
    if (cJSON_IsString(n) && n->valuestring) {
        const char *s = n->valuestring;
        char *end;
        if (!*s || !(*s == '-' || (*s >= '0' && *s <= '9')))
            return BW_E_INVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || end == s)
            return BW_E_INVAL;
        *out = v;
        return 0;
    }
    return BW_E_INVAL;
}

int bwsdk_json_bool(const cJSON *root, const char *path, bool *out)
{
    const cJSON *n = bwsdk_json_path(root, path);
    if (!cJSON_IsBool(n))
        return BW_E_INVAL;
    *out = cJSON_IsTrue(n);
    return 0;
}

int bwsdk_json_add_int(cJSON *obj, const char *key, int64_t value)
{
    if (value >= INT64_C(9007199254740992) || value <= -INT64_C(9007199254740992))
        return BW_E_INVAL;
    return cJSON_AddNumberToObject(obj, key, (double)value) ? 0 : BW_E_NOMEM;
}

int bwsdk_json_add_strn(cJSON *obj, const char *key, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return BW_E_NOMEM;
    memcpy(copy, s, len);
    copy[len] = 0;
    cJSON *item = cJSON_AddStringToObject(obj, key, copy);
    free(copy);
    return item ? 0 : BW_E_NOMEM;
}

int bwsdk_json_emit(const struct bw_host *host, struct bw_buf *out, const cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    if (!text)
        return BW_E_NOMEM;
    int rc = host->buf_append(out, text, strlen(text));
    cJSON_free(text);
    return rc;
}

int bwsdk_json_answer(const struct bw_host *host, struct bw_buf *out, cJSON *root,
                      struct bw_error *err)
{
    int rc = root ? bwsdk_json_emit(host, out, root) : BW_E_NOMEM;
    cJSON_Delete(root);
    return rc ? bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory") : 0;
}

const char *bwsdk_json_text(const cJSON *obj, const char *name, char *buf, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v))
        snprintf(buf, cap, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%.0f", v->valuedouble);
    else
        buf[0] = 0;
    return buf;
}

/* An item being sorted: its place before the sort breaks ties. */
struct sort_item {
    cJSON *item;
    size_t index;
    int (*cmp)(const cJSON *a, const cJSON *b);
};

static int sort_item_cmp(const void *x, const void *y)
{
    const struct sort_item *a = x, *b = y;
    int c = a->cmp(a->item, b->item);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

int bwsdk_json_array_sort(cJSON *array, int (*cmp)(const cJSON *a, const cJSON *b))
{
    int n = cJSON_GetArraySize(array);
    if (n < 2)
        return 0;
    struct sort_item *items = malloc((size_t)n * sizeof *items);
    if (!items)
        return BW_E_NOMEM;
    for (int i = n - 1; i >= 0; i--)
        items[i] = (struct sort_item){ cJSON_DetachItemFromArray(array, i), (size_t)i, cmp };
    qsort(items, (size_t)n, sizeof *items, sort_item_cmp);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(array, items[i].item);
    free(items);
    return 0;
}
