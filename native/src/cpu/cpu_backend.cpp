// The CPU backend: the decoder ops (model/decoder.h) over a flat token batch and a paged KV cache, plus sampling.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include "backend.h"
#include "cpu/attention.h"
#include "cpu/encoder_ops.h"
#include "cpu/gemm.h"
#include "cpu/gemv.h"
#include "cpu/kernels.h"
#include "cpu/ops.h"
#include "cpu/sampling.h"
#include "cpu/thread_pool.h"
#include "model/decoder.h"
#include "model/encoder.h"
#include "model/timed_ops.h"
#include "util/error.h"

namespace jllm {

namespace {

// Zero-filled memory from calloc: large blocks come straight from mmap, so pages cost RSS only once touched.
// Failure is reported as JLLM_HOST_OOM naming the buffer.
struct Bytes {
    std::unique_ptr<uint8_t, void (*)(void*)> p{nullptr, std::free};
    void alloc(int64_t n, const char* what) {
        p.reset((uint8_t*)std::calloc((size_t)std::max<int64_t>(n, 1), 1));
        if (!p) fail(JLLM_HOST_OOM, "cannot allocate %lld MiB for %s", (long long)(n >> 20), what);
    }
    uint8_t* get() { return p.get(); }
};

struct Buffer : Bytes {  // the same, in floats
    void alloc(int64_t count, const char* what) { Bytes::alloc(count * 4, what); }
    float* get() { return (float*)p.get(); }
};

// Every buffer's size, in elements, derived once from the model and shape (the constructor and
// cpu_backend_bytes read the same numbers).
struct Sizes {
    cpu::KvLayout L;
    int64_t qd, kvd, T, H, I;
    int64_t kv_pool_bytes, host_pool_bytes;  // per pool (K or V), all layers
    int64_t logit_rows, gemm_scratch, attn_stride;
    Sizes(const Model& m, const EngineShape& s) {
        const ModelConfig& c = m.config;
        L = {s.block_size, c.num_kv_heads, c.head_dim, s.kv_dtype};
        qd = (int64_t)c.num_heads * c.head_dim;
        kvd = (int64_t)c.num_kv_heads * c.head_dim;
        T = s.max_num_batched_tokens;
        H = c.hidden_size;
        I = c.intermediate_size;
        kv_pool_bytes = L.block_bytes() * s.num_blocks * c.num_layers;
        host_pool_bytes = L.block_bytes() * s.num_host_blocks * c.num_layers;
        logit_rows = s.max_logit_rows;
        gemm_scratch = (int64_t)s.num_threads * cpu::kGemmTileRows * std::max({H, I, qd});
        attn_stride = cpu::attention_scratch_floats(L, c.num_heads / c.num_kv_heads, s.max_model_len);
    }
    int64_t scratch_floats(const Model& m, const EngineShape& s) const {  // every f32 buffer below
        return T * H + T * std::max(H, qd) + 2 * T * qd + 2 * T * kvd + 2 * T * I + logit_rows * H +
               logit_rows * m.config.vocab_size + gemm_scratch + (int64_t)s.num_threads * attn_stride +
               (int64_t)s.num_threads * m.config.vocab_size * 4;  // samplers: 4 arrays of the vocabulary
    }
};

class CpuBackend final : public Backend, private EncoderOps {
public:
    CpuBackend(const Model& m, const EngineShape& s) : m_(m), s_(s) {
        const ModelConfig& c = m.config;
        const Sizes z(m, s);
        L_ = z.L;
        qd_ = z.qd;
        kvd_ = z.kvd;
        const int64_t T = z.T, H = z.H, I = z.I;
        k_cache_.alloc(z.kv_pool_bytes, "the K cache");
        v_cache_.alloc(z.kv_pool_bytes, "the V cache");
        k_host_.alloc(z.host_pool_bytes, "the host K pool");
        v_host_.alloc(z.host_pool_bytes, "the host V pool");
        x_.alloc(T * H, "activations");
        xb_.alloc(T * std::max(H, qd_), "activations");
        q_.alloc(T * qd_, "queries");
        k_.alloc(T * kvd_, "keys");
        v_.alloc(T * kvd_, "values");
        att_.alloc(T * qd_, "attention output");
        gate_.alloc(T * I, "MLP activations");
        up_.alloc(T * I, "MLP activations");
        xr_.alloc(z.logit_rows * H, "logit rows");
        logits_.alloc(z.logit_rows * c.vocab_size, "logits");
        tok_seq_.resize(T);
        gemm_scratch_.alloc(z.gemm_scratch, "matmul tiles");
        attn_stride_ = z.attn_stride;
        attn_scratch_.alloc((int64_t)s.num_threads * attn_stride_, "attention scores");
        samplers_.resize(s.num_threads);
        for (auto& sc : samplers_) sc.resize(c.vocab_size);
        if (const char* e = std::getenv("JLLM_PROFILE"); e && *e && strcmp(e, "0")) {
            profile_ = std::make_unique<TimedOps>();
            profile_->inner = this;
        }
    }

