// GGUF v2/v3 files (llama.cpp's format). Layout: "GGUF", u32 version, u64 tensor_count, u64 kv_count; kv_count
// metadata entries (string key, u32 type, value); tensor_count infos (string name, u32 n_dims, u64 ne[n_dims],
// u32 ggml_type, u64 offset); padding to general.alignment (default 32); tensor data. Strings are u64 length +
// bytes. ne[0] is the contiguous dimension, so a matrix [rows, cols] has ne = {cols, rows}.
//
// llama.cpp's converter permutes the q/k rows of "llama" models so that RoPE rotates adjacent pairs
// (interleaved); we keep the rows as stored and use the interleaved rotation, which gives the same logits as the
// Hugging Face layout with rotate_half. "qwen2" files keep the NeoX layout.
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <map>
#include "model.h"
#include "util/error.h"

namespace jllm {

namespace {

enum GgufType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10,
    I64 = 11, F64 = 12
};

struct Value {  // scalars only; arrays are skipped except their length
    uint32_t type = 0;
    double num = 0;
    std::string str;
    uint64_t array_len = 0;
};

struct TensorInfo {
    uint32_t type;
    std::vector<int64_t> ne;
    uint64_t offset;
};

class Reader {
public:
    Reader(const uint8_t* d, size_t n, const std::string& path) : d_(d), n_(n), path_(path) {}
    template <typename T> T get() {
        need(sizeof(T));
        T v;
        memcpy(&v, d_ + i_, sizeof(T));
        i_ += sizeof(T);
        return v;
    }
    std::string str() {
        uint64_t len = get<uint64_t>();
        need(len);
        std::string s((const char*)d_ + i_, len);
        i_ += len;
        return s;
    }
    void skip(uint64_t n) { need(n); i_ += n; }
    size_t pos() const { return i_; }

private:
    void need(uint64_t k) {
        if (k > n_ - i_) fail(JLLM_IO_ERROR, "%s: truncated GGUF header at byte %zu", path_.c_str(), i_);
    }
    const uint8_t* d_;
    size_t n_, i_ = 0;
    const std::string& path_;
};

size_t scalar_size(uint32_t t) {
    switch (t) {
        case U8: case I8: case BOOL: return 1;
        case U16: case I16: return 2;
        case U32: case I32: case F32: return 4;
        case U64: case I64: case F64: return 8;
        default: return 0;
    }
}

double read_scalar(Reader& r, uint32_t t) {
    switch (t) {
        case U8: return r.get<uint8_t>();
        case I8: return r.get<int8_t>();
        case BOOL: return r.get<uint8_t>();
        case U16: return r.get<uint16_t>();
        case I16: return r.get<int16_t>();
        case U32: return r.get<uint32_t>();
        case I32: return r.get<int32_t>();
        case F32: return r.get<float>();
        case U64: return (double)r.get<uint64_t>();
        case I64: return (double)r.get<int64_t>();
        case F64: return r.get<double>();
        default: fail(JLLM_IO_ERROR, "bad GGUF value type %u", t);
    }
}

Value read_value(Reader& r, uint32_t t) {
    Value v;
    v.type = t;
    if (t == STRING) {
        v.str = r.str();
    } else if (t == ARRAY) {
        uint32_t et = r.get<uint32_t>();
        v.array_len = r.get<uint64_t>();
        if (et == STRING) {
            for (uint64_t k = 0; k < v.array_len; k++) r.str();
        } else if (et == ARRAY) {
            fail(JLLM_IO_ERROR, "nested GGUF arrays are not supported");
        } else {
            size_t sz = scalar_size(et);
            if (!sz) fail(JLLM_IO_ERROR, "bad GGUF array element type %u", et);
            r.skip(sz * v.array_len);
        }
    } else {
        v.num = read_scalar(r, t);
    }
    return v;
}

int32_t jllm_dtype_of(uint32_t ggml_type, const std::string& name) {
    switch (ggml_type) {
        case 0: return JLLM_DTYPE_F32;
        case 1: return JLLM_DTYPE_F16;
        case 8: return JLLM_DTYPE_Q8_0;
        case 30: return JLLM_DTYPE_BF16;
        default:
            fail(JLLM_UNSUPPORTED, "tensor %s has ggml type %u; supported: F32 (0), F16 (1), Q8_0 (8), BF16 (30)",
                 name.c_str(), ggml_type);
    }
}

}  // namespace

