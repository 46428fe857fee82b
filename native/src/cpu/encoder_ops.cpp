#include "encoder_ops.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"

namespace jllm::cpu {

void layernorm(const float* x, const float* w, const float* b, float* out, int64_t rows, int64_t dim, float eps) {
    for (int64_t r = 0; r < rows; r++) {
        const float* xr = x + r * dim;
        float* o = out + r * dim;
        double sum = 0, sq = 0;  // double: BERT's eps (1e-12) leaves no room for a sloppy variance
        for (int64_t i = 0; i < dim; i++) sum += xr[i];
        const double mean = sum / dim;
        for (int64_t i = 0; i < dim; i++) sq += (xr[i] - mean) * (xr[i] - mean);
        const float inv = (float)(1.0 / std::sqrt(sq / dim + eps)), mu = (float)mean;
        for (int64_t i = 0; i < dim; i++) o[i] = (xr[i] - mu) * inv * w[i] + b[i];
    }
}

void gelu_erf(float* x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
}

void dense_attention(const float* q, const float* k, const float* v, float* out, const int32_t* query_start,
                     int32_t num_seqs, int nh, int nkv, int hd, float scale, bool causal, int32_t window,
                     int nthreads, float* scratch, int64_t scratch_stride) {
    // 1. which sequence each token belongs to: a work item is one (token, head) pair
    const int64_t T = query_start[num_seqs];
    std::vector<int32_t> seq_of(T);
    for (int32_t s = 0; s < num_seqs; s++)
        for (int32_t t = query_start[s]; t < query_start[s + 1]; t++) seq_of[t] = s;
    const int group = nh / nkv;
    const int64_t qd = (int64_t)nh * hd, kvd = (int64_t)nkv * hd;
    const Kernels& kn = kernels();
    parallel_for(T * nh, nthreads, [&](int64_t item, int tid) {
        const int64_t t = item / nh;
        const int h = (int)(item % nh), g = h / group;
        // 2. the keys token t sees: its whole sequence, or (causal) the window ending at t
        int64_t p0 = query_start[seq_of[t]], p1 = query_start[seq_of[t] + 1];
        if (causal) {
            p1 = t + 1;
            if (window > 0) p0 = std::max<int64_t>(p0, t - window + 1);
        }
        // 3. scores, softmax, weighted sum of values
        float* s = scratch + tid * scratch_stride;
        const float* qt = q + t * qd + (int64_t)h * hd;
        for (int64_t p = p0; p < p1; p++) s[p - p0] = kn.dot_f32(qt, k + p * kvd + (int64_t)g * hd, hd) * scale;
        const double sum = kn.exp_sum(s, p1 - p0, kn.max_f32(s, p1 - p0), s);  // the softmax of paged attention
        float* o = out + t * qd + (int64_t)h * hd;
        std::fill(o, o + hd, 0.0f);
        for (int64_t p = p0; p < p1; p++) kn.axpy((float)(s[p - p0] / sum), v + p * kvd + (int64_t)g * hd, o, hd);
    });
}

}  // namespace jllm::cpu
