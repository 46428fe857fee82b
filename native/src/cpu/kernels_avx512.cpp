// The avx512 build of kernels_impl.inc (compile flags set in CMakeLists.txt).
#include "kernels.h"
#include "kernels_impl.inc"

namespace jllm::cpu {
const Kernels* avx512_kernels_table() {
    static const Kernels k = make_kernels("avx512");
    return &k;
}
}  // namespace jllm::cpu
