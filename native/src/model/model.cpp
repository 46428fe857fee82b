#include "model.h"
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include "util/error.h"
#include "util/half.h"
#include "util/memory.h"

namespace jllm {

int64_t dtype_row_bytes(int32_t dtype, int64_t cols) {
    switch (dtype) {
        case JLLM_DTYPE_F32: return cols * 4;
        case JLLM_DTYPE_F16:
        case JLLM_DTYPE_BF16: return cols * 2;
        case JLLM_DTYPE_Q8_0:
            if (cols % 32 != 0) fail(JLLM_UNSUPPORTED, "Q8_0 row length %lld is not a multiple of 32", (long long)cols);
            return cols / 32 * 34;
        default: fail(JLLM_UNSUPPORTED, "unsupported weight dtype %d", dtype);
    }
}

int64_t WeightTensor::row_bytes() const { return dtype_row_bytes(dtype, cols); }

const char* dtype_name(int32_t dtype) {
    switch (dtype) {
        case JLLM_DTYPE_F32: return "F32";
        case JLLM_DTYPE_F16: return "F16";
        case JLLM_DTYPE_BF16: return "BF16";
        case JLLM_DTYPE_Q8_0: return "Q8_0";
        default: return "?";
    }
}

void* Model::own_bytes(size_t n) {
    owned.emplace_back(n);
    return owned.back().data();
}

const float* Model::own_f32(int32_t dtype, const void* data, int64_t count) {
    float* out = (float*)own_bytes((size_t)count * 4);
    const uint16_t* h = (const uint16_t*)data;
    switch (dtype) {
        case JLLM_DTYPE_F32: memcpy(out, data, (size_t)count * 4); break;
        case JLLM_DTYPE_F16: for (int64_t i = 0; i < count; i++) out[i] = f16_to_f32(h[i]); break;
        case JLLM_DTYPE_BF16: for (int64_t i = 0; i < count; i++) out[i] = bf16_to_f32(h[i]); break;
        default: fail(JLLM_UNSUPPORTED, "norm/bias weights in dtype %s are not supported", dtype_name(dtype));
    }
    return out;
}

int64_t Model::num_params() const {
    const ModelConfig& c = config;
    int64_t qd = (int64_t)c.num_heads * c.head_dim, kvd = (int64_t)c.num_kv_heads * c.head_dim;
    int64_t per_layer = 2 * c.hidden_size + c.hidden_size * (qd + 2 * kvd) + qd * c.hidden_size +
                        3 * (int64_t)c.hidden_size * c.intermediate_size + (c.qkv_bias ? qd + 2 * kvd : 0);
    int64_t n = (int64_t)c.vocab_size * c.hidden_size + per_layer * c.num_layers + c.hidden_size;
    if (!c.tie_word_embeddings) n += (int64_t)c.vocab_size * c.hidden_size;
    return n;
}

int64_t Model::weight_bytes() const {
    int64_t n = embed.bytes();
    for (auto& l : layers)
        n += l.wq.bytes() + l.wk.bytes() + l.wv.bytes() + l.wo.bytes() + l.w_gate.bytes() + l.w_up.bytes() +
             l.w_down.bytes();
    if (lm_head.data != embed.data) n += lm_head.bytes();
    return n;
}

int64_t Model::mapped_weight_bytes() const {
    auto mapped = [&](const WeightTensor& w) {
        for (auto& f : files)
            if ((const uint8_t*)w.data >= f->data() && (const uint8_t*)w.data < f->data() + f->size()) return w.bytes();
        return (int64_t)0;
    };
    int64_t n = mapped(embed) + (lm_head.data != embed.data ? mapped(lm_head) : 0);
    for (auto& l : layers)
        for (const WeightTensor* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) n += mapped(*w);
    return n;
}

void require_memory(int64_t need, const std::string& what) {
    int64_t avail = available_memory_bytes();
    if (avail >= 0 && need > avail)
        fail(JLLM_HOST_OOM, "%s need %s but only %s of memory is available", what.c_str(), mib(need).c_str(),
             mib(avail).c_str());
}

int32_t hf_torch_dtype(const Json& config) {
    std::string t = config.str_or("torch_dtype", config.str_or("dtype", "float32"));
    if (t == "bfloat16") return JLLM_DTYPE_BF16;
    if (t == "float16" || t == "half") return JLLM_DTYPE_F16;
    if (t == "float32" || t == "float") return JLLM_DTYPE_F32;
    fail(JLLM_UNSUPPORTED, "config.json torch_dtype '%s' is not supported (bfloat16, float16, float32)", t.c_str());
}

static bool is_float_dtype(int32_t d) { return d == JLLM_DTYPE_F32 || d == JLLM_DTYPE_F16 || d == JLLM_DTYPE_BF16; }

void convert_weights(Model& m, int32_t dtype) {
    if (dtype == JLLM_DTYPE_AUTO) return;
    if (!is_float_dtype(dtype)) fail(JLLM_INVALID_ARGUMENT, "weight dtype %d must be F32, F16 or BF16", dtype);
    const bool tied = m.lm_head.data == m.embed.data;
    std::vector<WeightTensor*> todo = {&m.embed};
    if (!tied) todo.push_back(&m.lm_head);
    for (auto& l : m.layers)
        for (WeightTensor* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) todo.push_back(w);
    // 1. size first: refuse before allocating when the converted copies cannot fit
    int64_t need = 0;
    for (WeightTensor* w : todo)
        if (is_float_dtype(w->dtype) && w->dtype != dtype) need += dtype_row_bytes(dtype, w->cols) * w->rows;
    if (need == 0) return;
    require_memory(need, std::string("weights converted to ") + dtype_name(dtype));
    // 2. convert row by row through f32
    std::vector<float> row;
    for (WeightTensor* w : todo) {
        if (!is_float_dtype(w->dtype) || w->dtype == dtype) continue;
        WeightTensor out = *w;
        out.dtype = dtype;
        uint8_t* dst = (uint8_t*)m.own_bytes((size_t)out.bytes());
        row.resize(w->cols);
        for (int64_t r = 0; r < w->rows; r++) {
            const uint8_t* src = (const uint8_t*)w->data + r * w->row_bytes();
            for (int64_t c = 0; c < w->cols; c++) {
                uint16_t h;
                if (w->dtype == JLLM_DTYPE_F32) memcpy(&row[c], src + 4 * c, 4);
                else { memcpy(&h, src + 2 * c, 2); row[c] = w->dtype == JLLM_DTYPE_F16 ? f16_to_f32(h) : bf16_to_f32(h); }
            }
            uint8_t* d = dst + r * out.row_bytes();
            for (int64_t c = 0; c < w->cols; c++) {
                if (dtype == JLLM_DTYPE_F32) { memcpy(d + 4 * c, &row[c], 4); continue; }
                uint16_t h = dtype == JLLM_DTYPE_F16 ? f32_to_f16(row[c]) : f32_to_bf16(row[c]);
                memcpy(d + 2 * c, &h, 2);
            }
        }
        out.data = dst;
        *w = out;
    }
    if (tied) m.lm_head = m.embed;
}

void check_layer_count(const ModelConfig& c, int64_t tensor_layers, const char* config_key, const std::string& where) {
    if (tensor_layers != c.num_layers)
        fail(JLLM_INVALID_ARGUMENT, "%s: the config says %s = %d but the weights hold %lld layers", where.c_str(),
             config_key, c.num_layers, (long long)tensor_layers);
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(JLLM_IO_ERROR, "cannot read %s", path.c_str());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static int32_t req_int(const Json& j, const char* key) {
    if (!j[key].is_number()) fail(JLLM_INVALID_ARGUMENT, "config.json lacks \"%s\"", key);
    return (int32_t)j[key].number();
}

static int32_t first_id(const Json& v) {  // an int, or the first of a list
    if (v.is_number()) return (int32_t)v.number();
    if (v.is_array() && !v.array().empty() && v.array()[0].is_number()) return (int32_t)v.array()[0].number();
    return -1;
}

ModelConfig parse_hf_config(const Json& j) {
    ModelConfig c;
    std::string arch;
    if (j["architectures"].is_array() && !j["architectures"].array().empty())
        arch = j["architectures"].array()[0].str();
    std::string type = j.str_or("model_type", "");
    bool llama = arch == "LlamaForCausalLM" || arch == "MistralForCausalLM" ||
                 (arch.empty() && (type == "llama" || type == "mistral"));
    bool qwen2 = arch == "Qwen2ForCausalLM" || (arch.empty() && type == "qwen2");
    if (!llama && !qwen2)
        fail(JLLM_UNSUPPORTED,
             "unsupported architecture '%s' (model_type '%s'); supported: LlamaForCausalLM, MistralForCausalLM, "
             "Qwen2ForCausalLM",
             arch.c_str(), type.c_str());
    c.architecture = arch.empty() ? type : arch;
    c.vocab_size = req_int(j, "vocab_size");
    c.hidden_size = req_int(j, "hidden_size");
    c.intermediate_size = req_int(j, "intermediate_size");
    c.num_layers = req_int(j, "num_hidden_layers");
    c.num_heads = req_int(j, "num_attention_heads");
    c.num_kv_heads = j.has("num_key_value_heads") ? req_int(j, "num_key_value_heads") : c.num_heads;
    c.head_dim = j.has("head_dim") ? req_int(j, "head_dim") : (c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
    double context = j.num_or("max_position_embeddings", 2048);  // clamped so a huge value is sized, not wrapped
    c.max_model_len = context > INT32_MAX ? INT32_MAX : context < INT32_MIN ? INT32_MIN : (int32_t)context;
    if (j["sliding_window"].is_number() && !j.bool_or("use_sliding_window", type != "qwen2")) {
        // Qwen2 configs carry sliding_window but disable it; nothing to do.
    } else if (j["sliding_window"].is_number() && j["sliding_window"].number() < c.max_model_len) {
        // No sliding-window attention yet: keep every sequence inside the window, where full attention is exact.
        c.max_model_len = (int32_t)j["sliding_window"].number();
    }
    c.rms_norm_eps = (float)j.num_or("rms_norm_eps", 1e-6);
    c.rope_theta = (float)j.num_or("rope_theta", 10000.0);
    c.rope_style = RopeStyle::NeoX;  // HF checkpoints store q/k rows for rotate_half
    c.qkv_bias = qwen2 || j.bool_or("attention_bias", false);
    c.tie_word_embeddings = j.bool_or("tie_word_embeddings", false);
    c.bos_token_id = first_id(j["bos_token_id"]);
    c.eos_token_id = first_id(j["eos_token_id"]);
    std::string act = j.str_or("hidden_act", "silu");
    if (act != "silu") fail(JLLM_UNSUPPORTED, "unsupported hidden_act '%s' (only silu)", act.c_str());
    return c;
}

void finish_config(ModelConfig& c, const Json* rope_scaling, const jllm_model_params& params) {
    if (c.vocab_size <= 0 || c.hidden_size <= 0 || c.intermediate_size <= 0 || c.num_layers <= 0 ||
        c.num_heads <= 0 || c.num_kv_heads <= 0 || c.head_dim <= 0)
        fail(JLLM_INVALID_ARGUMENT, "model has a non-positive dimension (vocab %d hidden %d inter %d layers %d heads %d/%d head_dim %d)",
             c.vocab_size, c.hidden_size, c.intermediate_size, c.num_layers, c.num_heads, c.num_kv_heads, c.head_dim);
    if (c.num_heads % c.num_kv_heads != 0)
        fail(JLLM_UNSUPPORTED, "num_heads %d is not a multiple of num_kv_heads %d", c.num_heads, c.num_kv_heads);
    if (c.max_model_len <= 0)
        fail(JLLM_INVALID_ARGUMENT, "the model's context length (max_position_embeddings / context_length) is %d; "
             "it must be positive", c.max_model_len);
    if (c.head_dim % 2 != 0 || c.head_dim > 256)
        fail(JLLM_UNSUPPORTED, "head_dim %d unsupported (even, at most 256)", c.head_dim);
    if (params.max_model_len > 0 && params.max_model_len < c.max_model_len) c.max_model_len = params.max_model_len;
    if (params.max_model_len > c.max_model_len)
        fail(JLLM_INVALID_ARGUMENT, "max_model_len %d exceeds the model's context length %d", params.max_model_len,
             c.max_model_len);

    int half = c.head_dim / 2;
    c.rope_inv_freq.resize(half);
    for (int i = 0; i < half; i++) c.rope_inv_freq[i] = (float)(1.0 / std::pow((double)c.rope_theta, 2.0 * i / c.head_dim));
    if (rope_scaling && rope_scaling->is_object()) {
        std::string type = rope_scaling->str_or("rope_type", rope_scaling->str_or("type", ""));
        double factor = rope_scaling->num_or("factor", 1.0);
        if (type == "llama3") {
            double low = rope_scaling->num_or("low_freq_factor", 1.0), high = rope_scaling->num_or("high_freq_factor", 4.0);
            double orig = rope_scaling->num_or("original_max_position_embeddings", 8192);
            double low_wl = orig / low, high_wl = orig / high;
            for (int i = 0; i < half; i++) {
                double f = c.rope_inv_freq[i], wl = 2 * M_PI / f;
                if (wl < high_wl) continue;
                if (wl > low_wl) { c.rope_inv_freq[i] = (float)(f / factor); continue; }
                double smooth = (orig / wl - low) / (high - low);
                c.rope_inv_freq[i] = (float)((1 - smooth) * f / factor + smooth * f);
            }
        } else if (type == "linear") {
            for (int i = 0; i < half; i++) c.rope_inv_freq[i] = (float)(c.rope_inv_freq[i] / factor);
        } else if (!type.empty() && type != "default") {
            fail(JLLM_UNSUPPORTED, "unsupported rope_scaling type '%s' (supported: llama3, linear)", type.c_str());
        }
    }
}

static void check_shape(const WeightTensor& w, int64_t rows, int64_t cols, const char* what, int layer) {
    if (!w.data) fail(JLLM_INVALID_ARGUMENT, "missing weight %s (layer %d)", what, layer);
    if (w.rows != rows || w.cols != cols)
        fail(JLLM_INVALID_ARGUMENT, "weight %s (layer %d) has shape [%lld, %lld], expected [%lld, %lld]", what, layer,
             (long long)w.rows, (long long)w.cols, (long long)rows, (long long)cols);
}

void validate_shapes(const Model& m) {
    const ModelConfig& c = m.config;
    int64_t qd = (int64_t)c.num_heads * c.head_dim, kvd = (int64_t)c.num_kv_heads * c.head_dim;
    check_shape(m.embed, c.vocab_size, c.hidden_size, "token embedding", -1);
    check_shape(m.lm_head, c.vocab_size, c.hidden_size, "lm_head", -1);
    if (!m.final_norm) fail(JLLM_INVALID_ARGUMENT, "missing final norm weight");
    if ((int)m.layers.size() != c.num_layers) fail(JLLM_INTERNAL, "layer count mismatch");
    for (int i = 0; i < c.num_layers; i++) {
        const LayerWeights& l = m.layers[i];
        if (!l.attn_norm || !l.ffn_norm) fail(JLLM_INVALID_ARGUMENT, "missing norm weights in layer %d", i);
        check_shape(l.wq, qd, c.hidden_size, "q_proj", i);
        check_shape(l.wk, kvd, c.hidden_size, "k_proj", i);
        check_shape(l.wv, kvd, c.hidden_size, "v_proj", i);
        check_shape(l.wo, c.hidden_size, qd, "o_proj", i);
        check_shape(l.w_gate, c.intermediate_size, c.hidden_size, "gate_proj", i);
        check_shape(l.w_up, c.intermediate_size, c.hidden_size, "up_proj", i);
        check_shape(l.w_down, c.hidden_size, c.intermediate_size, "down_proj", i);
        if (c.qkv_bias && (!l.bq || !l.bk || !l.bv)) fail(JLLM_INVALID_ARGUMENT, "missing q/k/v bias in layer %d", i);
    }
}

static bool is_dir(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::unique_ptr<Model> load_model(const std::string& path, const jllm_model_params& params) {
    int fmt = params.load_format;
    if (fmt == JLLM_LOAD_AUTO) {
        struct stat st;
        if (stat(path.c_str(), &st) != 0) fail(JLLM_IO_ERROR, "model path %s does not exist", path.c_str());
        fmt = is_dir(path) ? JLLM_LOAD_SAFETENSORS : JLLM_LOAD_GGUF;
    }
    std::unique_ptr<Model> m;
    switch (fmt) {
        case JLLM_LOAD_SAFETENSORS: m = load_safetensors_dir(path, params); break;
        case JLLM_LOAD_GGUF: m = load_gguf(path, params); break;
        case JLLM_LOAD_DUMMY: m = load_dummy(path, params); break;
        default: fail(JLLM_INVALID_ARGUMENT, "unknown load_format %d", fmt);
    }
    validate_shapes(*m);
    convert_weights(*m, params.dtype);
    return m;
}

}  // namespace jllm
