/*
 * light_runtime_plugin.h: the light-runtime hook plugin C ABI, version 2.
 *
 * A plugin is a shared library exporting one function,
 *
 *     const lr_plugin *light_runtime_plugin(uint32_t host_abi_version);
 *
 * that returns a static table: the ABI version, the plugin's name and one
 * function per lifecycle phase (NULL for "nothing to do", which costs
 * nothing: the runtime then neither calls nor times the plugin in that
 * phase). The full rules
 * (ownership, threading, statuses, what each phase may change) are in
 * docs/plugin-abi.md; this header mirrors runtime-engine/src/plugin/abi/
 * field for field.
 */
#ifndef LIGHT_RUNTIME_PLUGIN_H
#define LIGHT_RUNTIME_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version of this header; the host refuses a table with another. */
#define LR_ABI_VERSION 2u

/* The name of the one symbol a plugin exports. */
#define LR_ENTRY_SYMBOL "light_runtime_plugin"

/* Phase function statuses. */
#define LR_CONTINUE 0  /* go on (the only success outside BeforeInvoke) */
#define LR_RESPOND 1   /* BeforeInvoke: answer in place of the handler */
#define LR_FAILED (-1) /* the phase failed; say why with output->fail */

/* lr_function.platform */
#define LR_PLATFORM_AWS_LAMBDA 0u
#define LR_PLATFORM_ALIYUN_FC 1u
#define LR_PLATFORM_TENCENT_SCF 2u
#define LR_PLATFORM_HTTP 3u
#define LR_PLATFORM_LOCAL 4u

/* lr_context.trigger (OpenTelemetry faas.trigger) */
#define LR_TRIGGER_OTHER 0u
#define LR_TRIGGER_DATASOURCE 1u
#define LR_TRIGGER_HTTP 2u
#define LR_TRIGGER_PUBSUB 3u
#define LR_TRIGGER_TIMER 4u

/* lr_context.trace_flags */
#define LR_TRACE_SAMPLED 1u /* the caller sampled the trace */

/* lr_outcome.error_kind */
#define LR_ERROR_HANDLER 0u
#define LR_ERROR_PANIC 1u
#define LR_ERROR_MALFORMED_EVENT 2u
#define LR_ERROR_TIMEOUT 3u
#define LR_ERROR_HOOK 4u
#define LR_ERROR_RUNTIME 5u

/* Borrowed bytes, valid for the call they are passed to. Text is UTF-8 and
 * NOT NUL-terminated. ptr may be NULL when len is 0. */
typedef struct lr_bytes {
    const uint8_t *ptr;
    size_t len;
} lr_bytes;

/* The function's static facts. Absent text is empty. */
typedef struct lr_function {
    uint32_t platform;        /* LR_PLATFORM_* */
    uint32_t memory_mb;       /* 0 when unknown */
    uint32_t max_concurrency; /* invocations the platform may send at once */
    lr_bytes name;
    lr_bytes version;
    lr_bytes region;
    lr_bytes account_id;
} lr_function;

/* One invocation's context. Absent text is empty; credentials never cross. */
typedef struct lr_context {
    const lr_function *function;
    lr_bytes request_id;
    uint64_t deadline_epoch_ms; /* 0: no deadline */
    uint64_t sequence;          /* 1 for the cold start, then 2, 3, ... */
    uint32_t trigger;           /* LR_TRIGGER_* */
    uint32_t cold_start;        /* 1 or 0 */
    lr_bytes invoked_function_arn;
    lr_bytes trace_header; /* as the platform sent it */
    /* The trace normalised to W3C trace context, when the header parsed:
     * has_trace is 1 and the three fields after it hold it; else all 0. */
    uint32_t has_trace;
    uint32_t trace_flags; /* W3C trace flags: LR_TRACE_SAMPLED */
    uint8_t trace_id[16];
    uint8_t parent_id[8]; /* the caller's span */
    lr_bytes tenant_id;
} lr_context;

/* How an invocation ended. */
typedef struct lr_outcome {
    uint32_t is_error;   /* 0: body/content_type; 1: error_* */
    uint32_t error_kind; /* LR_ERROR_*, for errors */
    lr_bytes body;
    lr_bytes content_type;
    lr_bytes error_type; /* e.g. "Function.Panic" */
    lr_bytes error_message;
} lr_outcome;

/* Callbacks into the host, valid only during the call; pass `host` as the
 * first argument. The host copies what it is given before returning. */
typedef struct lr_output {
    void *host;
    /* BeforeInvoke: replace the event the handler will see. */
    void (*set_event)(void *host, lr_bytes event);
    /* BeforeInvoke (with LR_RESPOND) or AfterInvoke: the outcome becomes
     * this response; an empty content type means application/json. */
    void (*set_response)(void *host, lr_bytes body, lr_bytes content_type);
    /* BeforeInvoke (with LR_RESPOND) or AfterInvoke: the outcome becomes
     * this error. */
    void (*set_error)(void *host, lr_bytes error_type, lr_bytes message);
    /* Any phase returning LR_FAILED: why. */
    void (*fail)(void *host, lr_bytes message);
} lr_output;

/* The table light_runtime_plugin returns. Every function may be NULL except
 * create. Functions may be called from any thread, concurrently. */
typedef struct lr_plugin {
    uint32_t abi_version; /* LR_ABI_VERSION; always the first field */
    uint32_t size;        /* sizeof(lr_plugin) */
    lr_bytes name;        /* static; used in timings, logs and errors */
    const void *data;     /* passed back to create untouched */

    /* Make an instance from the config (JSON text, may be empty); store it
     * in *instance and return LR_CONTINUE, or fail and return LR_FAILED. */
    int32_t (*create)(const void *data, lr_bytes config, lr_output *output, void **instance);
    void (*destroy)(void *instance);

    int32_t (*runtime_start)(void *instance, const lr_function *function, lr_output *output);
    int32_t (*function_start)(void *instance, const lr_function *function, lr_output *output);
    int32_t (*before_invoke)(void *instance, const lr_context *context, lr_bytes event,
                             lr_output *output);
    int32_t (*after_invoke)(void *instance, const lr_context *context, const lr_outcome *outcome,
                            lr_output *output);
    int32_t (*after_response)(void *instance, const lr_context *context,
                              const lr_outcome *outcome, lr_output *output);
    int32_t (*freeze)(void *instance, lr_output *output);
    int32_t (*close)(void *instance, lr_output *output);
    void (*end)(void *instance, int32_t exit_code);
} lr_plugin;

/* Borrow a NUL-terminated string as lr_bytes. */
static inline lr_bytes lr_str(const char *text) {
    size_t len = 0;
    while (text[len] != '\0') {
        len++;
    }
    lr_bytes bytes = {(const uint8_t *)text, len};
    return bytes;
}

#ifdef __cplusplus
}
#endif

#endif /* LIGHT_RUNTIME_PLUGIN_H */
