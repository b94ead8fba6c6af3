/*
 * A valid EMR plugin built against ABI 1.0: loads into hosts 1.0 and 1.1.
 * Its catalog is built with the SDK and cJSON, so the symbol check also
 * proves a plugin linking the SDK still exports only its entry.
 */
#include <bookwell-sdk/sdk.h>

struct bw_buf;
struct bw_call;
struct bw_error;
static int fx_sdk_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                          struct bw_error *err);
#define FX_CATALOG fx_sdk_catalog
#include "fixture.h"

static int fx_sdk_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                          struct bw_error *err)
{
    const struct fx_instance *in = instance;
    cJSON *root = cJSON_CreateObject();
    (void)call;
    if (!root || !cJSON_AddArrayToObject(root, "locations") ||
        !cJSON_AddArrayToObject(root, "services") || !cJSON_AddArrayToObject(root, "providers")) {
        cJSON_Delete(root);
        return bwsdk_error(err, BW_E_NOMEM, NULL, "out of memory");
    }
    int rc = bwsdk_json_emit(in->host, out, root);
    cJSON_Delete(root);
    return rc;
}
