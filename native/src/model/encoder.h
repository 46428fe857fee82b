// Embedding (pooling) models: BERT-family encoders described once as ops, plus the pooling both encoders and
// decoder embedding models share. An encoder runs over whole sequences (no KV cache): bidirectional attention,
// post-norm LayerNorm blocks, a GELU MLP. T = tokens, H = hidden, I = intermediate, nh = heads, hd = head dim.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "model/decoder.h"

namespace jllm {

// What a BERT-family checkpoint adds to Model (Model::encoder). The shared fields live in Model itself:
// embed = word_embeddings [V, H], final_norm = the embedding LayerNorm's weight, per layer wq/wk/wv (+ bq/bk/bv),
// wo = attention.output.dense, attn_norm = attention.output.LayerNorm, w_up = intermediate.dense [I, H],
// w_down = output.dense [H, I], ffn_norm = output.LayerNorm (w_gate aliases w_up: shapes only, never read).
struct EncoderLayer {
    const float* bo = nullptr;          // [H] attention output bias
    const float* attn_norm_b = nullptr; // [H]
    const float* b_up = nullptr;        // [I]
    const float* b_down = nullptr;      // [H]
    const float* ffn_norm_b = nullptr;  // [H]
};

struct EncoderWeights {
    float layer_norm_eps = 1e-12f;
    bool rotary = false;                // nomic-bert: rope on q and k (ModelConfig's frequencies), no position table
    bool swiglu = false;                // nomic-bert: MLP = w_down(silu(w_gate x) * w_up x) (fc12 gate, fc11 up)
    int32_t position_offset = 0;        // position ids start here (RoBERTa: padding_idx + 1)
    WeightTensor position;              // [max_position_embeddings, H]; absent when rotary
    WeightTensor token_type;            // [type_vocab_size, H]; type 0 is added to every token
    const float* embed_norm_b = nullptr;// [H]
    std::vector<EncoderLayer> layers;   // [num_layers]
};

// The decoder ops plus what encoders and pooling need.
class EncoderOps : public DecoderOps {
public:
    // out[r] = (x[r] - mean) / sqrt(var + eps) * w + b, rows of length dim; out may equal x
    virtual void layernorm(const float* x, const float* w, const float* b, float* out, int64_t rows, int64_t dim,
                           float eps) = 0;
    // x[i] = gelu(x[i]) (the exact erf form, transformers' "gelu"), i < n
    virtual void gelu(float* x, int64_t n) = 0;
    // out[t, h] = softmax_p(q[t, h] · k[p, h / (nh / nkv)] * scale) · v[p, ..] over the positions p of token t's
    // sequence (query_start): all of them, or when causal those p <= t (and t - p < window when window > 0).
    // q, out: [T, nh * hd]; k, v: [T, nkv * hd]
    virtual void dense_attention(const float* q, const float* k, const float* v, float* out, const int32_t* query_start,
                                 int32_t num_seqs, int nh, int nkv, int hd, float scale, bool causal,
                                 int32_t window) = 0;
};

// True when config.json names a BERT-family encoder (BertModel, RobertaModel, XLMRobertaModel, NomicBertModel).
bool is_encoder_config(const Json& config);
// Loads a BERT-family safetensors directory (tensor names with or without a "bert."/"roberta." prefix); nomic-bert
// (NomicBertModel: rotary positions, fused Wqkv, SwiGLU or GELU MLP, optional biases) included.
std::unique_ptr<Model> load_encoder_safetensors(const std::string& dir, const Json& config,
                                                const jllm_model_params& params);

// The encoder forward over whole sequences: x [T, H] holds the final hidden states afterwards.
// positions [T]: each token's position in its sequence (0..); query_start [num_seqs + 1].
void encoder_forward(const Model& m, EncoderOps& ops, const DecoderBuffers& buf, const int32_t* token_ids,
                     const int32_t* positions, int64_t T, const int32_t* query_start, int32_t num_seqs);

// out[s, :] = the pooled rows of x [T, dim] for each sequence s (JLLM_POOLING_*): last, first, or mean.
void pool_rows(const float* x, int64_t dim, const int32_t* query_start, int32_t num_seqs, int32_t pooling, float* out);

}  // namespace jllm
