// Element-wise and row-wise layers of the Llama block.
#pragma once
#include <cstdint>
#include "model/model.h"

namespace jllm::cpu {

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for rows r < rows of length dim. out may equal x.
void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps);

// Rotates q [T, nh * hd] and k [T, nkv * hd] in place by each token's position.
void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
          RopeStyle style);

// g[i] = silu(g[i]) * u[i], i < n.
void silu_mul(float* g, const float* u, int64_t n);

}  // namespace jllm::cpu
