// Kernels against naive references on fresh random inputs: matmul (every weight dtype, every SIMD build),
// paged attention (head sizes, block sizes, GQA ratios, prefill over a cached prefix), rope, rmsnorm.
#include <algorithm>
#include <atomic>
#include <cstring>
#include "check.h"
#include "cpu/attention.h"
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "util/half.h"

using namespace jllm;

static std::mt19937_64 rng(check::seed());  // JLLM_TEST_SEED reproduces a run

static std::vector<float> randn(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Weight bytes in `dtype` plus the exact f32 values they stand for.
struct TestWeight {
    std::vector<uint8_t> bytes;
    std::vector<float> values;
    WeightTensor w;
};

static TestWeight make_weight(int32_t dtype, int64_t rows, int64_t cols) {
    TestWeight t;
    t.values = randn(rows * cols, 0.5f);
    t.w.dtype = dtype;
    t.w.rows = rows;
    t.w.cols = cols;
    t.bytes.resize(t.w.bytes());
    for (int64_t r = 0; r < rows; r++) {
        uint8_t* row = t.bytes.data() + r * t.w.row_bytes();
        float* val = t.values.data() + r * cols;
        if (dtype == JLLM_DTYPE_F32) {
            memcpy(row, val, cols * 4);
        } else if (dtype == JLLM_DTYPE_F16 || dtype == JLLM_DTYPE_BF16) {
            for (int64_t c = 0; c < cols; c++) {
                uint16_t h = dtype == JLLM_DTYPE_F16 ? f32_to_f16(val[c]) : f32_to_bf16(val[c]);
                memcpy(row + 2 * c, &h, 2);
                val[c] = dtype == JLLM_DTYPE_F16 ? f16_to_f32(h) : bf16_to_f32(h);
            }
        } else {  // Q8_0
            for (int64_t b = 0; b < cols / 32; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(val[b * 32 + j]));
                uint16_t dh = f32_to_f16(amax / 127.0f);
                float d = f16_to_f32(dh);
                memcpy(row + b * 34, &dh, 2);
                for (int j = 0; j < 32; j++) {
                    int q = d == 0 ? 0 : (int)std::lround(val[b * 32 + j] / d);
                    q = std::max(-127, std::min(127, q));
                    ((int8_t*)(row + b * 34 + 2))[j] = (int8_t)q;
                    val[b * 32 + j] = d * q;
                }
            }
        }
    }
    t.w.data = t.bytes.data();
    return t;
}

// matmul rounds the activations to bf16 once where it computes BF16 weights in bf16 (from 2 batch rows, K even, on
// a CPU with AVX512-BF16; see gemm.cpp); everything else is f32 arithmetic.
static bool rounds_to_bf16(int32_t dtype, int64_t M, int64_t K) {
    return dtype == JLLM_DTYPE_BF16 && M >= 2 && K % 2 == 0 && cpu::kernels().bf16_panel_gemm;
}

TEST(matmul_matches_naive_for_float_dtypes_and_batches) {
    // Block-quantized dtypes (int8 activations) are checked in test_quant with their own error bound.
    for (int32_t dtype : {JLLM_DTYPE_F32, JLLM_DTYPE_F16, JLLM_DTYPE_BF16}) {
        for (int64_t M : {1, 2, 3, 7, 16, 33}) {
            for (auto [N, K] : {std::pair<int64_t, int64_t>{5, 64}, {37, 96}, {64, 160}, {131, 288}}) {
                if (dtype != JLLM_DTYPE_Q8_0 && K == 96) K = 93;  // odd lengths exercise the scalar tails
                TestWeight tw = make_weight(dtype, N, K);
                std::vector<float> x = randn(M * K), bias = randn(N), y(M * N), ref(M * N), mag(M * N);
                for (int64_t m = 0; m < M; m++)
                    for (int64_t n = 0; n < N; n++) {
                        double s = bias[n], a = 0;
                        for (int64_t k = 0; k < K; k++) {
                            s += (double)x[m * K + k] * tw.values[n * K + k];
                            a += std::fabs((double)x[m * K + k] * tw.values[n * K + k]);
                        }
                        ref[m * N + n] = (float)s;
                        mag[m * N + n] = (float)a;
                    }
                std::vector<float> scratch(3 * cpu::kGemmTileRows * K);
                cpu::matmul(tw.w, x.data(), M, y.data(), N, bias.data(), 3, scratch.data());
                // f32 arithmetic: 2e-4 sqrt(K) (x ~ N(0, 1), w ~ N(0, 0.25)); activations rounded to bf16 (relative
                // error <= 2^-8 each): the bound of bf16_panel_gemm, 2^-8 sum_k |x_k w_k| on top.
                const bool bf16 = rounds_to_bf16(dtype, M, K);
                int bad = 0;
                float err = 0;
                for (size_t i = 0; i < y.size(); i++) {
                    float e = std::fabs(y[i] - ref[i]);
                    err = std::max(err, e);
                    bad += !(e < 2e-4f * std::sqrt((float)K) + (bf16 ? std::ldexp(mag[i], -8) : 0.0f));
                }
                CHECK_MSG(bad == 0, "dtype %d M %lld N %lld K %lld: %d outputs out of bounds, max error %g", dtype,
                          (long long)M, (long long)N, (long long)K, bad, err);
            }
        }
    }
}

