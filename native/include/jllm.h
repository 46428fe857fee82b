/*
 * jllm.h — the public C ABI of libjllm, the inference engine behind jllm.
 *
 * Rules (../shared/DESIGN.md §3–4):
 *  - Every fallible function returns jllm_status (JLLM_OK = 0); results come through out-parameters.
 *  - jllm_last_error() gives a thread-local detail for the last failure on the calling thread.
 *  - Nothing is thrown or aborted across this boundary.
 *  - Opaque handles with symmetric create/free; free(NULL) is a no-op.
 *  - Native code owns weights and KV-cache memory; callers own every buffer they pass in, and native code keeps
 *    no pointer into caller memory after a call returns.
 *  - Fixed-width types only. Shapes are given in brackets, row-major, in elements.
 *
 * Vocabulary (vLLM's input layout): one step runs a flat batch of `num_tokens` tokens drawn from `num_seqs`
 * sequences; each sequence contributes a contiguous run of tokens (a prefill chunk or a single decode token).
 * Token i is written to the paged KV cache at slot_mapping[i] (= block * block_size + offset) and attends to
 * every cached position 0..positions[i] of its sequence, found through that sequence's block table.
 */
#ifndef JLLM_H
#define JLLM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define JLLM_API __declspec(dllexport)
#else
#define JLLM_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a signature or struct layout in this file changes. */
#define JLLM_ABI_VERSION 3

typedef int32_t jllm_status;
#define JLLM_OK 0
#define JLLM_INVALID_ARGUMENT 1
#define JLLM_HOST_OOM 2
#define JLLM_DEVICE_OOM 3
#define JLLM_NO_FREE_BLOCKS 4
#define JLLM_UNSUPPORTED 5
#define JLLM_IO_ERROR 6
#define JLLM_CUDA_ERROR 7
#define JLLM_INTERNAL 8

/* Weight element types (values match GGUF's ggml_type). Quantized types store blocks of 32 elements (Q4_0 ...
   Q8_0) or super-blocks of 256 (the K-quants); a row's length must be a multiple of the block. */
#define JLLM_DTYPE_F32 0
#define JLLM_DTYPE_F16 1
#define JLLM_DTYPE_Q4_0 2
#define JLLM_DTYPE_Q4_1 3
#define JLLM_DTYPE_Q5_0 6
#define JLLM_DTYPE_Q5_1 7
#define JLLM_DTYPE_Q8_0 8
#define JLLM_DTYPE_Q2_K 10
#define JLLM_DTYPE_Q3_K 11
#define JLLM_DTYPE_Q4_K 12
#define JLLM_DTYPE_Q5_K 13
#define JLLM_DTYPE_Q6_K 14
#define JLLM_DTYPE_BF16 30
/* "Decide from the model" where a parameter takes a dtype (see each field). */
#define JLLM_DTYPE_AUTO -1
/* dummy_dtype only: llama.cpp's Q4_K_M mix (Q6_K for the output/tied embedding and for attn_v and ffn_down of
   about a third of the layers, Q4_K elsewhere); its value is llama.cpp's file type number plus 1000. */
#define JLLM_DUMMY_Q4_K_M 1015

/* Model file formats for jllm_model_params.load_format. */
#define JLLM_LOAD_AUTO 0        /* a directory → safetensors; a *.gguf file → GGUF */
#define JLLM_LOAD_SAFETENSORS 1 /* Hugging Face directory: config.json + *.safetensors */
#define JLLM_LOAD_GGUF 2        /* a single GGUF v3 file */
#define JLLM_LOAD_DUMMY 3       /* config.json alone; seeded random weights (benchmarks) */

/* Log levels for the log callback. */
#define JLLM_LOG_DEBUG 0
#define JLLM_LOG_INFO 1
#define JLLM_LOG_WARN 2
#define JLLM_LOG_ERROR 3

/* ---- library ------------------------------------------------------------------------------------------------ */