    ~CpuBackend() override {
        if (profile_) profile_->print(stderr, profiled_steps_);
    }

    const char* name() const override { return "cpu"; }
    float* logits_buffer() override { return logits_.get(); }

    void forward(const jllm_batch& b, const int32_t* rows, int32_t num_rows, float* logits) override {
        // Which sequence each token belongs to (for its block table), then the architecture's ops.
        for (int32_t sq = 0; sq < b.num_seqs; sq++)
            for (int32_t t = b.query_start[sq]; t < b.query_start[sq + 1]; t++) tok_seq_[t] = sq;
        DecoderBuffers buf{x_.get(), xb_.get(), q_.get(), k_.get(), v_.get(), att_.get(), gate_.get(), up_.get(), xr_.get()};
        // JLLM_PROFILE: decode steps (one token per sequence) go through the op timers
        const bool timed = profile_ && b.num_tokens == b.num_seqs;
        profiled_steps_ += timed;
        last_step_timed_ = timed;
        decoder_forward(m_, timed ? (DecoderOps&)*profile_ : *this, buf, b, rows, num_rows, logits);
    }

    void embed(const jllm_embed_batch& e, float* out) override {
        // 1. positions 0.. within each sequence; a batch for decoder_forward whose attention reads this step's
        //    k, v arrays (dense_) instead of the paged cache
        const int64_t T = e.num_tokens;
        embed_pos_.resize(T);
        embed_ctx_.resize(e.num_seqs);
        for (int32_t sq = 0; sq < e.num_seqs; sq++) {
            for (int32_t t = e.query_start[sq]; t < e.query_start[sq + 1]; t++) embed_pos_[t] = t - e.query_start[sq];
            embed_ctx_[sq] = e.query_start[sq + 1] - e.query_start[sq];
        }
        const int64_t stride = cpu::dense_attention_scratch_floats(s_.max_model_len);
        if ((int64_t)dense_scratch_.size() < s_.num_threads * stride) dense_scratch_.resize(s_.num_threads * stride);
        DecoderBuffers buf{x_.get(), xb_.get(), q_.get(), k_.get(), v_.get(), att_.get(), gate_.get(), up_.get(), xr_.get()};
        // 2. the model's forward: x [T, H] = final hidden states after the final norm
        if (m_.encoder) {
            encoder_forward(m_, *this, buf, e.token_ids, embed_pos_.data(), T, e.query_start, e.num_seqs);
        } else {
            jllm_batch b{};
            b.num_tokens = e.num_tokens, b.token_ids = e.token_ids, b.positions = embed_pos_.data();
            b.num_seqs = e.num_seqs, b.query_start = e.query_start, b.context_lens = embed_ctx_.data();
            dense_ = true;
            try {
                decoder_forward(m_, *this, buf, b, nullptr, 0, nullptr);
            } catch (...) {
                dense_ = false;
                throw;
            }
            dense_ = false;
        }
        // 3. pooling: out [num_seqs, H]
        pool_rows(x_.get(), m_.config.hidden_size, e.query_start, e.num_seqs, e.pooling, out);
    }

