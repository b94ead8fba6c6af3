/*
 * JSON request and response helpers. The depth check runs before cJSON sees
 * the text, so a hostile body of nested brackets costs a linear scan only.
 */
#include "json_util.h"

#include <stdlib.h>
#include <string.h>

int json_depth(const char *text, size_t len)
{
    int depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']')
            depth--;
    }
    return max;
}

cJSON *json_parse_body(struct http_request *req, struct http_response *resp)
{
    if (req->body_len == 0) {
        http_reply_error(req, resp, 400, "invalid_json", "a JSON object body is required");
        return NULL;
    }
    if (memchr(req->body, '\0', req->body_len)) {
        http_reply_error(req, resp, 400, "invalid_json", "the body contains a NUL byte");
        return NULL;
    }
    if (json_depth(req->body, req->body_len) > JSON_MAX_DEPTH) {
        http_reply_error(req, resp, 400, "invalid_json", "the JSON body is nested too deeply");
        return NULL;
    }
    /* The body is NUL-terminated: passing the terminator makes cJSON refuse
     * anything but whitespace after the value. */
    cJSON *obj = cJSON_ParseWithLengthOpts(req->body, req->body_len + 1, NULL, 1);
    if (!obj || !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        http_reply_error(req, resp, 400, "invalid_json", "the body is not a JSON object");
        return NULL;
    }
    return obj;
}

void json_reply(struct http_response *resp, int status, cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    free(resp->body);
    if (!text) {
        resp->status = 500;
        resp->body = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
    } else {
        resp->status = status;
        resp->body = text;
    }
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    resp->content_type = "application/json";
}