// BF16 weights in bf16 (AVX512-BF16 vdpbf16ps), the kernels alone: panels of 16 rows as column pairs, two panels per
// call and a last one of 5 rows; K not a multiple of 32; batch rows on both sides of the register blocking. Against
// double sums of the bf16-rounded activations (only f32 accumulation error left: 1e-5 of sum |x w|), and against the
// f32 activations within the stated bound (2^-8 sum |x w| more).
TEST(bf16_panel_matches_naive_on_bf16_rounded_activations) {
    int sets = 0;
    for (const cpu::Kernels* k : {cpu::avx512vnni_kernels()}) {
        if (!k || !k->bf16_panel_gemm) continue;
        sets++;
        for (int64_t K : {2, 62, 96, 2048}) {
            const int64_t N = 37;
            TestWeight tw = make_weight(JLLM_DTYPE_BF16, N, K);
            std::vector<uint16_t> panels(2 * cpu::kPanelRows * K);
            for (int64_t M = 2; M <= 33; M++) {
                std::vector<float> x = randn(M * K), y(M * N, NAN);
                std::vector<uint16_t> xb(M * K);
                for (int64_t m = 0; m < M; m++) k->split_bf16(x.data() + m * K, xb.data() + m * K, nullptr, K);
                int wrong_round = 0;
                for (int64_t i = 0; i < M * K; i++) wrong_round += xb[i] != f32_to_bf16(x[i]);
                CHECK_MSG(wrong_round == 0, "%s K %lld: %d activations not rounded to nearest even", k->name,
                          (long long)K, wrong_round);
                for (int64_t t0 = 0; t0 < N; t0 += 2 * cpu::kPanelRows) {
                    int rows = (int)std::min<int64_t>(2 * cpu::kPanelRows, N - t0);
                    const uint16_t* w = (const uint16_t*)(tw.bytes.data() + t0 * tw.w.row_bytes());
                    k->pack_panel_bf16(w, K, std::min(rows, cpu::kPanelRows), K, panels.data());
                    if (rows > cpu::kPanelRows)
                        k->pack_panel_bf16(w + cpu::kPanelRows * K, K, rows - cpu::kPanelRows, K,
                                           panels.data() + cpu::kPanelRows * K);
                    k->bf16_panel_gemm(panels.data(), xb.data(), M, K, y.data() + t0, N, rows);
                }
                int bad = 0;
                double worst = 0;
                for (int64_t m = 0; m < M; m++)
                    for (int64_t n = 0; n < N; n++) {
                        double rb = 0, r = 0, mag = 0;
                        for (int64_t i = 0; i < K; i++) {
                            double wv = tw.values[n * K + i];
                            rb += bf16_to_f32(xb[m * K + i]) * wv;
                            r += x[m * K + i] * wv;
                            mag += std::fabs(x[m * K + i] * wv);
                        }
                        double got = y[m * N + n];
                        worst = std::max(worst, std::fabs(got - rb) / (mag + 1e-30));
                        bad += !(std::fabs(got - rb) <= 1e-5 * mag + 1e-30) ||
                               !(std::fabs(got - r) <= std::ldexp(mag, -8) + 1e-5 * mag + 1e-30);
                    }
                CHECK_MSG(bad == 0, "%s M %lld K %lld: %d of %lld outputs out of bounds (largest error / sum|xw| %g)",
                          k->name, (long long)M, (long long)K, bad, (long long)(M * N), worst);
            }
        }
    }
    printf("  kernel sets with AVX512-BF16: %d\n", sets);
}

