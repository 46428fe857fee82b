// GGUF block-quantized weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and BF16 x BF16 dots,
// every kernel set this CPU has (scalar, AVX2, AVX-512, AVX-512 VNNI+BF16), against a naive reference written
// here from the format description (one element at a time, in double; no code shared with the kernels), on random
// blocks whose f16 scales include zero, negative, subnormal and the largest f16.
//
// Tolerances:
//  - dequantization: |kernel - reference| <= 1e-6 * (|scale term| + |offset term|) per element (f32 rounding of
//    the two products and the sum);
//  - integer dots on int8 activations: the kernel quantizes x per group (32 elements for the 32-element formats,
//    256 for the K-quants' q8_K activations) to d * q with |x - d q| <= d / 2, so
//    |kernel - sum w x| <= sum_groups (d_g / 2) sum_{k in g} |w_k| + 2e-5 * sum_k mag_k |x_k|
//    (mag_k = |scale term| + |offset term| of w_k, for the f32 accumulation);
//  - BF16 x BF16 with activations split into hi + lo: |error| <= 2^-15 * sum |w_k x_k| + 1e-30.
// JLLM_TEST_SEED=<seed> reproduces a run.
#include <cstring>
#include "check.h"
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "util/half.h"

using namespace jllm;

static std::mt19937_64 rng(check::seed());

static int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// ---- the reference: element i of one block, from the format description ----------------------------------------
struct Elem { double value, mag; };

static double f16(const uint8_t* p) { uint16_t h; memcpy(&h, p, 2); return f16_to_f32(h); }

static Elem ref_elem(int32_t dtype, const uint8_t* b, int i) {
    switch (dtype) {
        case JLLM_DTYPE_Q4_0: {  // d; 16 bytes: element j low nibble of byte j, element 16 + j high nibble
            double d = f16(b);
            int q = i < 16 ? b[2 + i] & 15 : b[2 + i - 16] >> 4;
            return {d * (q - 8), std::fabs(d * q) + std::fabs(8 * d)};
        }
        case JLLM_DTYPE_Q4_1: {
            double d = f16(b), m = f16(b + 2);
            int q = i < 16 ? b[4 + i] & 15 : b[4 + i - 16] >> 4;
            return {d * q + m, std::fabs(d * q) + std::fabs(m)};
        }
        case JLLM_DTYPE_Q5_0: {  // d; u32 of fifth bits; nibbles as Q4_0
            double d = f16(b);
            uint32_t qh = b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24;
            int q = (i < 16 ? b[6 + i] & 15 : b[6 + i - 16] >> 4) | (int)((qh >> i) & 1) << 4;
            return {d * (q - 16), std::fabs(d * q) + std::fabs(16 * d)};
        }
        case JLLM_DTYPE_Q5_1: {
            double d = f16(b), m = f16(b + 2);
            uint32_t qh = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
            int q = (i < 16 ? b[8 + i] & 15 : b[8 + i - 16] >> 4) | (int)((qh >> i) & 1) << 4;
            return {d * q + m, std::fabs(d * q) + std::fabs(m)};
        }
        case JLLM_DTYPE_Q8_0: {
            double d = f16(b);
            return {d * (int8_t)b[2 + i], std::fabs(d * (int8_t)b[2 + i])};
        }
        case JLLM_DTYPE_Q2_K: {  // scales[16] @0, qs[64] @16, d @80, dmin @82
            int n = i / 128, j = i % 128 / 32, l = i % 32;
            int q = (b[16 + 32 * n + l] >> (2 * j)) & 3, sc = b[8 * n + 2 * j + l / 16];
            double d = f16(b + 80), dmin = f16(b + 82);
            return {d * (sc & 15) * q - dmin * (sc >> 4), std::fabs(d * (sc & 15) * q) + std::fabs(dmin * (sc >> 4))};
        }
        case JLLM_DTYPE_Q3_K: {  // hmask[32] @0, qs[64] @32, scales[12] @96, d @108
            int n = i / 128, j = i % 128 / 32, l = i % 32, is = 8 * n + 2 * j + l / 16;
            int q = ((b[32 + 32 * n + l] >> (2 * j)) & 3) - (((b[l] >> (4 * n + j)) & 1) ? 0 : 4);
            int low = is < 8 ? b[96 + is] & 15 : b[96 + is - 8] >> 4;
            int high = (b[96 + 8 + is % 4] >> (2 * (is / 4))) & 3;
            double v = f16(b + 108) * ((low | high << 4) - 32) * q;
            return {v, std::fabs(v)};
        }
        case JLLM_DTYPE_Q4_K:
        case JLLM_DTYPE_Q5_K: {  // d @0, dmin @2, scales[12] @4, (Q5_K: qh[32] @16), qs[128] @16 or @48
            bool five = dtype == JLLM_DTYPE_Q5_K;
            int j = i / 64, r = i % 64, l = r % 32, s = 2 * j + r / 32;
            const uint8_t* qs = b + (five ? 48 : 16);
            int q = r < 32 ? qs[32 * j + l] & 15 : qs[32 * j + l] >> 4;
            if (five) q |= ((b[16 + l] >> s) & 1) << 4;
            const uint8_t* sc = b + 4;
            int scale = s < 4 ? sc[s] & 63 : (sc[s + 4] & 15) | (sc[s - 4] >> 6) << 4;
            int min = s < 4 ? sc[s + 4] & 63 : (sc[s + 4] >> 4) | (sc[s] >> 6) << 4;
            double d = f16(b), dmin = f16(b + 2);
            return {d * scale * q - dmin * min, std::fabs(d * scale * q) + std::fabs(dmin * min)};
        }
        case JLLM_DTYPE_Q6_K: {  // ql[128] @0, qh[64] @128, int8 scales[16] @192, d @208
            int n = i / 128, g = i % 128 / 32, l = i % 32;
            int lowbyte = b[64 * n + l + 32 * (g & 1)];
            int q = (g < 2 ? lowbyte & 15 : lowbyte >> 4) | ((b[128 + 32 * n + l] >> (2 * g)) & 3) << 4;
            double ds = f16(b + 208) * (int8_t)b[192 + 8 * n + 2 * g + l / 16];
            return {ds * (q - 32), std::fabs(ds * q) + std::fabs(32 * ds)};
        }
    }
    return {0, 0};
}

