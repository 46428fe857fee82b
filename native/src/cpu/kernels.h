// SIMD inner kernels, compiled once per instruction set (scalar, AVX2+FMA+F16C, AVX-512, AVX-512 with VNNI and
// BF16) and chosen at run time, so one build runs on any x86-64 and uses the widest instructions the CPU has.
#pragma once
#include <cstdint>

namespace jllm::cpu {

constexpr int kDtypeSlots = 31;  // kernel tables indexed by JLLM_DTYPE_* (= ggml_type, at most 30)

// A row of K activations (K a multiple of 32) quantized for integer dot products: per group g of 32 elements,
// x[32g + i] ~ d[g] * q[32g + i] with q in [-127, 127] (d = max|x| / 127, round to nearest);
// ds[h] = d * (sum of q over the half-group [16h, 16h + 16)), for the offsets and minimums of the weight formats.
struct QuantizedActs {
    const int8_t* q;   // [K]
    const float* d;    // [K / 32]
    const float* ds;   // [K / 16]
};

// The same row quantized per 256-element super-block for the K-quant weights (ggml's q8_K form): per super-block
// b, x[256b + i] ~ d[b] * q[256b + i] with q in [-127, 127] (d = max|x| / 127, round to nearest);
// bsums[h] = sum of q over [16h, 16h + 16), so offsets and minimums stay integer until the super-block ends.
struct QuantizedActsK {
    const int8_t* q;        // [K]
    const float* d;         // [K / 256]
    const int16_t* bsums;   // [K / 16]
};

// sum_k x[k] * w[k] for one row of block-quantized weights w [K] (the dtype's GGUF block layout).
using QuantDot = float (*)(const uint8_t* w, const QuantizedActs& x, int64_t K);
using QuantDotK = float (*)(const uint8_t* w, const QuantizedActsK& x, int64_t K);
// Expands one weight row [K] in its dtype to f32.
using Dequant = void (*)(const uint8_t* w, float* out, int64_t K);

// A panel of kPanelRows weight rows unpacked for the batched integer products (qgemm_impl.inc): weight k of row r
// is a[16 (k / 16) + r] * u[16 * 4 (k / 4) + 4 r + k % 4] + b[16 (k / 16) + r], u unsigned bytes, a and b f32 per
// half-group of 16 weights. Sizes for K columns: u [K * 16], a and b [K]; panel_bytes(K) in all.
constexpr int kPanelRows = 16;
struct Panel {
    uint8_t* u;
    float* a;
    float* b;
};
constexpr int64_t panel_bytes(int64_t K) { return K * kPanelRows + 2 * K * (int64_t)sizeof(float); }
// Unpacks rows [0, rows) (rows <= kPanelRows) of weights w (row stride row_bytes, K columns) into p.
using PackPanel = void (*)(const uint8_t* w, int64_t row_bytes, int rows, int64_t K, const Panel& p);

struct Kernels {
    const char* name;  // "scalar", "avx2", "avx512", "avx512vnni"
    // sum_k x[k] * w[k]; x: [K] f32, w: one weight row [K] in its dtype.
    float (*dot_f32)(const float* x, const float* w, int64_t K);
    float (*dot_f16)(const float* x, const uint16_t* w, int64_t K);
    float (*dot_bf16)(const float* x, const uint16_t* w, int64_t K);
    // Expands one weight row [K] to f32.
    void (*dequant_f16)(const uint16_t* w, float* out, int64_t K);
    void (*dequant_bf16)(const uint16_t* w, float* out, int64_t K);
    // Micro-kernel: y[m * ldy + n] = dot(x[m], w[n]) for m < 2 (x rows stride ldx), n < 4 (w rows stride ldw, f32).
    void (*dot_2x4)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy);
    // The same for m < 4 (register-blocked 4x4 where the ISA has the registers for it).
    void (*dot_4x4)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy);
    // y[k] += a * x[k]
    void (*axpy)(float a, const float* x, float* y, int64_t K);
    // max_k x[k], NaNs skipped (-inf when n = 0)
    float (*max_f32)(const float* x, int64_t n);
    // e[k] = exp(x[k] - mx) (0 where x[k] = -inf) and sum_k e[k], summed in double; e may equal x. Vector sets
    // use a polynomial exp within about 2 ulp of std::exp (the scalar set).
    double (*exp_sum)(const float* x, int64_t n, float mx, float* e);
    // g[k] = act(g[k]) * u[k]: SiLU (SwiGLU) and GELU with PyTorch's tanh approximation (GeGLU)
    void (*silu_mul)(float* g, const float* u, int64_t n);
    void (*gelu_tanh_mul)(float* g, const float* u, int64_t n);
    // Attention over n cached keys / values of one kv head (rows of hd elements in the KV dtype: JLLM_DTYPE_F32,
    // F16 or BF16, contiguous; hd <= 256) for the `group` query heads that share it:
    // attn_scores: s[g * ld_s + j] = scale * q[g] . key_j (q: [group, hd] f32);
    // attn_values: out[g] += sum_j p[g * ld_p + j] * value_j (out: [group, hd] f32).
    void (*attn_scores)(int32_t kv_dtype, const float* q, int group, int hd, const void* k, int64_t n, float scale,
                        float* s, int64_t ld_s);
    void (*attn_values)(int32_t kv_dtype, const float* p, int64_t ld_p, int group, int hd, const void* v, int64_t n,
                        float* out);

    // Block-quantized weights. quantize_acts fills q [K], d [K/32], ds [K/16] (see QuantizedActs).
    void (*quantize_acts)(const float* x, int64_t K, int8_t* q, float* d, float* ds);
    QuantDot qdot[kDtypeSlots];     // integer dot products on 32-element blocks: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
    // K-quants (Q2_K ... Q6_K) on q8_K activations; quantize_acts_k fills q [K], d [K/256], bsums [K/16].
    void (*quantize_acts_k)(const float* x, int64_t K, int8_t* q, float* d, int16_t* bsums);
    QuantDotK qdot_k[kDtypeSlots];
    Dequant dequant[kDtypeSlots];   // every supported dtype (F32 copies)

    // Batched products on block-quantized weights: pack_panel per dtype (null where the kernel set has none: Q8_0
    // without VNNI), panel_halves[dtype] when the format has two scales per group of 32; panel_gemm sets
    // y[m * ldy + r] = sum_k x_m[k] W[r, k] for m < M, r < rows from the activations quantized by quantize_acts
    // (x.q [M * K], x.d [M * K / 32], x.ds [M * K / 16]).
    // panel_from[dtype]: the batch size from which the panel beats per-row dots (each weight block unpacked once
    // for all batch rows instead of once per row); 0 where there is no panel.
    PackPanel pack_panel[kDtypeSlots];
    bool panel_halves[kDtypeSlots];
    int panel_from[kDtypeSlots];
    void (*panel_gemm)(const Panel& p, bool halves, const QuantizedActs& x, int64_t M, int64_t K, float* y,
                       int64_t ldy, int rows);
    // Float weights (F32, F16, BF16 dtypes) in the same panel shape, f32 and transposed: pack_panel_f expands
    // rows [0, rows) of w to out[16 k + r] (kPanelRows * K floats); fpanel_gemm sets
    // y[m * ldy + r] = sum_k x[m * K + k] out[16 k + r] for m < M, r < rows.
    void (*pack_panel_f)(int32_t dtype, const uint8_t* w, int64_t row_bytes, int rows, int64_t K, float* out);
    void (*fpanel_gemm)(const float* pw, const float* x, int64_t M, int64_t K, float* y, int64_t ldy, int rows);

    // BF16 weights computed as BF16 (AVX512-BF16 vdpbf16ps); null where the CPU lacks it. The activations are
    // split once per row into two bf16 terms, x ~ hi + lo (about 16 significant bits), so the products lose
    // almost nothing against f32: sum_k (hi[k] + lo[k]) * w[k], accumulated in f32. split_bf16 with lo null writes
    // hi alone: x rounded to bf16 (nearest even).
    void (*split_bf16)(const float* x, uint16_t* hi, uint16_t* lo, int64_t K);
    float (*dot_bf16x2)(const uint16_t* hi, const uint16_t* lo, const uint16_t* w, int64_t K);
    // Batched products on BF16 weights in bf16 (bf16gemm_impl.inc): pack_panel_bf16 stores rows [0, rows) (rows <=
    // kPanelRows) of w (row stride ldw elements, K even) as column pairs, out[32 p + 2 r + j] = W[r, 2 p + j]
    // (kPanelRows * K bf16, rows >= `rows` zero); bf16_panel_gemm sets y[m * ldy + r] = sum_k xb[m * K + k] W[r, k]
    // for m < M, r < rows <= 2 kPanelRows, from ceil(rows / 16) panels at pw, pw + 16 K and the activations rounded
    // to bf16, xb [M, K]: within 2^-8 sum_k |x_k W[r, k]| of the f32 activations' products.
    void (*pack_panel_bf16)(const uint16_t* w, int64_t ldw, int rows, int64_t K, uint16_t* out);
    void (*bf16_panel_gemm)(const uint16_t* pw, const uint16_t* xb, int64_t M, int64_t K, float* y, int64_t ldy,
                            int rows);
};

// The widest kernel set this CPU supports; JLLM_SIMD=scalar|avx2|avx512|avx512vnni in the environment caps it.
const Kernels& kernels();
const Kernels& scalar_kernels();
const Kernels* avx2_kernels();        // null when not built or not supported by this CPU
const Kernels* avx512_kernels();      // null when not built or not supported by this CPU
const Kernels* avx512vnni_kernels();  // AVX-512 + VNNI + BF16; null when not built or not supported

}  // namespace jllm::cpu
