#include "kv_dtype.h"
#include <immintrin.h>
#include <cstring>
#include "cpu/kernels.h"
#include "jllm.h"
#include "util/error.h"
#include "util/half.h"

namespace jllm::cpu {

int kv_dtype_bytes(int32_t dtype) {
    switch (dtype) {
        case JLLM_DTYPE_F32: return 4;
        case JLLM_DTYPE_F16:
        case JLLM_DTYPE_BF16: return 2;
        default: fail(JLLM_UNSUPPORTED, "KV cache dtype %d is not supported (F32, F16, BF16)", dtype);
    }
}

const char* kv_dtype_name(int32_t dtype) {
    switch (dtype) {
        case JLLM_DTYPE_F32: return "f32";
        case JLLM_DTYPE_F16: return "f16";
        case JLLM_DTYPE_BF16: return "bf16";
        default: return "?";
    }
}

namespace {

// ---- scalar: the reference every vector path matches bit for bit (NaN payloads aside) ----
void store_scalar(int32_t dtype, const float* src, uint16_t* dst, int64_t i, int64_t n) {
    for (; i < n; i++) dst[i] = dtype == JLLM_DTYPE_F16 ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
}
void load_scalar(int32_t dtype, const uint16_t* src, float* dst, int64_t i, int64_t n) {
    for (; i < n; i++) dst[i] = dtype == JLLM_DTYPE_F16 ? f16_to_f32(src[i]) : bf16_to_f32(src[i]);
}

// ---- AVX-512F: 16 elements per step ----
__attribute__((target("avx512f"))) void store_avx512(int32_t dtype, const float* src, uint16_t* dst, int64_t n) {
    int64_t i = 0;
    if (dtype == JLLM_DTYPE_F16) {
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i*)(dst + i),
                                _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    } else {  // bf16: bits + 0x7fff + lsb, >> 16 (round to nearest even); NaN keeps its sign and stays NaN
        const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), quiet = _mm512_set1_epi32(0x40);
        for (; i + 16 <= n; i += 16) {
            __m512 x = _mm512_loadu_ps(src + i);
            __m512i b = _mm512_castps_si512(x), hi = _mm512_srli_epi32(b, 16);
            __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(bias, _mm512_and_si512(hi, one))), 16);
            r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), _mm512_or_si512(hi, quiet));
            _mm256_storeu_si256((__m256i*)(dst + i), _mm512_cvtepi32_epi16(r));
        }
    }
    store_scalar(dtype, src, dst, i, n);
}

__attribute__((target("avx512f"))) void load_avx512(int32_t dtype, const uint16_t* src, float* dst, int64_t n) {
    int64_t i = 0;
    if (dtype == JLLM_DTYPE_F16) {
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(src + i))));
    } else {
        for (; i + 16 <= n; i += 16)
            _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(
                                          _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)(src + i))), 16)));
    }
    load_scalar(dtype, src, dst, i, n);
}

// ---- AVX2 + F16C: 8 elements per step ----
__attribute__((target("avx2,f16c"))) void store_avx2(int32_t dtype, const float* src, uint16_t* dst, int64_t n) {
    int64_t i = 0;
    if (dtype == JLLM_DTYPE_F16) {
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i*)(dst + i),
                             _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    } else {
        const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff), quiet = _mm256_set1_epi32(0x40);
        for (; i + 8 <= n; i += 8) {
            __m256 x = _mm256_loadu_ps(src + i);
            __m256i b = _mm256_castps_si256(x), hi = _mm256_srli_epi32(b, 16);
            __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(bias, _mm256_and_si256(hi, one))), 16);
            __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
            r = _mm256_blendv_epi8(r, _mm256_or_si256(hi, quiet), nan);
            // r holds 8 values < 65536: pack to u16 (lanes [0..3 0..3 | 4..7 4..7]) and gather qwords 0 and 2
            __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
            _mm_storeu_si128((__m128i*)(dst + i), _mm256_castsi256_si128(p));
        }
    }
    store_scalar(dtype, src, dst, i, n);
}

__attribute__((target("avx2,f16c"))) void load_avx2(int32_t dtype, const uint16_t* src, float* dst, int64_t n) {
    int64_t i = 0;
    if (dtype == JLLM_DTYPE_F16) {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(src + i))));
    } else {
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(
                                          _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)(src + i))), 16)));
    }
    load_scalar(dtype, src, dst, i, n);
}

enum class Isa { Scalar, Avx2, Avx512 };

Isa isa() {  // follows the matmul kernels' choice, so JLLM_SIMD caps both
    static const Isa i = [] {
        const char* name = kernels().name;
        return strcmp(name, "avx512") == 0 ? Isa::Avx512 : strcmp(name, "avx2") == 0 ? Isa::Avx2 : Isa::Scalar;
    }();
    return i;
}

}  // namespace

void kv_store(int32_t dtype, const float* src, void* dst, int64_t n) {
    if (dtype == JLLM_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * 4);
        return;
    }
    uint16_t* d = (uint16_t*)dst;
    switch (isa()) {
        case Isa::Avx512: store_avx512(dtype, src, d, n); break;
        case Isa::Avx2: store_avx2(dtype, src, d, n); break;
        default: store_scalar(dtype, src, d, 0, n);
    }
}

void kv_load(int32_t dtype, const void* src, float* dst, int64_t n) {
    if (dtype == JLLM_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * 4);
        return;
    }
    const uint16_t* s = (const uint16_t*)src;
    switch (isa()) {
        case Isa::Avx512: load_avx512(dtype, s, dst, n); break;
        case Isa::Avx2: load_avx2(dtype, s, dst, n); break;
        default: load_scalar(dtype, s, dst, 0, n);
    }
}

}  // namespace jllm::cpu