struct Format { int32_t dtype; const char* name; int block, bytes; std::vector<int> f16_at; };
static const std::vector<Format> kFormats = {
    {JLLM_DTYPE_Q4_0, "Q4_0", 32, 18, {0}},       {JLLM_DTYPE_Q4_1, "Q4_1", 32, 20, {0, 2}},
    {JLLM_DTYPE_Q5_0, "Q5_0", 32, 22, {0}},       {JLLM_DTYPE_Q5_1, "Q5_1", 32, 24, {0, 2}},
    {JLLM_DTYPE_Q8_0, "Q8_0", 32, 34, {0}},       {JLLM_DTYPE_Q2_K, "Q2_K", 256, 84, {80, 82}},
    {JLLM_DTYPE_Q3_K, "Q3_K", 256, 110, {108}},   {JLLM_DTYPE_Q4_K, "Q4_K", 256, 144, {0, 2}},
    {JLLM_DTYPE_Q5_K, "Q5_K", 256, 176, {0, 2}},  {JLLM_DTYPE_Q6_K, "Q6_K", 256, 210, {208}},
};

// Random bytes; the f16 scale fields drawn from ordinary values and the extremes (0, negative, the smallest
// subnormal, the largest finite f16).
static std::vector<uint8_t> random_blocks(const Format& f, int64_t nblocks) {
    std::vector<uint8_t> w((size_t)(nblocks * f.bytes));
    for (auto& b : w) b = (uint8_t)uniform_int(0, 255);
    const float extremes[] = {0.0f, -0.75f, 5.96e-8f, 65504.0f, 1.0f};
    for (int64_t blk = 0; blk < nblocks; blk++)
        for (int at : f.f16_at) {
            int pick = uniform_int(0, 9);
            float v = pick < 5 ? extremes[pick] : std::normal_distribution<float>(0.0f, 0.05f)(rng);
            uint16_t h = f32_to_f16(v);
            memcpy(&w[(size_t)(blk * f.bytes + at)], &h, 2);
        }
    return w;
}

static std::vector<Elem> ref_row(const Format& f, const uint8_t* w, int64_t K) {
    std::vector<Elem> out(K);
    for (int64_t k = 0; k < K; k++) out[k] = ref_elem(f.dtype, w + k / f.block * f.bytes, (int)(k % f.block));
    return out;
}

