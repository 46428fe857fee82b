// The CPU backend: the decoder ops (model/decoder.h) over a flat token batch and a paged KV cache, plus sampling.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include "backend.h"
#include "cpu/attention.h"
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "cpu/ops.h"
#include "cpu/sampling.h"
#include "cpu/thread_pool.h"
#include "model/decoder.h"
#include "util/error.h"

namespace jllm {

namespace {

// A zero-initialised float buffer that reports allocation failure as JLLM_HOST_OOM.
struct Buffer {
    std::unique_ptr<float[]> p;
    int64_t n = 0;
    void alloc(int64_t count, const char* what) {
        n = std::max<int64_t>(count, 1);
        p.reset(new (std::nothrow) float[n]());
        if (!p) fail(JLLM_HOST_OOM, "cannot allocate %lld MiB for %s", (long long)(n * 4 >> 20), what);
    }
    float* get() { return p.get(); }
};

class CpuBackend final : public Backend, private DecoderOps {
public:
    CpuBackend(const Model& m, const EngineShape& s) : m_(m), s_(s) {
        const ModelConfig& c = m.config;
        L_ = {s.block_size, c.num_kv_heads, c.head_dim};
        qd_ = (int64_t)c.num_heads * c.head_dim;
        kvd_ = (int64_t)c.num_kv_heads * c.head_dim;
        const int64_t T = s.max_num_batched_tokens, H = c.hidden_size, I = c.intermediate_size;
        const int64_t pool = L_.block_floats() * s.num_blocks * c.num_layers;
        k_cache_.alloc(pool, "the K cache");
        v_cache_.alloc(pool, "the V cache");
        const int64_t host = L_.block_floats() * s.num_host_blocks * c.num_layers;
        k_host_.alloc(host, "the host K pool");
        v_host_.alloc(host, "the host V pool");
        x_.alloc(T * H, "activations");
        xb_.alloc(T * std::max(H, qd_), "activations");
        q_.alloc(T * qd_, "queries");
        k_.alloc(T * kvd_, "keys");
        v_.alloc(T * kvd_, "values");
        att_.alloc(T * qd_, "attention output");
        gate_.alloc(T * I, "MLP activations");
        up_.alloc(T * I, "MLP activations");
        xr_.alloc((int64_t)s.max_logit_rows * H, "logit rows");
        logits_.alloc((int64_t)s.max_logit_rows * c.vocab_size, "logits");
        tok_seq_.resize(T);
        int64_t K = std::max({H, I, qd_});
        gemm_scratch_.alloc((int64_t)s.num_threads * cpu::kGemmTileRows * K, "matmul tiles");
        attn_stride_ = (int64_t)(c.num_heads / c.num_kv_heads) * s.max_blocks_per_seq * s.block_size;
        attn_scratch_.alloc((int64_t)s.num_threads * attn_stride_, "attention scores");
        samplers_.resize(s.num_threads);
        for (auto& sc : samplers_) sc.resize(c.vocab_size);
    }

    const char* name() const override { return "cpu"; }
    float* logits_buffer() override { return logits_.get(); }