std::unique_ptr<Model> load_gguf(const std::string& path, const jllm_model_params& params) {
    auto m = std::make_unique<Model>();
    m->files.push_back(std::make_unique<MappedFile>(path));
    const MappedFile& f = *m->files.back();
    Reader r(f.data(), f.size(), path);
    if (f.size() < 4 || memcmp(f.data(), "GGUF", 4) != 0) fail(JLLM_IO_ERROR, "%s is not a GGUF file", path.c_str());
    r.skip(4);
    uint32_t version = r.get<uint32_t>();
    if (version < 2 || version > 3) fail(JLLM_UNSUPPORTED, "%s: GGUF version %u (supported: 2, 3)", path.c_str(), version);
    uint64_t n_tensors = r.get<uint64_t>(), n_kv = r.get<uint64_t>();

    std::map<std::string, Value> kv;
    for (uint64_t i = 0; i < n_kv; i++) {
        std::string key = r.str();
        uint32_t t = r.get<uint32_t>();
        kv[key] = read_value(r, t);
    }
    std::map<std::string, TensorInfo> infos;
    for (uint64_t i = 0; i < n_tensors; i++) {
        std::string name = r.str();
        TensorInfo ti;
        uint32_t nd = r.get<uint32_t>();
        if (nd > 4) fail(JLLM_IO_ERROR, "%s: tensor %s has %u dims", path.c_str(), name.c_str(), nd);
        for (uint32_t d = 0; d < nd; d++) ti.ne.push_back((int64_t)r.get<uint64_t>());
        ti.type = r.get<uint32_t>();
        ti.offset = r.get<uint64_t>();
        infos[name] = ti;
    }
    uint64_t align = kv.count("general.alignment") ? (uint64_t)kv["general.alignment"].num : 32;
    if (align == 0) align = 32;
    uint64_t data_start = (r.pos() + align - 1) / align * align;

    auto num = [&](const std::string& key, double fallback) {
        auto it = kv.find(key);
        return it == kv.end() ? fallback : it->second.num;
    };
    std::string arch = kv.count("general.architecture") ? kv["general.architecture"].str : "";
    if (arch != "llama" && arch != "qwen2")
        fail(JLLM_UNSUPPORTED, "%s: unsupported GGUF architecture '%s'; supported: llama, qwen2", path.c_str(),
             arch.c_str());
    ModelConfig& c = m->config;
    c.architecture = arch;
    c.hidden_size = (int32_t)num(arch + ".embedding_length", 0);
    c.num_layers = (int32_t)num(arch + ".block_count", 0);
    c.intermediate_size = (int32_t)num(arch + ".feed_forward_length", 0);
    c.num_heads = (int32_t)num(arch + ".attention.head_count", 0);
    c.num_kv_heads = (int32_t)num(arch + ".attention.head_count_kv", c.num_heads);
    c.head_dim = (int32_t)num(arch + ".attention.key_length", c.num_heads ? c.hidden_size / c.num_heads : 0);
    c.max_model_len = (int32_t)num(arch + ".context_length", 2048);
    c.rms_norm_eps = (float)num(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
    c.rope_theta = (float)num(arch + ".rope.freq_base", 10000.0);
    c.rope_style = arch == "llama" ? RopeStyle::Interleaved : RopeStyle::NeoX;
    c.qkv_bias = arch == "qwen2";
    c.bos_token_id = (int32_t)num("tokenizer.ggml.bos_token_id", -1);
    c.eos_token_id = (int32_t)num("tokenizer.ggml.eos_token_id", -1);
    auto emb = infos.find("token_embd.weight");
    if (emb == infos.end()) fail(JLLM_INVALID_ARGUMENT, "%s: missing tensor token_embd.weight", path.c_str());
    c.vocab_size = emb->second.ne.size() == 2 ? (int32_t)emb->second.ne[1] : 0;

    Json scaling;  // rope scaling from GGUF keys, in config.json's shape
    std::string scaling_type = kv.count(arch + ".rope.scaling.type") ? kv[arch + ".rope.scaling.type"].str : "";
    if (!scaling_type.empty() && scaling_type != "none") {
        std::string js = "{\"type\":\"" + scaling_type + "\",\"factor\":" +
                         std::to_string(num(arch + ".rope.scaling.factor", 1.0)) + "}";
        scaling = Json::parse(js);
    }
    finish_config(c, &scaling, params);

    auto tensor = [&](const std::string& name, bool required) -> WeightTensor {
        WeightTensor w;
        auto it = infos.find(name);
        if (it == infos.end()) {
            if (required) fail(JLLM_INVALID_ARGUMENT, "%s: missing tensor %s", path.c_str(), name.c_str());
            return w;
        }
        const TensorInfo& ti = it->second;
        w.dtype = jllm_dtype_of(ti.type, name);
        w.cols = ti.ne.empty() ? 1 : ti.ne[0];
        w.rows = 1;
        for (size_t d = 1; d < ti.ne.size(); d++) w.rows *= ti.ne[d];
        uint64_t begin = data_start + ti.offset;
        if (ti.offset > f.size() || begin > f.size() || (uint64_t)w.bytes() > f.size() - begin)
            fail(JLLM_IO_ERROR, "%s: tensor %s lies outside the file", path.c_str(), name.c_str());
        w.data = f.data() + begin;
        return w;
    };
    auto vec = [&](const std::string& name, int64_t len, bool required) -> const float* {
        WeightTensor w = tensor(name, required);
        if (!w.data) return nullptr;
        if (w.rows * w.cols != len)
            fail(JLLM_INVALID_ARGUMENT, "%s: tensor %s should have %lld elements", path.c_str(), name.c_str(), (long long)len);
        return m->own_f32(w.dtype, w.data, len);
    };

    // llama3-style rope scaling is stored as per-frequency divisors.
    if (const float* rf = vec("rope_freqs.weight", c.head_dim / 2, false))
        for (int i = 0; i < c.head_dim / 2; i++) c.rope_inv_freq[i] /= rf[i];

    int64_t tensor_layers = 0;
    for (auto& [name, ti] : infos)
        if (name.rfind("blk.", 0) == 0) tensor_layers = std::max<int64_t>(tensor_layers, 1 + atoll(name.c_str() + 4));
    check_layer_count(c, tensor_layers, (arch + ".block_count").c_str(), path);

    m->embed = tensor("token_embd.weight", true);
    m->final_norm = vec("output_norm.weight", c.hidden_size, true);
    m->lm_head = tensor("output.weight", false);
    if (!m->lm_head.data) {
        m->lm_head = m->embed;
        c.tie_word_embeddings = true;
    }
    int64_t qd = (int64_t)c.num_heads * c.head_dim, kvd = (int64_t)c.num_kv_heads * c.head_dim;
    m->layers.resize(c.num_layers);
    for (int i = 0; i < c.num_layers; i++) {
        std::string p = "blk." + std::to_string(i) + ".";
        LayerWeights& l = m->layers[i];
        l.attn_norm = vec(p + "attn_norm.weight", c.hidden_size, true);
        l.ffn_norm = vec(p + "ffn_norm.weight", c.hidden_size, true);
        l.wq = tensor(p + "attn_q.weight", true);
        l.wk = tensor(p + "attn_k.weight", true);
        l.wv = tensor(p + "attn_v.weight", true);
        l.wo = tensor(p + "attn_output.weight", true);
        l.bq = vec(p + "attn_q.bias", qd, c.qkv_bias);
        l.bk = vec(p + "attn_k.bias", kvd, c.qkv_bias);
        l.bv = vec(p + "attn_v.bias", kvd, c.qkv_bias);
        l.w_gate = tensor(p + "ffn_gate.weight", true);
        l.w_up = tensor(p + "ffn_up.weight", true);
        l.w_down = tensor(p + "ffn_down.weight", true);
    }
    return m;
}

}  // namespace jllm
