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

// Elements per block and bytes per block of each weight dtype (GGUF block layouts; plain types are one element).
struct DtypeInfo { int32_t dtype; const char* name; int32_t block, bytes; };
static const DtypeInfo kDtypes[] = {
    {JLLM_DTYPE_F32, "F32", 1, 4},       {JLLM_DTYPE_F16, "F16", 1, 2},       {JLLM_DTYPE_BF16, "BF16", 1, 2},
    {JLLM_DTYPE_Q4_0, "Q4_0", 32, 18},   {JLLM_DTYPE_Q4_1, "Q4_1", 32, 20},   {JLLM_DTYPE_Q5_0, "Q5_0", 32, 22},
    {JLLM_DTYPE_Q5_1, "Q5_1", 32, 24},   {JLLM_DTYPE_Q8_0, "Q8_0", 32, 34},   {JLLM_DTYPE_Q2_K, "Q2_K", 256, 84},
    {JLLM_DTYPE_Q3_K, "Q3_K", 256, 110}, {JLLM_DTYPE_Q4_K, "Q4_K", 256, 144}, {JLLM_DTYPE_Q5_K, "Q5_K", 256, 176},
    {JLLM_DTYPE_Q6_K, "Q6_K", 256, 210},
};

static const DtypeInfo* dtype_info(int32_t dtype) {
    for (const DtypeInfo& d : kDtypes)
        if (d.dtype == dtype) return &d;
    return nullptr;
}

int32_t dtype_block_size(int32_t dtype) {
    const DtypeInfo* d = dtype_info(dtype);
    return d ? d->block : 0;
}

int64_t dtype_row_bytes(int32_t dtype, int64_t cols) {
    const DtypeInfo* d = dtype_info(dtype);
    if (!d) fail(JLLM_UNSUPPORTED, "unsupported weight dtype %d", dtype);
    if (cols % d->block != 0)
        fail(JLLM_UNSUPPORTED, "%s row length %lld is not a multiple of its block of %d", d->name, (long long)cols,
             d->block);
    return cols / d->block * d->bytes;
}

int64_t WeightTensor::row_bytes() const { return dtype_row_bytes(dtype, cols); }

const char* dtype_name(int32_t dtype) {
    const DtypeInfo* d = dtype_info(dtype);
    return d ? d->name : "?";
}

void* Model::own_bytes(size_t n) {
    owned.emplace_back(n);
    return owned.back().data();
}

float* Model::own_f32(int32_t dtype, const void* data, int64_t count) {
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
    int64_t per_layer = (c.post_norms ? 4 : 2) * c.hidden_size + (c.qk_norm ? 2 * c.head_dim : 0) + c.hidden_size * (qd + 2 * kvd) + qd * c.hidden_size +
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
        if (c.qk_norm && (!l.q_norm || !l.k_norm)) fail(JLLM_INVALID_ARGUMENT, "missing q/k norm weights in layer %d", i);
        if (c.post_norms && (!l.post_attn_norm || !l.post_ffn_norm))
            fail(JLLM_INVALID_ARGUMENT, "missing post-attention/post-feedforward norm weights in layer %d", i);
    }
    if ((int)c.layers.size() != c.num_layers) fail(JLLM_INTERNAL, "per-layer attention not derived");
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