// Activations: normal, tiny, huge, a zero group and an outlier among small values.
static std::vector<float> random_acts(int64_t K, int kind) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(K);
    float scale = kind == 1 ? 1e-4f : kind == 2 ? 1e4f : 1.0f;
    for (auto& v : x) v = scale * nd(rng);
    if (kind == 3) {
        for (int i = 0; i < 32; i++) x[i] = 0;
        for (int64_t i = 32; i < K; i++) x[i] *= 1e-3f;
        x[K / 2 + 3] = 1e3f;
    }
    return x;
}

static std::vector<const cpu::Kernels*> kernel_sets() {
    std::vector<const cpu::Kernels*> sets = {&cpu::scalar_kernels()};
    if (cpu::avx2_kernels()) sets.push_back(cpu::avx2_kernels());
    if (cpu::avx512_kernels()) sets.push_back(cpu::avx512_kernels());
    if (cpu::avx512vnni_kernels()) sets.push_back(cpu::avx512vnni_kernels());
    return sets;
}

TEST(dequantize_matches_the_format_description) {
    for (const cpu::Kernels* k : kernel_sets())
        for (const Format& f : kFormats) {
            const int64_t K = 4 * 256;
            std::vector<uint8_t> w = random_blocks(f, K / f.block);
            std::vector<Elem> ref = ref_row(f, w.data(), K);
            std::vector<float> out(K);
            CHECK_MSG(k->dequant[f.dtype] != nullptr, "%s: no dequant for %s", k->name, f.name);
            if (!k->dequant[f.dtype]) continue;
            k->dequant[f.dtype](w.data(), out.data(), K);
            int bad = 0;
            for (int64_t i = 0; i < K; i++)
                if (!(std::fabs(out[i] - ref[i].value) <= 1e-6 * ref[i].mag)) bad++;
            CHECK_MSG(bad == 0, "%s %s: %d of %lld elements differ", k->name, f.name, bad, (long long)K);
        }
}

// The kernel's activation quantization error bound for one row, activations quantized per `group` elements (see
// the header comment).
static double dot_bound(const std::vector<Elem>& w, const std::vector<float>& x, int group) {
    double quant = 0, mag = 0;
    for (size_t g = 0; g < x.size() / group; g++) {
        double amax = 0, wsum = 0;
        for (int i = 0; i < group; i++) {
            amax = std::max(amax, (double)std::fabs(x[group * g + i]));
            wsum += std::fabs(w[group * g + i].value);
        }
        quant += amax / 127 / 2 * wsum;
    }
    for (size_t k = 0; k < x.size(); k++) mag += w[k].mag * std::fabs(x[k]);
    return quant + 2e-5 * mag + 1e-30;
}

TEST(integer_dots_match_the_format_description_within_the_activation_rounding) {
    for (const cpu::Kernels* k : kernel_sets())
        for (const Format& f : kFormats) {
            double worst = 0;  // largest error / bound, printed to show how tight the bound is
            for (int kind = 0; kind < 4; kind++) {
                const int64_t K = 3 * 256;
                std::vector<uint8_t> w = random_blocks(f, K / f.block);
                std::vector<Elem> ref = ref_row(f, w.data(), K);
                std::vector<float> x = random_acts(K, kind);
                std::vector<int8_t> q(K);
                std::vector<float> d(K / 32);
                std::vector<float> s(K / 16);
                std::vector<int16_t> bsums(K / 16);
                double got;
                if (f.block == 256) {  // K-quants: q8_K activations
                    k->quantize_acts_k(x.data(), K, q.data(), d.data(), bsums.data());
                    CHECK_MSG(k->qdot_k[f.dtype] != nullptr, "%s: no integer dot for %s", k->name, f.name);
                    if (!k->qdot_k[f.dtype]) continue;
                    got = k->qdot_k[f.dtype](w.data(), cpu::QuantizedActsK{q.data(), d.data(), bsums.data()}, K);
                } else {
                    k->quantize_acts(x.data(), K, q.data(), d.data(), s.data());
                    CHECK_MSG(k->qdot[f.dtype] != nullptr, "%s: no integer dot for %s", k->name, f.name);
                    if (!k->qdot[f.dtype]) continue;
                    got = k->qdot[f.dtype](w.data(), cpu::QuantizedActs{q.data(), d.data(), s.data()}, K);
                }
                double want = 0;
                for (int64_t i = 0; i < K; i++) want += ref[i].value * x[i];
                double bound = dot_bound(ref, x, f.block == 256 ? 256 : 32), err = std::fabs(got - want);
                worst = std::max(worst, err / bound);
                CHECK_MSG(err <= bound, "%s %s activations kind %d: got %.9g want %.9g (error %.3g, bound %.3g)",
                          k->name, f.name, kind, got, want, err, bound);
            }
            printf("  %-10s %-5s largest error / bound = %.3f\n", k->name, f.name, worst);
        }
}

