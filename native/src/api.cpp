// The only file that defines jllm_* exports: argument checks, one catch-all per export, status mapping.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>
#include "backend.h"
#include "cpu/kernels.h"
#include "cpu/kv_dtype.h"
#include "cpu/sampling.h"
#include "model/encoder.h"
#include "model/model.h"
#include "util/error.h"
#include "util/memory.h"

#ifndef JLLM_VERSION
#define JLLM_VERSION "0.0.0"
#endif

using namespace jllm;

struct jllm_model {
    std::unique_ptr<Model> model;
};

struct jllm_engine {
    jllm_model* model;
    EngineShape shape;
    int64_t block_bytes;                // K+V of one block over all layers, in the KV dtype
    std::unique_ptr<Backend> backend;
    std::vector<int32_t> default_rows;  // [max_num_seqs] last token of each sequence
};

namespace {

thread_local std::string t_last_error;

template <typename F>
jllm_status guarded(F&& body) {
    t_last_error.clear();
    try {
        body();
        return JLLM_OK;
    } catch (const Error& e) {
        t_last_error = e.what();
        return e.status;
    } catch (const std::bad_alloc&) {
        t_last_error = "out of host memory";
        return JLLM_HOST_OOM;
    } catch (const std::exception& e) {
        t_last_error = std::string("internal error: ") + e.what();
        return JLLM_INTERNAL;
    } catch (...) {
        t_last_error = "internal error: unknown exception";
        return JLLM_INTERNAL;
    }
}

void require(bool ok, const char* what) {
    if (!ok) fail(JLLM_INVALID_ARGUMENT, "%s", what);
}

int default_threads() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : (int)n;
}

// Every index the kernels will follow is checked here, so a bad batch is an error, never a wild read or write.
void validate_batch(const jllm_engine& e, const jllm_batch& b) {
    const EngineShape& s = e.shape;
    const ModelConfig& c = e.model->model->config;
    require(b.num_tokens >= 1 && b.num_tokens <= s.max_num_batched_tokens, "num_tokens out of range (1..max_num_batched_tokens)");
    require(b.num_seqs >= 1 && b.num_seqs <= s.max_num_seqs && b.num_seqs <= b.num_tokens, "num_seqs out of range");
    require(b.token_ids && b.positions && b.slot_mapping && b.query_start && b.context_lens && b.block_tables,
            "batch arrays must not be null");
    require(b.block_table_stride >= 1, "block_table_stride must be >= 1");
    require(b.query_start[0] == 0 && b.query_start[b.num_seqs] == b.num_tokens,
            "query_start must start at 0 and end at num_tokens");
    const int64_t slots = (int64_t)s.num_blocks * s.block_size;
    for (int32_t sq = 0; sq < b.num_seqs; sq++) {
        int32_t q0 = b.query_start[sq], q1 = b.query_start[sq + 1];
        int32_t ctx = b.context_lens[sq];
        if (q1 <= q0) fail(JLLM_INVALID_ARGUMENT, "sequence %d has no tokens", sq);
        if (ctx < q1 - q0 || ctx > s.max_model_len || ctx > (int64_t)b.block_table_stride * s.block_size)
            fail(JLLM_INVALID_ARGUMENT, "sequence %d: context_len %d out of range (max_model_len %d)", sq, ctx, s.max_model_len);
        const int32_t* table = b.block_tables + (int64_t)sq * b.block_table_stride;
        for (int32_t k = 0; k < (ctx + s.block_size - 1) / s.block_size; k++)
            if (table[k] < 0 || table[k] >= s.num_blocks)
                fail(JLLM_INVALID_ARGUMENT, "sequence %d: block table entry %d = %d out of range (num_blocks %d)", sq, k,
                     table[k], s.num_blocks);
        for (int32_t t = q0; t < q1; t++) {
            if (b.token_ids[t] < 0 || b.token_ids[t] >= c.vocab_size)
                fail(JLLM_INVALID_ARGUMENT, "token %d: id %d out of range (vocab %d)", t, b.token_ids[t], c.vocab_size);
            if (b.positions[t] < 0 || b.positions[t] >= ctx)
                fail(JLLM_INVALID_ARGUMENT, "token %d: position %d outside its sequence's context_len %d", t, b.positions[t], ctx);
            if (b.slot_mapping[t] < 0 || b.slot_mapping[t] >= slots)
                fail(JLLM_INVALID_ARGUMENT, "token %d: slot %lld out of range", t, (long long)b.slot_mapping[t]);
        }
    }
    if (b.logit_token_index) {
        // 0 rows: a step that only fills the KV cache (a prefill chunk that does not reach its prompt's end)
        require(b.num_logit_rows >= 0 && b.num_logit_rows <= s.max_logit_rows, "num_logit_rows out of range (0..max_logit_rows)");
        for (int32_t r = 0; r < b.num_logit_rows; r++)
            if (b.logit_token_index[r] < 0 || b.logit_token_index[r] >= b.num_tokens)
                fail(JLLM_INVALID_ARGUMENT, "logit row %d: token index %d out of range", r, b.logit_token_index[r]);
    } else {
        require(b.num_logit_rows == 0 || b.num_logit_rows == b.num_seqs, "num_logit_rows must be 0 or num_seqs without logit_token_index");
        require(b.num_seqs <= s.max_logit_rows, "num_seqs exceeds max_logit_rows");
    }
}

