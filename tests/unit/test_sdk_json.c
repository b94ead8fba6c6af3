/*
 * SDK JSON: payloads from the host are parsed only under the schema id the
 * op expects, depth is bounded, paths reach into objects and arrays with
 * type checks, integers are exact or refused, and results reach the host's
 * buffer through the services table.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <bookwell/emr.h>
#include <bookwell-sdk/sdk.h>

/* A stand-in for the host's buffer and the one service the SDK uses. */
struct bw_buf {
    char data[4096];
    size_t len;
};

static int buf_append(struct bw_buf *b, const void *data, uint64_t len)
{
    if (b->len + len >= sizeof b->data)
        return BW_E_NOMEM;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

static const struct bw_host host = { .struct_size = sizeof host, .abi_major = 1,
                                     .buf_append = buf_append };

static struct bw_json payload(const char *schema, const char *text)
{
    return (struct bw_json){ schema, (const uint8_t *)text, strlen(text) };
}

Test(sdk_json, parse_checks_the_schema)
{
    cJSON *doc;
    struct bw_json in = payload(BW_SCHEMA_EMR_AVAILABILITY_QUERY,
                                "{\"service_id\":\"s1\",\"from\":\"2027-03-03T09:00:00Z\"}");
    cr_assert_eq(bwsdk_json_parse(&in, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &doc), 0);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "service_id", "?"), "s1");
    cJSON_Delete(doc);
    cr_expect_eq(bwsdk_json_parse(&in, BW_SCHEMA_EMR_BOOKING_REQUEST, &doc), BW_E_INVAL);
    cr_expect_null(doc);
    cr_assert_eq(bwsdk_json_parse(&in, NULL, &doc), 0, "NULL schema: any");
    cJSON_Delete(doc);
    in.schema = NULL;
    cr_expect_eq(bwsdk_json_parse(&in, BW_SCHEMA_EMR_AVAILABILITY_QUERY, &doc), BW_E_INVAL);
}

Test(sdk_json, parse_refuses_malformed_and_too_deep)
{
    cJSON *doc;
    const char *bad[] = { "", "{", "{\"a\":}", "[1,2", "nul", "{\"a\":1}x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(bwsdk_json_parse_bytes(bad[i], strlen(bad[i]), &doc), BW_E_INVAL,
                     "\"%s\" accepted", bad[i]);
    /* Length-bounded: the text after len is not read. */
    cr_assert_eq(bwsdk_json_parse_bytes("{\"a\":1}garbage", 7, &doc), 0);
    cJSON_Delete(doc);

    char deep[2 * (BWSDK_JSON_MAX_DEPTH + 1) + 1];
    for (int i = 0; i <= BWSDK_JSON_MAX_DEPTH; i++) {
        deep[i] = '[';
        deep[2 * (BWSDK_JSON_MAX_DEPTH + 1) - 1 - i] = ']';
    }
    deep[sizeof deep - 1] = 0;
    cr_expect_eq(bwsdk_json_parse_bytes(deep, strlen(deep), &doc), BW_E_INVAL, "depth %d",
                 BWSDK_JSON_MAX_DEPTH + 1);
    /* One level less is fine. */
    cr_assert_eq(bwsdk_json_parse_bytes(deep + 1, strlen(deep) - 2, &doc), 0);
    cJSON_Delete(doc);
}

