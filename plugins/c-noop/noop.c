/*
 * c-noop: the C twin of the Rust `noop` plugin. Every phase function is
 * present and does nothing, so each phase crosses the plugin boundary and
 * the host pays the whole ABI cost, but no plugin-side conversion to Rust
 * values (which the Rust SDK does for its `Hook`).
 *
 * The plugin_echo benchmark builds it to separate those two costs:
 *     cc -shared -fPIC -O2 -I plugin-sdk/include -o libc_noop.so noop.c
 */
#include <stddef.h>
#include <stdint.h>

#include "light_runtime_plugin.h"

static int instance_marker;

static int32_t noop_create(const void *data, lr_bytes config, lr_output *output,
                           void **instance) {
    (void)data;
    (void)config;
    (void)output;
    *instance = &instance_marker;
    return LR_CONTINUE;
}

static void noop_destroy(void *instance) { (void)instance; }

static int32_t noop_function(void *instance, const lr_function *function, lr_output *output) {
    (void)instance;
    (void)function;
    (void)output;
    return LR_CONTINUE;
}

static int32_t noop_before_invoke(void *instance, const lr_context *context, lr_bytes event,
                                  lr_output *output) {
    (void)instance;
    (void)context;
    (void)event;
    (void)output;
    return LR_CONTINUE;
}

static int32_t noop_outcome(void *instance, const lr_context *context,
                            const lr_outcome *outcome, lr_output *output) {
    (void)instance;
    (void)context;
    (void)outcome;
    (void)output;
    return LR_CONTINUE;
}

static int32_t noop_instance(void *instance, lr_output *output) {
    (void)instance;
    (void)output;
    return LR_CONTINUE;
}

static void noop_end(void *instance, int32_t exit_code) {
    (void)instance;
    (void)exit_code;
}

static const lr_plugin NOOP = {
    .abi_version = LR_ABI_VERSION,
    .size = sizeof(lr_plugin),
    .name = {(const uint8_t *)"c-noop", 6},
    .data = NULL,
    .create = noop_create,
    .destroy = noop_destroy,
    .runtime_start = noop_function,
    .function_start = noop_function,
    .before_invoke = noop_before_invoke,
    .after_invoke = noop_outcome,
    .after_response = noop_outcome,
    .freeze = noop_instance,
    .close = noop_instance,
    .end = noop_end,
};

const lr_plugin *light_runtime_plugin(uint32_t host_abi_version) {
    (void)host_abi_version; /* the host checks abi_version in the table */
    return &NOOP;
}