/* JLLM_ABI_VERSION of the built library; callers refuse a mismatch. */
JLLM_API uint32_t jllm_abi_version(void);
/* Static string: version, backends, SIMD level in use, thread count default, compiler. */
JLLM_API const char* jllm_build_info(void);
/* Static name of a status ("JLLM_OK", "JLLM_INVALID_ARGUMENT", ...). */
JLLM_API const char* jllm_status_str(jllm_status status);
/* Thread-local detail of the last failure on this thread ("" if none); valid until the next jllm_* call. */
JLLM_API const char* jllm_last_error(void);

/* Receives native log lines; `message` is valid only during the call. NULL restores the default (stderr). */
typedef void (*jllm_log_fn)(int32_t level, const char* message);
JLLM_API void jllm_log_set(jllm_log_fn callback);

/* ---- model -------------------------------------------------------------------------------------------------- */

typedef struct jllm_model jllm_model;

typedef struct {
    int32_t load_format;     /* JLLM_LOAD_* (default JLLM_LOAD_AUTO) */
    uint64_t dummy_seed;     /* seed of JLLM_LOAD_DUMMY weights (default 0) */
    int32_t dummy_dtype;     /* JLLM_DTYPE_* of dummy weights, or JLLM_DUMMY_Q4_K_M; AUTO (default) = `dtype` when
                                set, else config.json's torch_dtype (F32 when absent) */
    int32_t max_model_len;   /* 0 = the model's own context length; else a cap (tokens) */
    int32_t dtype;           /* storage of F32/F16/BF16 weight matrices: AUTO (default) = as stored in the file
                                (memory-mapped); F32, F16 or BF16 = converted once at load into owned memory.
                                Quantized tensors stay quantized. Compute is f32 either way. */
} jllm_model_params;

typedef struct {
    char architecture[64];   /* NUL-terminated, e.g. "LlamaForCausalLM" or GGUF's "llama" */
    int32_t vocab_size;
    int32_t hidden_size;
    int32_t intermediate_size;
    int32_t num_layers;
    int32_t num_heads;
    int32_t num_kv_heads;
    int32_t head_dim;
    int32_t max_model_len;   /* tokens, after any cap in jllm_model_params */
    int32_t bos_token_id;    /* -1 if the model file does not say */
    int32_t eos_token_id;    /* -1 if the model file does not say */
    int32_t weight_dtype;    /* JLLM_DTYPE_* of the largest weights */
    int64_t num_params;      /* parameter count */
    int64_t weight_bytes;    /* bytes of weights as stored (read once per decode step) */
} jllm_model_info;

JLLM_API jllm_model_params jllm_model_default_params(void);
/* path: UTF-8, a model directory or a .gguf file. On success *out owns the weights (memory-mapped where
 * possible) until jllm_model_free. */
JLLM_API jllm_status jllm_model_load(const char* path, const jllm_model_params* params, jllm_model** out);
JLLM_API void jllm_model_free(jllm_model* model);
JLLM_API jllm_status jllm_model_get_info(const jllm_model* model, jllm_model_info* out);

/* ---- engine: KV cache + scratch + kernels for one model ----------------------------------------------------- */

typedef struct jllm_engine jllm_engine;

typedef struct {
    int32_t block_size;             /* tokens per KV block (default 16) */
    int32_t num_blocks;             /* KV blocks in the main pool; 0 = as many as kv_cache_bytes allows */
    int64_t kv_cache_bytes;         /* budget for the main pool when num_blocks == 0; 0 (default) = enough for
                                       min(max_num_seqs, 64) sequences of the model's full length, at most 1 GiB */
    int32_t num_host_blocks;        /* blocks in the host (swap) pool (default 0) */
    int32_t max_num_batched_tokens; /* most tokens in one step (default 2048) */
    int32_t max_num_seqs;           /* most sequences in one step (default 256) */
    int32_t max_logit_rows;         /* most logit rows in one step; 0 (default) = max_num_seqs. Each row costs
                                       vocab floats; prompt-logprob rows beyond it must be spread over steps */
    int32_t max_logprobs;           /* most top log-probabilities per row (default 20) */
    int32_t num_threads;            /* 0 = one per online core */
    int32_t kv_cache_dtype;         /* JLLM_DTYPE_F32 / F16 / BF16 of the KV cache; AUTO (default) = the weights'
                                       dtype when it is one of those, else F16 */
    int32_t max_model_len;          /* 0 (default) = the model's, lowered to what the KV pool holds (with a warning);
                                       > 0 = exactly this (at most the model's), refused if the pool holds fewer */
    int64_t host_cache_bytes;       /* budget for the host pool when num_host_blocks == 0 (default 0) */
} jllm_engine_params;

