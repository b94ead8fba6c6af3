/*
 * The layout of every public struct of the ABI, pinned for x86_64 (LP64),
 * and checked at compile time: any translation unit that includes this
 * header fails to compile when a struct of include/bookwell/ no longer has
 * the layout recorded here. The host's plugin loader and the SDK include it,
 * so bookwelld and libbookwell-sdk cannot be built with a layout that differs
 * from the recorded one; plugins may include it too. tests/abi/test_layout.c
 * also checks that every struct and member of the headers is pinned here,
 * that no struct has implicit padding, and that members only ever append.
 *
 * How to change the ABI (docs/ABI.md, "Changing the ABI"):
 *  - Lines of BW_LAYOUT_FIELDS are never edited or removed within a major
 *    version: a released offset is forever. A new member gets a new line
 *    with the minor it appeared in, after the struct's existing lines.
 *  - Sizes are pinned per minor. Adding a member changes a size, which
 *    fails the current minor's block until BW_ABI_MINOR is bumped and a new
 *    block BW_LAYOUT_SIZES_1_<minor> is added for it (older blocks stay, as
 *    the record of what each release looked like).
 * So a layout change without an ABI bump does not build, and a bump cannot
 * move anything that was released.
 */
#ifndef BOOKWELL_ABI_LAYOUT_H
#define BOOKWELL_ABI_LAYOUT_H

#include <stddef.h>

#include <bookwell/abi.h>
#include <bookwell/ai.h>
#include <bookwell/channel.h>
#include <bookwell/emr.h>
#include <bookwell/host.h>
#include <bookwell/payment.h>
#include <bookwell/plugin.h>

/* F(struct tag, member, minor it appeared in, offset, size), in declaration
 * order within each struct. */
