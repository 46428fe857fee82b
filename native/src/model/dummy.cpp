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

// Byte offsets of the f16 scale fields (d, then dmin or m where the format has one) in one block.
struct BlockScales { int32_t dtype; int d, second; };
const BlockScales kBlockScales[] = {
    {JLLM_DTYPE_Q4_0, 0, -1}, {JLLM_DTYPE_Q4_1, 0, 2},   {JLLM_DTYPE_Q5_0, 0, -1},  {JLLM_DTYPE_Q5_1, 0, 2},
    {JLLM_DTYPE_Q8_0, 0, -1}, {JLLM_DTYPE_Q2_K, 80, 82}, {JLLM_DTYPE_Q3_K, 108, -1}, {JLLM_DTYPE_Q4_K, 0, 2},
    {JLLM_DTYPE_Q5_K, 0, 2},  {JLLM_DTYPE_Q6_K, 208, -1},
};

// Block-quantized dummy weights: random quant bytes (every bit pattern is a valid block) with the f16 scales set
// so that values stay within a few hundredths, like the float dummies.
void random_blocks(uint8_t* out, int64_t bytes, int32_t dtype, SplitMix64& rng) {
    for (int64_t i = 0; i < bytes; i += 8) {
        uint64_t r = rng.next();
        memcpy(out + i, &r, (size_t)std::min<int64_t>(8, bytes - i));
    }
    const BlockScales* bs = nullptr;
    for (const BlockScales& b : kBlockScales)
        if (b.dtype == dtype) bs = &b;
    if (!bs) fail(JLLM_UNSUPPORTED, "dummy weights in dtype %s", dtype_name(dtype));
    const int64_t block_bytes = dtype_row_bytes(dtype, dtype_block_size(dtype));
    const float d = dtype_block_size(dtype) == 256 ? 2e-4f : 0.02f / 127.0f;
    for (int64_t b = 0; b + block_bytes <= bytes; b += block_bytes) {
        uint16_t h = f32_to_f16(d);
        memcpy(out + b + bs->d, &h, 2);
        if (bs->second >= 0) memcpy(out + b + bs->second, &h, 2);
    }
}

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
    switch (dtype) {
        case JLLM_DTYPE_F32:
        case JLLM_DTYPE_F16:
        case JLLM_DTYPE_BF16: random_floats(out, rows * cols, dtype, rng); break;
        default: random_blocks(out, w.bytes(), dtype, rng);
    }
    w.data = out;
    return w;
}

// The dtype of one dummy tensor. A K-quant whose rows are not a multiple of 256 falls back as llama.cpp does
// (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0). JLLM_DUMMY_Q4_K_M follows llama.cpp's Q4_K_M
// choice: Q6_K for the output (or the tied embedding) and for attn_v / ffn_down of layers where use_more_bits
// holds (the first and last eighth, and every third in between), Q4_K for the rest.
enum class Role { Embed, Output, AttnV, FfnDown, Other };