TEST(matmul_on_quantized_weights_matches_reference_for_every_batch_size) {
    // Batch sizes on both sides of the row-dot / f32-tile switch; the selected kernel set.
    for (const Format& f : kFormats)
        for (int64_t M : {1, 2, 3, 4, 5, 7, 8, 16, 33}) {
            const int64_t N = 37, K = 512;
            std::vector<uint8_t> w = random_blocks(f, N * K / f.block);
            WeightTensor wt;
            wt.dtype = f.dtype;
            wt.rows = N;
            wt.cols = K;
            wt.data = w.data();
            std::vector<float> x((size_t)(M * K)), y((size_t)(M * N)), bias(N, 0.5f);
            for (int64_t m = 0; m < M; m++) {
                std::vector<float> r = random_acts(K, (int)(m % 4));
                std::copy(r.begin(), r.end(), x.begin() + m * K);
            }
            std::vector<float> scratch(3 * cpu::kGemmTileRows * K);
            cpu::matmul(wt, x.data(), M, y.data(), N, bias.data(), 3, scratch.data());
            for (int64_t n = 0; n < N; n++) {
                std::vector<Elem> ref = ref_row(f, w.data() + n * K / f.block * f.bytes, K);
                for (int64_t m = 0; m < M; m++) {
                    std::vector<float> xr(x.begin() + m * K, x.begin() + (m + 1) * K);
                    double want = 0.5;
                    for (int64_t i = 0; i < K; i++) want += ref[i].value * xr[i];
                    double err = std::fabs(y[m * N + n] - want), bound = dot_bound(ref, xr, f.block == 256 ? 256 : 32) + 1e-6;
                    CHECK_MSG(err <= bound, "%s M %lld row %lld batch row %lld: got %.9g want %.9g (bound %.3g)",
                              f.name, (long long)M, (long long)n, (long long)m, y[m * N + n], want, bound);
                }
            }
        }
}

// Every kernel set's activation quantization gives the scalar one's bytes and scales exactly (the SIMD versions
// must round the same way: to nearest, ties to even).
TEST(activation_quantization_of_every_kernel_set_matches_scalar) {
    const cpu::Kernels& s = cpu::scalar_kernels();
    for (const cpu::Kernels* k : kernel_sets())
        for (int kind = 0; kind < 4; kind++) {
            const int64_t K = 512;
            std::vector<float> x = random_acts(K, kind);
            x[32] = 127.0f;  // group 1: scale exactly 1, so 2.5 and -3.5 are ties (to 2 and -4)
            x[33] = 2.5f;
            x[34] = -3.5f;
            std::vector<int8_t> q(K), q0(K);
            std::vector<float> d(K / 32), d0(K / 32), ds(K / 16), ds0(K / 16);
            k->quantize_acts(x.data(), K, q.data(), d.data(), ds.data());
            s.quantize_acts(x.data(), K, q0.data(), d0.data(), ds0.data());
            CHECK_MSG(q == q0 && d == d0 && ds == ds0, "%s activations kind %d: quantize_acts differs from scalar",
                      k->name, kind);
        }
}

