/*
 * Card-number masking for the host's stored and logged text: the masking
 * itself is the SDK's (sdk/card_mask.c), shared with plugins that keep what
 * a person typed; this applies it to strings and JSON trees.
 */
#include "redact.h"

#include <bookwell-sdk/card_mask.h>

int redact_card_numbers(char *s) { return bwsdk_mask_card_numbers(s); }

int redact_json_card_numbers(cJSON *node)
{
    int masked = 0;
    if (!node)
        return 0;
    if (cJSON_IsString(node))
        return redact_card_numbers(node->valuestring);
    if (cJSON_IsArray(node) || cJSON_IsObject(node))
        for (cJSON *child = node->child; child; child = child->next)
            masked += redact_json_card_numbers(child);
    return masked;
}