typedef struct {
    int32_t block_size;
    int32_t num_blocks;
    int32_t num_host_blocks;
    int32_t num_threads;
    int64_t block_bytes;            /* bytes of K+V of one block over all layers */
    int32_t max_blocks_per_seq;     /* = ceil(max_model_len / block_size); the block-table row length needed */
    char backend[32];               /* "cpu" */
    int32_t kv_cache_dtype;         /* JLLM_DTYPE_* the KV cache is stored in */
    int32_t max_model_len;          /* tokens a sequence may reach (after fitting to the KV pool) */
    int32_t max_logit_rows;         /* most logit rows in one step */
} jllm_engine_info;

JLLM_API jllm_engine_params jllm_engine_default_params(void);
/* The engine borrows `model`, which must outlive it. Before allocating anything it checks that the KV pools and
 * scratch (plus the model's memory-mapped weights) fit in the memory available, and refuses with the numbers
 * (JLLM_HOST_OOM) when they do not. */
JLLM_API jllm_status jllm_engine_create(jllm_model* model, const jllm_engine_params* params, jllm_engine** out);
JLLM_API void jllm_engine_free(jllm_engine* engine);
JLLM_API jllm_status jllm_engine_get_info(const jllm_engine* engine, jllm_engine_info* out);

/* One step's input. Every pointer is caller-owned and read only during the call. */
typedef struct {
    int32_t num_tokens;
    const int32_t* token_ids;         /* [num_tokens] */
    const int32_t* positions;         /* [num_tokens] position of each token in its sequence */
    const int64_t* slot_mapping;      /* [num_tokens] KV slot each token's K/V is written to */
    int32_t num_seqs;
    const int32_t* query_start;       /* [num_seqs + 1] first token of each sequence; query_start[num_seqs] == num_tokens */
    const int32_t* context_lens;      /* [num_seqs] KV length of each sequence after this step (cached + new) */
    const int32_t* block_tables;      /* [num_seqs * block_table_stride] physical block ids, row per sequence */
    int32_t block_table_stride;       /* row length of block_tables (>= blocks any sequence uses) */
    int32_t num_logit_rows;           /* rows of logits wanted; 0 with logit_token_index NULL = last token of each seq,
                                         0 with it non-NULL = none (the step only writes the KV cache) */
    const int32_t* logit_token_index; /* [num_logit_rows] token indexes whose logits are wanted, or NULL */
} jllm_batch;

/* Per-row sampling parameters (vLLM's definitions; see ../shared/reference/openai-compat.md §7). */
typedef struct {
    float temperature;           /* < 1e-5 = greedy (argmax, ties to the lowest id) */
    int32_t top_k;               /* <= 0 disables */
    float top_p;                 /* 1 disables */
    float min_p;                 /* 0 disables */
    float repetition_penalty;    /* 1 disables; over prompt and output tokens */
    float presence_penalty;      /* 0 disables; over output tokens */
    float frequency_penalty;     /* 0 disables; over output tokens */
    uint64_t seed;               /* the row's generator: the draw depends only on (seed, rng_step) */
    uint64_t rng_step;           /* e.g. the number of tokens this sequence has generated */
    int32_t num_logprobs;        /* top log-probabilities to return (0..max_logprobs) */
    int32_t forced_token;        /* -1 = sample; else score this token (prompt logprobs, replay) */
    const int32_t* prompt_tokens;  /* [num_prompt_tokens] for repetition_penalty, or NULL */
    int32_t num_prompt_tokens;
    const int32_t* output_tokens;  /* [num_output_tokens] for all penalties, or NULL */
    int32_t num_output_tokens;
    const int32_t* bias_token_ids; /* [num_bias] logit_bias keys (-INFINITY bans a token) */
    const float* bias_values;      /* [num_bias] */
    int32_t num_bias;
    const uint32_t* allowed_mask;  /* [ceil(vocab/32)] bit (id % 32) of word (id / 32) set = allowed; NULL = all */
} jllm_sampling_params;