// matmul() takes that path for BF16 weights from 2 batch rows when K is even: its results equal sums over the
// bf16-rounded activations (the f32 path's would be up to 2^-8 sum |x w| off); odd K keeps the f32 panel's exact products.
TEST(matmul_on_bf16_weights_takes_the_bf16_panel) {
    if (!cpu::kernels().bf16_panel_gemm) {
        printf("  %s kernels: no AVX512-BF16, BF16 weights take the f32 panel (checked above)\n", cpu::kernels().name);
        return;
    }
    for (auto [N, K] : {std::pair<int64_t, int64_t>{37, 96}, {300, 2048}, {45, 91}}) {
        for (int64_t M : {2, 5, 13, 33}) {
            TestWeight tw = make_weight(JLLM_DTYPE_BF16, N, K);
            std::vector<float> x = randn(M * K), y(M * N);
            std::vector<float> scratch(3 * cpu::kGemmTileRows * K);
            cpu::matmul(tw.w, x.data(), M, y.data(), N, nullptr, 3, scratch.data());
            int off_rounded = 0, off_exact = 0;
            for (int64_t m = 0; m < M; m++)
                for (int64_t n = 0; n < N; n++) {
                    double rb = 0, r = 0, mag = 0;
                    for (int64_t i = 0; i < K; i++) {
                        double wv = tw.values[n * K + i];
                        rb += bf16_to_f32(f32_to_bf16(x[m * K + i])) * wv;
                        r += x[m * K + i] * wv;
                        mag += std::fabs(x[m * K + i] * wv);
                    }
                    off_rounded += !(std::fabs(y[m * N + n] - rb) <= 1e-5 * mag);
                    off_exact += !(std::fabs(y[m * N + n] - r) <= 1e-5 * mag);
                }
            if (K % 2 == 0)
                CHECK_MSG(off_rounded == 0, "M %lld N %lld K %lld: %d outputs are not the bf16-rounded sums", (long long)M,
                          (long long)N, (long long)K, off_rounded);
            else
                CHECK_MSG(off_exact == 0, "M %lld N %lld K %lld: %d outputs are not the f32 sums", (long long)M,
                          (long long)N, (long long)K, off_exact);
        }
    }
}

// The f32 panel of every kernel set directly (matmul takes it for float weights from 16 batch rows): 16 weight rows
// expanded and transposed (pack_panel_f: whole 16-column chunks and an odd tail), then batch sizes on both sides of
// the register blocking (8 rows on AVX-512, 3 on AVX2, 4 scalar) and a last panel of 3 rows.
TEST(float_panel_of_every_simd_build_matches_naive) {
    std::vector<const cpu::Kernels*> sets = {&cpu::scalar_kernels()};
    for (const cpu::Kernels* k : {cpu::avx2_kernels(), cpu::avx512_kernels(), cpu::avx512vnni_kernels()})
        if (k) sets.push_back(k);
    const int64_t N = 19, K = 93;
    for (const cpu::Kernels* k : sets)
        for (int32_t dtype : {JLLM_DTYPE_F32, JLLM_DTYPE_F16, JLLM_DTYPE_BF16}) {
            TestWeight tw = make_weight(dtype, N, K);
            std::vector<float> panel(cpu::kPanelRows * K);
            for (int64_t M : {1, 2, 3, 4, 7, 8, 9, 16, 33}) {
                std::vector<float> x = randn(M * K), y(M * N, -1.0f);
                for (int64_t t0 = 0; t0 < N; t0 += cpu::kPanelRows) {
                    int rows = (int)std::min<int64_t>(cpu::kPanelRows, N - t0);
                    k->pack_panel_f(dtype, tw.bytes.data() + t0 * tw.w.row_bytes(), tw.w.row_bytes(), rows, K, panel.data());
                    k->fpanel_gemm(panel.data(), x.data(), M, K, y.data() + t0, N, rows);
                }
                float worst = 0;
                for (int64_t m = 0; m < M; m++)
                    for (int64_t n = 0; n < N; n++) {
                        double r = 0;
                        for (int64_t i = 0; i < K; i++) r += (double)x[m * K + i] * tw.values[n * K + i];
                        worst = std::max(worst, (float)std::fabs(y[m * N + n] - r));
                    }
                CHECK_MSG(worst < 2e-4f * std::sqrt((float)K), "%s dtype %d M %lld: max error %g", k->name, dtype,
                          (long long)M, worst);
            }
        }
}

