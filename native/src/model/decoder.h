// A model is a sequence of ops; a backend implements the ops. decoder.cpp writes the forward pass of every
// supported architecture once, in terms of DecoderOps; cpu/ implements them now, a CUDA backend implements the same
// ones. All activations are f32 row-major [tokens, features] in the backend's memory.
#pragma once
#include <cstdint>
#include "jllm.h"
#include "model/model.h"

namespace jllm {

// One output of DecoderOps::matmuls: y = x · w^T (+ bias), y: [M, w.rows].
struct MatmulOut {
    const WeightTensor* w;
    float* y;
    const float* bias;  // [w.rows] or null
};

class DecoderOps {
public:
    virtual ~DecoderOps() = default;
    // x[t, :] = table[ids[t], :] * scale, t < T. x: [T, table.cols]
    virtual void embed(const WeightTensor& table, const int32_t* ids, int64_t T, float scale, float* x) = 0;
    // y[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n]); any weight dtype. x: [M, w.cols], y: [M, w.rows]
    virtual void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, const float* bias) = 0;
    // matmul of one input x [M, K] by several weights of width K (q/k/v, gate/up): a backend may run them as one
    // pass over the weights instead of one per weight.
    virtual void matmuls(const float* x, int64_t M, const MatmulOut* out, int n) {
        for (int i = 0; i < n; i++) matmul(*out[i].w, x, M, out[i].y, out[i].bias);
    }
    // out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, rows of length dim; out may equal x
    virtual void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps) = 0;
    // Rotates q [T, nh * hd] and k [T, nkv * hd] in place by each token's position at frequencies inv_freq
    // [hd / 2] (a host array of the model config that never changes: a device backend may upload it once).
    virtual void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd,
                      const float* inv_freq, RopeStyle style) = 0;
    // Writes this layer's k, v [T, nkv * hd] into the paged cache at the batch's slots.
    virtual void write_kv(int layer, const float* k, const float* v, const jllm_batch& b) = 0;
    // out[t, h] = softmax_p(cap(q[t, h] · K[p] * scale)) · V[p] over the positions p of token t's sequence with
    // pos_t - window < p <= pos_t (window 0: all p <= pos_t); cap(s) = softcap * tanh(s / softcap) when
    // softcap > 0. q, out: [T, nh * hd]
    virtual void attention(int layer, const float* q, float* out, const jllm_batch& b, float scale, int32_t window,
                           float softcap) = 0;
    // gate[i] = act(gate[i]) * up[i], i < n
    virtual void gated_activation(Activation act, float* gate, const float* up, int64_t n) = 0;
    // x[i] += y[i], i < n
    virtual void add(float* x, const float* y, int64_t n) = 0;
    // x[i] = cap * tanh(x[i] / cap), i < n
    virtual void softcap(float* x, int64_t n, float cap) = 0;
    // out[r, :] = x[rows[r], :], r < num_rows; rows of length dim
    virtual void gather_rows(const float* x, const int32_t* rows, int32_t num_rows, int64_t dim, float* out) = 0;
};

// Activation buffers the backend allocates for the largest step (T = max_num_batched_tokens, R = max_logit_rows).
struct DecoderBuffers {
    float* x;      // [T, hidden] the residual stream
    float* xb;     // [T, max(hidden, nh * hd)]
    float* q;      // [T, nh * hd]
    float* k;      // [T, nkv * hd]
    float* v;      // [T, nkv * hd]
    float* att;    // [T, nh * hd]
    float* gate;   // [T, intermediate]
    float* up;     // [T, intermediate]
    float* xr;     // [R, hidden] the rows that get logits
};

// The forward pass over a validated batch: logits [num_rows, vocab] of the tokens rows[num_rows]. With logits
// null (embedding runs) it stops after the final norm of every token, leaving buf.x [T, hidden].
void decoder_forward(const Model& m, DecoderOps& ops, const DecoderBuffers& buf, const jllm_batch& b,
                     const int32_t* rows, int32_t num_rows, float* logits);

}  // namespace jllm
