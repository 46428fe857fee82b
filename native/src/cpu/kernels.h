// SIMD inner kernels, compiled once per instruction set (scalar, AVX2+FMA+F16C, AVX-512) and chosen at run time,
// so one build runs on any x86-64 and uses the widest vectors the CPU has.
#pragma once
#include <cstdint>

namespace jllm::cpu {

struct Kernels {
    const char* name;  // "scalar", "avx2", "avx512"
    // sum_k x[k] * w[k]; x: [K] f32, w: one weight row [K] in its dtype (Q8_0: K/32 blocks of f16 d + 32 int8).
    float (*dot_f32)(const float* x, const float* w, int64_t K);
    float (*dot_f16)(const float* x, const uint16_t* w, int64_t K);
    float (*dot_bf16)(const float* x, const uint16_t* w, int64_t K);
    float (*dot_q8_0)(const float* x, const uint8_t* w, int64_t K);
    // Expands one weight row [K] to f32.
    void (*dequant_f16)(const uint16_t* w, float* out, int64_t K);
    void (*dequant_bf16)(const uint16_t* w, float* out, int64_t K);
    void (*dequant_q8_0)(const uint8_t* w, float* out, int64_t K);
    // Micro-kernel: y[m * ldy + n] = dot(x[m], w[n]) for m < 2 (x rows stride ldx), n < 4 (w rows stride ldw, f32).
    void (*dot_2x4)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy);
    // The same for m < 4 (register-blocked 4x4 where the ISA has the registers for it).
    void (*dot_4x4)(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t K, float* y, int64_t ldy);
    // y[k] += a * x[k]
    void (*axpy)(float a, const float* x, float* y, int64_t K);
};

// The widest kernel set this CPU supports; JLLM_SIMD=scalar|avx2|avx512 in the environment caps it.
const Kernels& kernels();
const Kernels& scalar_kernels();
const Kernels* avx2_kernels();    // null when not built
const Kernels* avx512_kernels();  // null when not built

}  // namespace jllm::cpu
