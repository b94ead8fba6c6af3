/*
 * ai.openai's wire format: request/1 to a Chat Completions body (model and
 * limits from the instance unless the request sets them, tools wrapped as
 * functions, an assistant's tool calls with JSON-text arguments) and a
 * chat.completion to response/1 (text, tool calls with their arguments
 * parsed, or kept as text when they are not a JSON object, usage).
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell/abi.h>

#include "openai_wire.h"

static const struct oa_defaults def = { "gpt-4o-mini", 300, 0.2 };

Test(openai_wire, request_body)
{
    cJSON *rq = cJSON_Parse(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"hi\"},"
        "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"c1\",\"name\":\"find_slots\","
        "\"arguments\":{\"service_id\":\"botox\"}}]},{\"role\":\"tool\",\"content\":\"{}\",\"tool_call_id\":\"c1\"}],"
        "\"tools\":[{\"name\":\"find_slots\",\"description\":\"d\",\"parameters\":{\"type\":\"object\"}}],"
        "\"max_tokens\":120}");
    cJSON *b = NULL;
    cr_assert_eq(oa_chat_body(rq, &def, &b), 0);
    cr_expect_str_eq(cJSON_GetObjectItem(b, "model")->valuestring, "gpt-4o-mini");
    cr_expect_eq(cJSON_GetObjectItem(b, "max_tokens")->valuedouble, 120);
    cr_expect_eq(cJSON_GetObjectItem(b, "temperature")->valuedouble, 0.2);
    const cJSON *tool = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "tools"), 0);
    cr_expect_str_eq(cJSON_GetObjectItem(tool, "type")->valuestring, "function");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(tool, "function"), "name")->valuestring, "find_slots");
    const cJSON *asst = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "messages"), 2);
    const cJSON *fn = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(asst, "tool_calls"), 0), "function");
    cr_expect_str_eq(cJSON_GetObjectItem(fn, "arguments")->valuestring, "{\"service_id\":\"botox\"}");
    const cJSON *toolmsg = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "messages"), 3);
    cr_expect_str_eq(cJSON_GetObjectItem(toolmsg, "tool_call_id")->valuestring, "c1");
    cJSON_Delete(b);
    cJSON_Delete(rq);

    rq = cJSON_Parse("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}");
    cr_expect_eq(oa_chat_body(rq, &def, &b), BW_E_INVAL);
    cJSON_Delete(rq);
    rq = cJSON_Parse("{\"messages\":[]}");
    cr_expect_eq(oa_chat_body(rq, &def, &b), BW_E_INVAL);
    cJSON_Delete(rq);
}

Test(openai_wire, response_with_text_and_tool_calls)
{
    cJSON *a = cJSON_Parse(
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"One sec\",\"tool_calls\":["
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"hold_slot\",\"arguments\":"
        "\"{\\\"slot_id\\\":\\\"slot-1\\\"}\"}},"
        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"find_slots\",\"arguments\":\"{oops\"}}]},"
        "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":412,\"completion_tokens\":38,"
        "\"total_tokens\":450}}");
    cJSON *r = NULL;
    cr_assert_eq(oa_response(a, &r), 0);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "message"), "content")->valuestring, "One sec");
    const cJSON *calls = cJSON_GetObjectItem(r, "tool_calls");
    cr_expect_eq(cJSON_GetArraySize(calls), 2);
    const cJSON *args = cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 0), "arguments");
    cr_expect(cJSON_IsObject(args));
    cr_expect_str_eq(cJSON_GetObjectItem(args, "slot_id")->valuestring, "slot-1");
    const cJSON *bad = cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 1), "arguments");
    cr_expect(cJSON_IsString(bad), "malformed arguments stay text for the host to refuse");
    const cJSON *u = cJSON_GetObjectItem(r, "usage");
    cr_expect_eq(cJSON_GetObjectItem(u, "input_tokens")->valuedouble, 412);
    cr_expect_eq(cJSON_GetObjectItem(u, "output_tokens")->valuedouble, 38);
    cJSON_Delete(r);
    cJSON_Delete(a);

    a = cJSON_Parse("{\"choices\":[]}");
    cr_expect_eq(oa_response(a, &r), BW_E_REMOTE);
    cJSON_Delete(a);
}
