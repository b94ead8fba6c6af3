/*
 * When the A2P watch goes on (a2p_in_progress over the report the Twilio
 * plugin gives): only while the binding registers, the numbers are not all
 * on a verified campaign, and neither the brand nor the campaign failed.
 */
#include <criterion/criterion.h>

#include "a2p.h"

static bool in_progress(const char *json)
{
    cJSON *r = cJSON_Parse(json);
    cr_assert_not_null(r, "%s", json);
    bool b = a2p_in_progress(r);
    cJSON_Delete(r);
    return b;
}

Test(a2p, the_watch_goes_on_only_while_a_registration_is_under_way)
{
    cr_expect(in_progress("{\"registering\":true,\"registered\":false,\"brand\":null,\"campaign\":null}"),
              "nothing registered yet");
    cr_expect(in_progress("{\"registering\":true,\"registered\":false,"
                          "\"brand\":{\"status\":\"PENDING\"},\"campaign\":null}"));
    cr_expect(in_progress("{\"registering\":true,\"registered\":false,\"brand\":{\"status\":\"APPROVED\"},"
                          "\"campaign\":{\"status\":\"IN_PROGRESS\"}}"));
    cr_expect_not(in_progress("{\"registering\":true,\"registered\":true,\"brand\":{\"status\":\"APPROVED\"},"
                              "\"campaign\":{\"status\":\"VERIFIED\"}}"), "done");
    cr_expect_not(in_progress("{\"registering\":true,\"registered\":false,"
                              "\"brand\":{\"status\":\"FAILED\"},\"campaign\":null}"), "brand failed");
    cr_expect_not(in_progress("{\"registering\":true,\"registered\":false,\"brand\":{\"status\":\"APPROVED\"},"
                              "\"campaign\":{\"status\":\"FAILED\"}}"), "campaign failed");
    cr_expect_not(in_progress("{\"registering\":false,\"registered\":false,\"brand\":null}"),
                  "a binding that does not register is only read on demand");
}
