#include "attention.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include "kernels.h"
#include "thread_pool.h"

namespace jllm::cpu {

void write_kv(const float* k, const float* v, const int64_t* slots, int64_t T, void* k_cache, void* v_cache,
              const KvLayout& L) {
    const int hd = L.head_dim;
    const int64_t eb = kv_dtype_bytes(L.dtype);
    for (int64_t t = 0; t < T; t++) {
        int64_t block = slots[t] / L.block_size, off = slots[t] % L.block_size;
        for (int h = 0; h < L.num_kv_heads; h++) {
            int64_t dst = (block * L.block_elems() + ((int64_t)h * L.block_size + off) * hd) * eb;  // bytes
            kv_store(L.dtype, k + (t * L.num_kv_heads + h) * hd, (uint8_t*)k_cache + dst, hd);
            kv_store(L.dtype, v + (t * L.num_kv_heads + h) * hd, (uint8_t*)v_cache + dst, hd);
        }
    }
}

int64_t attention_scratch_floats(const KvLayout&, int group, int64_t max_ctx) { return (int64_t)group * max_ctx; }

// The first element of the vectors at [off, off + len) of kv head kvh in a cache block (contiguous [len, hd]).
static const void* block_rows(const void* cache, const KvLayout& L, int32_t block, int kvh, int64_t off) {
    const int64_t first = (int64_t)block * L.block_elems() + ((int64_t)kvh * L.block_size + off) * L.head_dim;
    return (const uint8_t*)cache + first * kv_dtype_bytes(L.dtype);
}

// One (token, kv head) work item: all query heads of the group share each K/V read (and its conversion, done in
// registers by the kernels). Reads positions [first, first + n); scores[g * n + j] belongs to position first + j.
// scratch: attention_scratch_floats(L, group, n) floats.
static void attend_group(const float* q, float* out, const void* k_cache, const void* v_cache, const KvLayout& L,
                         int group, int kvh, int64_t first, int64_t n, const int32_t* table, float scale,
                         float softcap, float* scores) {
    const Kernels& k = kernels();
    const int hd = L.head_dim, bs = L.block_size;
    const int64_t end = first + n;
    // 1. scores[g][j] = cap(q_g · k_p * scale), p = first + j, block by block
    for (int64_t p0 = first; p0 < end;) {
        int64_t off = p0 % bs, len = std::min<int64_t>(bs - off, end - p0);
        k.attn_scores(L.dtype, q, group, hd, block_rows(k_cache, L, table[p0 / bs], kvh, off), len, scale,
                      scores + (p0 - first), n);
        p0 += len;
    }
    if (softcap > 0)
        for (int64_t i = 0; i < group * n; i++) scores[i] = softcap * std::tanh(scores[i] / softcap);
    // 2. softmax per query head
    for (int g = 0; g < group; g++) {
        float* s = scores + g * n;
        const float mx = k.max_f32(s, n);
        float inv = (float)(1.0 / k.exp_sum(s, n, mx, s));
        for (int64_t p = 0; p < n; p++) s[p] *= inv;
        std::fill(out + g * hd, out + (g + 1) * hd, 0.0f);
    }
    // 3. out_g = sum_p s[g][p] v_p
    for (int64_t p0 = first; p0 < end;) {
        int64_t off = p0 % bs, len = std::min<int64_t>(bs - off, end - p0);
        k.attn_values(L.dtype, scores + (p0 - first), n, group, hd, block_rows(v_cache, L, table[p0 / bs], kvh, off),
                      len, out);
        p0 += len;
    }
}

void paged_attention(const float* q, float* out, const void* k_cache, const void* v_cache, const KvLayout& L,
                     int nh, const int32_t* positions, const int32_t* tok_seq, const int32_t* block_tables,
                     int64_t stride, int64_t T, float scale, int32_t window, float softcap, int nthreads,
                     float* scratch, int64_t scratch_stride) {
    const int nkv = L.num_kv_heads, hd = L.head_dim, group = nh / nkv;
    const int64_t items = T * nkv;
    parallel_for(items, nthreads, [&](int64_t it, int tid) {
        int64_t t = it / nkv;
        int kvh = (int)(it % nkv);
        float* ts = scratch + (int64_t)tid * scratch_stride;
        const int32_t* table = block_tables + (int64_t)tok_seq[t] * stride;
        int64_t ctx = (int64_t)positions[t] + 1, first = window > 0 ? std::max<int64_t>(0, ctx - window) : 0;
        attend_group(q + (t * nh + (int64_t)kvh * group) * hd, out + (t * nh + (int64_t)kvh * group) * hd, k_cache,
                     v_cache, L, group, kvh, first, ctx - first, table, scale, softcap, ts);
    });
}

}  // namespace jllm::cpu
