#include "kernels.h"
#include <cstdlib>
#include <cstring>

namespace jllm::cpu {

const Kernels* scalar_kernels_table();
#ifdef JLLM_HAVE_AVX2
const Kernels* avx2_kernels_table();
#endif
#ifdef JLLM_HAVE_AVX512
const Kernels* avx512_kernels_table();
const Kernels* avx512vnni_kernels_table();
#endif

const Kernels& scalar_kernels() { return *scalar_kernels_table(); }

const Kernels* avx2_kernels() {
#ifdef JLLM_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return avx2_kernels_table();
#endif
    return nullptr;
}

const Kernels* avx512_kernels() {
#ifdef JLLM_HAVE_AVX512
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return avx512_kernels_table();
#endif
    return nullptr;
}

const Kernels* avx512vnni_kernels() {
#ifdef JLLM_HAVE_AVX512
    if (avx512_kernels() && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16"))
        return avx512vnni_kernels_table();
#endif
    return nullptr;
}

// Levels in order; JLLM_SIMD names the highest one allowed (unset: all).
static const Kernels& pick() {
    const char* cap = getenv("JLLM_SIMD");
    const char* levels[] = {"scalar", "avx2", "avx512", "avx512vnni"};
    int max = 3;
    for (int i = 0; cap && i < 4; i++)
        if (strcmp(cap, levels[i]) == 0) max = i;
    if (max >= 3 && avx512vnni_kernels()) return *avx512vnni_kernels();
    if (max >= 2 && avx512_kernels()) return *avx512_kernels();
    if (max >= 1 && avx2_kernels()) return *avx2_kernels();
    return scalar_kernels();
}

const Kernels& kernels() {
    static const Kernels& k = pick();
    return k;
}

}  // namespace jllm::cpu
