// The seam between the C ABI and the compute: one Backend per engine owns the KV pools, the per-step scratch and
// the kernels. cpu/ implements it now; cuda/ will implement the same interface (CMake option JLLM_CUDA). A backend
// runs a model by implementing model/decoder.h's DecoderOps and calling decoder_forward, which holds the forward
// pass of every architecture; it never writes an architecture itself.
#pragma once
#include <memory>
#include "jllm.h"
#include "model/model.h"

namespace jllm {

struct EngineShape {  // sizes fixed at engine creation; every per-step buffer is allocated from these
    int32_t block_size, num_blocks, num_host_blocks, max_num_batched_tokens, max_num_seqs, max_logit_rows;
    int32_t max_logprobs, num_threads, max_blocks_per_seq;
    int32_t max_model_len;  // tokens; the model's context length, possibly fitted to the KV pool
    int32_t kv_dtype;       // JLLM_DTYPE_F32 / F16 / BF16 of the KV pools
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;
    // Forward pass over a validated batch (decoder_forward over this backend's ops); logits of rows[num_rows] (token
    // indexes) go to logits [num_rows * vocab].
    virtual void forward(const jllm_batch& batch, const int32_t* rows, int32_t num_rows, float* logits) = 0;
    // Samples num_rows rows of logits [num_rows * vocab] with params[num_rows] into out.
    virtual void sample(const float* logits, int32_t num_rows, const jllm_sampling_params* params,
                        jllm_step_output* out) = 0;
    virtual void copy_blocks(const int32_t* src, const int32_t* dst, int32_t n) = 0;
    virtual void swap(bool out, const int32_t* src, const int32_t* dst, int32_t n) = 0;
    virtual float* logits_buffer() = 0;  // [max_logit_rows * vocab], backend-owned
    // Embedding run over a validated jllm_embed_batch (whole sequences, no KV cache): the final hidden states
    // pooled per sequence into out [num_seqs * hidden] (model/encoder.h).
    virtual void embed(const jllm_embed_batch& batch, float* out) = 0;
};

// Throws Error(JLLM_HOST_OOM) when the pools or scratch cannot be allocated.
std::unique_ptr<Backend> make_cpu_backend(const Model& model, const EngineShape& shape);

// Bytes the CPU backend allocates for `shape`, split as the start-up check reports them (computed from the same
// sizes the constructor allocates, before anything is allocated).
struct BackendBytes {
    int64_t kv_pool, host_pool, scratch;
    int64_t total() const { return kv_pool + host_pool + scratch; }
};
BackendBytes cpu_backend_bytes(const Model& model, const EngineShape& shape);

}  // namespace jllm