int32_t dummy_dtype(int32_t requested, Role role, int layer, int layers, int64_t cols) {
    int32_t dt = requested;
    if (requested == JLLM_DUMMY_Q4_K_M) {
        bool more_bits = layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        bool q6 = role == Role::Output || ((role == Role::AttnV || role == Role::FfnDown) && more_bits);
        dt = q6 ? JLLM_DTYPE_Q6_K : JLLM_DTYPE_Q4_K;
    }
    if (dtype_block_size(dt) == 256 && cols % 256 != 0)
        dt = dt == JLLM_DTYPE_Q4_K ? JLLM_DTYPE_Q5_0 : dt == JLLM_DTYPE_Q5_K ? JLLM_DTYPE_Q5_1
           : dt == JLLM_DTYPE_Q6_K ? JLLM_DTYPE_Q8_0 : JLLM_DTYPE_Q4_0;
    return dt;
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
    Json config = hf_text_config(Json::parse(read_text_file(cfg_path)));
    m->config = parse_hf_config(config);
    finish_config(m->config, &config["rope_scaling"], params);
    const ModelConfig& c = m->config;
    SplitMix64 rng{params.dummy_seed};
    // 1. dtype: explicit dummy_dtype, else the requested dtype, else config.json's torch_dtype (as vLLM does)
    const int32_t req = params.dummy_dtype != JLLM_DTYPE_AUTO ? params.dummy_dtype
                        : params.dtype != JLLM_DTYPE_AUTO   ? params.dtype
                                                            : hf_torch_dtype(config);
    const int nl = c.num_layers;
    auto dtype = [&](Role role, int layer, int64_t cols) { return dummy_dtype(req, role, layer, nl, cols); };
    int64_t qd = (int64_t)c.num_heads * c.head_dim, kvd = (int64_t)c.num_kv_heads * c.head_dim;
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    // 2. size first (the same dtypes as generated below): refuse before generating what cannot fit in memory
    auto bytes = [&](int32_t dt, int64_t rows, int64_t cols) { return dtype_row_bytes(dt, cols) * rows; };
    int64_t need = bytes(dtype(c.tie_word_embeddings ? Role::Output : Role::Embed, 0, H), c.vocab_size, H) +
                   (c.tie_word_embeddings ? 0 : bytes(dtype(Role::Output, 0, H), c.vocab_size, H));
    for (int li = 0; li < nl; li++) {
        int32_t dt = dtype(Role::Other, li, H);
        need += bytes(dt, qd + kvd + 2 * I, H) + bytes(dtype(Role::AttnV, li, H), kvd, H) +
                bytes(dtype(Role::Other, li, qd), H, qd) + bytes(dtype(Role::FfnDown, li, I), H, I);
        if (need > (1ll << 50)) break;  // already beyond any machine; spare the loop over a huge layer count
    }
    require_memory(need, std::string("dummy ") + (req == JLLM_DUMMY_Q4_K_M ? "Q4_K_M" : dtype_name(req)) + " weights");
    // 3. generate
    m->embed = random_matrix(*m, rng, dtype(c.tie_word_embeddings ? Role::Output : Role::Embed, 0, H), c.vocab_size, H);
    m->final_norm = ones(*m, c.hidden_size);
    m->lm_head = c.tie_word_embeddings ? m->embed : random_matrix(*m, rng, dtype(Role::Output, 0, H), c.vocab_size, H);
    m->layers.resize(c.num_layers);
    for (int li = 0; li < nl; li++) {
        LayerWeights& l = m->layers[li];
        int32_t dt = dtype(Role::Other, li, H);
        l.attn_norm = ones(*m, c.hidden_size);
        l.ffn_norm = ones(*m, c.hidden_size);
        if (c.post_norms) {
            l.post_attn_norm = ones(*m, c.hidden_size);
            l.post_ffn_norm = ones(*m, c.hidden_size);
        }
        if (c.qk_norm) {
            l.q_norm = ones(*m, c.head_dim);
            l.k_norm = ones(*m, c.head_dim);
        }
        l.wq = random_matrix(*m, rng, dt, qd, c.hidden_size);
        l.wk = random_matrix(*m, rng, dt, kvd, c.hidden_size);
        l.wv = random_matrix(*m, rng, dtype(Role::AttnV, li, H), kvd, c.hidden_size);
        l.wo = random_matrix(*m, rng, dtype(Role::Other, li, qd), c.hidden_size, qd);
        if (c.qkv_bias) {
            float* z = (float*)m->own_bytes((size_t)(qd + 2 * kvd) * 4);
            memset(z, 0, (size_t)(qd + 2 * kvd) * 4);
            l.bq = z; l.bk = z + qd; l.bv = z + qd + kvd;
        }
        l.w_gate = random_matrix(*m, rng, dt, c.intermediate_size, c.hidden_size);
        l.w_up = random_matrix(*m, rng, dt, c.intermediate_size, c.hidden_size);
        l.w_down = random_matrix(*m, rng, dtype(Role::FfnDown, li, I), c.hidden_size, c.intermediate_size);
    }
    return m;
}

}  // namespace jllm
