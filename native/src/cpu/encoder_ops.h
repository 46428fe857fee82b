// The CPU kernels embedding models add to the decoder's (model/encoder.h): LayerNorm, exact GELU, and attention
// over whole sequences held in plain [T, heads * hd] arrays (no KV cache).
#pragma once
#include <cstdint>

namespace jllm::cpu {

// out[r] = (x[r] - mean) / sqrt(var + eps) * w + b, rows r < rows of length dim (biased variance). out may equal x.
void layernorm(const float* x, const float* w, const float* b, float* out, int64_t rows, int64_t dim, float eps);

// x[i] = x[i] * 0.5 * (1 + erf(x[i] / sqrt(2))), i < n.
void gelu_erf(float* x, int64_t n);

// Floats of per-thread scratch dense_attention needs for sequences up to max_len tokens.
inline int64_t dense_attention_scratch_floats(int64_t max_len) { return max_len; }

// out[t, h * hd..] = softmax_p(q[t, h] · k[p, g] * scale) · v[p, g], g = h / (nh / nkv), over p in token t's
// sequence [query_start[s], query_start[s + 1]): every p, or when causal p <= t with t - p < window (window > 0).
// q, out: [T, nh * hd]; k, v: [T, nkv * hd]. scratch: [nthreads * scratch_stride] floats.
void dense_attention(const float* q, const float* k, const float* v, float* out, const int32_t* query_start,
                     int32_t num_seqs, int nh, int nkv, int hd, float scale, bool causal, int32_t window,
                     int nthreads, float* scratch, int64_t scratch_stride);

}  // namespace jllm::cpu