TEST(every_simd_build_agrees_with_scalar) {
    std::vector<const cpu::Kernels*> sets = {&cpu::scalar_kernels()};
    if (cpu::avx2_kernels()) sets.push_back(cpu::avx2_kernels());
    if (cpu::avx512_kernels()) sets.push_back(cpu::avx512_kernels());
    printf("  kernel sets on this CPU: %zu (selected: %s)\n", sets.size(), cpu::kernels().name);
    const int64_t K = 200;
    TestWeight f16 = make_weight(JLLM_DTYPE_F16, 4, K), bf = make_weight(JLLM_DTYPE_BF16, 4, K);
    TestWeight q8 = make_weight(JLLM_DTYPE_Q8_0, 4, 192), f32 = make_weight(JLLM_DTYPE_F32, 4, K);
    std::vector<float> x = randn(2 * K), x4 = randn(4 * K);
    for (const cpu::Kernels* k : sets) {
        double r16 = 0, rbf = 0, r8 = 0, r32 = 0;
        for (int64_t i = 0; i < K; i++) {
            r16 += (double)x[i] * f16.values[i];
            rbf += (double)x[i] * bf.values[i];
            r32 += (double)x[i] * f32.values[i];
        }
        for (int64_t i = 0; i < 192; i++) r8 += (double)x[i] * q8.values[i];
        CHECK_MSG(std::fabs(k->dot_f16(x.data(), (const uint16_t*)f16.bytes.data(), K) - r16) < 1e-3, "%s f16", k->name);
        CHECK_MSG(std::fabs(k->dot_bf16(x.data(), (const uint16_t*)bf.bytes.data(), K) - rbf) < 1e-3, "%s bf16", k->name);
        CHECK_MSG(std::fabs(k->dot_f32(x.data(), (const float*)f32.bytes.data(), K) - r32) < 1e-3, "%s f32", k->name);
        std::vector<float> out(192);
        k->dequant[JLLM_DTYPE_Q8_0](q8.bytes.data(), out.data(), 192);
        CHECK_MSG(max_abs_diff(out.data(), q8.values.data(), 192) == 0, "%s dequant q8_0", k->name);
        float y[8];
        k->dot_2x4(x.data(), K, f32.values.data(), K, K - 3, y, 4);
        for (int m = 0; m < 2; m++)
            for (int n = 0; n < 4; n++) {
                double r = 0;
                for (int64_t i = 0; i < K - 3; i++) r += (double)x[m * K + i] * f32.values[n * K + i];
                CHECK_MSG(std::fabs(y[m * 4 + n] - r) < 1e-3, "%s dot_2x4 (%d,%d)", k->name, m, n);
            }
        float y16[16];
        k->dot_4x4(x4.data(), K, f32.values.data(), K, K - 5, y16, 4);
        for (int m = 0; m < 4; m++)
            for (int n = 0; n < 4; n++) {
                double r = 0;
                for (int64_t i = 0; i < K - 5; i++) r += (double)x4[m * K + i] * f32.values[n * K + i];
                CHECK_MSG(std::fabs(y16[m * 4 + n] - r) < 1e-3, "%s dot_4x4 (%d,%d)", k->name, m, n);
            }
        std::vector<float> acc = randn(K), ref = acc;
        k->axpy(0.37f, x.data(), acc.data(), K);
        for (int64_t i = 0; i < K; i++) ref[i] += 0.37f * x[i];
        CHECK_MSG(max_abs_diff(acc.data(), ref.data(), K) < 1e-5, "%s axpy", k->name);
    }
}

