// The avx2 build of kernels_impl.inc (compile flags set in CMakeLists.txt).
#include "kernels.h"
#include "kernels_impl.inc"

namespace jllm::cpu {
const Kernels* avx2_kernels_table() {
    static const Kernels k = make_kernels("avx2");
    return &k;
}
}  // namespace jllm::cpu
