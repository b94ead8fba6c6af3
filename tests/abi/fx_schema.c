/* A config schema that declares the key "timeout" twice. */
#define FX_SCHEMA_EXTRA                                                           \
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_INT,        \
      .key = "timeout", .default_value = "5" },
#include "fixture.h"