// Naive attention over contiguous per-sequence K/V [ctx][nkv][hd]; window > 0 keeps positions > pos - window;
// softcap > 0 maps each score s to softcap * tanh(s / softcap).
static void naive_attention(const float* q, const float* K, const float* V, int nh, int nkv, int hd, int pos,
                            float* out, int window = 0, float softcap = 0) {
    int group = nh / nkv;
    int first = window > 0 ? std::max(0, pos - window + 1) : 0;
    for (int h = 0; h < nh; h++) {
        int kvh = h / group;
        std::vector<double> s(pos + 1, 0.0);
        double mx = -1e300;
        for (int p = first; p <= pos; p++) {
            double d = 0;
            for (int i = 0; i < hd; i++) d += (double)q[h * hd + i] * K[(p * nkv + kvh) * hd + i];
            s[p] = d / std::sqrt((double)hd);
            if (softcap > 0) s[p] = softcap * std::tanh(s[p] / softcap);
            mx = std::max(mx, s[p]);
        }
        double z = 0;
        for (int p = first; p <= pos; p++) { s[p] = std::exp(s[p] - mx); z += s[p]; }
        for (int i = 0; i < hd; i++) {
            double o = 0;
            for (int p = first; p <= pos; p++) o += s[p] / z * V[(p * nkv + kvh) * hd + i];
            out[h * hd + i] = (float)o;
        }
    }
}

TEST(paged_attention_matches_naive_over_shapes) {
    for (int hd : {8, 64, 80, 128})
        for (int bs : {8, 16, 32})
            for (int ratio : {1, 2, 4, 8}) {
                int nkv = ratio == 8 ? 1 : 2, nh = nkv * ratio;
                cpu::KvLayout L{bs, nkv, hd};
                // Two sequences: one decodes a single token after a cached prefix; one prefills a chunk after a
                // cached prefix whose length straddles a block boundary.
                std::uniform_int_distribution<int> len(1, 3 * bs + 5);
                int cached0 = len(rng), cached1 = len(rng), chunk1 = 1 + len(rng) % (bs + 3);
                int ctx[2] = {cached0 + 1, cached1 + chunk1};
                int nblocks_seq = (std::max(ctx[0], ctx[1]) + bs - 1) / bs;
                int num_blocks = 2 * nblocks_seq + 3;
                // Shuffled physical blocks, so the block tables matter.
                std::vector<int32_t> phys(num_blocks);
                for (int i = 0; i < num_blocks; i++) phys[i] = i;
                std::shuffle(phys.begin(), phys.end(), rng);
                std::vector<int32_t> tables(2 * nblocks_seq);
                for (int i = 0; i < 2 * nblocks_seq; i++) tables[i] = phys[i];
                std::vector<float> kc(L.block_elems() * num_blocks), vc(kc.size());
                std::vector<float> Kseq[2], Vseq[2];
                for (int s = 0; s < 2; s++) {
                    Kseq[s] = randn((size_t)ctx[s] * nkv * hd);
                    Vseq[s] = randn((size_t)ctx[s] * nkv * hd);
                }
                // Write every position through write_kv (the cached prefix and the new tokens alike).
                for (int s = 0; s < 2; s++)
                    for (int p = 0; p < ctx[s]; p++) {
                        int64_t slot = (int64_t)tables[s * nblocks_seq + p / bs] * bs + p % bs;
                        cpu::write_kv(&Kseq[s][(size_t)p * nkv * hd], &Vseq[s][(size_t)p * nkv * hd], &slot, 1,
                                      kc.data(), vc.data(), L);
                    }
                // The batch: seq 0's last position, then seq 1's chunk.
                std::vector<int32_t> positions = {ctx[0] - 1}, tok_seq = {0};
                for (int j = 0; j < chunk1; j++) { positions.push_back(cached1 + j); tok_seq.push_back(1); }
                int T = (int)positions.size();
                std::vector<float> q = randn((size_t)T * nh * hd), out((size_t)T * nh * hd), ref(out.size());
                int64_t stride = cpu::attention_scratch_floats(L, ratio, (int64_t)nblocks_seq * bs);
                std::vector<float> scratch(3 * stride);
                cpu::paged_attention(q.data(), out.data(), kc.data(), vc.data(), L, nh, positions.data(),
                                     tok_seq.data(), tables.data(), nblocks_seq, T, 1.0f / std::sqrt((float)hd), 0, 0,
                                     3, scratch.data(), stride);
                for (int t = 0; t < T; t++)
                    naive_attention(&q[(size_t)t * nh * hd], Kseq[tok_seq[t]].data(), Vseq[tok_seq[t]].data(), nh,
                                    nkv, hd, positions[t], &ref[(size_t)t * nh * hd]);
                float err = max_abs_diff(out.data(), ref.data(), out.size());
                CHECK_MSG(err < 1e-4f, "hd %d bs %d ratio %d: max error %g", hd, bs, ratio, err);
            }
}