#define BW_LAYOUT_FIELDS(F)                                   \
    F(bw_str, ptr, 0, 0, 8)                               \
    F(bw_str, len, 0, 8, 8)                               \
                                                          \
    F(bw_bytes, ptr, 0, 0, 8)                             \
    F(bw_bytes, len, 0, 8, 8)                             \
                                                          \
    F(bw_json, schema, 0, 0, 8)                           \
    F(bw_json, data, 0, 8, 8)                             \
    F(bw_json, len, 0, 16, 8)                             \
                                                          \
    F(bw_error, struct_size, 0, 0, 4)                     \
    F(bw_error, code, 0, 4, 4)                            \
    F(bw_error, retry_after_ms, 0, 8, 8)                  \
    F(bw_error, http_status, 0, 16, 4)                    \
    F(bw_error, _reserved, 0, 20, 4)                      \
    F(bw_error, provider_code, 0, 24, 64)                 \
    F(bw_error, message, 0, 88, 256)                      \
                                                          \
    F(bw_http_header, name, 0, 0, 16)                     \
    F(bw_http_header, value, 0, 16, 16)                   \
                                                          \
    F(bw_http_request, struct_size, 0, 0, 4)              \
    F(bw_http_request, flags, 0, 4, 4)                    \
    F(bw_http_request, method, 0, 8, 8)                   \
    F(bw_http_request, url, 0, 16, 8)                     \
    F(bw_http_request, headers, 0, 24, 8)                 \
    F(bw_http_request, n_headers, 0, 32, 8)               \
    F(bw_http_request, body, 0, 40, 16)                   \
    F(bw_http_request, timeout_ms, 0, 56, 8)              \
                                                          \
    F(bw_http_response, struct_size, 0, 0, 4)             \
    F(bw_http_response, status, 0, 4, 4)                  \
    F(bw_http_response, headers, 0, 8, 8)                 \
    F(bw_http_response, n_headers, 0, 16, 8)              \
    F(bw_http_response, body, 0, 24, 16)                  \
                                                          \
    F(bw_host, struct_size, 0, 0, 4)                      \
    F(bw_host, abi_major, 0, 4, 4)                        \
    F(bw_host, abi_minor, 0, 8, 4)                        \
    F(bw_host, _reserved, 0, 12, 4)                       \
    F(bw_host, log, 0, 16, 8)                             \
    F(bw_host, buf_append, 0, 24, 8)                      \
    F(bw_host, buf_truncate, 0, 32, 8)                    \
    F(bw_host, buf_view, 0, 40, 8)                        \
    F(bw_host, buf_scratch, 0, 48, 8)                     \
    F(bw_host, now_us, 0, 56, 8)                          \
    F(bw_host, mono_us, 0, 64, 8)                         \
    F(bw_host, deadline_ms, 0, 72, 8)                     \
    F(bw_host, check, 0, 80, 8)                           \
    F(bw_host, http, 0, 88, 8)                            \
    F(bw_host, hmac, 0, 96, 8)                            \
    F(bw_host, digest, 0, 104, 8)                         \
    F(bw_host, base64_encode, 0, 112, 8)                  \
    F(bw_host, base64_decode, 0, 120, 8)                  \
    F(bw_host, ct_equal, 0, 128, 8)                       \
    F(bw_host, config_string, 0, 136, 8)                  \
    F(bw_host, config_int, 0, 144, 8)                     \
    F(bw_host, config_bool, 0, 152, 8)                    \
    F(bw_host, config_duration_ms, 0, 160, 8)             \
    F(bw_host, config_list_count, 0, 168, 8)              \
    F(bw_host, config_list_item, 0, 176, 8)               \
    F(bw_host, secret, 0, 184, 8)                         \
    F(bw_host, kv_get, 0, 192, 8)                         \
    F(bw_host, kv_put, 0, 200, 8)                         \
    F(bw_host, kv_delete, 0, 208, 8)                      \
    F(bw_host, counter_add, 0, 216, 8)                    \
    F(bw_host, kv_put_if, 1, 224, 8)                      \
    F(bw_host, kv_keys, 1, 232, 8)                        \
                                                          \
    F(bw_config_field, struct_size, 0, 0, 4)              \
    F(bw_config_field, type, 0, 4, 4)                     \
    F(bw_config_field, flags, 0, 8, 4)                    \
    F(bw_config_field, _reserved, 0, 12, 4)               \
    F(bw_config_field, key, 0, 16, 8)                     \
    F(bw_config_field, default_value, 0, 24, 8)           \
    F(bw_config_field, description, 0, 32, 8)             \
    F(bw_config_field, min, 0, 40, 8)                     \
    F(bw_config_field, max, 0, 48, 8)                     \
                                                          \
    F(bw_webhook_request, struct_size, 0, 0, 4)           \
    F(bw_webhook_request, _reserved, 0, 4, 4)             \
    F(bw_webhook_request, method, 0, 8, 8)                \
    F(bw_webhook_request, url, 0, 16, 8)                  \
    F(bw_webhook_request, headers, 0, 24, 8)              \
    F(bw_webhook_request, n_headers, 0, 32, 8)            \
    F(bw_webhook_request, body, 0, 40, 16)                \
    F(bw_webhook_request, remote_addr, 0, 56, 8)          \
                                                          \
    F(bw_webhook_reply, struct_size, 0, 0, 4)             \
    F(bw_webhook_reply, status, 0, 4, 4)                  \
    F(bw_webhook_reply, body, 0, 8, 8)                    \
    F(bw_webhook_reply, content_type, 0, 16, 64)          \
                                                          \
    F(bw_plugin_descriptor, magic, 0, 0, 4)               \
    F(bw_plugin_descriptor, struct_size, 0, 4, 4)         \
    F(bw_plugin_descriptor, abi_major, 0, 8, 4)           \
    F(bw_plugin_descriptor, abi_minor, 0, 12, 4)          \
    F(bw_plugin_descriptor, abi_minor_required, 0, 16, 4) \
    F(bw_plugin_descriptor, kind, 0, 20, 4)               \
    F(bw_plugin_descriptor, flags, 0, 24, 4)              \
    F(bw_plugin_descriptor, n_config, 0, 28, 4)           \
    F(bw_plugin_descriptor, id, 0, 32, 8)                 \
    F(bw_plugin_descriptor, version, 0, 40, 8)            \
    F(bw_plugin_descriptor, description, 0, 48, 8)        \
    F(bw_plugin_descriptor, config, 0, 56, 8)             \
    F(bw_plugin_descriptor, init, 0, 64, 8)               \
    F(bw_plugin_descriptor, fini, 0, 72, 8)               \
    F(bw_plugin_descriptor, instance_open, 0, 80, 8)      \
    F(bw_plugin_descriptor, instance_close, 0, 88, 8)     \
    F(bw_plugin_descriptor, health, 0, 96, 8)             \
    F(bw_plugin_descriptor, ops, 0, 104, 8)               \
                                                          \
    F(bw_channel_ops, struct_size, 0, 0, 4)               \
    F(bw_channel_ops, _reserved, 0, 4, 4)                 \
    F(bw_channel_ops, capabilities, 0, 8, 8)              \
    F(bw_channel_ops, route_keys, 0, 16, 8)               \
    F(bw_channel_ops, webhook, 0, 24, 8)                  \
    F(bw_channel_ops, send, 0, 32, 8)                     \
    F(bw_channel_ops, webhook_route, 1, 40, 8)            \
                                                          \
    F(bw_emr_ops, struct_size, 0, 0, 4)                   \
    F(bw_emr_ops, _reserved, 0, 4, 4)                     \
    F(bw_emr_ops, capabilities, 0, 8, 8)                  \
    F(bw_emr_ops, catalog, 0, 16, 8)                      \
    F(bw_emr_ops, availability, 0, 24, 8)                 \
    F(bw_emr_ops, patient_find, 0, 32, 8)                 \
    F(bw_emr_ops, patient_create, 0, 40, 8)               \
    F(bw_emr_ops, appointment_list, 0, 48, 8)             \
    F(bw_emr_ops, book, 0, 56, 8)                         \
    F(bw_emr_ops, reschedule, 0, 64, 8)                   \
    F(bw_emr_ops, cancel, 0, 72, 8)                       \
    F(bw_emr_ops, deposit_log, 0, 80, 8)                  \
                                                          \
    F(bw_payment_ops, struct_size, 0, 0, 4)               \
    F(bw_payment_ops, _reserved, 0, 4, 4)                 \
    F(bw_payment_ops, link_create, 0, 8, 8)               \
    F(bw_payment_ops, webhook, 0, 16, 8)                  \
    F(bw_payment_ops, refund, 0, 24, 8)                   \
    F(bw_payment_ops, link_cancel, 0, 32, 8)              \
    F(bw_payment_ops, route_keys, 1, 40, 8)               \
    F(bw_payment_ops, webhook_route, 1, 48, 8)            \
                                                          \
    F(bw_ai_ops, struct_size, 0, 0, 4)                    \
    F(bw_ai_ops, _reserved, 0, 4, 4)                      \
    F(bw_ai_ops, complete, 0, 8, 8)

