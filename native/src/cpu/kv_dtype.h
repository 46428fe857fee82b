// Element conversions for the KV cache, which may be stored in F32, F16 or BF16 (jllm_engine_params.kv_cache_dtype)
// while attention computes in F32. Vectorized with AVX-512 (and F16C/AVX2 where AVX-512 is absent), picked once
// at run time like the matmul kernels (JLLM_SIMD caps them the same way); the scalar path rounds exactly as the
// vector paths do (round to nearest even), so every build stores the same bits.
#pragma once
#include <cstdint>

namespace jllm::cpu {

// Bytes per element of a KV dtype (JLLM_DTYPE_F32 / F16 / BF16); throws Error(UNSUPPORTED) for anything else.
int kv_dtype_bytes(int32_t dtype);
// "f32" / "f16" / "bf16".
const char* kv_dtype_name(int32_t dtype);

// dst[0..n) = src[0..n) converted from f32 to `dtype` (a plain copy for F32).
void kv_store(int32_t dtype, const float* src, void* dst, int64_t n);
// dst[0..n) = src[0..n) in `dtype` converted to f32.
void kv_load(int32_t dtype, const void* src, float* dst, int64_t n);

}  // namespace jllm::cpu