// Sliding window (shorter than the context, not a multiple of the block size) and Gemma 2's score soft-cap.
TEST(paged_attention_with_sliding_window_and_softcap_matches_naive) {
    const int hd = 16, nkv = 2, nh = 4, bs = 4, ctx = 23, chunk = 6;
    cpu::KvLayout L{bs, nkv, hd};
    const int nblocks = (ctx + bs - 1) / bs;
    std::vector<int32_t> table(nblocks);
    for (int i = 0; i < nblocks; i++) table[i] = nblocks - 1 - i;  // reversed physical blocks
    std::vector<float> kc(L.block_elems() * nblocks), vc(kc.size());
    std::vector<float> K = randn((size_t)ctx * nkv * hd), V = randn(K.size());
    for (auto& k : K) k *= 3;  // scores well beyond the soft-cap
    for (int p = 0; p < ctx; p++) {
        int64_t slot = (int64_t)table[p / bs] * bs + p % bs;
        cpu::write_kv(&K[(size_t)p * nkv * hd], &V[(size_t)p * nkv * hd], &slot, 1, kc.data(), vc.data(), L);
    }
    std::vector<int32_t> positions, tok_seq(chunk, 0);
    for (int j = 0; j < chunk; j++) positions.push_back(ctx - chunk + j);  // a prefill chunk at the end
    std::vector<float> q = randn((size_t)chunk * nh * hd), out(q.size()), ref(q.size()), full(q.size());
    int64_t stride = cpu::attention_scratch_floats(L, nh / nkv, (int64_t)nblocks * bs);
    std::vector<float> scratch(2 * stride);
    for (int window : {1, 5, 9, 100})
        for (float cap : {0.0f, 2.0f}) {
            cpu::paged_attention(q.data(), out.data(), kc.data(), vc.data(), L, nh, positions.data(), tok_seq.data(),
                                 table.data(), nblocks, chunk, 1.0f / std::sqrt((float)hd), window, cap, 2,
                                 scratch.data(), stride);
            for (int t = 0; t < chunk; t++) {
                naive_attention(&q[(size_t)t * nh * hd], K.data(), V.data(), nh, nkv, hd, positions[t],
                                &ref[(size_t)t * nh * hd], window, cap);
                naive_attention(&q[(size_t)t * nh * hd], K.data(), V.data(), nh, nkv, hd, positions[t],
                                &full[(size_t)t * nh * hd]);
            }
            float err = max_abs_diff(out.data(), ref.data(), out.size());
            float effect = max_abs_diff(full.data(), ref.data(), out.size());  // the window/cap must matter
            printf("  window %d softcap %.0f: max error %.3g (vs plain attention %.3g)\n", window, cap, err, effect);
            CHECK_MSG(err < 1e-4f, "window %d softcap %g: max error %g", window, cap, err);
            CHECK_MSG((window < ctx || cap > 0) ? effect > 1e-2f : effect == 0, "window %d softcap %g: effect %g", window, cap, effect);
        }
}

