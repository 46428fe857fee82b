#include "gemv.h"
#include <algorithm>
#include <atomic>
#include <vector>
#include "kernels.h"
#include "thread_pool.h"
#include "util/error.h"

namespace jllm::cpu {

namespace {

// Rows are claimed guided-style: each claim takes a share of what is left (remaining / (2 * threads)), but at least
// about kMinClaimBytes of weights. So each thread mostly streams a few long contiguous ranges (the hardware
// prefetchers keep running; 64 KiB chunks handed out in turn measured up to 2x slower on a loaded 2-core machine),
// the last claims are small enough that threads finish together, and a preempted thread leaves what it has not
// claimed to the others.
constexpr int64_t kMinClaimBytes = 64 << 10;
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

// Rows [r0, r1) of one output, one row-dot per row (a four-row kernel that loads x once per four rows was faster in
// cache but slower from memory: four streams per core defeat the prefetchers); bias last.
void output_rows(const Kernels& k, RowDot dot, const WeightTensor& w, int64_t row_bytes, const float* x,
                 const QuantizedActs& qa, const QuantizedActsK& qk, float* y, const float* bias, int64_t r0, int64_t r1) {
    const int64_t K = w.cols;
    const uint8_t* p = (const uint8_t*)w.data + r0 * row_bytes;
    int64_t r = r0;
    switch (dot) {
        case RowDot::F32:
            for (; r < r1; r++, p += row_bytes) y[r] = k.dot_f32(x, (const float*)p, K);
            break;
        case RowDot::F16:
            for (; r < r1; r++, p += row_bytes) y[r] = k.dot_f16(x, (const uint16_t*)p, K);
            break;
        case RowDot::BF16:
            for (; r < r1; r++, p += row_bytes) y[r] = k.dot_bf16(x, (const uint16_t*)p, K);
            break;
        case RowDot::Quant:
            for (QuantDot qdot = k.qdot[w.dtype]; r < r1; r++, p += row_bytes) y[r] = qdot(p, qa, K);
            break;
        case RowDot::QuantK:
            for (QuantDotK qdot = k.qdot_k[w.dtype]; r < r1; r++, p += row_bytes) y[r] = qdot(p, qk, K);
            break;
    }
    if (bias)
        for (r = r0; r < r1; r++) y[r] += bias[r];
}

}  // namespace

void gemv(const float* x, const MatmulOut* out, int n, int nthreads) {
    const Kernels& k = kernels();
    if (n > kMaxOuts) fail(JLLM_INTERNAL, "gemv: %d outputs (at most %d)", n, kMaxOuts);
    const int64_t K = out[0].w->cols;
    // 1. per output: its row kernel and row size; the outputs' rows form one list, row u of the list being row
    //    u - first[i] of the output i with first[i] <= u < first[i + 1]
    RowDot dot[kMaxOuts];
    int64_t row_bytes[kMaxOuts], first[kMaxOuts + 1] = {0}, max_row_bytes = 0;
    bool want_q = false, want_qk = false;
    for (int i = 0; i < n; i++) {
        const WeightTensor& w = *out[i].w;
        if (w.cols != K) fail(JLLM_INTERNAL, "gemv: outputs of different widths (%lld, %lld)", (long long)K, (long long)w.cols);
        dot[i] = row_dot(k, w.dtype);
        want_q |= dot[i] == RowDot::Quant;
        want_qk |= dot[i] == RowDot::QuantK;
        row_bytes[i] = w.row_bytes();
        max_row_bytes = std::max(max_row_bytes, row_bytes[i]);
        first[i + 1] = first[i] + w.rows;
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
    // 3. rows of the list claimed guided-style from one counter (see kMinClaimBytes)
    const int64_t units = first[n];
    const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(nthreads, units));
    const int64_t min_claim = std::max<int64_t>(1, kMinClaimBytes / max_row_bytes);
    std::atomic<int64_t> next{0};
    parallel_run(nt, [&](int, int) {
        for (int64_t u0 = next.load(std::memory_order_relaxed); u0 < units;) {
            const int64_t take = std::max(min_claim, (units - u0) / (2 * nt));
            if (!next.compare_exchange_weak(u0, u0 + take, std::memory_order_relaxed)) continue;
            const int64_t u1 = std::min(units, u0 + take);
            for (int i = 0; i < n; i++) {  // the claimed rows, output by output
                if (u1 <= first[i] || u0 >= first[i + 1]) continue;
                const int64_t r0 = std::max(u0, first[i]) - first[i], r1 = std::min(u1, first[i + 1]) - first[i];
                output_rows(k, dot[i], *out[i].w, row_bytes[i], x, qa, qk, out[i].y, out[i].bias, r0, r1);
            }
            u0 = next.load(std::memory_order_relaxed);
        }
    });
}

}  // namespace jllm::cpu
