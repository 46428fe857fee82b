// Batch-1 decode paths: gemv (several weights over one input in one parallel region) against matmul at M = 1 for
// every kind of row kernel, and the thread pool's share claiming under late and sleeping workers.
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include "check.h"
#include "cpu/gemm.h"
#include "cpu/gemv.h"
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "util/half.h"

using namespace jllm;

static std::mt19937_64 rng(check::seed());  // JLLM_TEST_SEED reproduces a run

// Random weights of `dtype`: floats in ±0.5, or random quant bytes (every bit pattern is a valid block) with the
// f16 scale fields at byte offsets d and second (-1: none) of each block set to small finite values.
static std::vector<uint8_t> random_weight(WeightTensor& w, int32_t dtype, int64_t rows, int64_t cols, int d = 0,
                                          int second = -1) {
    w.dtype = dtype, w.rows = rows, w.cols = cols;
    std::vector<uint8_t> bytes(w.bytes());
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    if (dtype == JLLM_DTYPE_F32 || dtype == JLLM_DTYPE_F16 || dtype == JLLM_DTYPE_BF16) {
        for (int64_t i = 0; i < rows * cols; i++) {
            float v = u(rng);
            if (dtype == JLLM_DTYPE_F32) memcpy(bytes.data() + 4 * i, &v, 4);
            else ((uint16_t*)bytes.data())[i] = dtype == JLLM_DTYPE_F16 ? f32_to_f16(v) : f32_to_bf16(v);
        }
    } else {
        for (auto& b : bytes) b = (uint8_t)rng();
        const int64_t block = dtype_row_bytes(dtype, dtype_block_size(dtype));
        for (int64_t b = 0; b + block <= (int64_t)bytes.size(); b += block) {
            uint16_t h = f32_to_f16(0.001f + 0.01f * std::fabs(u(rng)));
            memcpy(bytes.data() + b + d, &h, 2);
            if (second >= 0) memcpy(bytes.data() + b + second, &h, 2);
        }
    }
    w.data = bytes.data();
    return bytes;
}

TEST(gemv_equals_matmul_at_batch_1_for_every_row_kernel) {
    // (dtype, scale offsets): float dots, the 32-block integer dot, the K-quant integer dots
    struct Case { int32_t dtype; int d, second; };
    const Case cases[] = {{JLLM_DTYPE_F32, 0, -1}, {JLLM_DTYPE_F16, 0, -1}, {JLLM_DTYPE_BF16, 0, -1},
                          {JLLM_DTYPE_Q8_0, 0, -1}, {JLLM_DTYPE_Q4_0, 0, -1}, {JLLM_DTYPE_Q4_K, 0, 2},
                          {JLLM_DTYPE_Q6_K, 208, -1}};
    const int64_t K = 512;
    std::vector<float> x(K);
    std::normal_distribution<float> nd;
    for (auto& v : x) v = nd(rng);
    for (const Case& c : cases) {
        // three outputs of one call, rows not multiples of a chunk; two dtypes mixed, the Q4_K_M way
        WeightTensor w[3];
        std::vector<uint8_t> b0 = random_weight(w[0], c.dtype, 301, K, c.d, c.second);
        std::vector<uint8_t> b1 = random_weight(w[1], c.dtype, 67, K, c.d, c.second);
        std::vector<uint8_t> b2 = random_weight(w[2], JLLM_DTYPE_BF16, 1000, K);
        std::vector<float> bias(301);
        for (auto& v : bias) v = nd(rng);
        std::vector<float> y[3], ref[3];
        MatmulOut out[3];
        for (int i = 0; i < 3; i++) {
            y[i].assign(w[i].rows, NAN);
            ref[i].assign(w[i].rows, NAN);
            out[i] = {&w[i], y[i].data(), i == 0 ? bias.data() : nullptr};
        }
        std::vector<float> scratch(4 * cpu::kGemmTileRows * K);
        for (int nth : {1, 2, 3}) {
            for (int i = 0; i < 3; i++) std::fill(y[i].begin(), y[i].end(), NAN);
            cpu::gemv(x.data(), out, 3, nth);
            int wrong = 0;
            for (int i = 0; i < 3; i++) {
                cpu::matmul(w[i], x.data(), 1, ref[i].data(), w[i].rows, out[i].bias, 1, scratch.data());
                for (int64_t r = 0; r < w[i].rows; r++) wrong += memcmp(&y[i][r], &ref[i][r], 4) != 0;
            }
            CHECK_MSG(wrong == 0, "%s, %d threads: %d outputs differ from matmul", dtype_name(c.dtype), nth, wrong);
        }
    }
}

TEST(thread_pool_shares_run_once_when_workers_are_late) {
    // Shares that sometimes sleep past the workers' spin, so workers go to sleep, wake late and find their shares
    // taken (or take the caller's): every share of every job must still run exactly once, with the job's own nth.
    std::uniform_int_distribution<int> width(2, 5), pause_us(0, 3);
    int bad = 0, jobs = 400;
    for (int job = 0; job < jobs; job++) {
        const int nth = width(rng);
        int sleep_us[8];
        for (int t = 0; t < nth; t++) sleep_us[t] = pause_us(rng) == 0 ? 200 : 0;
        std::vector<std::atomic<int>> hits(nth);
        std::atomic<int> wrong_nth{0};
        cpu::parallel_run(nth, [&](int tid, int n) {
            if (n != nth || tid < 0 || tid >= nth) { wrong_nth++; return; }
            if (sleep_us[tid]) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us[tid]));
            hits[tid]++;
        });
        for (int t = 0; t < nth; t++) bad += hits[t].load() != 1;
        bad += wrong_nth.load();
        if (job % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // workers fall asleep
    }
    CHECK_MSG(bad == 0, "%d shares ran other than once (or with a wrong nth) over %d jobs", bad, jobs);
    // parallel_for: every item once, when some items are slow
    std::vector<std::atomic<int>> seen(5000);
    cpu::parallel_for(5000, 3, [&](int64_t i, int) {
        if (i % 997 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
        seen[i]++;
    });
    int wrong = 0;
    for (auto& s : seen) wrong += s.load() != 1;
    CHECK_MSG(wrong == 0, "%d of 5000 items ran other than once", wrong);
}

int main() { return check::run_all(); }
