// Batch-1 matrix-vector products (decode of one sequence): y = W x for one activation row, with several weights
// that read the same input (q/k/v, gate/up) in one parallel region, so a step pays fewer fork-joins and the small
// matrices (k, v of a grouped-query model) share one stream of work instead of each being its own region.
#pragma once
#include <cstdint>
#include "model/decoder.h"

namespace jllm::cpu {

// y[n] = sum_k x[k] * w[n, k] (+ bias[n]), n < w.rows, for every out[i] over the same x [K] (K = out[i].w->cols, equal for all), on up to nthreads threads. Any weight dtype;
// the results are those of matmul with M = 1 (the same kernels in the same order per row).
void gemv(const float* x, const MatmulOut* out, int n, int nthreads);

}  // namespace jllm::cpu
