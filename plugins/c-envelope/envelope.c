/*
 * envelope: a light-runtime hook plugin written in C.
 *
 * AfterInvoke wraps every response body B as
 *     {"envelope":"<prefix>","request_id":"<id>","body":B}
 * where <prefix> is the plugin's config, a JSON string (or "c" without one).
 * BeforeInvoke answers in place of the handler when the event is exactly
 * "ping", with the response "pong".
 *
 * Build:  cc -shared -fPIC -I plugin-sdk/include -o libenvelope.so envelope.c
 * The tests build it with -DENVELOPE_ABI_VERSION=99 too, to see the host
 * refuse a plugin built for another ABI version.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "light_runtime_plugin.h"

#ifndef ENVELOPE_ABI_VERSION
#define ENVELOPE_ABI_VERSION LR_ABI_VERSION
#endif

/* The header's layout, checked against the runtime's own (the same numbers
 * are asserted in runtime-engine/src/plugin/abi/mod.rs) on 64-bit targets. */
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(sizeof(lr_context) == 128, "lr_context is 128 bytes (ABI 2)");
_Static_assert(offsetof(lr_context, has_trace) == 80, "lr_context.has_trace at 80");
_Static_assert(offsetof(lr_context, trace_id) == 88, "lr_context.trace_id at 88");
_Static_assert(offsetof(lr_context, tenant_id) == 112, "lr_context.tenant_id at 112");
_Static_assert(sizeof(lr_outcome) == 72, "lr_outcome is 72 bytes");
_Static_assert(sizeof(lr_plugin) == 112, "lr_plugin is 112 bytes");
#endif

typedef struct envelope {
    char *prefix;
    atomic_uint_fast64_t invocations;
} envelope;

static int32_t envelope_create(const void *data, lr_bytes config, lr_output *output,
                               void **instance) {
    (void)data;
    envelope *self = calloc(1, sizeof(envelope));
    /* The config is JSON text: `"acme"` for `config = "acme"` in TOML. */
    const char *prefix = config.len > 0 ? (const char *)config.ptr : "c";
    size_t len = config.len > 0 ? config.len : 1;
    if (len >= 2 && prefix[0] == '"' && prefix[len - 1] == '"') {
        prefix++;
        len -= 2;
    }
    if (self == NULL || (self->prefix = malloc(len + 1)) == NULL) {
        free(self);
        output->fail(output->host, lr_str("envelope: out of memory"));
        return LR_FAILED;
    }
    memcpy(self->prefix, prefix, len);
    self->prefix[len] = '\0';
    /* The prefix goes into JSON as a string: refuse what would break it. */
    if (strpbrk(self->prefix, "\"\\") != NULL) {
        free(self->prefix);
        free(self);
        output->fail(output->host, lr_str("envelope: the prefix may not contain \" or \\"));
        return LR_FAILED;
    }
    atomic_init(&self->invocations, 0);
    *instance = self;
    return LR_CONTINUE;
}

static void envelope_destroy(void *instance) {
    envelope *self = instance;
    free(self->prefix);
    free(self);
}

static int32_t envelope_before_invoke(void *instance, const lr_context *context, lr_bytes event,
                                      lr_output *output) {
    envelope *self = instance;
    (void)context;
    atomic_fetch_add(&self->invocations, 1);
    if (event.len == 6 && memcmp(event.ptr, "\"ping\"", 6) == 0) {
        output->set_response(output->host, lr_str("\"pong\""), lr_str("application/json"));
        return LR_RESPOND;
    }
    return LR_CONTINUE;
}

static int32_t envelope_after_invoke(void *instance, const lr_context *context,
                                     const lr_outcome *outcome, lr_output *output) {
    envelope *self = instance;
    if (outcome->is_error) {
        return LR_CONTINUE;
    }
    static const char head[] = "{\"envelope\":\"";
    static const char mid[] = "\",\"request_id\":\"";
    static const char tail[] = "\",\"body\":";
    size_t prefix_len = strlen(self->prefix);
    size_t len = (sizeof head - 1) + prefix_len + (sizeof mid - 1) + context->request_id.len +
                 (sizeof tail - 1) + outcome->body.len + 1;
    char *body = malloc(len);
    if (body == NULL) {
        output->fail(output->host, lr_str("envelope: out of memory"));
        return LR_FAILED;
    }
    char *at = body;
    memcpy(at, head, sizeof head - 1), at += sizeof head - 1;
    memcpy(at, self->prefix, prefix_len), at += prefix_len;
    memcpy(at, mid, sizeof mid - 1), at += sizeof mid - 1;
    memcpy(at, context->request_id.ptr, context->request_id.len), at += context->request_id.len;
    memcpy(at, tail, sizeof tail - 1), at += sizeof tail - 1;
    if (outcome->body.len > 0) {
        memcpy(at, outcome->body.ptr, outcome->body.len), at += outcome->body.len;
    }
    *at++ = '}';
    lr_bytes wrapped = {(const uint8_t *)body, (size_t)(at - body)};
    output->set_response(output->host, wrapped, outcome->content_type);
    free(body); /* the host copied it */
    return LR_CONTINUE;
}

static const lr_plugin ENVELOPE = {
    .abi_version = ENVELOPE_ABI_VERSION,
    .size = sizeof(lr_plugin),
    .name = {(const uint8_t *)"envelope", 8},
    .data = NULL,
    .create = envelope_create,
    .destroy = envelope_destroy,
    .before_invoke = envelope_before_invoke,
    .after_invoke = envelope_after_invoke,
    /* runtime_start, function_start, after_response, freeze, close, end:
     * NULL, nothing to do. */
};

const lr_plugin *light_runtime_plugin(uint32_t host_abi_version) {
    (void)host_abi_version; /* the host checks abi_version in the table */
    return &ENVELOPE;
}