void validate_output(const jllm_step_output* out, const jllm_sampling_params* params, int32_t rows, int32_t vocab,
                     int32_t max_logprobs) {
    require(out != nullptr, "output must not be null");
    if (!params) {
        require(out->logits != nullptr, "logits-only step needs out->logits");
        return;
    }
    require(out->token_ids && out->logprobs, "out->token_ids and out->logprobs must not be null");
    for (int32_t r = 0; r < rows; r++) {
        cpu::validate_sampling_params(params[r], vocab, max_logprobs, r);
        if (params[r].num_logprobs > 0 &&
            (!out->top_ids || !out->top_logprobs || out->top_stride < params[r].num_logprobs))
            fail(JLLM_INVALID_ARGUMENT, "row %d asks for %d logprobs but the top arrays are missing or too narrow", r,
                 params[r].num_logprobs);
    }
}

void check_blocks(const int32_t* ids, int32_t n, int32_t limit, const char* what) {
    for (int32_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= limit)
            fail(JLLM_INVALID_ARGUMENT, "%s block %d = %d out of range (pool has %d)", what, i, ids[i], limit);
}

}  // namespace

extern "C" {

uint32_t jllm_abi_version(void) { return JLLM_ABI_VERSION; }

const char* jllm_build_info(void) {
    static const std::string info = [] {
        std::string s = "jllm " JLLM_VERSION " abi " + std::to_string(JLLM_ABI_VERSION) + "; backends: cpu";
#ifdef JLLM_WITH_CUDA
        s += ", cuda";
#endif
        s += "; simd: " + std::string(cpu::kernels().name);
        s += "; threads: " + std::to_string(default_threads());
        s += "; compiler: " __VERSION__;
        return s;
    }();
    return info.c_str();
}

const char* jllm_status_str(jllm_status status) {
    switch (status) {
        case JLLM_OK: return "JLLM_OK";
        case JLLM_INVALID_ARGUMENT: return "JLLM_INVALID_ARGUMENT";
        case JLLM_HOST_OOM: return "JLLM_HOST_OOM";
        case JLLM_DEVICE_OOM: return "JLLM_DEVICE_OOM";
        case JLLM_NO_FREE_BLOCKS: return "JLLM_NO_FREE_BLOCKS";
        case JLLM_UNSUPPORTED: return "JLLM_UNSUPPORTED";
        case JLLM_IO_ERROR: return "JLLM_IO_ERROR";
        case JLLM_CUDA_ERROR: return "JLLM_CUDA_ERROR";
        case JLLM_INTERNAL: return "JLLM_INTERNAL";
        default: return "JLLM_UNKNOWN_STATUS";
    }
}

const char* jllm_last_error(void) { return t_last_error.c_str(); }

void jllm_log_set(jllm_log_fn callback) { set_log_callback(callback); }

jllm_model_params jllm_model_default_params(void) {
    jllm_model_params p;
    memset(&p, 0, sizeof p);
    p.load_format = JLLM_LOAD_AUTO;
    p.dummy_dtype = JLLM_DTYPE_AUTO;
    p.dtype = JLLM_DTYPE_AUTO;
    return p;
}

jllm_status jllm_model_load(const char* path, const jllm_model_params* params, jllm_model** out) {
    return guarded([&] {
        require(path && out, "path and out must not be null");
        *out = nullptr;
        jllm_model_params p = params ? *params : jllm_model_default_params();
        auto m = std::make_unique<jllm_model>();
        m->model = load_model(path, p);
        const ModelConfig& c = m->model->config;
        log(JLLM_LOG_INFO, "loaded %s: %s, %d layers, hidden %d, heads %d/%d x %d, vocab %d, %s weights, %.1f MiB",
            path, c.architecture.c_str(), c.num_layers, c.hidden_size, c.num_heads, c.num_kv_heads, c.head_dim,
            c.vocab_size, dtype_name(m->model->main_dtype()), m->model->weight_bytes() / 1048576.0);
        *out = m.release();
    });
}

void jllm_model_free(jllm_model* model) { delete model; }

jllm_status jllm_model_get_info(const jllm_model* model, jllm_model_info* out) {
    return guarded([&] {
        require(model && out, "model and out must not be null");
        const Model& m = *model->model;
        const ModelConfig& c = m.config;
        memset(out, 0, sizeof *out);
        strncpy(out->architecture, c.architecture.c_str(), sizeof out->architecture - 1);
        out->vocab_size = c.vocab_size;
        out->hidden_size = c.hidden_size;
        out->intermediate_size = c.intermediate_size;
        out->num_layers = c.num_layers;
        out->num_heads = c.num_heads;
        out->num_kv_heads = c.num_kv_heads;
        out->head_dim = c.head_dim;
        out->max_model_len = c.max_model_len;
        out->bos_token_id = c.bos_token_id;
        out->eos_token_id = c.eos_token_id;
        out->weight_dtype = m.main_dtype();
        out->num_params = m.num_params();
        out->weight_bytes = m.weight_bytes();
    });
}

jllm_engine_params jllm_engine_default_params(void) {
    jllm_engine_params p;
    memset(&p, 0, sizeof p);
    p.block_size = 16;
    p.max_num_batched_tokens = 2048;
    p.max_num_seqs = 256;
    p.max_logprobs = 20;
    p.kv_cache_dtype = JLLM_DTYPE_AUTO;
    return p;
}

// The KV dtype "auto" stands for: the weights' own float dtype, F16 for quantized weights.
static int32_t resolve_kv_dtype(int32_t requested, const Model& m) {
    if (requested != JLLM_DTYPE_AUTO) {
        if (requested != JLLM_DTYPE_F32 && requested != JLLM_DTYPE_F16 && requested != JLLM_DTYPE_BF16)
            fail(JLLM_UNSUPPORTED, "kv_cache_dtype %d is not supported (F32, F16, BF16)", requested);
        return requested;
    }
    int32_t w = m.main_dtype();
    return w == JLLM_DTYPE_F32 || w == JLLM_DTYPE_BF16 ? w : JLLM_DTYPE_F16;
}

jllm_status jllm_engine_create(jllm_model* model, const jllm_engine_params* params, jllm_engine** out) {
    return guarded([&] {
        require(model && out, "model and out must not be null");
        *out = nullptr;
        jllm_engine_params p = params ? *params : jllm_engine_default_params();
        const Model& m = *model->model;
        const ModelConfig& c = m.config;
        // 1. arguments
        require(p.block_size >= 1 && p.block_size <= 1024, "block_size must be in 1..1024");
        require(p.max_num_batched_tokens >= 1, "max_num_batched_tokens must be >= 1");
        require(p.max_num_seqs >= 1, "max_num_seqs must be >= 1");
        require(p.num_blocks >= 0 && p.num_host_blocks >= 0 && p.num_threads >= 0 && p.max_logprobs >= 0 &&
                    p.kv_cache_bytes >= 0 && p.host_cache_bytes >= 0 && p.max_model_len >= 0 && p.max_logit_rows >= 0,
                "counts must not be negative");
        if (p.max_model_len > c.max_model_len)
            fail(JLLM_INVALID_ARGUMENT, "max_model_len %d exceeds the model's context length %d", p.max_model_len,
                 c.max_model_len);
        EngineShape s;
        s.block_size = p.block_size;
        s.kv_dtype = resolve_kv_dtype(p.kv_cache_dtype, m);
        s.num_threads = p.num_threads > 0 ? p.num_threads : default_threads();
        s.max_num_batched_tokens = p.max_num_batched_tokens;
        s.max_num_seqs = p.max_num_seqs;
        s.max_logit_rows = p.max_logit_rows > 0 ? p.max_logit_rows : p.max_num_seqs;
        s.max_logprobs = std::min(p.max_logprobs, c.vocab_size);
        // 2. KV pool: blocks from the budget (default: 64 full-length sequences, at most 1 GiB)
        const int64_t token_bytes = 2ll * c.num_layers * c.num_kv_heads * c.head_dim * cpu::kv_dtype_bytes(s.kv_dtype);
        const int64_t block_bytes = token_bytes * p.block_size;
        int64_t budget = p.kv_cache_bytes;
        if (budget == 0)
            budget = std::min<int64_t>(1ll << 30, token_bytes * (p.max_model_len > 0 ? p.max_model_len : c.max_model_len) *
                                                      std::min(p.max_num_seqs, 64));
        s.num_blocks = p.num_blocks > 0 ? p.num_blocks : (int32_t)std::min<int64_t>(budget / block_bytes, INT32_MAX);
        if (s.num_blocks < 1)
            fail(JLLM_HOST_OOM, "KV cache budget of %lld bytes holds no block (one block is %lld bytes)",
                 (long long)budget, (long long)block_bytes);
        s.num_host_blocks = p.num_host_blocks > 0 ? p.num_host_blocks
                                                  : (int32_t)std::min<int64_t>(p.host_cache_bytes / block_bytes, INT32_MAX);
        // 3. context length: what one sequence may reach, never more than the pool holds
        const int64_t pool_tokens = (int64_t)s.num_blocks * s.block_size;
        s.max_model_len = p.max_model_len > 0 ? p.max_model_len : c.max_model_len;
        if (pool_tokens < s.max_model_len) {
            if (p.max_model_len > 0)
                fail(JLLM_INVALID_ARGUMENT,
                     "max_model_len %d does not fit the KV cache: %d blocks x %d tokens = %lld tokens (%s at %lld "
                     "bytes per token in %s); raise the KV cache budget or lower max_model_len",
                     p.max_model_len, s.num_blocks, s.block_size, (long long)pool_tokens,
                     mib((int64_t)s.num_blocks * block_bytes).c_str(), (long long)token_bytes,
                     cpu::kv_dtype_name(s.kv_dtype));
            log(JLLM_LOG_WARN,
                "the model's context length %d exceeds what the KV cache holds (%lld tokens, %s); max_model_len is "
                "set to %lld. Raise the KV cache budget for longer sequences, or set max_model_len to silence this",
                c.max_model_len, (long long)pool_tokens, mib((int64_t)s.num_blocks * block_bytes).c_str(),
                (long long)pool_tokens);
            s.max_model_len = (int32_t)pool_tokens;
        }
        s.max_blocks_per_seq = (s.max_model_len + p.block_size - 1) / p.block_size;
        // 4. memory: everything the backend will allocate plus the mapped weights must fit before allocating
        BackendBytes need = cpu_backend_bytes(m, s);
        int64_t mapped = m.mapped_weight_bytes();
        require_memory(need.total() + mapped,
                       "the KV cache (" + mib(need.kv_pool) + ", " + std::to_string(pool_tokens) + " tokens in " +
                           cpu::kv_dtype_name(s.kv_dtype) + "), swap pool (" + mib(need.host_pool) + "), scratch (" +
                           mib(need.scratch) + ") and mapped weights (" + mib(mapped) + ")");
        // 5. allocate
        auto e = std::make_unique<jllm_engine>();
        e->model = model;
        e->shape = s;
        e->block_bytes = block_bytes;
        e->backend = make_cpu_backend(m, s);
        e->default_rows.resize(s.max_num_seqs);
        log(JLLM_LOG_INFO, "engine: backend %s (%s), %d threads, %d KV blocks of %d tokens (%s, %s), %d host blocks",
            e->backend->name(), cpu::kernels().name, s.num_threads, s.num_blocks, s.block_size,
            mib((int64_t)block_bytes * s.num_blocks).c_str(), cpu::kv_dtype_name(s.kv_dtype), s.num_host_blocks);
        *out = e.release();
    });
}

void jllm_engine_free(jllm_engine* engine) { delete engine; }

jllm_status jllm_engine_get_info(const jllm_engine* engine, jllm_engine_info* out) {
    return guarded([&] {
        require(engine && out, "engine and out must not be null");
        memset(out, 0, sizeof *out);
        out->block_size = engine->shape.block_size;
        out->num_blocks = engine->shape.num_blocks;
        out->num_host_blocks = engine->shape.num_host_blocks;
        out->num_threads = engine->shape.num_threads;
        out->block_bytes = engine->block_bytes;
        out->max_blocks_per_seq = engine->shape.max_blocks_per_seq;
        strncpy(out->backend, engine->backend->name(), sizeof out->backend - 1);
        out->kv_cache_dtype = engine->shape.kv_dtype;
        out->max_model_len = engine->shape.max_model_len;
        out->max_logit_rows = engine->shape.max_logit_rows;
    });
}

jllm_sampling_params jllm_sampling_default_params(void) {
    jllm_sampling_params p;
    memset(&p, 0, sizeof p);
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    p.repetition_penalty = 1.0f;
    p.forced_token = -1;
    return p;
}

jllm_status jllm_engine_step(jllm_engine* engine, const jllm_batch* batch, const jllm_sampling_params* params,
                             jllm_step_output* out) {
    return guarded([&] {
        require(engine && batch, "engine and batch must not be null");
        if (engine->model->model->encoder)
            fail(JLLM_UNSUPPORTED, "%s is an encoder (embedding) model: it has no logits; use jllm_engine_embed",
                 engine->model->model->config.architecture.c_str());
        validate_batch(*engine, *batch);
        const int32_t vocab = engine->model->model->config.vocab_size;
        const int32_t* rows = batch->logit_token_index;
        int32_t num_rows = batch->num_logit_rows;
        if (!rows) {
            num_rows = batch->num_seqs;
            for (int32_t s = 0; s < num_rows; s++) engine->default_rows[s] = batch->query_start[s + 1] - 1;
            rows = engine->default_rows.data();
        }
        validate_output(out, params, num_rows, vocab, engine->shape.max_logprobs);
        float* logits = engine->backend->logits_buffer();
        engine->backend->forward(*batch, rows, num_rows, logits);
        if (out->logits) memcpy(out->logits, logits, sizeof(float) * num_rows * vocab);
        if (params) engine->backend->sample(logits, num_rows, params, out);
    });
}

jllm_status jllm_engine_embed(jllm_engine* engine, const jllm_embed_batch* batch, float* out) {
    return guarded([&] {
        require(engine && batch && out, "engine, batch and out must not be null");
        const jllm_embed_batch& b = *batch;
        const EngineShape& s = engine->shape;
        const ModelConfig& c = engine->model->model->config;
        require(b.num_tokens >= 1 && b.num_tokens <= s.max_num_batched_tokens,
                "num_tokens out of range (1..max_num_batched_tokens)");
        require(b.num_seqs >= 1 && b.num_seqs <= s.max_num_seqs && b.num_seqs <= b.num_tokens, "num_seqs out of range");
        require(b.token_ids && b.query_start, "batch arrays must not be null");
        require(b.query_start[0] == 0 && b.query_start[b.num_seqs] == b.num_tokens,
                "query_start must start at 0 and end at num_tokens");
        require(b.pooling == JLLM_POOLING_LAST || b.pooling == JLLM_POOLING_CLS || b.pooling == JLLM_POOLING_MEAN,
                "pooling must be JLLM_POOLING_LAST, _CLS or _MEAN");
        for (int32_t sq = 0; sq < b.num_seqs; sq++) {
            const int32_t n = b.query_start[sq + 1] - b.query_start[sq];
            if (n < 1 || n > s.max_model_len)
                fail(JLLM_INVALID_ARGUMENT, "sequence %d has %d tokens (1..max_model_len %d)", sq, n, s.max_model_len);
        }
        for (int32_t t = 0; t < b.num_tokens; t++)
            if (b.token_ids[t] < 0 || b.token_ids[t] >= c.vocab_size)
                fail(JLLM_INVALID_ARGUMENT, "token %d: id %d out of range (vocab %d)", t, b.token_ids[t], c.vocab_size);
        engine->backend->embed(b, out);
    });
}

jllm_status jllm_sample(const float* logits, int32_t rows, int32_t vocab, const jllm_sampling_params* params,
                        jllm_step_output* out) {
    return guarded([&] {
        require(logits && params && rows >= 0 && vocab >= 1, "logits and params must not be null; vocab >= 1");
        validate_output(out, params, rows, vocab, vocab);
        cpu::SampleScratch scratch(vocab);
        for (int32_t r = 0; r < rows; r++) {
            int32_t* tids = out->top_ids ? out->top_ids + (int64_t)r * out->top_stride : nullptr;
            float* tlp = out->top_logprobs ? out->top_logprobs + (int64_t)r * out->top_stride : nullptr;
            cpu::sample_row(logits + (int64_t)r * vocab, vocab, params[r], scratch, out->token_ids + r,
                            out->logprobs + r, tids, tlp);
        }
    });
}

jllm_status jllm_engine_copy_blocks(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n) {
    return guarded([&] {
        require(engine && n >= 0 && (n == 0 || (src && dst)), "engine, src and dst must not be null; n >= 0");
        check_blocks(src, n, engine->shape.num_blocks, "source");
        check_blocks(dst, n, engine->shape.num_blocks, "destination");
        engine->backend->copy_blocks(src, dst, n);
    });
}

static jllm_status swap(jllm_engine* engine, bool out, const int32_t* src, const int32_t* dst, int32_t n) {
    return guarded([&] {
        require(engine && n >= 0 && (n == 0 || (src && dst)), "engine, src and dst must not be null; n >= 0");
        check_blocks(src, n, out ? engine->shape.num_blocks : engine->shape.num_host_blocks, out ? "main" : "host");
        check_blocks(dst, n, out ? engine->shape.num_host_blocks : engine->shape.num_blocks, out ? "host" : "main");
        engine->backend->swap(out, src, dst, n);
    });
}

jllm_status jllm_engine_swap_out(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n) {
    return swap(engine, true, src, dst, n);
}

jllm_status jllm_engine_swap_in(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n) {
    return swap(engine, false, src, dst, n);
}

}  // extern "C"
