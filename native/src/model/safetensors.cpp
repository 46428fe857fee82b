// Hugging Face safetensors directories: config.json + model.safetensors, or shards listed in
// model.safetensors.index.json. File layout: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data; offsets are relative
// to the first byte after the header. Weights stay memory-mapped; norms and biases are copied to F32.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include "model.h"
#include "model/encoder.h"
#include "util/error.h"

namespace jllm {

namespace {

int32_t parse_dtype(const std::string& s, const std::string& name) {
    if (s == "F32") return JLLM_DTYPE_F32;
    if (s == "F16") return JLLM_DTYPE_F16;
    if (s == "BF16") return JLLM_DTYPE_BF16;
    fail(JLLM_UNSUPPORTED, "tensor %s has dtype %s; supported: F32, F16, BF16", name.c_str(), s.c_str());
}

void index_file(Model& m, const std::string& path, std::map<std::string, TensorRef>& out) {
    m.files.push_back(std::make_unique<MappedFile>(path));
    const MappedFile& f = *m.files.back();
    if (f.size() < 8) fail(JLLM_IO_ERROR, "%s is too short to be safetensors", path.c_str());
    uint64_t n;
    memcpy(&n, f.data(), 8);
    if (n > f.size() - 8) fail(JLLM_IO_ERROR, "%s: header length %llu exceeds the file", path.c_str(), (unsigned long long)n);
    Json header = Json::parse(std::string((const char*)f.data() + 8, n));
    const uint8_t* base = f.data() + 8 + n;
    uint64_t data_size = f.size() - 8 - n;
    for (auto& [name, t] : header.object()) {
        if (name == "__metadata__") continue;
        TensorRef r;
        r.dtype = parse_dtype(t["dtype"].str(), name);
        for (auto& d : t["shape"].array()) r.shape.push_back((int64_t)d.number());
        auto& off = t["data_offsets"].array();
        if (off.size() != 2) fail(JLLM_IO_ERROR, "%s: tensor %s has bad data_offsets", path.c_str(), name.c_str());
        uint64_t b = (uint64_t)off[0].number(), e = (uint64_t)off[1].number();
        int64_t count = 1;
        for (int64_t d : r.shape) count *= d;
        int64_t expect = count * (r.dtype == JLLM_DTYPE_F32 ? 4 : 2);
        if (e < b || e > data_size || (int64_t)(e - b) != expect)
            fail(JLLM_IO_ERROR, "%s: tensor %s has data_offsets [%llu, %llu] that do not fit its shape or the file",
                 path.c_str(), name.c_str(), (unsigned long long)b, (unsigned long long)e);
        r.data = base + b;
        r.nbytes = (int64_t)(e - b);
        r.file = path;
        out[name] = r;
    }
}

class Tensors {
public:
    explicit Tensors(std::map<std::string, TensorRef>& t) : t_(t) {}
    bool has(const std::string& n) const { return t_.count(n) > 0; }
    const TensorRef& get(const std::string& n) const {
        auto it = t_.find(n);
        if (it == t_.end()) fail(JLLM_INVALID_ARGUMENT, "missing tensor %s", n.c_str());
        return it->second;
    }
    WeightTensor matrix(const std::string& n) const {
        const TensorRef& r = get(n);
        if (r.shape.size() != 2) fail(JLLM_INVALID_ARGUMENT, "tensor %s is not 2-D", n.c_str());
        WeightTensor w;
        w.dtype = r.dtype;
        w.data = r.data;
        w.rows = r.shape[0];
        w.cols = r.shape[1];
        return w;
    }
    float* vec(Model& m, const std::string& n, int64_t len) const {
        const TensorRef& r = get(n);
        if (r.shape.size() != 1 || r.shape[0] != len)
            fail(JLLM_INVALID_ARGUMENT, "tensor %s should have shape [%lld]", n.c_str(), (long long)len);
        return m.own_f32(r.dtype, r.data, len);
    }
    // An RMSNorm weight as the factor the forward multiplies by: Gemma checkpoints store w of (1 + w).
    const float* norm(Model& m, const std::string& n, int64_t len, bool add_one) const {
        float* w = vec(m, n, len);
        if (add_one)
            for (int64_t i = 0; i < len; i++) w[i] += 1.0f;
        return w;
    }

private:
    std::map<std::string, TensorRef>& t_;
};

}  // namespace

std::map<std::string, TensorRef> map_safetensors(Model& model, const std::string& dir) {
    Model* m = &model;
    std::map<std::string, TensorRef> refs;
    std::string index_path = dir + "/model.safetensors.index.json";
    FILE* probe = fopen(index_path.c_str(), "rb");
    if (probe) {
        fclose(probe);
        Json index = Json::parse(read_text_file(index_path));
        std::set<std::string> shards;
        for (auto& [name, file] : index["weight_map"].object()) shards.insert(file.str());
        if (shards.empty()) fail(JLLM_IO_ERROR, "%s has an empty weight_map", index_path.c_str());
        for (auto& s : shards) {
            if (s.find('/') != std::string::npos || s.find("..") != std::string::npos)
                fail(JLLM_IO_ERROR, "%s names a shard outside the directory: %s", index_path.c_str(), s.c_str());
            index_file(*m, dir + "/" + s, refs);
        }
    } else {
        index_file(*m, dir + "/model.safetensors", refs);
    }
    return refs;
}

std::unique_ptr<Model> load_safetensors_dir(const std::string& dir, const jllm_model_params& params) {
    Json config = hf_text_config(Json::parse(read_text_file(dir + "/config.json")));
    if (is_encoder_config(config)) return load_encoder_safetensors(dir, config, params);
    auto m = std::make_unique<Model>();
    m->config = parse_hf_config(config);
    finish_config(m->config, &config["rope_scaling"], params);
    const ModelConfig& c = m->config;
    std::map<std::string, TensorRef> refs = map_safetensors(*m, dir);

    // Tensor names of transformers' modeling files; layout differences per family (architectures.cpp):
    // Gemma's norms around attention and MLP, Qwen3/Gemma 3's per-head q/k norms, Phi-3's fused projections.
    Tensors t(refs);
    const bool add_one = hf_norms_add_one(c), fused = c.architecture == "Phi3ForCausalLM" || c.architecture == "phi3";
    const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
    const int64_t qd = (int64_t)c.num_heads * hd, kvd = (int64_t)c.num_kv_heads * hd;
    // Text weights of a multimodal checkpoint sit under language_model.model. (or model.language_model.).
    std::string root = t.has("language_model.model.embed_tokens.weight")   ? "language_model.model."
                       : t.has("model.language_model.embed_tokens.weight") ? "model.language_model."
                       : t.has("embed_tokens.weight")                      ? ""  // a bare Qwen3Model/MistralModel
                                                                           : "model.";
    std::string head = root == "language_model.model." ? "language_model.lm_head.weight" : "lm_head.weight";
    // The config's layer count must match the checkpoint's: fewer would serve garbage, more would fail later.
    const std::string layers_prefix = root + "layers.";
    int64_t tensor_layers = 0;
    for (auto& [name, r] : refs)
        if (name.rfind(layers_prefix, 0) == 0)
            tensor_layers = std::max<int64_t>(tensor_layers, 1 + atoll(name.c_str() + layers_prefix.size()));
    check_layer_count(c, tensor_layers, "num_hidden_layers", dir);
    m->embed = t.matrix(root + "embed_tokens.weight");
    m->final_norm = t.norm(*m, root + "norm.weight", H, add_one);
    if (t.has(head)) {
        m->lm_head = t.matrix(head);
    } else {
        // No lm_head tensor: the checkpoint ties the classifier to the embeddings (as transformers does).
        m->lm_head = m->embed;
        m->config.tie_word_embeddings = true;
    }
    m->layers.resize(c.num_layers);
    for (int i = 0; i < c.num_layers; i++) {
        std::string p = root + "layers." + std::to_string(i) + ".";
        LayerWeights& l = m->layers[i];
        // 1. norms
        l.attn_norm = t.norm(*m, p + "input_layernorm.weight", H, add_one);
        if (c.post_norms) {  // Gemma: post_attention_layernorm follows attention; the MLP has its own pre-norm
            l.post_attn_norm = t.norm(*m, p + "post_attention_layernorm.weight", H, add_one);
            l.ffn_norm = t.norm(*m, p + "pre_feedforward_layernorm.weight", H, add_one);
            l.post_ffn_norm = t.norm(*m, p + "post_feedforward_layernorm.weight", H, add_one);
        } else {
            l.ffn_norm = t.norm(*m, p + "post_attention_layernorm.weight", H, add_one);
        }
        if (c.qk_norm) {
            l.q_norm = t.norm(*m, p + "self_attn.q_norm.weight", hd, add_one);
            l.k_norm = t.norm(*m, p + "self_attn.k_norm.weight", hd, add_one);
        }
        // 2. attention projections
        if (fused) {
            auto qkv = split_rows(t.matrix(p + "self_attn.qkv_proj.weight"), {qd, kvd, kvd}, "qkv_proj");
            l.wq = qkv[0], l.wk = qkv[1], l.wv = qkv[2];
        } else {
            l.wq = t.matrix(p + "self_attn.q_proj.weight");
            l.wk = t.matrix(p + "self_attn.k_proj.weight");
            l.wv = t.matrix(p + "self_attn.v_proj.weight");
        }
        l.wo = t.matrix(p + "self_attn.o_proj.weight");
        if (c.qkv_bias) {
            l.bq = t.vec(*m, p + "self_attn.q_proj.bias", qd);
            l.bk = t.vec(*m, p + "self_attn.k_proj.bias", kvd);
            l.bv = t.vec(*m, p + "self_attn.v_proj.bias", kvd);
        }
        // 3. MLP projections (Phi-3: gate_up_proj = [gate; up])
        if (fused) {
            auto gate_up = split_rows(t.matrix(p + "mlp.gate_up_proj.weight"), {I, I}, "gate_up_proj");
            l.w_gate = gate_up[0], l.w_up = gate_up[1];
        } else {
            l.w_gate = t.matrix(p + "mlp.gate_proj.weight");
            l.w_up = t.matrix(p + "mlp.up_proj.weight");
        }
        l.w_down = t.matrix(p + "mlp.down_proj.weight");
    }
    return m;
}

}  // namespace jllm
