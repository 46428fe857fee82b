// Element-wise and row-wise ops of the decoder (model/decoder.h) on the CPU.
#pragma once
#include <cstdint>
#include "model/model.h"

namespace jllm::cpu {

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for rows r < rows of length dim. out may equal x.
void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps);

// Rotates q [T, nh * hd] and k [T, nkv * hd] in place by each token's position.
void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
          RopeStyle style);

// g[i] = silu(g[i]) * u[i], i < n (SwiGLU).
void silu_mul(float* g, const float* u, int64_t n);

// g[i] = gelu_tanh(g[i]) * u[i], i < n (GeGLU with PyTorch's tanh approximation of GELU).
void gelu_tanh_mul(float* g, const float* u, int64_t n);

// x[i] = cap * tanh(x[i] / cap), i < n (Gemma 2's logit soft-cap).
void softcap(float* x, int64_t n, float cap);

}  // namespace jllm::cpu
