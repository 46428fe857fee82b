#include "gemm.h"
#include <algorithm>
#include <atomic>
#include <vector>
#include "kernels.h"
#include "thread_pool.h"
#include "util/error.h"

namespace jllm::cpu {

// Paths by weight dtype and batch rows M (choose_path):
//  - block-quantized weights from the kernel set's panel_from[dtype] rows (2, or 4-5 against the AVX-512 Q4_K / Q6_K
//    dots): the integer panel (qgemm_impl.inc), 16 weight rows unpacked to bytes once for every batch row;
//  - BF16 weights from 2 rows where the CPU has AVX512-BF16 (and K is even): the bf16 panel (bf16gemm_impl.inc),
//    32 weight rows packed as bf16 column pairs, activations rounded to bf16 once per call, vdpbf16ps;
//  - below that: per-row int8 dot products; float weights at batch 1: the f32 dot; BF16 weights with odd K up to
//    kRowDotMaxBatch rows: bf16 x bf16 where the CPU has it (row dots re-read each weight row from L1 per batch row);
//  - float weights from kFloatPanelMinBatch rows: the f32 panel, 16 weight rows expanded and transposed once;
//  - otherwise (float weights between the two, Q8_0 without VNNI): a tile of weight rows expanded to f32 once and
//    the register-blocked f32 4x4 / 2x4 micro-kernels.
constexpr int64_t kRowDotMaxBatch = 4;
// The panels live in the per-thread tile scratch (kGemmTileRows * K floats), and chunks of rows are whole panels.
static_assert(kGemmTileRows * sizeof(float) * 1024 >= panel_bytes(1024), "an integer panel fits in the tile");
static_assert(kGemmTileRows % kPanelRows == 0, "chunks are whole panels; an f32 panel fits in the tile");
static_assert(kGemmTileRows * sizeof(float) >= 2 * kPanelRows * sizeof(uint16_t), "two bf16 panels fit in the tile");

static const uint8_t* row_ptr(const WeightTensor& w, int64_t row) {
    return (const uint8_t*)w.data + row * w.row_bytes();
}

static Dequant dequant_fn(const Kernels& k, int32_t dtype) {
    Dequant f = dtype >= 0 && dtype < kDtypeSlots ? k.dequant[dtype] : nullptr;
    if (!f) fail(JLLM_UNSUPPORTED, "weight dtype %s (%d) has no CPU kernel", dtype_name(dtype), dtype);
    return f;
}

void dequant_row(const WeightTensor& w, int64_t row, float* out) {
    dequant_fn(kernels(), w.dtype)(row_ptr(w, row), out, w.cols);
}

namespace {

// The activations of one call in the form the row-dot kernels read: int8 per 32 for the 32-element block formats,
// int8 per 256-element super-block (q8_K) for the K-quants, bf16 hi/lo pairs for BF16 weights. Lives per calling
// thread and only grows.
struct PreparedActs {
    std::vector<int8_t> q;
    std::vector<float> d;
    std::vector<float> ds;
    std::vector<int16_t> bsums;
    std::vector<uint16_t> hi, lo;
    QuantizedActs row(int64_t m, int64_t K) const { return {q.data() + m * K, d.data() + m * K / 32, ds.data() + m * K / 16}; }
    QuantizedActsK row_k(int64_t m, int64_t K) const { return {q.data() + m * K, d.data() + m * K / 256, bsums.data() + m * K / 16}; }
};

// Float weights (F32, F16, BF16) take the f32 panel (transposed weights, broadcast activations) from this many
// batch rows; below it the f32 tile's 4x4 kernels are as fast (in cache, one thread, BF16 [128, 2048]: panel 1.4x
// the tile at 64 and 128 rows, even at 16, 0.9x at 8).
constexpr int64_t kFloatPanelMinBatch = 16;

enum class Path { F32Dot, QuantDot, QuantDotK, Bf16Dot, Bf16Panel, Panel, FloatPanel, Tile };

Path choose_path(const Kernels& k, const WeightTensor& w, int64_t M) {
    if (M > 1 && w.dtype < kDtypeSlots && k.pack_panel[w.dtype] && M >= k.panel_from[w.dtype]) return Path::Panel;
    if (M > 1 && w.dtype == JLLM_DTYPE_BF16 && k.bf16_panel_gemm && w.cols % 2 == 0) return Path::Bf16Panel;
    if (M <= kRowDotMaxBatch && w.dtype < kDtypeSlots && k.qdot[w.dtype]) return Path::QuantDot;
    if (M <= kRowDotMaxBatch && w.dtype < kDtypeSlots && k.qdot_k[w.dtype]) return Path::QuantDotK;
    // Batch 1 reads BF16 weights through the f32 FMA dot: exact products, and faster than the hi/lo vdpbf16ps pair
    // (jllm_bench --kernels, in cache on one Zen 5 core: 60 GB/s against 55).
    if (M == 1 && (w.dtype == JLLM_DTYPE_F32 || w.dtype == JLLM_DTYPE_F16 || w.dtype == JLLM_DTYPE_BF16))
        return Path::F32Dot;
    if (M <= kRowDotMaxBatch && w.dtype == JLLM_DTYPE_BF16 && k.dot_bf16x2) return Path::Bf16Dot;
    if (M >= kFloatPanelMinBatch && (w.dtype == JLLM_DTYPE_F32 || w.dtype == JLLM_DTYPE_F16 || w.dtype == JLLM_DTYPE_BF16))
        return Path::FloatPanel;
    return Path::Tile;
}

// 1. Activations converted once per call (not per weight row).
void prepare(const Kernels& k, Path path, const float* x, int64_t M, int64_t K, PreparedActs& a) {
    if (path == Path::QuantDot || path == Path::Panel) {
        a.q.resize(M * K);
        a.d.resize(M * K / 32);
        a.ds.resize(M * K / 16);
        for (int64_t m = 0; m < M; m++)
            k.quantize_acts(x + m * K, K, a.q.data() + m * K, a.d.data() + m * K / 32, a.ds.data() + m * K / 16);
    } else if (path == Path::QuantDotK) {
        a.q.resize(M * K);
        a.d.resize(M * K / 256);
        a.bsums.resize(M * K / 16);
        for (int64_t m = 0; m < M; m++)
            k.quantize_acts_k(x + m * K, K, a.q.data() + m * K, a.d.data() + m * K / 256, a.bsums.data() + m * K / 16);
    } else if (path == Path::Bf16Dot) {
        a.hi.resize(M * K);
        a.lo.resize(M * K);
        for (int64_t m = 0; m < M; m++) k.split_bf16(x + m * K, a.hi.data() + m * K, a.lo.data() + m * K, K);
    } else if (path == Path::Bf16Panel) {
        a.hi.resize(M * K);  // rounded to bf16, no lo term (see bf16gemm_impl.inc)
        k.split_bf16(x, a.hi.data(), nullptr, M * K);
    }
}

float dot_f32_row(const Kernels& k, const WeightTensor& w, const uint8_t* p, const float* x) {
    switch (w.dtype) {
        case JLLM_DTYPE_F32: return k.dot_f32(x, (const float*)p, w.cols);
        case JLLM_DTYPE_F16: return k.dot_f16(x, (const uint16_t*)p, w.cols);
        default: return k.dot_bf16(x, (const uint16_t*)p, w.cols);
    }
}

// 2. Output features [n0, n1) for every batch row m < M.
void matmul_rows(const Kernels& k, Path path, const WeightTensor& w, const float* x, const PreparedActs& a, int64_t M,
                 float* y, int64_t ldy, int64_t n0, int64_t n1, float* tile) {
    const int64_t K = w.cols;
    switch (path) {
        case Path::F32Dot:
            for (int64_t n = n0; n < n1; n++) y[n] = dot_f32_row(k, w, row_ptr(w, n), x);
            return;
        case Path::QuantDot: {
            QuantDot dot = k.qdot[w.dtype];
            for (int64_t n = n0; n < n1; n++)
                for (int64_t m = 0; m < M; m++) y[m * ldy + n] = dot(row_ptr(w, n), a.row(m, K), K);
            return;
        }
        case Path::QuantDotK: {
            QuantDotK dot = k.qdot_k[w.dtype];
            for (int64_t n = n0; n < n1; n++)
                for (int64_t m = 0; m < M; m++) y[m * ldy + n] = dot(row_ptr(w, n), a.row_k(m, K), K);
            return;
        }
        case Path::Bf16Dot:
            for (int64_t n = n0; n < n1; n++)
                for (int64_t m = 0; m < M; m++)
                    y[m * ldy + n] = k.dot_bf16x2(a.hi.data() + m * K, a.lo.data() + m * K, (const uint16_t*)row_ptr(w, n), K);
            return;
        case Path::Panel: {
            // Panels of kPanelRows weight rows unpacked into the tile scratch, each multiplied with every batch row.
            Panel p{(uint8_t*)tile, (float*)((uint8_t*)tile + K * kPanelRows), nullptr};
            p.b = p.a + K;
            for (int64_t t0 = n0; t0 < n1; t0 += kPanelRows) {
                int rows = (int)std::min<int64_t>(kPanelRows, n1 - t0);
                k.pack_panel[w.dtype](row_ptr(w, t0), w.row_bytes(), rows, K, p);
                k.panel_gemm(p, k.panel_halves[w.dtype], a.row(0, K), M, K, y + t0, ldy, rows);
            }
            return;
        }
        case Path::Bf16Panel: {
            // Two panels of kPanelRows weight rows as bf16 pairs in the tile scratch (2 * 16 * K bf16).
            uint16_t* pw = (uint16_t*)tile;
            for (int64_t t0 = n0; t0 < n1; t0 += 2 * kPanelRows) {
                int rows = (int)std::min<int64_t>(2 * kPanelRows, n1 - t0);
                k.pack_panel_bf16((const uint16_t*)row_ptr(w, t0), K, std::min(rows, kPanelRows), K, pw);
                if (rows > kPanelRows)
                    k.pack_panel_bf16((const uint16_t*)row_ptr(w, t0 + kPanelRows), K, rows - kPanelRows, K, pw + kPanelRows * K);
                k.bf16_panel_gemm(pw, a.hi.data(), M, K, y + t0, ldy, rows);
            }
            return;
        }
        case Path::FloatPanel:
            // Panels of kPanelRows weight rows expanded to f32 and transposed into the tile scratch.
            for (int64_t t0 = n0; t0 < n1; t0 += kPanelRows) {
                int rows = (int)std::min<int64_t>(kPanelRows, n1 - t0);
                k.pack_panel_f(w.dtype, row_ptr(w, t0), w.row_bytes(), rows, K, tile);
                k.fpanel_gemm(tile, x, M, K, y + t0, ldy, rows);
            }
            return;
        case Path::Tile: break;
    }
    // Tile: expand kGemmTileRows weight rows to f32 once, then the 4x4 / 2x4 micro-kernels over the batch rows,
    // so each weight byte is read from memory once per call.
    Dequant deq = dequant_fn(k, w.dtype);
    for (int64_t t0 = n0; t0 < n1; t0 += kGemmTileRows) {
        int64_t rows = std::min<int64_t>(kGemmTileRows, n1 - t0);
        const float* wt;
        if (w.dtype == JLLM_DTYPE_F32) {
            wt = (const float*)row_ptr(w, t0);
        } else {
            for (int64_t r = 0; r < rows; r++) deq(row_ptr(w, t0 + r), tile + r * K, K);
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

}  // namespace

void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, int64_t ldy, const float* bias,
            int nthreads, float* scratch) {
    const Kernels& k = kernels();
    const int64_t N = w.rows, K = w.cols;
    dequant_fn(k, w.dtype);  // refuses a dtype without kernels before any work
    Path path = choose_path(k, w, M);
    static thread_local PreparedActs acts;
    prepare(k, path, x, M, K, acts);
    // Output features in chunks of whole tiles, about 8 per thread, claimed from a shared counter: a thread that the
    // OS preempts (a shared machine) leaves its remaining chunks to the others instead of stalling the step.
    const int64_t tiles = (N + kGemmTileRows - 1) / kGemmTileRows;
    const int64_t chunk = kGemmTileRows * std::max<int64_t>(1, tiles / (8 * (int64_t)std::max(1, nthreads)));
    const int64_t chunks = (N + chunk - 1) / chunk;
    int nt = (int)std::max<int64_t>(1, std::min<int64_t>(nthreads, chunks));
    const PreparedActs& a = acts;
    std::atomic<int64_t> next{0};
    parallel_run(nt, [&](int tid, int) {
        float* tile = scratch + (int64_t)tid * kGemmTileRows * K;
        for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;)
            matmul_rows(k, path, w, x, a, M, y, ldy, c * chunk, std::min(N, (c + 1) * chunk), tile);
    });
    if (bias)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) y[m * ldy + n] += bias[n];
}

}  // namespace jllm::cpu