Test(sdk_json, paths_and_types)
{
    const char *text = "{\"data\":{\"items\":[{\"id\":\"a1\",\"n\":3,\"ok\":true},"
                       "{\"id\":\"b2\",\"n\":\"42\",\"big\":9007199254740993,\"f\":1.5}]},"
                       "\"a.b\":1}";
    cJSON *doc;
    cr_assert_eq(bwsdk_json_parse_bytes(text, strlen(text), &doc), 0);
    const char *s;
    int64_t n;
    bool b;
    cr_expect_eq(bwsdk_json_string(doc, "data.items.1.id", &s), 0);
    cr_expect_str_eq(s, "b2");
    cr_expect_eq(bwsdk_json_int(doc, "data.items.0.n", &n), 0);
    cr_expect_eq(n, 3);
    cr_expect_eq(bwsdk_json_int(doc, "data.items.1.n", &n), 0, "digit strings are integers");
    cr_expect_eq(n, 42);
    cr_expect_eq(bwsdk_json_bool(doc, "data.items.0.ok", &b), 0);
    cr_expect(b);
    cr_expect_eq(bwsdk_json_int(doc, "data.items.1.big", &n), BW_E_INVAL, "beyond 2^53");
    cr_expect_eq(bwsdk_json_int(doc, "data.items.1.f", &n), BW_E_INVAL, "a fraction");
    cr_expect_eq(bwsdk_json_string(doc, "data.items.0.n", &s), BW_E_INVAL, "wrong type");
    cr_expect_eq(bwsdk_json_bool(doc, "data.items.1.id", &b), BW_E_INVAL);
    cr_expect_null(bwsdk_json_path(doc, "data.items.2"));
    cr_expect_null(bwsdk_json_path(doc, "data.items.x"));
    cr_expect_null(bwsdk_json_path(doc, "data.items.0.id.deeper"));
    cr_expect_null(bwsdk_json_path(doc, "data.item"));
    cr_expect_null(bwsdk_json_path(doc, "a.b"), "dots always separate steps");
    cr_expect_eq(bwsdk_json_path(doc, ""), doc);
    cr_expect_str_eq(bwsdk_json_string_or(doc, "missing", "dflt"), "dflt");
    cJSON_Delete(doc);
}

Test(sdk_json, build_and_emit_through_the_host)
{
    struct bw_buf out = { .len = 0 };
    cJSON *o = cJSON_CreateObject();
    cr_assert_eq(bwsdk_json_add_int(o, "price_minor", 12500), 0);
    cr_assert_eq(bwsdk_json_add_strn(o, "id", "abcdef", 3), 0);
    cr_expect_eq(bwsdk_json_add_int(o, "huge", INT64_C(1) << 60), BW_E_INVAL);
    cr_assert_eq(bwsdk_json_emit(&host, &out, o), 0);
    cr_expect_str_eq(out.data, "{\"price_minor\":12500,\"id\":\"abc\"}");
    cJSON_Delete(o);
}

Test(sdk_json, an_answer_is_emitted_and_freed)
{
    struct bw_buf out = { .len = 0 };
    struct bw_error err = { .struct_size = sizeof err };
    cJSON *o = cJSON_CreateObject();
    cr_assert_not_null(cJSON_AddStringToObject(o, "id", "a1"));
    cr_assert_eq(bwsdk_json_answer(&host, &out, o, &err), 0);
    cr_expect_str_eq(out.data, "{\"id\":\"a1\"}");
    cr_expect_eq(bwsdk_json_answer(&host, &out, NULL, &err), BW_E_NOMEM,
                 "a document that could not be built");
    cr_expect_eq(err.code, BW_E_NOMEM);
    cr_expect_str_eq(err.message, "out of memory");
}

Test(sdk_json, a_string_or_number_as_text)
{
    cJSON *doc = NULL;
    char buf[16];
    const char *t = "{\"s\":\"p-7\",\"n\":12345,\"b\":true}";
    cr_assert_eq(bwsdk_json_parse_bytes(t, strlen(t), &doc), 0);
    cr_expect_str_eq(bwsdk_json_text(doc, "s", buf, sizeof buf), "p-7");
    cr_expect_str_eq(bwsdk_json_text(doc, "n", buf, sizeof buf), "12345");
    cr_expect_str_eq(bwsdk_json_text(doc, "b", buf, sizeof buf), "");
    cr_expect_str_eq(bwsdk_json_text(doc, "missing", buf, sizeof buf), "");
    cJSON_Delete(doc);
}
