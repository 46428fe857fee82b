// vLLM's --load-format dummy: config.json alone, weights drawn from a seeded generator (uniform in ±0.02, norms
// 1). The numbers mean nothing; the shapes, bytes and speed are those of the real model.
#include <algorithm>
#include <cstring>
#include "model.h"
#include "util/error.h"
#include "util/half.h"

namespace jllm {

namespace {

struct SplitMix64 {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    float uniform() { return (float)((next() >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }  // [-1, 1)
};

// Float dummies (F32/F16/BF16 per `dtype`), uniform in ±0.02, filled in parallel: chunk c of 64K values draws from
// its own generator seeded from one draw of `rng`, so the values depend on the seed alone, never on the thread
// count; each 64-bit draw gives four 16-bit values.
void random_floats(uint8_t* out, int64_t n, int32_t dtype, SplitMix64& rng) {
    const uint64_t base = rng.next();
    const int64_t chunk = 1 << 16, chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        SplitMix64 r{base ^ ((uint64_t)c * 0xd1b54a32d192ed03ull)};
        const int64_t end = std::min(n, (c + 1) * chunk);
        for (int64_t i = c * chunk; i < end; i += 4) {
            uint64_t bits = r.next();
            for (int k = 0; k < 4 && i + k < end; k++) {
                float v = 0.02f * ((float)((bits >> (16 * k)) & 0xffff) * (1.0f / 32768.0f) - 1.0f);
                if (dtype == JLLM_DTYPE_F32) ((float*)out)[i + k] = v;
                else ((uint16_t*)out)[i + k] = dtype == JLLM_DTYPE_F16 ? f32_to_f16(v) : f32_to_bf16(v);
            }
        }
    }
}

WeightTensor random_matrix(Model& m, SplitMix64& rng, int32_t dtype, int64_t rows, int64_t cols) {
    WeightTensor w;
    w.dtype = dtype;
    w.rows = rows;
    w.cols = cols;
    uint8_t* out = (uint8_t*)m.own_bytes((size_t)w.bytes());
    const float scale = 0.02f;
    int64_t n = rows * cols;
    switch (dtype) {
        case JLLM_DTYPE_F32:
        case JLLM_DTYPE_F16:
        case JLLM_DTYPE_BF16: random_floats(out, n, dtype, rng); break;
        case JLLM_DTYPE_Q8_0:
            for (int64_t b = 0; b < n / 32; b++) {  // block: f16 scale d, 32 int8; value = d * q
                uint8_t* blk = out + b * 34;
                uint16_t d = f32_to_f16(scale / 127.0f);
                memcpy(blk, &d, 2);
                for (int k = 0; k < 32; k++) ((int8_t*)blk)[2 + k] = (int8_t)(rng.uniform() * 127.0f);
            }
            break;
        default: fail(JLLM_UNSUPPORTED, "dummy weights in dtype %d", dtype);
    }
    w.data = out;
    return w;
}

const float* ones(Model& m, int64_t n) {
    float* p = (float*)m.own_bytes((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) p[i] = 1.0f;
    return p;
}

}  // namespace

std::unique_ptr<Model> load_dummy(const std::string& dir, const jllm_model_params& params) {
    auto m = std::make_unique<Model>();
    std::string cfg_path = dir;
    if (cfg_path.size() < 5 || cfg_path.compare(cfg_path.size() - 5, 5, ".json") != 0) cfg_path += "/config.json";
    Json config = Json::parse(read_text_file(cfg_path));
    m->config = parse_hf_config(config);
    finish_config(m->config, &config["rope_scaling"], params);
    const ModelConfig& c = m->config;
    SplitMix64 rng{params.dummy_seed};
    // 1. dtype: explicit dummy_dtype, else the requested dtype, else config.json's torch_dtype (as vLLM does)
    int32_t dt = params.dummy_dtype != JLLM_DTYPE_AUTO ? params.dummy_dtype
                 : params.dtype != JLLM_DTYPE_AUTO   ? params.dtype
                                                     : hf_torch_dtype(config);
    // 2. size first: refuse before generating when the weights cannot fit in memory
    int64_t qd = (int64_t)c.num_heads * c.head_dim, kvd = (int64_t)c.num_kv_heads * c.head_dim;
    int64_t per_layer = dtype_row_bytes(dt, c.hidden_size) * (qd + 2 * kvd + 2 * (int64_t)c.intermediate_size) +
                        dtype_row_bytes(dt, qd) * c.hidden_size + dtype_row_bytes(dt, c.intermediate_size) * c.hidden_size;
    int64_t need = dtype_row_bytes(dt, c.hidden_size) * c.vocab_size * (c.tie_word_embeddings ? 1 : 2) +
                   per_layer * c.num_layers;
    require_memory(need, std::string("dummy ") + dtype_name(dt) + " weights");
    m->embed = random_matrix(*m, rng, dt, c.vocab_size, c.hidden_size);
    m->final_norm = ones(*m, c.hidden_size);
    m->lm_head = c.tie_word_embeddings ? m->embed : random_matrix(*m, rng, dt, c.vocab_size, c.hidden_size);
    m->layers.resize(c.num_layers);
    for (auto& l : m->layers) {
        l.attn_norm = ones(*m, c.hidden_size);
        l.ffn_norm = ones(*m, c.hidden_size);
        l.wq = random_matrix(*m, rng, dt, qd, c.hidden_size);
        l.wk = random_matrix(*m, rng, dt, kvd, c.hidden_size);
        l.wv = random_matrix(*m, rng, dt, kvd, c.hidden_size);
        l.wo = random_matrix(*m, rng, dt, c.hidden_size, qd);
        if (c.qkv_bias) {
            float* z = (float*)m->own_bytes((size_t)(qd + 2 * kvd) * 4);
            memset(z, 0, (size_t)(qd + 2 * kvd) * 4);
            l.bq = z; l.bk = z + qd; l.bv = z + qd + kvd;
        }
        l.w_gate = random_matrix(*m, rng, dt, c.intermediate_size, c.hidden_size);
        l.w_up = random_matrix(*m, rng, dt, c.intermediate_size, c.hidden_size);
        l.w_down = random_matrix(*m, rng, dt, c.hidden_size, c.intermediate_size);
    }
    return m;
}

}  // namespace jllm