/* Caller-owned output arrays of one step or sample call. */
typedef struct {
    int32_t* token_ids;          /* [rows] chosen (or forced) token */
    float* logprobs;             /* [rows] its log-probability under the processed distribution */
    int32_t* top_ids;            /* [rows * top_stride] top tokens, most likely first, or NULL */
    float* top_logprobs;         /* [rows * top_stride] their log-probabilities, or NULL */
    int32_t top_stride;          /* row length of top_ids / top_logprobs (>= each row's num_logprobs) */
    float* logits;               /* [rows * vocab] raw logits copied out, or NULL */
} jllm_step_output;

JLLM_API jllm_sampling_params jllm_sampling_default_params(void);

/* Runs the forward pass over `batch`, writing its K/V into the cache, then samples one token per logit row with
 * params[row] (params may be NULL: logits only, into out->logits). */
JLLM_API jllm_status jllm_engine_step(jllm_engine* engine, const jllm_batch* batch,
                                      const jllm_sampling_params* params, jllm_step_output* out);

/* Samples rows of caller logits [rows * vocab] with params[rows]; the logits are not modified. */
JLLM_API jllm_status jllm_sample(const float* logits, int32_t rows, int32_t vocab,
                                 const jllm_sampling_params* params, jllm_step_output* out);

/* ---- embeddings (pooling models) ---------------------------------------------------------------------------- */

/* Which final hidden states make a sequence's embedding (vLLM's PoolingType). */
#define JLLM_POOLING_LAST 0  /* the last token's: decoder embedding models (Qwen3-Embedding, e5-mistral, gte-Qwen2) */
#define JLLM_POOLING_CLS 1   /* the first token's: [CLS] of BERT-family encoders */
#define JLLM_POOLING_MEAN 2  /* the mean over the sequence's tokens (sentence-transformers' pooling_mode_mean_tokens) */

/* Whole sequences to embed. Every pointer is caller-owned and read only during the call. */
typedef struct {
    int32_t num_tokens;             /* 1..max_num_batched_tokens */
    const int32_t* token_ids;       /* [num_tokens] */
    int32_t num_seqs;               /* 1..max_num_seqs */
    const int32_t* query_start;     /* [num_seqs + 1] first token of each sequence; query_start[num_seqs] == num_tokens;
                                       each sequence holds 1..max_model_len tokens, positions 0.. */
    int32_t pooling;                /* JLLM_POOLING_* */
} jllm_embed_batch;

/* Runs the model over whole sequences without reading or writing the KV cache (decoders attend causally within a
 * sequence, encoders such as BERT in both directions) and writes each sequence's pooled final hidden state (after
 * the model's final norm; not normalized) to out [num_seqs * hidden_size]. */
JLLM_API jllm_status jllm_engine_embed(jllm_engine* engine, const jllm_embed_batch* batch, float* out);

/* Copies whole blocks inside the main pool (copy-on-write): for each i, src[i] → dst[i]. [n] each. */
JLLM_API jllm_status jllm_engine_copy_blocks(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n);
/* Swap: main pool block src[i] → host pool block dst[i] (out), or host src[i] → main dst[i] (in). [n] each. */
JLLM_API jllm_status jllm_engine_swap_out(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n);
JLLM_API jllm_status jllm_engine_swap_in(jllm_engine* engine, const int32_t* src, const int32_t* dst, int32_t n);

#ifdef __cplusplus
}
#endif
#endif /* JLLM_H */