TEST(rope_styles_rotate_the_right_pairs) {
    const int hd = 8, nh = 2, nkv = 1;
    std::vector<float> inv = {1.0f, 0.1f, 0.01f, 0.001f};
    std::vector<float> q = randn(nh * hd), k = randn(nkv * hd);
    int32_t pos = 7;
    for (RopeStyle style : {RopeStyle::NeoX, RopeStyle::Interleaved}) {
        std::vector<float> q2 = q, k2 = k;
        cpu::rope(q2.data(), k2.data(), &pos, 1, nh, nkv, hd, inv.data(), style);
        // Every head of q and of k: each pair (a, b) rotated by pos * inv_freq[i].
        auto check_rotated = [&](const std::vector<float>& before, const std::vector<float>& after, int heads,
                                 const char* what) {
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < hd / 2; i++) {
                    int a = style == RopeStyle::NeoX ? i : 2 * i, b = style == RopeStyle::NeoX ? i + hd / 2 : 2 * i + 1;
                    double ang = pos * (double)inv[i];
                    double ra = before[h * hd + a] * cos(ang) - before[h * hd + b] * sin(ang);
                    double rb = before[h * hd + a] * sin(ang) + before[h * hd + b] * cos(ang);
                    CHECK_MSG(std::fabs(after[h * hd + a] - ra) < 1e-5 && std::fabs(after[h * hd + b] - rb) < 1e-5,
                              "%s head %d pair %d", what, h, i);
                }
        };
        check_rotated(q, q2, nh, "q");
        check_rotated(k, k2, nkv, "k");
    }
}

TEST(gelu_tanh_and_softcap_match_naive) {
    std::vector<float> g = randn(64), u = randn(64), g2 = g, c = g;
    for (auto& v : g) v *= 4;
    g2 = g;
    cpu::gelu_tanh_mul(g2.data(), u.data(), 64);
    for (int i = 0; i < 64; i++) {
        double x = g[i], ref = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))) * u[i];
        CHECK_MSG(std::fabs(g2[i] - ref) < 1e-5, "gelu_tanh(%g): %g vs %g", x, g2[i], ref);
    }
    c = g;
    cpu::softcap(c.data(), 64, 3.0f);
    for (int i = 0; i < 64; i++) CHECK(std::fabs(c[i] - 3.0 * std::tanh(g[i] / 3.0)) < 1e-5);
}

TEST(rmsnorm_and_silu_match_naive) {
    const int rows = 3, dim = 77;
    std::vector<float> x = randn(rows * dim), w = randn(dim), out(rows * dim);
    cpu::rmsnorm(x.data(), w.data(), out.data(), rows, dim, 1e-5f);
    for (int r = 0; r < rows; r++) {
        double ss = 0;
        for (int i = 0; i < dim; i++) ss += x[r * dim + i] * x[r * dim + i];
        double inv = 1 / std::sqrt(ss / dim + 1e-5);
        for (int i = 0; i < dim; i++) CHECK(std::fabs(out[r * dim + i] - w[i] * x[r * dim + i] * inv) < 1e-5);
    }
    std::vector<float> g = randn(50), u = randn(50), g2 = g;
    cpu::silu_mul(g2.data(), u.data(), 50);
    for (int i = 0; i < 50; i++) CHECK(std::fabs(g2[i] - g[i] / (1 + std::exp(-g[i])) * u[i]) < 1e-5);
}

