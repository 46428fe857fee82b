#include "gemv.h"
#include <algorithm>
#include <atomic>
#include <vector>
#include "kernels.h"
#include "thread_pool.h"
#include "util/error.h"

namespace jllm::cpu {

namespace {

// Rows are handed out in chunks of about this many weight bytes: large enough that claiming one (an atomic add) is
// noise, small enough that the threads finish a region within a few microseconds of each other.
constexpr int64_t kChunkBytes = 64 << 10;
constexpr int kMaxOuts = 8;

// How one weight's rows are computed at batch 1 (the same choice as matmul's for M = 1).
enum class RowDot { F32, F16, BF16, Quant, QuantK };

RowDot row_dot(const Kernels& k, int32_t dtype) {
    if (dtype >= 0 && dtype < kDtypeSlots && k.qdot[dtype]) return RowDot::Quant;
    if (dtype >= 0 && dtype < kDtypeSlots && k.qdot_k[dtype]) return RowDot::QuantK;
    if (dtype == JLLM_DTYPE_F32) return RowDot::F32;
    if (dtype == JLLM_DTYPE_F16) return RowDot::F16;
    if (dtype == JLLM_DTYPE_BF16) return RowDot::BF16;
    fail(JLLM_UNSUPPORTED, "weight dtype %s (%d) has no CPU kernel", dtype_name(dtype), dtype);
}

// The input in the forms the row kernels read, converted once per call: int8 per 32 (QuantizedActs) and int8 per
// 256 (QuantizedActsK). Lives per calling thread and only grows.
struct Acts {
    std::vector<int8_t> q, qk;
    std::vector<float> d, ds, dk;
    std::vector<int16_t> bsums;
};

}  // namespace

void gemv(const float* x, const MatmulOut* out, int n, int nthreads) {
    const Kernels& k = kernels();
    if (n > kMaxOuts) fail(JLLM_INTERNAL, "gemv: %d outputs (at most %d)", n, kMaxOuts);
    const int64_t K = out[0].w->cols;
    // 1. per output: its row kernel, row size and chunk size (rows); chunk c of the whole call belongs to the
    //    output i with first[i] <= c < first[i + 1]
    RowDot dot[kMaxOuts];
    int64_t row_bytes[kMaxOuts], chunk_rows[kMaxOuts], first[kMaxOuts + 1] = {0};
    bool want_q = false, want_qk = false;
    for (int i = 0; i < n; i++) {
        const WeightTensor& w = *out[i].w;
        if (w.cols != K) fail(JLLM_INTERNAL, "gemv: outputs of different widths (%lld, %lld)", (long long)K, (long long)w.cols);
        dot[i] = row_dot(k, w.dtype);
        want_q |= dot[i] == RowDot::Quant;
        want_qk |= dot[i] == RowDot::QuantK;
        row_bytes[i] = w.row_bytes();
        chunk_rows[i] = std::max<int64_t>(4, kChunkBytes / row_bytes[i] / 4 * 4);  // whole groups of four rows
        first[i + 1] = first[i] + (w.rows + chunk_rows[i] - 1) / chunk_rows[i];
    }
    // 2. the input converted once for the integer kernels
    static thread_local Acts a;
    if (want_q) {
        a.q.resize(K), a.d.resize(K / 32), a.ds.resize(K / 16);
        k.quantize_acts(x, K, a.q.data(), a.d.data(), a.ds.data());
    }
    if (want_qk) {
        a.qk.resize(K), a.dk.resize(K / 256), a.bsums.resize(K / 16);
        k.quantize_acts_k(x, K, a.qk.data(), a.dk.data(), a.bsums.data());
    }
    const QuantizedActs qa{a.q.data(), a.d.data(), a.ds.data()};
    const QuantizedActsK qk{a.qk.data(), a.dk.data(), a.bsums.data()};
    // 3. chunks claimed from one counter across all outputs; bias added by the thread that wrote the rows
    const int64_t chunks = first[n];
    std::atomic<int64_t> next{0};
    parallel_run((int)std::min<int64_t>(nthreads, chunks), [&](int, int) {
        int i = 0;
        for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
            while (c >= first[i + 1]) i++;  // chunks are claimed in increasing order
            const WeightTensor& w = *out[i].w;
            const int64_t r0 = (c - first[i]) * chunk_rows[i], r1 = std::min(w.rows, r0 + chunk_rows[i]);
            const uint8_t* p = (const uint8_t*)w.data + r0 * row_bytes[i];
            float* y = out[i].y;
            switch (dot[i]) {  // float weights: four rows per x pass, then the odd rows
                case RowDot::F32: {
                    int64_t r = r0;
                    for (; r + 4 <= r1; r += 4, p += 4 * row_bytes[i]) k.dot4_f32(x, (const float*)p, K, K, y + r);
                    for (; r < r1; r++, p += row_bytes[i]) y[r] = k.dot_f32(x, (const float*)p, K);
                    break;
                }
                case RowDot::F16: {
                    int64_t r = r0;
                    for (; r + 4 <= r1; r += 4, p += 4 * row_bytes[i]) k.dot4_f16(x, (const uint16_t*)p, K, K, y + r);
                    for (; r < r1; r++, p += row_bytes[i]) y[r] = k.dot_f16(x, (const uint16_t*)p, K);
                    break;
                }
                case RowDot::BF16: {
                    int64_t r = r0;
                    for (; r + 4 <= r1; r += 4, p += 4 * row_bytes[i]) k.dot4_bf16(x, (const uint16_t*)p, K, K, y + r);
                    for (; r < r1; r++, p += row_bytes[i]) y[r] = k.dot_bf16(x, (const uint16_t*)p, K);
                    break;
                }
                case RowDot::Quant: {
                    QuantDot qdot = k.qdot[w.dtype];
                    for (int64_t r = r0; r < r1; r++, p += row_bytes[i]) y[r] = qdot(p, qa, K);
                    break;
                }
                case RowDot::QuantK: {
                    QuantDotK qdot = k.qdot_k[w.dtype];
                    for (int64_t r = r0; r < r1; r++, p += row_bytes[i]) y[r] = qdot(p, qk, K);
                    break;
                }
            }
            if (out[i].bias)
                for (int64_t r = r0; r < r1; r++) y[r] += out[i].bias[r];
        }
    });
}

}  // namespace jllm::cpu
