/*
 * Fixture plugins for the loader tests. Included once by each fx_*.c, it
 * builds a valid EMR plugin ("emr.fixture" 1.0.0, ABI 1.0) whose descriptor
 * members can each be overridden by defining FX_<MEMBER> first, so every
 * fixture breaks exactly one thing. The ops do little: the loader never
 * calls them, but they are real functions of the right types.
 */
#ifndef BW_TESTS_ABI_FIXTURE_H
#define BW_TESTS_ABI_FIXTURE_H

#include <string.h>

#include <bookwell/emr.h>

#ifndef FX_MAGIC
#define FX_MAGIC BW_PLUGIN_MAGIC
#endif
#ifndef FX_STRUCT_SIZE
#define FX_STRUCT_SIZE sizeof(struct bw_plugin_descriptor)
#endif
#ifndef FX_ABI_MAJOR
#define FX_ABI_MAJOR BW_ABI_MAJOR
#endif
#ifndef FX_ABI_MINOR
#define FX_ABI_MINOR 0 /* the fixtures are plugins built against ABI 1.0 */
#endif
#ifndef FX_ABI_MINOR_REQUIRED
#define FX_ABI_MINOR_REQUIRED 0
#endif
#ifndef FX_KIND
#define FX_KIND BW_KIND_EMR
#endif
#ifndef FX_ID
#define FX_ID "emr.fixture"
#endif
#ifndef FX_VERSION
#define FX_VERSION "1.0.0"
#endif
#ifndef FX_DESCRIPTION
#define FX_DESCRIPTION "loader test fixture"
#endif
#ifndef FX_CATALOG
#define FX_CATALOG fx_catalog
#endif
#ifndef FX_INSTANCE_CLOSE
#define FX_INSTANCE_CLOSE fx_instance_close
#endif
#ifndef FX_SCHEMA_EXTRA
#define FX_SCHEMA_EXTRA
#endif

struct fx_instance {
    const struct bw_host *host;
};

static struct fx_instance fx_the_instance;

static int fx_instance_open(const struct bw_host *host, void *state, struct bw_call *call,
                            void **instance, struct bw_error *err)
{
    (void)state;
    (void)call;
    (void)err;
    fx_the_instance.host = host;
    *instance = &fx_the_instance;
    return 0;
}

static __attribute__((unused)) void fx_instance_close(void *state, void *instance)
{
    (void)state;
    (void)instance;
}

static int fx_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_LINK_ONLY;
    return 0;
}

static __attribute__((unused)) int fx_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                      struct bw_error *err)
{
    static const char empty[] = "{\"locations\":[],\"services\":[],\"providers\":[]}";
    const struct fx_instance *in = instance;
    (void)call;
    (void)err;
    return in->host->buf_append(out, empty, strlen(empty));
}

static const struct bw_emr_ops fx_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = fx_capabilities,
    .catalog = FX_CATALOG,
};

static const struct bw_config_field fx_config[] = {
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_STRING,
      .flags = BW_CFG_F_REQUIRED, .key = "booking_url", .description = "link for patients" },
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_DURATION,
      .key = "timeout", .default_value = "10s", .min = 1000, .max = 60000 },
    { .struct_size = sizeof(struct bw_config_field), .type = BW_CFG_SECRET,
      .key = "api_key" },
    FX_SCHEMA_EXTRA
};

static const struct bw_plugin_descriptor fx_descriptor = {
    .magic = FX_MAGIC,
    .struct_size = FX_STRUCT_SIZE,
    .abi_major = FX_ABI_MAJOR,
    .abi_minor = FX_ABI_MINOR,
    .abi_minor_required = FX_ABI_MINOR_REQUIRED,
    .kind = FX_KIND,
    .id = FX_ID,
    .version = FX_VERSION,
    .description = FX_DESCRIPTION,
    .config = fx_config,
    .n_config = sizeof fx_config / sizeof fx_config[0],
    .instance_open = fx_instance_open,
    .instance_close = FX_INSTANCE_CLOSE,
    .ops = &fx_ops,
};

#ifndef FX_CUSTOM_ENTRY
BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_major;
    (void)host_minor;
    return &fx_descriptor;
}
#endif

#endif
