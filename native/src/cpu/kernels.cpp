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
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return avx512_kernels_table();
#endif
    return nullptr;
}

static const Kernels& pick() {
    const char* cap = getenv("JLLM_SIMD");
    bool allow512 = !cap || strcmp(cap, "avx512") == 0;
    bool allow2 = allow512 || (cap && strcmp(cap, "avx2") == 0);
    if (allow512 && avx512_kernels()) return *avx512_kernels();
    if (allow2 && avx2_kernels()) return *avx2_kernels();
    return scalar_kernels();
}

const Kernels& kernels() {
    static const Kernels& k = pick();
    return k;
}

}  // namespace jllm::cpu
