// Batched matrix products against model weights: every weight row is read once per call for the whole batch.
#pragma once
#include <cstdint>
#include "model/model.h"

namespace jllm::cpu {

constexpr int kGemmTileRows = 16;  // weight rows expanded to f32 at a time per thread

// y[m * ldy + n] = sum_k x[m * K + k] * W[n, k] (+ bias[n]) for m < M, n < W.rows; K = W.cols.
// scratch: [nthreads * kGemmTileRows * K] floats, owned by the caller (no allocation here).
void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, int64_t ldy, const float* bias,
            int nthreads, float* scratch);

// Expands row `row` of w to f32 out[w.cols].
void dequant_row(const WeightTensor& w, int64_t row, float* out);

}  // namespace jllm::cpu