    // ---- EncoderOps ----
    void layernorm(const float* x, const float* w, const float* b, float* out, int64_t rows, int64_t dim,
                   float eps) override {
        cpu::layernorm(x, w, b, out, rows, dim, eps);
    }
    void gelu(float* x, int64_t n) override { cpu::gelu_erf(x, n); }
    void dense_attention(const float* q, const float* k, const float* v, float* out, const int32_t* query_start,
                         int32_t num_seqs, int nh, int nkv, int hd, float scale, bool causal, int32_t window) override {
        cpu::dense_attention(q, k, v, out, query_start, num_seqs, nh, nkv, hd, scale, causal, window, s_.num_threads,
                             dense_scratch_.data(), cpu::dense_attention_scratch_floats(s_.max_model_len));
    }

    // ---- DecoderOps ----
    void embed(const WeightTensor& table, const int32_t* ids, int64_t T, float scale, float* x) override {
        const int64_t H = table.cols;
        for (int64_t t = 0; t < T; t++) {
            cpu::dequant_row(table, ids[t], x + t * H);
            if (scale != 1.0f)
                for (int64_t i = 0; i < H; i++) x[t * H + i] *= scale;
        }
    }
    // Batch 1 (decode of one sequence) reads each weight once per token: gemv, which runs the weights that share
    // an input in one parallel region.
    void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, const float* bias) override {
        if (M == 1) {
            const MatmulOut out{&w, y, bias};
            cpu::gemv(x, &out, 1, s_.num_threads);
        } else {
            cpu::matmul(w, x, M, y, w.rows, bias, s_.num_threads, gemm_scratch_.get());
        }
    }
    void matmuls(const float* x, int64_t M, const MatmulOut* out, int n) override {
        if (M == 1) cpu::gemv(x, out, n, s_.num_threads);
        else DecoderOps::matmuls(x, M, out, n);
    }
    void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps) override {
        cpu::rmsnorm(x, w, out, rows, dim, eps);
    }
    void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
              RopeStyle style) override {
        cpu::rope(q, k, positions, T, nh, nkv, hd, inv_freq, style);
    }
    void write_kv(int layer, const float* k, const float* v, const jllm_batch& b) override {
        if (dense_) return;  // embedding runs attend over this step's k, v arrays
        const int64_t layer_bytes = L_.block_bytes() * s_.num_blocks;
        cpu::write_kv(k, v, b.slot_mapping, b.num_tokens, k_cache_.get() + layer * layer_bytes,
                      v_cache_.get() + layer * layer_bytes, L_);
    }
    void attention(int layer, const float* q, float* out, const jllm_batch& b, float scale, int32_t window,
                   float softcap) override {
        if (dense_) {  // embedding run of a decoder: causal attention within each whole sequence
            if (softcap > 0) fail(JLLM_UNSUPPORTED, "embedding runs do not support attention soft-capping (Gemma 2)");
            dense_attention(q, k_.get(), v_.get(), out, b.query_start, b.num_seqs, m_.config.num_heads,
                            m_.config.num_kv_heads, m_.config.head_dim, scale, true, window);
            return;
        }
        const int64_t layer_bytes = L_.block_bytes() * s_.num_blocks;
        cpu::paged_attention(q, out, k_cache_.get() + layer * layer_bytes, v_cache_.get() + layer * layer_bytes, L_,
                             m_.config.num_heads, b.positions, tok_seq_.data(), b.block_tables, b.block_table_stride,
                             b.num_tokens, scale, window, softcap, s_.num_threads, attn_scratch_.get(), attn_stride_);
    }
    void gated_activation(Activation act, float* gate, const float* up, int64_t n) override {
        if (act == Activation::SiLU) cpu::silu_mul(gate, up, n);  // vectorized (kernels.h)
        else cpu::gelu_tanh_mul(gate, up, n);
    }
    void add(float* x, const float* y, int64_t n) override {
        for (int64_t i = 0; i < n; i++) x[i] += y[i];
    }
    void softcap(float* x, int64_t n, float cap) override { cpu::softcap(x, n, cap); }
    void gather_rows(const float* x, const int32_t* rows, int32_t num_rows, int64_t dim, float* out) override {
        for (int32_t r = 0; r < num_rows; r++) std::copy(x + (int64_t)rows[r] * dim, x + (int64_t)(rows[r] + 1) * dim, out + r * dim);
    }

    void sample(const float* logits, int32_t num_rows, const jllm_sampling_params* params,
                jllm_step_output* out) override {
        const int32_t V = m_.config.vocab_size;
        if (profile_ && last_step_timed_) {
            last_step_timed_ = false;
            profile_->timed("sample", 0, [&] { sample(logits, num_rows, params, out); });
            return;
        }
        cpu::parallel_for(num_rows, s_.num_threads, [&](int64_t r, int tid) {
            cpu::SampleScratch& sc = samplers_[tid];
            int32_t* tids = out->top_ids ? out->top_ids + (int64_t)r * out->top_stride : nullptr;
            float* tlp = out->top_logprobs ? out->top_logprobs + (int64_t)r * out->top_stride : nullptr;
            cpu::sample_row(logits + (int64_t)r * V, V, params[r], sc, out->token_ids + r, out->logprobs + r, tids, tlp);
        });
    }

    // Block moves copy bytes: a block of one layer is block_bytes() contiguous bytes in each pool.
    void copy_blocks(const int32_t* src, const int32_t* dst, int32_t n) override {
        const int64_t bb = L_.block_bytes(), layer = bb * s_.num_blocks;
        for (int li = 0; li < m_.config.num_layers; li++)
            for (int32_t i = 0; i < n; i++)
                for (uint8_t* pool : {k_cache_.get(), v_cache_.get()})
                    memcpy(pool + li * layer + dst[i] * bb, pool + li * layer + src[i] * bb, bb);
    }

    void swap(bool out, const int32_t* src, const int32_t* dst, int32_t n) override {
        const int64_t bb = L_.block_bytes();
        const int64_t main_layer = bb * s_.num_blocks, host_layer = bb * s_.num_host_blocks;
        for (int li = 0; li < m_.config.num_layers; li++)
            for (int32_t i = 0; i < n; i++) {
                int64_t mo = li * main_layer + (out ? src[i] : dst[i]) * bb;
                int64_t ho = li * host_layer + (out ? dst[i] : src[i]) * bb;
                if (out) {
                    memcpy(k_host_.get() + ho, k_cache_.get() + mo, bb);
                    memcpy(v_host_.get() + ho, v_cache_.get() + mo, bb);
                } else {
                    memcpy(k_cache_.get() + mo, k_host_.get() + ho, bb);
                    memcpy(v_cache_.get() + mo, v_host_.get() + ho, bb);
                }
            }
    }

