// BERT-family encoders (transformers' BertModel, RobertaModel, XLMRobertaModel: bge, all-MiniLM, e5, gte-base;
// nomic-bert, whose blocks differ as load_nomic_bert says):
//   x = LayerNorm(word[id] + position[pos + offset] + token_type[0])
//   per layer (post-norm): x = LayerNorm(x + attn(x) Wo + bo); x = LayerNorm(x + gelu(x Wi + bi) Wd + bd)
// with bidirectional attention inside each sequence. Pooling (last / CLS / mean) is shared with decoders.
#include "encoder.h"
#include <cmath>
#include <cstring>
#include "util/error.h"

namespace jllm {

namespace {

struct EncoderName { const char* arch; const char* model_type; int32_t position_offset_from_pad; };
// RoBERTa numbers positions from padding_idx + 1 (create_position_ids_from_input_ids); BERT from 0.
const EncoderName kEncoders[] = {
    {"BertModel", "bert", 0},           {"BertForMaskedLM", "", 0},
    {"RobertaModel", "roberta", 1},     {"XLMRobertaModel", "xlm-roberta", 1},
    {"NomicBertModel", "nomic_bert", 0},
};

const EncoderName* find_encoder(const Json& config) {
    std::string arch, type = config.str_or("model_type", "");
    if (config["architectures"].is_array() && !config["architectures"].array().empty())
        arch = config["architectures"].array()[0].str();
    for (const EncoderName& n : kEncoders)
        if (arch == n.arch || (arch.empty() && *n.model_type && type == n.model_type)) return &n;
    return nullptr;
}

int32_t req(const Json& j, const char* key) {
    if (!j[key].is_number()) fail(JLLM_INVALID_ARGUMENT, "config.json lacks \"%s\"", key);
    return (int32_t)j[key].number();
}

// Tensor lookups under the checkpoint's prefix ("", "bert.", "roberta.").
struct Lookup {
    Model& m;
    std::map<std::string, TensorRef>& refs;
    std::string prefix;
    const TensorRef& get(const std::string& n) const {
        auto it = refs.find(prefix + n);
        if (it == refs.end()) fail(JLLM_INVALID_ARGUMENT, "missing tensor %s%s", prefix.c_str(), n.c_str());
        return it->second;
    }
    WeightTensor matrix(const std::string& n, int64_t rows, int64_t cols) const {
        const TensorRef& r = get(n);
        if (r.shape.size() != 2 || r.shape[0] != rows || r.shape[1] != cols)
            fail(JLLM_INVALID_ARGUMENT, "tensor %s%s should have shape [%lld, %lld]", prefix.c_str(), n.c_str(),
                 (long long)rows, (long long)cols);
        WeightTensor w;
        w.dtype = r.dtype, w.data = r.data, w.rows = rows, w.cols = cols;
        return w;
    }
    const float* vec(const std::string& n, int64_t len) const {
        const TensorRef& r = get(n);
        if (r.shape.size() != 1 || r.shape[0] != len)
            fail(JLLM_INVALID_ARGUMENT, "tensor %s%s should have shape [%lld]", prefix.c_str(), n.c_str(), (long long)len);
        return m.own_f32(r.dtype, r.data, len);
    }
};

}  // namespace

bool is_encoder_config(const Json& config) { return find_encoder(config) != nullptr; }

// nomic-bert (nomic-embed-text): GPT-2 style config names; post-norm blocks with rotary q/k, a fused Wqkv [3H, H],
// out_proj, and fc11 (up) / fc12 (gate) / fc2 (down) for SwiGLU, fc1 / fc2 for GELU.
static std::unique_ptr<Model> load_nomic_bert(const std::string& dir, const Json& j, const jllm_model_params& params) {
    auto m = std::make_unique<Model>();
    auto enc = std::make_shared<EncoderWeights>();
    ModelConfig& c = m->config;

    // 1. config
    c.architecture = "NomicBertModel";
    c.vocab_size = req(j, "vocab_size");
    c.hidden_size = req(j, "n_embd");
    c.num_layers = req(j, "n_layer");
    c.num_heads = c.num_kv_heads = req(j, "n_head");
    c.intermediate_size = j.has("n_inner") && j["n_inner"].is_number() ? req(j, "n_inner") : 4 * c.hidden_size;
    c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
    c.tie_word_embeddings = true;
    // Beyond max_trained_positions the model rescales its rope base (dynamic NTK): serve up to it only.
    c.max_model_len = (int32_t)j.num_or("max_trained_positions", j.num_or("n_positions", 2048));
    c.rope_theta = (float)j.num_or("rotary_emb_base", 10000.0);
    c.rope_style = j.bool_or("rotary_emb_interleaved", false) ? RopeStyle::Interleaved : RopeStyle::NeoX;
    enc->layer_norm_eps = (float)j.num_or("layer_norm_epsilon", 1e-12);
    enc->rotary = true;
    const std::string act = j.str_or("activation_function", "gelu");
    if (act != "swiglu" && act != "gelu")
        fail(JLLM_UNSUPPORTED, "NomicBertModel: unsupported activation_function '%s' (supported: swiglu, gelu)", act.c_str());
    enc->swiglu = act == "swiglu";
    if (j.num_or("rotary_emb_fraction", 1.0) != 1.0)
        fail(JLLM_UNSUPPORTED, "NomicBertModel: rotary_emb_fraction %g is not supported (1.0 only)", j.num_or("rotary_emb_fraction", 1.0));
    if (j.bool_or("prenorm", false) || j.bool_or("causal", false) || j["rotary_emb_scale_base"].is_number())
        fail(JLLM_UNSUPPORTED, "NomicBertModel: prenorm, causal or rotary_emb_scale_base models are not supported");
    if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
        fail(JLLM_INVALID_ARGUMENT, "NomicBertModel: n_embd %d is not a multiple of n_head %d", c.hidden_size, c.num_heads);
    c.qkv_bias = j.bool_or("qkv_proj_bias", true);
    const bool fc1_bias = j.bool_or("mlp_fc1_bias", true), fc2_bias = j.bool_or("mlp_fc2_bias", true);
    finish_config(c, nullptr, params);

    // 2. tensors
    std::map<std::string, TensorRef> refs = map_safetensors(*m, dir);
    std::string prefix;
    for (const char* p : {"", "bert.", "model."})
        if (refs.count(std::string(p) + "embeddings.word_embeddings.weight")) prefix = p;
    Lookup t{*m, refs, prefix};
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    int64_t tensor_layers = 0;
    const std::string layer_prefix = prefix + "encoder.layers.";
    for (auto& [n, r] : refs)
        if (n.rfind(layer_prefix, 0) == 0)
            tensor_layers = std::max<int64_t>(tensor_layers, 1 + atoll(n.c_str() + layer_prefix.size()));
    check_layer_count(c, tensor_layers, "n_layer", dir);
    m->embed = t.matrix("embeddings.word_embeddings.weight", c.vocab_size, H);
    m->lm_head = m->embed;
    if (refs.count(prefix + "embeddings.token_type_embeddings.weight")) {
        const int64_t types = t.get("embeddings.token_type_embeddings.weight").shape.at(0);
        enc->token_type = t.matrix("embeddings.token_type_embeddings.weight", types, H);
    }
    m->final_norm = t.vec("emb_ln.weight", H);
    enc->embed_norm_b = t.vec("emb_ln.bias", H);
    m->layers.resize(c.num_layers);
    enc->layers.resize(c.num_layers);
    for (int i = 0; i < c.num_layers; i++) {
        const std::string p = "encoder.layers." + std::to_string(i) + ".";
        LayerWeights& l = m->layers[i];
        EncoderLayer& e = enc->layers[i];
        auto qkv = split_rows(t.matrix(p + "attn.Wqkv.weight", 3 * H, H), {H, H, H}, "Wqkv");
        l.wq = qkv[0], l.wk = qkv[1], l.wv = qkv[2];
        if (c.qkv_bias) {
            const float* b = t.vec(p + "attn.Wqkv.bias", 3 * H);
            l.bq = b, l.bk = b + H, l.bv = b + 2 * H;
            e.bo = t.vec(p + "attn.out_proj.bias", H);
        }
        l.wo = t.matrix(p + "attn.out_proj.weight", H, H);
        if (enc->swiglu) {
            l.w_up = t.matrix(p + "mlp.fc11.weight", I, H);
            l.w_gate = t.matrix(p + "mlp.fc12.weight", I, H);
            if (fc1_bias) fail(JLLM_UNSUPPORTED, "NomicBertModel: SwiGLU with mlp_fc1_bias is not supported");
        } else {
            l.w_up = l.w_gate = t.matrix(p + "mlp.fc1.weight", I, H);
            if (fc1_bias) e.b_up = t.vec(p + "mlp.fc1.bias", I);
        }
        l.w_down = t.matrix(p + "mlp.fc2.weight", H, I);
        if (fc2_bias) e.b_down = t.vec(p + "mlp.fc2.bias", H);
        l.attn_norm = t.vec(p + "norm1.weight", H);
        e.attn_norm_b = t.vec(p + "norm1.bias", H);
        l.ffn_norm = t.vec(p + "norm2.weight", H);
        e.ffn_norm_b = t.vec(p + "norm2.bias", H);
    }
    m->encoder = enc;
    return m;
}

std::unique_ptr<Model> load_encoder_safetensors(const std::string& dir, const Json& j, const jllm_model_params& params) {
    const EncoderName* name = find_encoder(j);
    if (std::string(name->arch) == "NomicBertModel") return load_nomic_bert(dir, j, params);
    auto m = std::make_unique<Model>();
    auto enc = std::make_shared<EncoderWeights>();
    ModelConfig& c = m->config;

    // 1. config: sizes, the position numbering, what the architecture does not support
    c.architecture = j["architectures"].is_array() ? j["architectures"].array()[0].str() : j.str_or("model_type", "");
    c.vocab_size = req(j, "vocab_size");
    c.hidden_size = req(j, "hidden_size");
    c.intermediate_size = req(j, "intermediate_size");
    c.num_layers = req(j, "num_hidden_layers");
    c.num_heads = c.num_kv_heads = req(j, "num_attention_heads");
    c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
    c.qkv_bias = true;
    c.tie_word_embeddings = true;
    const int32_t max_pos = (int32_t)j.num_or("max_position_embeddings", 512);
    enc->position_offset = name->position_offset_from_pad ? (int32_t)j.num_or("pad_token_id", 1) + 1 : 0;
    c.max_model_len = max_pos - enc->position_offset;
    c.bos_token_id = -1, c.eos_token_id = -1;
    enc->layer_norm_eps = (float)j.num_or("layer_norm_eps", 1e-12);
    std::string act = j.str_or("hidden_act", "gelu"), pos = j.str_or("position_embedding_type", "absolute");
    if (act != "gelu")
        fail(JLLM_UNSUPPORTED, "%s: unsupported hidden_act '%s' (supported: gelu)", c.architecture.c_str(), act.c_str());
    if (pos != "absolute")
        fail(JLLM_UNSUPPORTED, "%s: unsupported position_embedding_type '%s' (supported: absolute)",
             c.architecture.c_str(), pos.c_str());
    if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
        fail(JLLM_INVALID_ARGUMENT, "%s: hidden_size %d is not a multiple of num_attention_heads %d",
             c.architecture.c_str(), c.hidden_size, c.num_heads);
    finish_config(c, nullptr, params);

    // 2. tensors, under the prefix the checkpoint uses (BertForMaskedLM keeps the encoder under "bert.")
    std::map<std::string, TensorRef> refs = map_safetensors(*m, dir);
    std::string prefix;
    for (const char* p : {"", "bert.", "roberta.", "model."})
        if (refs.count(std::string(p) + "embeddings.word_embeddings.weight")) prefix = p;
    Lookup t{*m, refs, prefix};
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    int64_t tensor_layers = 0;
    const std::string layer_prefix = prefix + "encoder.layer.";
    for (auto& [n, r] : refs)
        if (n.rfind(layer_prefix, 0) == 0)
            tensor_layers = std::max<int64_t>(tensor_layers, 1 + atoll(n.c_str() + layer_prefix.size()));
    check_layer_count(c, tensor_layers, "num_hidden_layers", dir);

    m->embed = t.matrix("embeddings.word_embeddings.weight", c.vocab_size, H);
    m->lm_head = m->embed;  // never read: an encoder has no logits
    enc->position = t.matrix("embeddings.position_embeddings.weight", max_pos, H);
    const int64_t types = t.get("embeddings.token_type_embeddings.weight").shape.at(0);
    enc->token_type = t.matrix("embeddings.token_type_embeddings.weight", types, H);
    m->final_norm = t.vec("embeddings.LayerNorm.weight", H);
    enc->embed_norm_b = t.vec("embeddings.LayerNorm.bias", H);
    m->layers.resize(c.num_layers);
    enc->layers.resize(c.num_layers);
    for (int i = 0; i < c.num_layers; i++) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        LayerWeights& l = m->layers[i];
        EncoderLayer& e = enc->layers[i];
        l.wq = t.matrix(p + "attention.self.query.weight", H, H);
        l.wk = t.matrix(p + "attention.self.key.weight", H, H);
        l.wv = t.matrix(p + "attention.self.value.weight", H, H);
        l.bq = t.vec(p + "attention.self.query.bias", H);
        l.bk = t.vec(p + "attention.self.key.bias", H);
        l.bv = t.vec(p + "attention.self.value.bias", H);
        l.wo = t.matrix(p + "attention.output.dense.weight", H, H);
        e.bo = t.vec(p + "attention.output.dense.bias", H);
        l.attn_norm = t.vec(p + "attention.output.LayerNorm.weight", H);
        e.attn_norm_b = t.vec(p + "attention.output.LayerNorm.bias", H);
        l.w_up = t.matrix(p + "intermediate.dense.weight", I, H);
        l.w_gate = l.w_up;
        e.b_up = t.vec(p + "intermediate.dense.bias", I);
        l.w_down = t.matrix(p + "output.dense.weight", H, I);
        e.b_down = t.vec(p + "output.dense.bias", H);
        l.ffn_norm = t.vec(p + "output.LayerNorm.weight", H);
        e.ffn_norm_b = t.vec(p + "output.LayerNorm.bias", H);
    }
    m->encoder = enc;
    return m;
}

