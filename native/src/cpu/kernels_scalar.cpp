// The scalar build of kernels_impl.inc (compile flags set in CMakeLists.txt).
#include "kernels.h"
#include "kernels_impl.inc"

namespace jllm::cpu {
const Kernels* scalar_kernels_table() {
    static const Kernels k = make_kernels("scalar");
    return &k;
}
}  // namespace jllm::cpu
