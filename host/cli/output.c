/*
 * Plain-text rendering of JSON replies: aligned fields and tables, with
 * column widths measured first and long cells cut at a fixed width.
 */
#include "output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 12
#define MAX_CELL 60

void output_clean(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

/* Formats a scalar into buf; returns false for objects and arrays. */
static bool scalar_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v))
        snprintf(buf, cap, "%s", v->valuestring);
    else if (cJSON_IsBool(v))
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, cap, "-");
    else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
        snprintf(buf, cap, "%lld", (long long)v->valuedouble);
    else if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%g", v->valuedouble);
    else
        return false;
    return true;
}

static void fields_width(const cJSON *obj, size_t prefix, size_t *width)
{
    for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next) {
        size_t n = prefix + strlen(m->string ? m->string : "");
        if (cJSON_IsObject(m))
            fields_width(m, n + 1, width);
        else if (!cJSON_IsArray(m) && n > *width)
            *width = n;
    }
}

static void fields_print(FILE *out, const cJSON *obj, const char *prefix, size_t width)
{
    char name[256], value[1024];
    for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next) {
        snprintf(name, sizeof name, "%s%s", prefix, m->string ? m->string : "");
        if (cJSON_IsObject(m)) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s.", name);
            fields_print(out, m, sub, width);
        } else if (scalar_text(m, value, sizeof value)) {
            output_clean(out, name);
            fprintf(out, "%*s  ", (int)(width - strlen(name)), "");
            output_clean(out, value);
            fputc('\n', out);
        }
    }
}

void output_fields(FILE *out, const cJSON *obj)
{
    size_t width = 0;
    fields_width(obj, 0, &width);
    fields_print(out, obj, "", width);
}

static int column_index(const char *const *cols, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cols[i], name) == 0)
            return i;
    return -1;
}

void output_table(FILE *out, const cJSON *rows, const char *const *columns, const char *empty_text)
{
    const char *cols[MAX_COLUMNS];
    size_t width[MAX_COLUMNS];
    int n = 0;
    char cell[1024];

    if (cJSON_GetArraySize(rows) == 0) {
        fprintf(out, "%s\n", empty_text);
        return;
    }
    /* The given columns that some row has; without columns, every scalar member. */
    for (const char *const *c = columns; c && *c && n < MAX_COLUMNS; c++) {
        const cJSON *row;
        cJSON_ArrayForEach(row, rows)
        {
            if (cJSON_GetObjectItemCaseSensitive(row, *c)) {
                cols[n++] = *c;
                break;
            }
        }
    }
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        for (const cJSON *m = row->child; !columns && m && n < MAX_COLUMNS; m = m->next)
            if (m->string && !cJSON_IsObject(m) && !cJSON_IsArray(m) &&
                column_index(cols, n, m->string) < 0)
                cols[n++] = m->string;
    }
    for (int i = 0; i < n; i++)
        width[i] = strlen(cols[i]);
    cJSON_ArrayForEach(row, rows)
    {
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, cols[i]);
            size_t w = v && scalar_text(v, cell, sizeof cell) ? strlen(cell) : 1;
            if (w > MAX_CELL)
                w = MAX_CELL;
            if (w > width[i])
                width[i] = w;
        }
    }
    for (int i = 0; i < n; i++) {
        for (const char *p = cols[i]; *p; p++)
            fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, out);
        if (i + 1 < n)
            fprintf(out, "%*s  ", (int)(width[i] - strlen(cols[i])), "");
    }
    fputc('\n', out);
    cJSON_ArrayForEach(row, rows)
    {
        for (int i = 0; i < n; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, cols[i]);
            if (!v || !scalar_text(v, cell, sizeof cell))
                snprintf(cell, sizeof cell, "-");
            if (strlen(cell) > MAX_CELL) {
                size_t cut = MAX_CELL - 3;
                while (cut > 0 && ((unsigned char)cell[cut] & 0xC0) == 0x80)
                    cut--; /* not inside a UTF-8 sequence */
                memcpy(cell + cut, "...", 4);
            }
            output_clean(out, cell);
            if (i + 1 < n)
                fprintf(out, "%*s  ", (int)(width[i] - strlen(cell)), "");
        }
        fputc('\n', out);
    }
}
