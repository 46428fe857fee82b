#include "ops.h"
#include <cmath>
#include "kernels.h"

namespace jllm::cpu {

void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float* xr = x + r * dim;
        float* o = out + r * dim;
        double ss = 0;  // double: the mean of squares of thousands of values loses bits in float
        for (int64_t i = 0; i < dim; i++) ss += (double)xr[i] * xr[i];
        float inv = 1.0f / std::sqrt((float)(ss / dim) + eps);
        for (int64_t i = 0; i < dim; i++) o[i] = w[i] * (xr[i] * inv);
    }
}

// cs: [hd/2] cosines then [hd/2] sines of this token's angles.
static void rotate(float* v, int heads, int hd, const float* cs, RopeStyle style) {
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
        float* x = v + (int64_t)h * hd;
        for (int i = 0; i < half; i++) {
            int a = style == RopeStyle::NeoX ? i : 2 * i;
            int b = style == RopeStyle::NeoX ? i + half : 2 * i + 1;
            float x0 = x[a], x1 = x[b], c = cs[i], s = cs[half + i];
            x[a] = x0 * c - x1 * s;
            x[b] = x0 * s + x1 * c;
        }
    }
}

void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
          RopeStyle style) {
    float cs[256];  // head_dim <= 256
    int half = hd / 2;
    for (int64_t t = 0; t < T; t++) {
        for (int i = 0; i < half; i++) {
            float angle = (float)positions[t] * inv_freq[i];
            cs[i] = std::cos(angle);
            cs[half + i] = std::sin(angle);
        }
        rotate(q + t * nh * hd, nh, hd, cs, style);
        rotate(k + t * nkv * hd, nkv, hd, cs, style);
    }
}

void silu_mul(float* g, const float* u, int64_t n) { kernels().silu_mul(g, u, n); }

void gelu_tanh_mul(float* g, const float* u, int64_t n) { kernels().gelu_tanh_mul(g, u, n); }

void softcap(float* x, int64_t n, float cap) {
    const float inv = 1.0f / cap;
    for (int64_t i = 0; i < n; i++) x[i] = cap * std::tanh(x[i] * inv);
}

}  // namespace jllm::cpu
