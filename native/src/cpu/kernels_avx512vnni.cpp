// The avx512vnni build of kernels_impl.inc (compile flags set in CMakeLists.txt).
#include "kernels.h"
#include "kernels_impl.inc"

namespace jllm::cpu {
const Kernels* avx512vnni_kernels_table() {
    static const Kernels k = make_kernels("avx512vnni");
    return &k;
}
}  // namespace jllm::cpu