private:
    const Model& m_;
    EngineShape s_;
    cpu::KvLayout L_;
    int64_t qd_, kvd_, attn_stride_;
    Bytes k_cache_, v_cache_, k_host_, v_host_;  // [layers][num_blocks][block_bytes()] each
    Buffer x_, xb_, q_, k_, v_, att_, gate_, up_, xr_, logits_, gemm_scratch_, attn_scratch_;
    std::vector<int32_t> tok_seq_;
    bool dense_ = false;                          // inside embed(): attention reads k_, v_ rather than the cache
    std::vector<int32_t> embed_pos_, embed_ctx_;  // [T], [num_seqs] of the embedding run
    std::vector<float> dense_scratch_;            // [num_threads * max_model_len] attention scores
    std::vector<cpu::SampleScratch> samplers_;
    std::unique_ptr<TimedOps> profile_;  // JLLM_PROFILE set: per-op timers, printed when the engine is freed
    int64_t profiled_steps_ = 0;
    bool last_step_timed_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Model& model, const EngineShape& shape) {
    return std::make_unique<CpuBackend>(model, shape);
}

BackendBytes cpu_backend_bytes(const Model& model, const EngineShape& shape) {
    const Sizes z(model, shape);
    return {2 * z.kv_pool_bytes, 2 * z.host_pool_bytes, 4 * z.scratch_floats(model, shape)};
}

}  // namespace jllm
