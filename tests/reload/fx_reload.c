/*
 * The reload tests' fixture plugin: an EMR whose catalog op sleeps a
 * random time between the instance's min_ms and max_ms (in slices,
 * honouring cancellation and the deadline) and answers with its own
 * version, so a caller can tell which version served it. Built several
 * times from this file: FX_VERSION sets the version, FX_ID the id, and
 * FX_FAIL_OPEN makes every instance_open fail. With trace_file set, every
 * lifecycle call appends a line ("init 1.0.0", "open 1.0.0 LABEL", "close
 * 1.0.0 LABEL", "fini 1.0.0") so tests can see when the host called what.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bookwell/emr.h>

#ifndef FX_ID
#define FX_ID "emr.reloadfx"
#endif
#ifndef FX_VERSION
#define FX_VERSION "1.0.0"
#endif

struct fx_state {
    const struct bw_host *host;
};

struct fx_instance {
    const struct bw_host *host;
    int64_t min_ms, max_ms;
    char label[64];
    char trace[512];
};

static void trace(const char *path, const char *what, const char *label)
{
    char line[256];
    if (!path || !path[0])
        return;
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", what, FX_VERSION, label ? " " : "",
                     label ? label : "");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    /* One write per line: O_APPEND keeps concurrent lines whole. */
    if (write(fd, line, (size_t)n) != n)
        n = 0;
    close(fd);
}

/* The trace file of init/fini comes from the environment: they have no
 * instance configuration. */
static const char *global_trace(void) { return getenv("BW_FX_TRACE"); }

static int fx_init(const struct bw_host *host, struct bw_call *call, void **state)
{
    (void)call;
    struct fx_state *s = malloc(sizeof *s);
    if (!s)
        return BW_E_NOMEM;
    s->host = host;
    *state = s;
    trace(global_trace(), "init", NULL);
    return 0;
}

static void fx_fini(void *state)
{
    trace(global_trace(), "fini", NULL);
    free(state);
}

static int fx_instance_open(const struct bw_host *host, void *state, struct bw_call *call,
                            void **instance, struct bw_error *err)
{
    (void)state;
    struct fx_instance *in = calloc(1, sizeof *in);
    struct bw_str s;
    int32_t fail = 0;
    if (!in)
        return BW_E_NOMEM;
    in->host = host;
    if (host->config_int(call, "min_ms", &in->min_ms) != 0 ||
        host->config_int(call, "max_ms", &in->max_ms) != 0 ||
        host->config_bool(call, "fail_open", &fail) != 0)
        goto config;
    if (host->config_string(call, "label", &s) == 0)
        snprintf(in->label, sizeof in->label, "%.*s", (int)s.len, s.ptr);
    if (host->config_string(call, "trace_file", &s) == 0)
        snprintf(in->trace, sizeof in->trace, "%.*s", (int)s.len, s.ptr);
#ifdef FX_FAIL_OPEN
    fail = 1;
#endif
    if (fail) {
        snprintf(err->message, sizeof err->message, "this instance refuses to open");
        free(in);
        return BW_E_AUTH;
    }
    if (in->max_ms < in->min_ms)
        goto config;
    trace(in->trace, "open", in->label);
    *instance = in;
    return 0;
config:
    snprintf(err->message, sizeof err->message, "min_ms and max_ms must be 0 <= min <= max");
    free(in);
    return BW_E_CONFIG;
}

static void fx_instance_close(void *state, void *instance)
{
    (void)state;
    struct fx_instance *in = instance;
    trace(in->trace, "close", in->label);
    free(in);
}

static int fx_capabilities(void *instance, struct bw_call *call, uint64_t *caps)
{
    (void)instance;
    (void)call;
    *caps = BW_EMR_CAP_LINK_ONLY;
    return 0;
}

static int fx_catalog(void *instance, struct bw_call *call, struct bw_buf *out,
                      struct bw_error *err)
{
    struct fx_instance *in = instance;
    const struct bw_host *h = in->host;
    uint64_t x = (uint64_t)h->mono_us() ^ (uint64_t)(uintptr_t)&x;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t span = in->max_ms - in->min_ms;
    int64_t sleep_ms = in->min_ms + (span > 0 ? (int64_t)(x % (uint64_t)(span + 1)) : 0);
    int64_t end = h->mono_us() + sleep_ms * 1000;
    for (;;) {
        int rc = h->check(call);
        if (rc != 0) {
            snprintf(err->message, sizeof err->message, "stopped while sleeping");
            return rc;
        }
        int64_t left = end - h->mono_us();
        if (left <= 0)
            break;
        struct timespec ts = { 0, (long)(left > 10000 ? 10000 : left) * 1000L };
        nanosleep(&ts, NULL);
    }
    char text[256];
    int n = snprintf(text, sizeof text,
                     "{\"locations\":[],\"services\":[],\"providers\":[],"
                     "\"fixture\":{\"version\":\"%s\",\"slept_ms\":%lld,\"label\":\"%s\"}}",
                     FX_VERSION, (long long)sleep_ms, in->label);
    return h->buf_append(out, text, (uint64_t)n);
}

static const struct bw_emr_ops fx_ops = {
    .struct_size = sizeof(struct bw_emr_ops),
    .capabilities = fx_capabilities,
    .catalog = fx_catalog,
};

#define FIELD(...) { .struct_size = sizeof(struct bw_config_field), __VA_ARGS__ }
static const struct bw_config_field fx_config[] = {
    FIELD(.type = BW_CFG_INT, .key = "min_ms", .default_value = "0", .min = 0, .max = 600000,
          .description = "shortest catalog call"),
    FIELD(.type = BW_CFG_INT, .key = "max_ms", .default_value = "0", .min = 0, .max = 600000,
          .description = "longest catalog call"),
    FIELD(.type = BW_CFG_BOOL, .key = "fail_open", .default_value = "false",
          .description = "refuse to open (tests)"),
    FIELD(.type = BW_CFG_STRING, .key = "label", .description = "echoed in answers and traces"),
    FIELD(.type = BW_CFG_STRING, .key = "trace_file", .description = "lifecycle trace"),
};

static const struct bw_plugin_descriptor fx_descriptor = {
    .magic = BW_PLUGIN_MAGIC,
    .struct_size = sizeof(struct bw_plugin_descriptor),
    .abi_major = BW_ABI_MAJOR,
    .abi_minor = BW_ABI_MINOR,
    .abi_minor_required = 0,
    .kind = BW_KIND_EMR,
    .id = FX_ID,
    .version = FX_VERSION,
    .description = "reload test fixture: a catalog that sleeps and names its version",
    .config = fx_config,
    .n_config = sizeof fx_config / sizeof fx_config[0],
    .init = fx_init,
    .fini = fx_fini,
    .instance_open = fx_instance_open,
    .instance_close = fx_instance_close,
    .ops = &fx_ops,
};

BW_PLUGIN_EXPORT const struct bw_plugin_descriptor *bw_plugin_entry_v1(uint32_t host_major,
                                                                       uint32_t host_minor)
{
    (void)host_major;
    (void)host_minor;
    return &fx_descriptor;
}
