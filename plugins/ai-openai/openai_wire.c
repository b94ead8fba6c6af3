/*
 * Chat Completions wire format (openai_wire.h): messages pass as they are
 * (role, content, tool_call_id; an assistant's tool_calls turned into
 * {"id","type":"function","function":{"name","arguments":"<JSON text>"}}),
 * tools wrapped as functions; answers read from choices[0].message and
 * usage {prompt_tokens, completion_tokens}.
 */
#include "openai_wire.h"

#include <string.h>

#include <bookwell/abi.h>

static const char *str_of(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int add_message(cJSON *msgs, const cJSON *m)
{
    const char *role = str_of(m, "role"), *content = str_of(m, "content");
    const char *call_id = str_of(m, "tool_call_id");
    if (!role || (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") &&
                  strcmp(role, "tool")))
        return BW_E_INVAL;
    if (!strcmp(role, "tool") && !call_id)
        return BW_E_INVAL;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(msgs, o) || !cJSON_AddStringToObject(o, "role", role) ||
        !cJSON_AddStringToObject(o, "content", content ? content : "") ||
        (call_id && !cJSON_AddStringToObject(o, "tool_call_id", call_id)))
        return BW_E_NOMEM;
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), *c;
    if (!cJSON_IsArray(calls) || strcmp(role, "assistant"))
        return 0;
    cJSON *out = cJSON_AddArrayToObject(o, "tool_calls");
    if (!out)
        return BW_E_NOMEM;
    cJSON_ArrayForEach(c, calls) {
        const char *id = str_of(c, "id"), *name = str_of(c, "name");
        if (!id || !name)
            return BW_E_INVAL;
        char *args = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "arguments"));
        cJSON *tc = cJSON_CreateObject(), *fn;
        int ok = args && tc && cJSON_AddItemToArray(out, tc) && cJSON_AddStringToObject(tc, "id", id) &&
                 cJSON_AddStringToObject(tc, "type", "function") &&
                 (fn = cJSON_AddObjectToObject(tc, "function")) &&
                 cJSON_AddStringToObject(fn, "name", name) && cJSON_AddStringToObject(fn, "arguments", args);
        cJSON_free(args);
        if (!ok)
            return BW_E_NOMEM;
    }
    return 0;
}

int oa_chat_body(const cJSON *rq, const struct oa_defaults *def, cJSON **out)
{
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rq, "messages"), *m;
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(rq, "tools"), *t;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(rq, "max_tokens");
    const cJSON *temp = cJSON_GetObjectItemCaseSensitive(rq, "temperature");
    *out = NULL;
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return BW_E_INVAL;
    cJSON *b = cJSON_CreateObject(), *om, *ot;
    int rc = BW_E_NOMEM;
    if (!b || !cJSON_AddStringToObject(b, "model", def->model) || !(om = cJSON_AddArrayToObject(b, "messages")))
        goto fail;
    cJSON_ArrayForEach(m, msgs)
        if ((rc = add_message(om, m)) != 0)
            goto fail;
    rc = BW_E_NOMEM;
    if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0) {
        if (!(ot = cJSON_AddArrayToObject(b, "tools")))
            goto fail;
        cJSON_ArrayForEach(t, tools) {
            const char *name = str_of(t, "name"), *desc = str_of(t, "description");
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(t, "parameters");
            cJSON *w = cJSON_CreateObject(), *fn, *pc;
            if (!name || !cJSON_IsObject(params)) {
                cJSON_Delete(w);
                rc = BW_E_INVAL;
                goto fail;
            }
            if (!w || !cJSON_AddItemToArray(ot, w) || !cJSON_AddStringToObject(w, "type", "function") ||
                !(fn = cJSON_AddObjectToObject(w, "function")) || !cJSON_AddStringToObject(fn, "name", name) ||
                (desc && !cJSON_AddStringToObject(fn, "description", desc)) ||
                !(pc = cJSON_Duplicate(params, 1)) || !cJSON_AddItemToObject(fn, "parameters", pc))
                goto fail;
        }
    }
    if (!cJSON_AddNumberToObject(b, "max_tokens",
                                 cJSON_IsNumber(mt) && mt->valuedouble >= 1 ? mt->valuedouble
                                                                            : (double)def->max_tokens) ||
        !cJSON_AddNumberToObject(b, "temperature", cJSON_IsNumber(temp) ? temp->valuedouble : def->temperature))
        goto fail;
    *out = b;
    return 0;
fail:
    cJSON_Delete(b);
    return rc;
}

/* One tool call of the answer into calls; arguments parsed when they are a
 * JSON object's text, else kept as the text. */
static int add_call(cJSON *calls, const cJSON *tc)
{
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
    const char *id = str_of(tc, "id"), *name = str_of(fn, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    if (!name)
        return BW_E_REMOTE;
    cJSON *c = cJSON_CreateObject(), *a = NULL;
    if (!c || !cJSON_AddItemToArray(calls, c) || !cJSON_AddStringToObject(c, "id", id ? id : "") ||
        !cJSON_AddStringToObject(c, "name", name))
        return BW_E_NOMEM;
    if (cJSON_IsString(args)) {
        a = cJSON_Parse(args->valuestring);
        if (!cJSON_IsObject(a)) {
            cJSON_Delete(a);
            a = cJSON_CreateString(args->valuestring);
        }
    } else if (cJSON_IsObject(args)) {
        a = cJSON_Duplicate(args, 1); /* some servers send the object itself */
    } else {
        a = cJSON_CreateString("");
    }
    return a && cJSON_AddItemToObject(c, "arguments", a) ? 0 : BW_E_NOMEM;
}

int oa_response(const cJSON *answer, cJSON **out)
{
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message"), *tc;
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(answer, "usage");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    const char *content = str_of(msg, "content"), *model = str_of(answer, "model");
    *out = NULL;
    if (!cJSON_IsObject(msg))
        return BW_E_REMOTE;
    cJSON *r = cJSON_CreateObject(), *m, *calls, *u;
    int rc = BW_E_NOMEM;
    if (!r)
        return BW_E_NOMEM;
    if (content && content[0] &&
        (!(m = cJSON_AddObjectToObject(r, "message")) || !cJSON_AddStringToObject(m, "role", "assistant") ||
         !cJSON_AddStringToObject(m, "content", content)))
        goto fail;
    if (!(calls = cJSON_AddArrayToObject(r, "tool_calls")))
        goto fail;
    cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))
        if ((rc = add_call(calls, tc)) != 0)
            goto fail;
    rc = BW_E_NOMEM;
    if (!(u = cJSON_AddObjectToObject(r, "usage")) ||
        !cJSON_AddNumberToObject(u, "input_tokens", cJSON_IsNumber(pt) ? pt->valuedouble : 0) ||
        !cJSON_AddNumberToObject(u, "output_tokens", cJSON_IsNumber(ct) ? ct->valuedouble : 0) ||
        !cJSON_AddStringToObject(r, "model", model ? model : ""))
        goto fail;
    *out = r;
    return 0;
fail:
    cJSON_Delete(r);
    return rc;
}