    void forward(const jllm_batch& b, const int32_t* rows, int32_t num_rows, float* logits) override {
        // Which sequence each token belongs to (for its block table), then the architecture's ops.
        for (int32_t sq = 0; sq < b.num_seqs; sq++)
            for (int32_t t = b.query_start[sq]; t < b.query_start[sq + 1]; t++) tok_seq_[t] = sq;
        DecoderBuffers buf{x_.get(), xb_.get(), q_.get(), k_.get(), v_.get(), att_.get(), gate_.get(), up_.get(), xr_.get()};
        decoder_forward(m_, *this, buf, b, rows, num_rows, logits);
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
    void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, const float* bias) override {
        cpu::matmul(w, x, M, y, w.rows, bias, s_.num_threads, gemm_scratch_.get());
    }
    void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps) override {
        cpu::rmsnorm(x, w, out, rows, dim, eps);
    }
    void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
              RopeStyle style) override {
        cpu::rope(q, k, positions, T, nh, nkv, hd, inv_freq, style);
    }
    void write_kv(int layer, const float* k, const float* v, const jllm_batch& b) override {
        const int64_t layer_floats = L_.block_floats() * s_.num_blocks;
        cpu::write_kv(k, v, b.slot_mapping, b.num_tokens, k_cache_.get() + layer * layer_floats,
                      v_cache_.get() + layer * layer_floats, L_);
    }
    void attention(int layer, const float* q, float* out, const jllm_batch& b, float scale, int32_t window,
                   float softcap) override {
        const int64_t layer_floats = L_.block_floats() * s_.num_blocks;
        cpu::paged_attention(q, out, k_cache_.get() + layer * layer_floats, v_cache_.get() + layer * layer_floats, L_,
                             m_.config.num_heads, b.positions, tok_seq_.data(), b.block_tables, b.block_table_stride,
                             b.num_tokens, scale, window, softcap, s_.num_threads, attn_scratch_.get(), attn_stride_);
    }
    void gated_activation(Activation act, float* gate, const float* up, int64_t n) override {
        if (act == Activation::SiLU) cpu::silu_mul(gate, up, n);
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
        cpu::parallel_for(num_rows, s_.num_threads, [&](int64_t r, int tid) {
            cpu::SampleScratch& sc = samplers_[tid];
            int32_t* tids = out->top_ids ? out->top_ids + (int64_t)r * out->top_stride : nullptr;
            float* tlp = out->top_logprobs ? out->top_logprobs + (int64_t)r * out->top_stride : nullptr;
            cpu::sample_row(logits + (int64_t)r * V, V, params[r], sc, out->token_ids + r, out->logprobs + r, tids, tlp);
        });
    }

    void copy_blocks(const int32_t* src, const int32_t* dst, int32_t n) override {
        const int64_t bf = L_.block_floats(), layer = bf * s_.num_blocks;
        for (int li = 0; li < m_.config.num_layers; li++)
            for (int32_t i = 0; i < n; i++) {
                memcpy(k_cache_.get() + li * layer + dst[i] * bf, k_cache_.get() + li * layer + src[i] * bf, bf * 4);
                memcpy(v_cache_.get() + li * layer + dst[i] * bf, v_cache_.get() + li * layer + src[i] * bf, bf * 4);
            }
    }

    void swap(bool out, const int32_t* src, const int32_t* dst, int32_t n) override {
        const int64_t bf = L_.block_floats();
        const int64_t main_layer = bf * s_.num_blocks, host_layer = bf * s_.num_host_blocks;
        for (int li = 0; li < m_.config.num_layers; li++)
            for (int32_t i = 0; i < n; i++) {
                float* mk = k_cache_.get() + li * main_layer + (out ? src[i] : dst[i]) * bf;
                float* mv = v_cache_.get() + li * main_layer + (out ? src[i] : dst[i]) * bf;
                float* hk = k_host_.get() + li * host_layer + (out ? dst[i] : src[i]) * bf;
                float* hv = v_host_.get() + li * host_layer + (out ? dst[i] : src[i]) * bf;
                if (out) { memcpy(hk, mk, bf * 4); memcpy(hv, mv, bf * 4); }
                else { memcpy(mk, hk, bf * 4); memcpy(mv, hv, bf * 4); }
            }
    }

private:
    const Model& m_;
    EngineShape s_;
    cpu::KvLayout L_;
    int64_t qd_, kvd_, attn_stride_;
    Buffer k_cache_, v_cache_, k_host_, v_host_;
    Buffer x_, xb_, q_, k_, v_, att_, gate_, up_, xr_, logits_, gemm_scratch_, attn_scratch_;
    std::vector<int32_t> tok_seq_;
    std::vector<cpu::SampleScratch> samplers_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const Model& model, const EngineShape& shape) {
    return std::make_unique<CpuBackend>(model, shape);
}

}  // namespace jllm