// The batched integer path of every kernel set directly: panels of 16 weight rows unpacked once (pack_panel), then
// every batch row against them (panel_gemm, activations quantized per 32), for batch sizes on both sides of the
// kernels' register blocking (8 rows on AVX-512, 3 on AVX2, 4 scalar) and a last panel of 3 rows.
TEST(panel_kernels_match_the_format_description_for_every_batch_size) {
    for (const cpu::Kernels* k : kernel_sets())
        for (const Format& f : kFormats) {
            // Q8_0's bytes packed as q + 128 need products that do not saturate: VNNI or scalar only.
            bool narrow = f.dtype == JLLM_DTYPE_Q8_0 && (!strcmp(k->name, "avx2") || !strcmp(k->name, "avx512"));
            CHECK_MSG((k->pack_panel[f.dtype] != nullptr) == !narrow, "%s %s: panel kernel presence", k->name, f.name);
            if (!k->pack_panel[f.dtype]) continue;
            // 32-element formats: 15 blocks, so Q8_0's packing by 8 blocks ends on a part
            const int64_t N = 19, K = f.block == 32 ? 480 : 512, row_bytes = K / f.block * f.bytes;
            std::vector<uint8_t> w = random_blocks(f, N * K / f.block);
            std::vector<std::vector<Elem>> ref;
            for (int64_t n = 0; n < N; n++) ref.push_back(ref_row(f, w.data() + n * row_bytes, K));
            std::vector<uint8_t> panel((size_t)cpu::panel_bytes(K));
            cpu::Panel p{panel.data(), (float*)(panel.data() + K * cpu::kPanelRows), nullptr};
            p.b = p.a + K;
            double worst = 0;
            for (int64_t M : {1, 2, 3, 4, 5, 7, 8, 16, 33}) {
                std::vector<float> x((size_t)(M * K)), y((size_t)(M * N), -1.0f);
                for (int64_t m = 0; m < M; m++) {
                    std::vector<float> r = random_acts(K, (int)(m % 4));
                    std::copy(r.begin(), r.end(), x.begin() + m * K);
                }
                std::vector<int8_t> q((size_t)(M * K));
                std::vector<float> d((size_t)(M * K / 32)), ds((size_t)(M * K / 16));
                for (int64_t m = 0; m < M; m++)
                    k->quantize_acts(x.data() + m * K, K, q.data() + m * K, d.data() + m * K / 32, ds.data() + m * K / 16);
                for (int64_t t0 = 0; t0 < N; t0 += cpu::kPanelRows) {
                    int rows = (int)std::min<int64_t>(cpu::kPanelRows, N - t0);
                    k->pack_panel[f.dtype](w.data() + t0 * row_bytes, row_bytes, rows, K, p);
                    k->panel_gemm(p, k->panel_halves[f.dtype], cpu::QuantizedActs{q.data(), d.data(), ds.data()}, M, K,
                                  y.data() + t0, N, rows);
                }
                int bad = 0;
                for (int64_t m = 0; m < M; m++) {
                    std::vector<float> xr(x.begin() + m * K, x.begin() + (m + 1) * K);
                    for (int64_t n = 0; n < N; n++) {
                        double want = 0;
                        for (int64_t i = 0; i < K; i++) want += ref[n][i].value * xr[i];
                        double err = std::fabs(y[m * N + n] - want), bound = dot_bound(ref[n], xr, 32);
                        worst = std::max(worst, err / bound);
                        if (!(err <= bound) && bad++ < 3)
                            CHECK_MSG(false, "%s %s M %lld batch row %lld weight row %lld: got %.9g want %.9g (bound %.3g)",
                                      k->name, f.name, (long long)M, (long long)m, (long long)n, y[m * N + n], want, bound);
                    }
                }
            }
            printf("  %-10s %-5s panel: largest error / bound = %.3f\n", k->name, f.name, worst);
        }
}

TEST(bf16_times_bf16_with_split_activations_is_near_f32) {
    int sets = 0;
    for (const cpu::Kernels* k : kernel_sets()) {
        if (!k->dot_bf16x2) continue;
        sets++;
        for (int64_t K : {32, 64, 100, 2048}) {
            std::vector<uint16_t> w(K), hi(K), lo(K);
            std::vector<float> x = random_acts(K < 64 ? 64 : K, 0);
            x.resize(K);
            double want = 0, mag = 0;
            for (int64_t i = 0; i < K; i++) {
                w[i] = f32_to_bf16(std::normal_distribution<float>(0.0f, 0.1f)(rng));
                want += (double)bf16_to_f32(w[i]) * x[i];
                mag += std::fabs((double)bf16_to_f32(w[i]) * x[i]);
            }
            k->split_bf16(x.data(), hi.data(), lo.data(), K);
            double got = k->dot_bf16x2(hi.data(), lo.data(), w.data(), K);
            CHECK_MSG(std::fabs(got - want) <= std::ldexp(mag, -15) + 1e-30, "%s K %lld: got %.9g want %.9g", k->name,
                      (long long)K, got, want);
        }
    }
    printf("  kernel sets with AVX512-BF16: %d\n", sets);
}

int main() { return check::run_all(); }