/* S(struct tag, sizeof) as released in ABI 1.0. */
#define BW_LAYOUT_SIZES_1_0(S)                                \
    S(bw_str, 16)                                         \
    S(bw_bytes, 16)                                       \
    S(bw_json, 24)                                        \
    S(bw_error, 344)                                      \
    S(bw_http_header, 32)                                 \
    S(bw_http_request, 64)                                \
    S(bw_http_response, 40)                               \
    S(bw_host, 224)                                       \
    S(bw_config_field, 56)                                \
    S(bw_webhook_request, 64)                             \
    S(bw_webhook_reply, 80)                               \
    S(bw_plugin_descriptor, 112)                          \
    S(bw_channel_ops, 40)                                 \
    S(bw_emr_ops, 88)                                     \
    S(bw_payment_ops, 40)                                 \
    S(bw_ai_ops, 16)

/* S(struct tag, sizeof) as released in ABI 1.1. */
#define BW_LAYOUT_SIZES_1_1(S)                                \
    S(bw_str, 16)                                         \
    S(bw_bytes, 16)                                       \
    S(bw_json, 24)                                        \
    S(bw_error, 344)                                      \
    S(bw_http_header, 32)                                 \
    S(bw_http_request, 64)                                \
    S(bw_http_response, 40)                               \
    S(bw_host, 240)                                       \
    S(bw_config_field, 56)                                \
    S(bw_webhook_request, 64)                             \
    S(bw_webhook_reply, 80)                               \
    S(bw_plugin_descriptor, 112)                          \
    S(bw_channel_ops, 48)                                 \
    S(bw_emr_ops, 88)                                     \
    S(bw_payment_ops, 56)                                 \
    S(bw_ai_ops, 16)

/* The size block of the minor this header describes. */
#if BW_ABI_MAJOR == 1 && BW_ABI_MINOR == 0
#define BW_LAYOUT_SIZES BW_LAYOUT_SIZES_1_0
#elif BW_ABI_MAJOR == 1 && BW_ABI_MINOR == 1
#define BW_LAYOUT_SIZES BW_LAYOUT_SIZES_1_1
#else
#error "abi_layout.h has no size block for this ABI version: add BW_LAYOUT_SIZES_<major>_<minor> (docs/ABI.md)"
#endif

#if defined(__x86_64__) && defined(__LP64__) && !defined(__cplusplus)

#define BW_LAYOUT_ASSERT_FIELD(t, m, since, off, size)                                   \
    _Static_assert(offsetof(struct t, m) == (off),                                       \
                   "ABI layout: offset of " #t "." #m " changed (released offsets are final)"); \
    _Static_assert(sizeof(((struct t *)0)->m) == (size),                                 \
                   "ABI layout: size of " #t "." #m " changed (released members are final)");  \
    _Static_assert((since) <= BW_ABI_MINOR,                                              \
                   "ABI layout: " #t "." #m " is pinned for a minor newer than BW_ABI_MINOR");

#define BW_LAYOUT_ASSERT_SIZE(t, size)                                                   \
    _Static_assert(sizeof(struct t) == (size),                                           \
                   "ABI layout: sizeof(struct " #t ") differs from this minor's pin: "   \
                   "a layout change needs an ABI version bump");

BW_LAYOUT_FIELDS(BW_LAYOUT_ASSERT_FIELD)
BW_LAYOUT_SIZES(BW_LAYOUT_ASSERT_SIZE)

#endif

#endif
