// Paged KV cache and attention over it.
//
// One layer's pool: K and V each [num_blocks][num_kv_heads][block_size][head_dim] elements of the cache dtype
// (F32, F16 or BF16; see kv_dtype.h), so a (block, kv head) pair holds block_size contiguous vectors.
// Slot s = block * block_size + offset. Attention computes in f32: each cached K or V vector of a kv head is read
// (and converted) once for every query head of the group (Kernels::attn_scores / attn_values).
#pragma once
#include <cstdint>
#include "cpu/kv_dtype.h"
#include "jllm.h"

namespace jllm::cpu {

struct KvLayout {
    int block_size;
    int num_kv_heads;
    int head_dim;
    int32_t dtype = JLLM_DTYPE_F32;  // JLLM_DTYPE_* of the stored elements
    int64_t block_elems() const { return (int64_t)num_kv_heads * block_size * head_dim; }  // per pool, per layer
    int64_t block_bytes() const { return block_elems() * kv_dtype_bytes(dtype); }
};

// Writes k, v [T, nkv * hd] (f32) to the cache at slots[T], converting to L.dtype.
void write_kv(const float* k, const float* v, const int64_t* slots, int64_t T, void* k_cache, void* v_cache,
              const KvLayout& L);

// Floats of per-thread scratch paged_attention needs for contexts up to max_ctx tokens: the scores of a
// query-head group.
int64_t attention_scratch_floats(const KvLayout& L, int group, int64_t max_ctx);

// out[t, h * hd..] = softmax(cap(q_t,h · K[p] * scale)) · V[p] over positions first_t <= p <= pos_t, for every
// token t and query head h, reading K/V of token t's sequence (tok_seq[t]) through
// block_tables[seq * stride + p / block_size]. first_t = 0, or pos_t - window + 1 when window > 0 (sliding window).
// cap(s) = softcap * tanh(s / softcap) when softcap > 0, else s. Query head h reads kv head h / (nh / nkv).
// scratch: [nthreads * scratch_stride] floats, scratch_stride >= attention_scratch_floats(L, nh / nkv, max
// position + 1).
void paged_attention(const float* q, float* out, const void* k_cache, const void* v_cache, const KvLayout& L,
                     int nh, const int32_t* positions, const int32_t* tok_seq, const int32_t* block_tables,
                     int64_t stride, int64_t T, float scale, int32_t window, float softcap, int nthreads,
                     float* scratch, int64_t scratch_stride);

}  // namespace jllm::cpu
