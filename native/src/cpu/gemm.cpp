#include "gemm.h"
#include <algorithm>
#include <omp.h>
#include "kernels.h"
#include "util/error.h"

namespace jllm::cpu {

static const uint8_t* row_ptr(const WeightTensor& w, int64_t row) {
    return (const uint8_t*)w.data + row * w.row_bytes();
}

void dequant_row(const WeightTensor& w, int64_t row, float* out) {
    const Kernels& k = kernels();
    const uint8_t* p = row_ptr(w, row);
    switch (w.dtype) {
        case JLLM_DTYPE_F32: std::copy((const float*)p, (const float*)p + w.cols, out); break;
        case JLLM_DTYPE_F16: k.dequant_f16((const uint16_t*)p, out, w.cols); break;
        case JLLM_DTYPE_BF16: k.dequant_bf16((const uint16_t*)p, out, w.cols); break;
        case JLLM_DTYPE_Q8_0: k.dequant_q8_0(p, out, w.cols); break;
        default: fail(JLLM_INTERNAL, "dequant_row: dtype %d", w.dtype);
    }
}

static float dot_row(const Kernels& k, const WeightTensor& w, int64_t row, const float* x) {
    const uint8_t* p = row_ptr(w, row);
    switch (w.dtype) {
        case JLLM_DTYPE_F32: return k.dot_f32(x, (const float*)p, w.cols);
        case JLLM_DTYPE_F16: return k.dot_f16(x, (const uint16_t*)p, w.cols);
        case JLLM_DTYPE_BF16: return k.dot_bf16(x, (const uint16_t*)p, w.cols);
        default: return k.dot_q8_0(x, p, w.cols);
    }
}

// Rows [n0, n1) of the output for every m. One batch row: fused convert-and-dot straight from the weights.
// More rows: expand a tile of weight rows to f32 once, then run the 2x4 register-blocked micro-kernel over
// every pair of batch rows, so each weight byte is read from memory once per call.
static void matmul_rows(const Kernels& k, const WeightTensor& w, const float* x, int64_t M, float* y, int64_t ldy,
                        int64_t n0, int64_t n1, float* tile) {
    const int64_t K = w.cols;
    if (M == 1) {
        for (int64_t n = n0; n < n1; n++) y[n] = dot_row(k, w, n, x);
        return;
    }
    for (int64_t t0 = n0; t0 < n1; t0 += kGemmTileRows) {
        int64_t rows = std::min<int64_t>(kGemmTileRows, n1 - t0);
        const float* wt;
        if (w.dtype == JLLM_DTYPE_F32) {
            wt = (const float*)row_ptr(w, t0);
        } else {
            for (int64_t r = 0; r < rows; r++) dequant_row(w, t0 + r, tile + r * K);
            wt = tile;
        }
        int64_t full = rows / 4 * 4;
        int64_t m = 0;
        for (; m + 4 <= M; m += 4) {
            for (int64_t g = 0; g < full; g += 4) k.dot_4x4(x + m * K, K, wt + g * K, K, K, y + m * ldy + t0 + g, ldy);
            for (int64_t r = full; r < rows; r++)
                for (int64_t mm = m; mm < m + 4; mm++) y[mm * ldy + t0 + r] = k.dot_f32(x + mm * K, wt + r * K, K);
        }
        for (; m + 2 <= M; m += 2) {
            for (int64_t g = 0; g < full; g += 4) k.dot_2x4(x + m * K, K, wt + g * K, K, K, y + m * ldy + t0 + g, ldy);
            for (int64_t r = full; r < rows; r++) {
                y[m * ldy + t0 + r] = k.dot_f32(x + m * K, wt + r * K, K);
                y[(m + 1) * ldy + t0 + r] = k.dot_f32(x + (m + 1) * K, wt + r * K, K);
            }
        }
        for (; m < M; m++)
            for (int64_t r = 0; r < rows; r++) y[m * ldy + t0 + r] = k.dot_f32(x + m * K, wt + r * K, K);
    }
}

void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, int64_t ldy, const float* bias,
            int nthreads, float* scratch) {
    const Kernels& k = kernels();
    const int64_t N = w.rows, K = w.cols;
    // Split the output features into contiguous per-thread ranges, multiples of 4 rows.
    int64_t groups = (N + 3) / 4;
    int nt = (int)std::max<int64_t>(1, std::min<int64_t>(nthreads, groups));
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        int64_t g0 = groups * tid / nth, g1 = groups * (tid + 1) / nth;
        int64_t n0 = std::min(N, g0 * 4), n1 = std::min(N, g1 * 4);
        if (n0 < n1) matmul_rows(k, w, x, M, y, ldy, n0, n1, scratch + (int64_t)tid * kGemmTileRows * K);
    }
    if (bias)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) y[m * ldy + n] += bias[n];
}

}  // namespace jllm::cpu