void encoder_forward(const Model& m, EncoderOps& ops, const DecoderBuffers& buf, const int32_t* token_ids,
                     const int32_t* positions, int64_t T, const int32_t* query_start, int32_t num_seqs) {
    const ModelConfig& c = m.config;
    const EncoderWeights& e = *m.encoder;
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    const int nh = c.num_heads, hd = c.head_dim;
    const float eps = e.layer_norm_eps, scale = 1.0f / std::sqrt((float)hd);
    float* x = buf.x;

    // 1. embeddings: x [T, H] = word[id] + position[pos + offset] (absolute positions) + token_type[0]; LayerNorm
    std::vector<int32_t> ids(T);
    for (int64_t i = 0; i < T; i++) ids[i] = positions[i] + e.position_offset;
    ops.embed(m.embed, token_ids, T, 1.0f, x);
    if (!e.rotary) {
        ops.embed(e.position, ids.data(), T, 1.0f, buf.xb);
        ops.add(x, buf.xb, T * H);
    }
    if (e.token_type.data) {
        std::fill(ids.begin(), ids.end(), 0);
        ops.embed(e.token_type, ids.data(), T, 1.0f, buf.xb);
        ops.add(x, buf.xb, T * H);
    }
    ops.layernorm(x, m.final_norm, e.embed_norm_b, x, T, H, eps);

    for (int li = 0; li < c.num_layers; li++) {
        const LayerWeights& l = m.layers[li];
        const EncoderLayer& el = e.layers[li];
        // 2. q, k, v [T, H] (with biases); bidirectional attention within each sequence: att [T, H]
        ops.matmul(l.wq, x, T, buf.q, l.bq);
        ops.matmul(l.wk, x, T, buf.k, l.bk);
        ops.matmul(l.wv, x, T, buf.v, l.bv);
        if (e.rotary) ops.rope(buf.q, buf.k, positions, T, nh, nh, hd, c.rope_inv_freq.data(), c.rope_style);
        ops.dense_attention(buf.q, buf.k, buf.v, buf.att, query_start, num_seqs, nh, nh, hd, scale, false, 0);
        // 3. output projection, residual, LayerNorm (post-norm)
        ops.matmul(l.wo, buf.att, T, buf.xb, el.bo);
        ops.add(x, buf.xb, T * H);
        ops.layernorm(x, l.attn_norm, el.attn_norm_b, x, T, H, eps);
        // 4. MLP: gate [T, I] = gelu(x Wi + bi) (SwiGLU: silu(x Wg) * x Wu); xb = gate Wd + bd; residual, LayerNorm
        if (e.swiglu) {
            ops.matmul(l.w_gate, x, T, buf.gate, nullptr);
            ops.matmul(l.w_up, x, T, buf.up, nullptr);
            ops.gated_activation(Activation::SiLU, buf.gate, buf.up, T * I);
        } else {
            ops.matmul(l.w_up, x, T, buf.gate, el.b_up);
            ops.gelu(buf.gate, T * I);
        }
        ops.matmul(l.w_down, buf.gate, T, buf.xb, el.b_down);
        ops.add(x, buf.xb, T * H);
        ops.layernorm(x, l.ffn_norm, el.ffn_norm_b, x, T, H, eps);
    }
}

void pool_rows(const float* x, int64_t dim, const int32_t* query_start, int32_t num_seqs, int32_t pooling, float* out) {
    for (int32_t s = 0; s < num_seqs; s++) {
        const int64_t t0 = query_start[s], t1 = query_start[s + 1];
        float* o = out + (int64_t)s * dim;
        if (pooling == JLLM_POOLING_MEAN) {
            for (int64_t i = 0; i < dim; i++) {
                double sum = 0;
                for (int64_t t = t0; t < t1; t++) sum += x[t * dim + i];
                o[i] = (float)(sum / (double)(t1 - t0));
            }
        } else {
            const int64_t t = pooling == JLLM_POOLING_CLS ? t0 : t1 - 1;
            memcpy(o, x + t * dim, (size_t)dim * sizeof(float));
        }
    }
}

}  // namespace jllm