// The exp-based kernels of every SIMD build against double-precision references: exp_sum (the softmax normaliser of
// sampling and attention) over logits spanning the whole float range below the max, -inf entries (masked tokens,
// which must weigh exactly 0) and lengths with odd tails; max_f32 skipping NaNs; SiLU and GELU-tanh gating at
// arguments from -100 to 100.
TEST(exp_kernels_of_every_simd_build_match_double) {
    std::vector<const cpu::Kernels*> sets = {&cpu::scalar_kernels()};
    for (const cpu::Kernels* k : {cpu::avx2_kernels(), cpu::avx512_kernels(), cpu::avx512vnni_kernels()})
        if (k) sets.push_back(k);
    std::uniform_real_distribution<float> wide(-120.0f, 30.0f);
    for (const cpu::Kernels* k : sets)
        for (int64_t n : {1, 7, 16, 33, 1000, 4099}) {
            std::vector<float> x(n), e(n, -1.0f);
            for (auto& v : x) v = wide(rng);
            for (int64_t i = 0; i < n; i += 5) x[i] = -INFINITY;
            if (n > 3) x[3] = NAN;  // max_f32 skips it; exp_sum is not asked about NaNs
            float mx = k->max_f32(x.data(), n);
            float want_mx = -INFINITY;
            for (float v : x) if (v > want_mx) want_mx = v;
            CHECK_MSG(mx == want_mx, "%s n %lld: max %g want %g", k->name, (long long)n, mx, want_mx);
            if (n > 3) x[3] = -50.0f, mx = std::max(mx, -50.0f);
            if (mx == -INFINITY) continue;
            double z = k->exp_sum(x.data(), n, mx, e.data()), want_z = 0;
            for (int64_t i = 0; i < n; i++) {
                double r = std::exp((double)x[i] - mx);
                want_z += r;
                if (x[i] == -INFINITY) CHECK_MSG(e[i] == 0.0f, "%s: exp(-inf) = %g", k->name, e[i]);
                // x - mx is rounded to f32 first: e^(x - mx) inherits half an ulp of |x - mx| as relative error
                else CHECK_MSG(std::fabs(e[i] - r) <= (4e-7 + 6e-8 * (mx - x[i])) * r + 1e-37,
                               "%s: exp(%g) = %.9g want %.9g", k->name, x[i] - mx, e[i], r);
            }
            CHECK_MSG(std::fabs(z - want_z) <= 1e-6 * want_z, "%s n %lld: sum %.9g want %.9g", k->name, (long long)n,
                      z, want_z);
        }
    for (const cpu::Kernels* k : sets) {
        const int64_t n = 203;
        std::vector<float> g(n), u = randn(n);
        for (int64_t i = 0; i < n; i++) g[i] = -100.0f + 200.0f * i / (n - 1) + (i % 7) * 0.01f;
        std::vector<float> s = g, tg = g;
        k->silu_mul(s.data(), u.data(), n);
        k->gelu_tanh_mul(tg.data(), u.data(), n);
        for (int64_t i = 0; i < n; i++) {
            double x = g[i], silu = x / (1 + std::exp(-x)) * u[i];
            // 0.5 x (1 + tanh(t)) written as x sigmoid(2 t): the same function without tanh's cancellation to 0
            // (t is computed in f32, so e^-t carries t's rounding: a relative error of about |t| ulp)
            double t = 2 * 0.7978845608028654 * (x + 0.044715 * x * x * x), gelu = x / (1 + std::exp(-t)) * u[i];
            CHECK_MSG(std::fabs(s[i] - silu) <= 1e-6 * std::fabs(silu) + 1e-30, "%s silu(%g): %.9g want %.9g", k->name,
                      x, s[i], silu);
            CHECK_MSG(std::fabs(tg[i] - gelu) <= 2.5e-7 * (4 + std::fabs(t)) * std::fabs(gelu) + 1e-30,
                      "%s gelu(%g): %.9g want %.9g", k->name, x, tg[i], gelu);
        }
    }
}

TEST(thread_pool_runs_every_item_exactly_once) {
    // Many short jobs of varying width back to back (workers that sit a job out must not run the next one twice),
    // a dynamic loop, and a nested call that runs serially.
    std::uniform_int_distribution<int> width(1, 4);
    int bad_runs = 0;
    for (int job = 0; job < 3000; job++) {
        int nth = width(rng);
        std::vector<int> hits(nth, 0);
        cpu::parallel_run(nth, [&](int tid, int n) {
            if (n == nth && tid >= 0 && tid < n) hits[tid]++;
        });
        for (int t = 0; t < nth; t++) bad_runs += hits[t] != 1;
    }
    CHECK_MSG(bad_runs == 0, "%d thread shares ran other than once", bad_runs);
    std::vector<std::atomic<int>> seen(1000);
    cpu::parallel_for(1000, 3, [&](int64_t i, int tid) {
        seen[i]++;
        if (i == 7) cpu::parallel_run(2, [&](int t, int) { seen[998 + t] += 10; });  // nested: serial
    });
    int wrong = 0;
    for (int i = 0; i < 998; i++) wrong += seen[i] != 1;
    CHECK_MSG(wrong == 0 && seen[998] == 11 && seen[999] == 11, "%d items wrong; nested %d %d", wrong,
              seen[998].load(), seen[999].load());
}

int main() { return check::run_all(); }
