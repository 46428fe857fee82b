// Paged KV cache and attention over it.
//
// One layer's pool: K and V each [num_blocks][num_kv_heads][block_size][head_dim] f32, so a (block, kv head)
// pair holds block_size contiguous vectors. Slot s = block * block_size + offset.
#pragma once
#include <cstdint>

namespace jllm::cpu {

struct KvLayout {
    int block_size;
    int num_kv_heads;
    int head_dim;
    int64_t block_floats() const { return (int64_t)num_kv_heads * block_size * head_dim; }  // per pool, per layer
};

// Writes k, v [T, nkv * hd] to the cache at slots[T].
void write_kv(const float* k, const float* v, const int64_t* slots, int64_t T, float* k_cache, float* v_cache,
              const KvLayout& L);

// out[t, h * hd..] = softmax(cap(q_t,h · K[p] * scale)) · V[p] over positions first_t <= p <= pos_t, for every
// token t and query head h, reading K/V of token t's sequence (tok_seq[t]) through
// block_tables[seq * stride + p / block_size]. first_t = 0, or pos_t - window + 1 when window > 0 (sliding window).
// cap(s) = softcap * tanh(s / softcap) when softcap > 0, else s. Query head h reads kv head h / (nh / nkv).
// scratch: [nthreads * scratch_stride] floats, scratch_stride >= (nh / nkv) * (max position + 1).
void paged_attention(const float* q, float* out, const float* k_cache, const float* v_cache, const KvLayout& L,
                     int nh, const int32_t* positions, const int32_t* tok_seq, const int32_t* block_tables,
                     int64_t stride, int64_t T, float scale, int32_t window, float softcap, int nthreads,
                     float* scratch, int64_t scratch_stride);

}  // namespace jllm::cpu
