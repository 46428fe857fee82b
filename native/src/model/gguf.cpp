// GGUF v2/v3 files (llama.cpp's format). Layout: "GGUF", u32 version, u64 tensor_count, u64 kv_count; kv_count
// metadata entries (string key, u32 type, value); tensor_count infos (string name, u32 n_dims, u64 ne[n_dims],
// u32 ggml_type, u64 offset); padding to general.alignment (default 32); tensor data. Strings are u64 length +
// bytes. ne[0] is the contiguous dimension, so a matrix [rows, cols] has ne = {cols, rows}.
//
// Conventions of llama.cpp's converter that differ from the HF checkpoints (architectures.cpp names the rest):
// q/k rows of "llama" models permuted for interleaved rope; Gemma norm weights stored as 1 + w; Phi-3's fused
// attn_qkv and ffn_up (= [gate; up]).
#include <algorithm>
#include <cstdlib>
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
    uint64_t offset;  // from the data start of its part
    size_t part = 0;  // index into the split files (0 for a single file)
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

std::string num_text(double v) {  // a JSON number that keeps every bit of a float
    char b[40];
    snprintf(b, sizeof b, "%.9g", v);
    return b;
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

// ggml_type names, indexed by value (llama.cpp's ggml.h); "" marks values ggml has retired.
const char* const kGgmlTypeNames[] = {
    "F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
    "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64",
    "F64", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0", "", "", "", "MXFP4"};

// The weight dtype of a tensor: jllm's JLLM_DTYPE_* values are ggml_type values, so a known type maps to itself;
// every other type is refused by name.
int32_t jllm_dtype_of(uint32_t ggml_type, const std::string& name) {
    switch (ggml_type) {
        case JLLM_DTYPE_F32: case JLLM_DTYPE_F16: case JLLM_DTYPE_BF16:
        case JLLM_DTYPE_Q4_0: case JLLM_DTYPE_Q4_1: case JLLM_DTYPE_Q5_0: case JLLM_DTYPE_Q5_1: case JLLM_DTYPE_Q8_0:
        case JLLM_DTYPE_Q2_K: case JLLM_DTYPE_Q3_K: case JLLM_DTYPE_Q4_K: case JLLM_DTYPE_Q5_K: case JLLM_DTYPE_Q6_K:
            return (int32_t)ggml_type;
        default: {
            const size_t n = sizeof(kGgmlTypeNames) / sizeof(kGgmlTypeNames[0]);
            const char* type = ggml_type < n && kGgmlTypeNames[ggml_type][0] ? kGgmlTypeNames[ggml_type] : "unknown";
            fail(JLLM_UNSUPPORTED,
                 "tensor %s has ggml type %s (%u), which jllm does not support; supported: F32, F16, BF16, Q4_0, "
                 "Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K",
                 name.c_str(), type, ggml_type);
        }
    }
}

// One file of a (possibly split) GGUF model: its metadata, tensor infos and where its tensor data starts.
struct Part {
    std::map<std::string, Value> kv;
    std::map<std::string, TensorInfo> infos;
    uint64_t data_start = 0;
};

Part read_part(const MappedFile& f, const std::string& path, size_t index) {
    Part part;
    Reader r(f.data(), f.size(), path);
    if (f.size() < 4 || memcmp(f.data(), "GGUF", 4) != 0) fail(JLLM_IO_ERROR, "%s is not a GGUF file", path.c_str());
    r.skip(4);
    uint32_t version = r.get<uint32_t>();
    if (version < 2 || version > 3) fail(JLLM_UNSUPPORTED, "%s: GGUF version %u (supported: 2, 3)", path.c_str(), version);
    uint64_t n_tensors = r.get<uint64_t>(), n_kv = r.get<uint64_t>();
    for (uint64_t i = 0; i < n_kv; i++) {
        std::string key = r.str();
        uint32_t t = r.get<uint32_t>();
        part.kv[key] = read_value(r, t);
    }
    for (uint64_t i = 0; i < n_tensors; i++) {
        std::string name = r.str();
        TensorInfo ti;
        uint32_t nd = r.get<uint32_t>();
        if (nd > 4) fail(JLLM_IO_ERROR, "%s: tensor %s has %u dims", path.c_str(), name.c_str(), nd);
        for (uint32_t d = 0; d < nd; d++) ti.ne.push_back((int64_t)r.get<uint64_t>());
        ti.type = r.get<uint32_t>();
        ti.offset = r.get<uint64_t>();
        ti.part = index;
        part.infos[name] = ti;
    }
    uint64_t align = part.kv.count("general.alignment") ? (uint64_t)part.kv["general.alignment"].num : 32;
    if (align == 0) align = 32;
    part.data_start = (r.pos() + align - 1) / align * align;
    return part;
}

// llama.cpp's gguf-split names: PREFIX-00001-of-00003.gguf ... PREFIX-00003-of-00003.gguf. Any part's name gives
// every part's path, in order; another name is a single file.
std::vector<std::string> split_paths(const std::string& path) {
    const size_t n = path.size(), tail = strlen("-00001-of-00003.gguf");
    auto digits = [&](size_t at) {
        for (size_t i = at; i < at + 5; i++)
            if (path[i] < '0' || path[i] > '9') return -1;
        return atoi(path.substr(at, 5).c_str());
    };
    if (n < tail || path.compare(n - 5, 5, ".gguf") != 0 || path[n - tail] != '-' || path.compare(n - 14, 4, "-of-") != 0)
        return {path};
    int no = digits(n - tail + 1), count = digits(n - 10);
    if (no < 1 || count < 1 || no > count) return {path};
    std::vector<std::string> out;
    char suffix[32];
    for (int i = 1; i <= count; i++) {
        snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", i, count);
        out.push_back(path.substr(0, n - tail) + suffix);
    }
    return out;
}

}  // namespace

std::unique_ptr<Model> load_gguf(const std::string& path, const jllm_model_params& params) {
    auto m = std::make_unique<Model>();
    // 0. every part of a split model: metadata from the first, tensors from all
    std::vector<std::string> paths = split_paths(path);
    std::vector<Part> parts;
    for (size_t i = 0; i < paths.size(); i++) {
        m->files.push_back(std::make_unique<MappedFile>(paths[i]));
        parts.push_back(read_part(*m->files.back(), paths[i], i));
    }
    std::map<std::string, Value>& kv = parts[0].kv;
    const double split_count = kv.count("split.count") ? kv["split.count"].num : 1;
    if (split_count != (double)paths.size())
        fail(JLLM_INVALID_ARGUMENT, "%s: split.count is %g but %zu file(s) were found by the name (a split model is "
             "loaded by the name of one part: PREFIX-00001-of-0000N.gguf)", path.c_str(), split_count, paths.size());
    std::map<std::string, TensorInfo> infos;
    for (size_t i = 0; i < parts.size(); i++)
        for (auto& [name, ti] : parts[i].infos)
            if (!infos.emplace(name, ti).second)
                fail(JLLM_INVALID_ARGUMENT, "%s: tensor %s appears in two parts", paths[i].c_str(), name.c_str());

    // 1. the architecture description from the metadata
    struct Keys : GgufKeys {
        const std::map<std::string, Value>& kv;
        explicit Keys(const std::map<std::string, Value>& k) : kv(k) {}
        bool has(const std::string& key) const override { return kv.count(key) > 0; }
        double num(const std::string& key, double fallback) const override {
            auto it = kv.find(key);
            return it == kv.end() || it->second.type == STRING || it->second.type == ARRAY ? fallback : it->second.num;
        }
    } keys(kv);
    auto num = [&](const std::string& key, double fallback) { return keys.num(key, fallback); };
    std::string arch = kv.count("general.architecture") ? kv["general.architecture"].str : "";
    m->config = parse_gguf_config(arch, keys);
    ModelConfig& c = m->config;
    auto emb = infos.find("token_embd.weight");
    if (emb == infos.end()) fail(JLLM_INVALID_ARGUMENT, "%s: missing tensor token_embd.weight", path.c_str());
    c.vocab_size = emb->second.ne.size() == 2 ? (int32_t)emb->second.ne[1] : 0;

    // 2. tensors
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
        const MappedFile& f = *m->files[ti.part];
        uint64_t begin = parts[ti.part].data_start + ti.offset;
        if (ti.offset > f.size() || begin > f.size() || (uint64_t)w.bytes() > f.size() - begin)
            fail(JLLM_IO_ERROR, "%s: tensor %s lies outside the file", paths[ti.part].c_str(), name.c_str());
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

    // 3. rope scaling from GGUF keys and tensors, in config.json's shape; then the derived config
    Json scaling;
    std::string scaling_type = kv.count(arch + ".rope.scaling.type") ? kv[arch + ".rope.scaling.type"].str : "";
    if (infos.count("rope_factors_long.weight") && infos.count("rope_factors_short.weight")) {
        // Phi-3 longrope: per-frequency divisors for long and short contexts (rope_scaling's long/short_factor)
        auto factors = [&](const char* name) {
            const float* f = vec(name, c.head_dim / 2, true);
            std::string a = "[";
            for (int i = 0; i < c.head_dim / 2; i++) a += (i ? "," : "") + num_text(f[i]);
            return a + "]";
        };
        std::string js = "{\"type\":\"longrope\",\"long_factor\":" + factors("rope_factors_long.weight") +
                         ",\"short_factor\":" + factors("rope_factors_short.weight");
        c.rope_original_max = (int32_t)num(arch + ".rope.scaling.original_context_length", 4096);
        if (keys.has(arch + ".rope.scaling.attn_factor"))
            js += ",\"attention_factor\":" + num_text(num(arch + ".rope.scaling.attn_factor", 1.0));
        scaling = Json::parse(js + "}");
    } else if (infos.count("rope_factors_long.weight") || infos.count("rope_factors_short.weight")) {
        fail(JLLM_INVALID_ARGUMENT, "%s: rope_factors_long and rope_factors_short must come together", path.c_str());
    } else if (!scaling_type.empty() && scaling_type != "none") {
        std::string js = "{\"type\":\"" + scaling_type + "\",\"factor\":" +
                         num_text(num(arch + ".rope.scaling.factor", 1.0)) + "}";
        scaling = Json::parse(js);
    }
    finish_config(c, &scaling, params);
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
    const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
    const int64_t qd = (int64_t)c.num_heads * hd, kvd = (int64_t)c.num_kv_heads * hd;
    m->layers.resize(c.num_layers);
    for (int i = 0; i < c.num_layers; i++) {
        std::string p = "blk." + std::to_string(i) + ".";
        LayerWeights& l = m->layers[i];
        // 4. norms (Gemma's already 1 + w): attn_norm, ffn_norm (the MLP's pre-norm), Gemma's post norms
        l.attn_norm = vec(p + "attn_norm.weight", H, true);
        l.ffn_norm = vec(p + "ffn_norm.weight", H, true);
        l.post_attn_norm = vec(p + "post_attention_norm.weight", H, c.post_norms);
        l.post_ffn_norm = vec(p + "post_ffw_norm.weight", H, c.post_norms);
        l.q_norm = vec(p + "attn_q_norm.weight", hd, c.qk_norm);
        l.k_norm = vec(p + "attn_k_norm.weight", hd, c.qk_norm);
        // 5. attention projections, fused (Phi-3) or not
        if (infos.count(p + "attn_qkv.weight")) {
            auto qkv = split_rows(tensor(p + "attn_qkv.weight", true), {qd, kvd, kvd}, (p + "attn_qkv").c_str());
            l.wq = qkv[0], l.wk = qkv[1], l.wv = qkv[2];
        } else {
            l.wq = tensor(p + "attn_q.weight", true);
            l.wk = tensor(p + "attn_k.weight", true);
            l.wv = tensor(p + "attn_v.weight", true);
        }
        l.wo = tensor(p + "attn_output.weight", true);
        l.bq = vec(p + "attn_q.bias", qd, c.qkv_bias);
        l.bk = vec(p + "attn_k.bias", kvd, c.qkv_bias);
        l.bv = vec(p + "attn_v.bias", kvd, c.qkv_bias);
        // 6. MLP projections; Phi-3 without ffn_gate: ffn_up holds [gate; up]
        if (c.architecture != "phi3" || infos.count(p + "ffn_gate.weight")) {
            l.w_gate = tensor(p + "ffn_gate.weight", true);
            l.w_up = tensor(p + "ffn_up.weight", true);
        } else {
            auto gate_up = split_rows(tensor(p + "ffn_up.weight", true), {I, I}, (p + "ffn_up (gate and up)").c_str());
            l.w_gate = gate_up[0], l.w_up = gate_up[1];
        }
        l.w_down = tensor(p + "ffn_down.weight", true);
    }
    return m;
}

}  // namespace jllm
