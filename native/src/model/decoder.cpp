// The decoder forward of every supported architecture (see architectures.cpp), as llama2.c writes Llama's: a
// pre-norm transformer whose variations are flags of ModelConfig. T = tokens in the batch, H = hidden size,
// nh/nkv = query/kv heads, hd = head dim, I = intermediate size, V = vocabulary, R = rows that get logits.
#include "decoder.h"
#include <cmath>

namespace jllm {

void decoder_forward(const Model& m, DecoderOps& ops, const DecoderBuffers& buf, const jllm_batch& b,
                     const int32_t* rows, int32_t num_rows, float* logits) {
    const ModelConfig& c = m.config;
    const int64_t T = b.num_tokens, H = c.hidden_size, I = c.intermediate_size;
    const int nh = c.num_heads, nkv = c.num_kv_heads, hd = c.head_dim;
    const float eps = c.rms_norm_eps;
    const float scale = c.query_scale > 0 ? c.query_scale : 1.0f / std::sqrt((float)hd);
    float* x = buf.x;

    // 1. token embeddings: x [T, H] (Gemma scales them by sqrt(H))
    ops.embed(m.embed, b.token_ids, T, c.embed_scale, x);

    for (int li = 0; li < c.num_layers; li++) {
        const LayerWeights& l = m.layers[li];
        const LayerAttention& la = c.layers[li];

        // 2. attention input: xb [T, H] = rmsnorm(x)
        ops.rmsnorm(x, l.attn_norm, buf.xb, T, H, eps);
        // 3. projections: q [T, nh*hd], k and v [T, nkv*hd] (+ Qwen2 biases)
        const MatmulOut qkv[] = {{&l.wq, buf.q, l.bq}, {&l.wk, buf.k, l.bk}, {&l.wv, buf.v, l.bv}};
        ops.matmuls(buf.xb, T, qkv, 3);
        // 4. per-head q/k norm over hd (Qwen3, Gemma 3)
        if (c.qk_norm) {
            ops.rmsnorm(buf.q, l.q_norm, buf.q, T * nh, hd, eps);
            ops.rmsnorm(buf.k, l.k_norm, buf.k, T * nkv, hd, eps);
        }
        // 5. rope at each token's position with this layer's frequencies (Gemma 3: local ones on sliding layers)
        if (c.rope_long_inv_freq.empty()) {
            const float* inv_freq = la.local_rope ? c.rope_local_inv_freq.data() : c.rope_inv_freq.data();
            ops.rope(buf.q, buf.k, b.positions, T, nh, nkv, hd, inv_freq, c.rope_style);
        } else {  // Phi-3 longrope: per sequence, long factors once its context outgrows the original one
            for (int32_t s = 0; s < b.num_seqs; s++) {
                const int64_t t0 = b.query_start[s], n = b.query_start[s + 1] - t0;
                const bool is_long = b.context_lens[s] > c.rope_original_max;
                ops.rope(buf.q + t0 * nh * hd, buf.k + t0 * nkv * hd, b.positions + t0, n, nh, nkv, hd,
                         is_long ? c.rope_long_inv_freq.data() : c.rope_inv_freq.data(), c.rope_style);
            }
        }
        // 6. k, v into the paged cache; attention over the layer's window: att [T, nh*hd]
        ops.write_kv(li, buf.k, buf.v, b);
        ops.attention(li, buf.q, buf.att, b, scale, la.window, c.attn_softcap);
        // 7. output projection xb [T, H]; Gemma's post-attention norm; residual
        ops.matmul(l.wo, buf.att, T, buf.xb, nullptr);
        if (c.post_norms) ops.rmsnorm(buf.xb, l.post_attn_norm, buf.xb, T, H, eps);
        ops.add(x, buf.xb, T * H);

        // 8. MLP: xb = rmsnorm(x); gate, up [T, I]; gate = act(gate) * up; xb = down(gate) [T, H]
        ops.rmsnorm(x, l.ffn_norm, buf.xb, T, H, eps);
        const MatmulOut gate_up[] = {{&l.w_gate, buf.gate, nullptr}, {&l.w_up, buf.up, nullptr}};
        ops.matmuls(buf.xb, T, gate_up, 2);
        ops.gated_activation(c.activation, buf.gate, buf.up, T * I);
        ops.matmul(l.w_down, buf.gate, T, buf.xb, nullptr);
        // 9. Gemma's post-feedforward norm; residual
        if (c.post_norms) ops.rmsnorm(buf.xb, l.post_ffn_norm, buf.xb, T, H, eps);
        ops.add(x, buf.xb, T * H);
    }

    // 10. embedding (pooling) runs want no logits: the final norm over every token, x [T, H], is their output
    if (!logits) {
        ops.rmsnorm(x, m.final_norm, x, T, H, eps);
        return;
    }
    // 11. final norm on the sampled rows only: xr [R, H]; logits [R, V]; Gemma 2's final soft-cap (none for a step
    //     that only fills the KV cache)
    if (num_rows == 0) return;
    ops.gather_rows(x, rows, num_rows, H, buf.xr);
    ops.rmsnorm(buf.xr, m.final_norm, buf.xr, num_rows, H, eps);
    ops.matmul(m.lm_head, buf.xr, num_rows, logits, nullptr);
    if (c.final_softcap > 0) ops.softcap(logits, (int64_t)num_rows * c.vocab_size, c.final_softcap);
}

}  // namespace jllm
