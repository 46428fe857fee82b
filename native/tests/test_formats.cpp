// Model-file variants built on the fly from the shared test model: a Q8_0 GGUF (llama.cpp's quantisation of every
// matrix whose rows are a multiple of 32), a sharded safetensors directory with its index, and dummy configs for
// the other architectures (Qwen2 biases, llama3 rope scaling, Mistral) — each must load and compute.
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "jllm.h"
#include "util/half.h"
#include "util/json.h"

static const std::string kShared = JLLM_SHARED_DIR;

static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static std::string temp_dir() {
    char dir[] = "/tmp/jllm-fmt-XXXXXX";
    return mkdtemp(dir) ? dir : "";
}

// Logits of the last prompt token for a model path.
static std::vector<float> logits(const std::string& path, int32_t format = JLLM_LOAD_AUTO,
                                 int32_t dummy_dtype = JLLM_DTYPE_F32) {
    jllm_model_params mp = jllm_model_default_params();
    mp.load_format = format;
    mp.dummy_dtype = dummy_dtype;
    jllm_model* m = nullptr;
    if (jllm_model_load(path.c_str(), &mp, &m) != JLLM_OK) {
        printf("  load %s: %s\n", path.c_str(), jllm_last_error());
        return {};
    }
    jllm_model_info info;
    jllm_model_get_info(m, &info);
    jllm_engine_params ep = jllm_engine_default_params();
    ep.num_blocks = 8;
    ep.max_num_batched_tokens = 64;
    jllm_engine* e = nullptr;
    if (jllm_engine_create(m, &ep, &e) != JLLM_OK) { printf("  engine: %s\n", jllm_last_error()); jllm_model_free(m); return {}; }
    jllm_engine_info ei;
    jllm_engine_get_info(e, &ei);
    int32_t tok[5] = {1, 43, 47, 61, 78}, pos[5] = {0, 1, 2, 3, 4}, qs[2] = {0, 5}, ctx = 5;
    int64_t slots[5] = {0, 1, 2, 3, 4};
    std::vector<int32_t> table(ei.max_blocks_per_seq, 0);
    jllm_batch b{5, tok, pos, slots, 1, qs, &ctx, table.data(), ei.max_blocks_per_seq, 0, nullptr};
    std::vector<float> out(info.vocab_size);
    jllm_step_output o{nullptr, nullptr, nullptr, nullptr, 0, out.data()};
    jllm_status st = jllm_engine_step(e, &b, nullptr, &o);
    if (st != JLLM_OK) {
        printf("  step: %s\n", jllm_last_error());
        out.clear();
    }
    jllm_engine_free(e);
    jllm_model_free(m);
    return out;
}

// ---- a minimal GGUF rewriter: same metadata, 2-D weights with 32-multiple rows quantised to Q8_0 ----------------

struct Cursor {
    const std::string& s;
    size_t i = 0;
    template <typename T> T get() { T v; memcpy(&v, s.data() + i, sizeof v); i += sizeof v; return v; }
    std::string str() { uint64_t n = get<uint64_t>(); std::string r = s.substr(i, n); i += n; return r; }
};

static size_t scalar_size(uint32_t t) {
    static const size_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < 13 ? sizes[t] : 0;
}

static void skip_value(Cursor& c, uint32_t t) {
    if (t == 8) { c.str(); return; }
    if (t == 9) {
        uint32_t et = c.get<uint32_t>();
        uint64_t n = c.get<uint64_t>();
        for (uint64_t k = 0; k < n; k++) skip_value(c, et);
        return;
    }
    c.i += scalar_size(t);
}

template <typename T> static void put(std::string& o, T v) { o.append((const char*)&v, sizeof v); }
static void put_str(std::string& o, const std::string& s) { put<uint64_t>(o, s.size()); o += s; }

// as_type: the ggml type written into the header of the quantised tensors (8 = Q8_0; others only to test refusal).
static bool write_q8_gguf(const std::string& src, const std::string& dst, int* quantised, uint32_t as_type = 8) {
    std::string in = slurp(src);
    Cursor c{in};
    c.i = 4;
    uint32_t version = c.get<uint32_t>();
    uint64_t nt = c.get<uint64_t>(), nkv = c.get<uint64_t>();
    size_t kv_begin = c.i;
    for (uint64_t k = 0; k < nkv; k++) { c.str(); skip_value(c, c.get<uint32_t>()); }
    std::string kv = in.substr(kv_begin, c.i - kv_begin);
    struct T { std::string name; std::vector<uint64_t> ne; uint32_t type; uint64_t off; };
    std::vector<T> ts;
    for (uint64_t k = 0; k < nt; k++) {
        T t;
        t.name = c.str();
        uint32_t nd = c.get<uint32_t>();
        for (uint32_t d = 0; d < nd; d++) t.ne.push_back(c.get<uint64_t>());
        t.type = c.get<uint32_t>();
        t.off = c.get<uint64_t>();
        ts.push_back(t);
    }
    size_t data = (c.i + 31) / 32 * 32;
    std::string blob;
    std::vector<uint32_t> types;
    std::vector<uint64_t> offs;
    *quantised = 0;
    for (auto& t : ts) {
        if (t.type != 0) return false;
        uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        const float* f = (const float*)(in.data() + data + t.off);
        while (blob.size() % 32) blob.push_back(0);
        offs.push_back(blob.size());
        bool q = t.ne.size() == 2 && t.ne[0] % 32 == 0;
        types.push_back(q ? as_type : 0);
        if (!q) { blob.append((const char*)f, n * 4); continue; }
        (*quantised)++;
        for (uint64_t b = 0; b < n / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(f[b * 32 + j]));
            uint16_t dh = jllm::f32_to_f16(amax / 127.0f);
            float d = jllm::f16_to_f32(dh);
            put(blob, dh);
            for (int j = 0; j < 32; j++) {
                int v = d == 0 ? 0 : (int)std::lround(f[b * 32 + j] / d);
                blob.push_back((char)(int8_t)std::max(-127, std::min(127, v)));
            }
        }
    }
    std::string out = "GGUF";
    put(out, version);
    put(out, nt);
    put(out, nkv);
    out += kv;
    for (size_t k = 0; k < ts.size(); k++) {
        put_str(out, ts[k].name);
        put<uint32_t>(out, (uint32_t)ts[k].ne.size());
        for (auto d : ts[k].ne) put(out, d);
        put(out, types[k]);
        put(out, offs[k]);
    }
    while (out.size() % 32) out.push_back(0);
    out += blob;
    std::ofstream(dst, std::ios::binary) << out;
    return true;
}

TEST(q8_0_gguf_loads_and_stays_close_to_f32) {
    std::string dir = temp_dir(), path = dir + "/stories-q8_0.gguf";
    int quantised = 0;
    CHECK(write_q8_gguf(kShared + "/models/stories260K/stories260K.gguf", path, &quantised));
    CHECK(quantised >= 20);  // q, k, v, o, gate, up of 5 layers (down has 172-long rows and stays F32)
    std::vector<float> ref = logits(kShared + "/models/stories260K/stories260K.gguf"), q = logits(path);
    CHECK(q.size() == ref.size() && !q.empty());
    if (q.size() == ref.size() && !q.empty()) {
        float err = max_abs_diff(q.data(), ref.data(), q.size());
        printf("  Q8_0 vs F32 max |logit diff| = %.3g\n", err);
        CHECK(err < 0.25f && err > 0.0f);
        size_t best_ref = std::max_element(ref.begin(), ref.end()) - ref.begin();
        size_t best_q = std::max_element(q.begin(), q.end()) - q.begin();
        CHECK(best_ref == best_q);
    }
    unlink(path.c_str());
    rmdir(dir.c_str());
}

TEST(sharded_safetensors_equal_the_single_file) {
    std::string hf = kShared + "/models/stories260K-hf", dir = temp_dir();
    std::string st = slurp(hf + "/model.safetensors");
    uint64_t hlen;
    memcpy(&hlen, st.data(), 8);
    jllm::Json header = jllm::Json::parse(st.substr(8, hlen));
    // Split tensors alternately into two shards, each a valid safetensors file.
    std::string headers[2] = {"{", "{"}, blobs[2];
    std::map<std::string, int> shard_of;
    int k = 0;
    for (auto& [name, t] : header.object()) {
        if (name == "__metadata__") continue;
        int s = k++ % 2;
        auto& off = t["data_offsets"].array();
        uint64_t b = (uint64_t)off[0].number(), e = (uint64_t)off[1].number();
        std::string shape = "[";
        for (auto& d : t["shape"].array()) shape += (shape.size() > 1 ? "," : "") + std::to_string((long long)d.number());
        shape += "]";
        if (headers[s].size() > 1) headers[s] += ",";
        headers[s] += "\"" + name + "\":{\"dtype\":\"" + t["dtype"].str() + "\",\"shape\":" + shape +
                      ",\"data_offsets\":[" + std::to_string(blobs[s].size()) + "," + std::to_string(blobs[s].size() + e - b) + "]}";
        blobs[s] += st.substr(8 + hlen + b, e - b);
        shard_of[name] = s;
    }
    std::string index = "{\"metadata\":{},\"weight_map\":{";
    bool first = true;
    for (auto& [name, s] : shard_of) {
        index += (first ? "" : ",") + std::string("\"") + name + "\":\"model-0000" + std::to_string(s + 1) + "-of-00002.safetensors\"";
        first = false;
    }
    index += "}}";
    for (int s = 0; s < 2; s++) {
        headers[s] += "}";
        while (headers[s].size() % 8) headers[s] += " ";
        std::string file;
        put<uint64_t>(file, headers[s].size());
        file += headers[s] + blobs[s];
        std::ofstream(dir + "/model-0000" + std::to_string(s + 1) + "-of-00002.safetensors", std::ios::binary) << file;
    }
    std::ofstream(dir + "/model.safetensors.index.json") << index;
    std::ofstream(dir + "/config.json") << slurp(hf + "/config.json");
    std::vector<float> one = logits(hf), two = logits(dir);
    CHECK(!two.empty() && one.size() == two.size());
    if (!two.empty()) CHECK(max_abs_diff(one.data(), two.data(), one.size()) == 0.0f);
    for (const char* f : {"/model-00001-of-00002.safetensors", "/model-00002-of-00002.safetensors",
                          "/model.safetensors.index.json", "/config.json"})
        unlink((dir + f).c_str());
    rmdir(dir.c_str());
}

static std::string write_config(const std::string& body) {
    std::string dir = temp_dir();
    std::ofstream(dir + "/config.json") << body;
    return dir;
}

TEST(other_architectures_load_as_dummy_models) {
    const char* configs[] = {
        // Qwen2: q/k/v biases, untied head
        R"({"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":64,"intermediate_size":96,
            "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":300,
            "max_position_embeddings":128,"rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":false,
            "sliding_window":4096,"use_sliding_window":false,"bos_token_id":1,"eos_token_id":[2,3]})",
        // Llama 3.1: llama3 rope scaling, head_dim 32, MQA
        R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
            "num_attention_heads":2,"num_key_value_heads":1,"head_dim":32,"vocab_size":256,
            "max_position_embeddings":2048,"rope_theta":500000.0,"tie_word_embeddings":true,
            "rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
            "original_max_position_embeddings":64}})",
        // Mistral with a sliding window: attention slides, the context stays 4096
        R"({"architectures":["MistralForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":1,
            "num_attention_heads":8,"num_key_value_heads":2,"vocab_size":100,"max_position_embeddings":4096,
            "sliding_window":256})"};
    int expect_len[] = {128, 2048, 4096};
    for (int i = 0; i < 3; i++) {
        std::string dir = write_config(configs[i]);
        jllm_model_params mp = jllm_model_default_params();
        mp.load_format = JLLM_LOAD_DUMMY;
        mp.dummy_dtype = i == 1 ? JLLM_DTYPE_BF16 : JLLM_DTYPE_F16;
        jllm_model* m = nullptr;
        CHECK_MSG(jllm_model_load(dir.c_str(), &mp, &m) == JLLM_OK, "config %d: %s", i, jllm_last_error());
        if (m) {
            jllm_model_info info;
            jllm_model_get_info(m, &info);
            CHECK(info.max_model_len == expect_len[i]);
            if (i == 0) CHECK(info.eos_token_id == 2);
            jllm_model_free(m);
        }
        std::vector<float> l = logits(dir, JLLM_LOAD_DUMMY);
        bool finite = !l.empty();
        for (float v : l) finite &= std::isfinite(v);
        CHECK_MSG(finite, "config %d gives finite logits", i);
        unlink((dir + "/config.json").c_str());
        rmdir(dir.c_str());
    }
    // Unsupported rope scaling is refused by name.
    std::string dir = write_config(R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,
        "num_hidden_layers":1,"num_attention_heads":8,"vocab_size":100,"rope_scaling":{"type":"yarn","factor":4}})");
    jllm_model_params mp = jllm_model_default_params();
    mp.load_format = JLLM_LOAD_DUMMY;
    jllm_model* m = nullptr;
    CHECK(jllm_model_load(dir.c_str(), &mp, &m) == JLLM_UNSUPPORTED && strstr(jllm_last_error(), "yarn"));
    unlink((dir + "/config.json").c_str());
    rmdir(dir.c_str());
}


TEST(gguf_types_without_kernels_are_refused_by_name) {
    // IQ4_XS (23), MXFP4 (39), a retired value (4) and one past the table (99): refused at load, named.
    const std::pair<uint32_t, const char*> cases[] = {{23, "IQ4_XS"}, {39, "MXFP4"}, {4, "unknown"}, {99, "unknown"}};
    for (auto [type, name] : cases) {
        std::string dir = temp_dir(), path = dir + "/stories-bad.gguf";
        int quantised = 0;
        CHECK(write_q8_gguf(kShared + "/models/stories260K/stories260K.gguf", path, &quantised, type));
        jllm_model_params mp = jllm_model_default_params();
        jllm_model* m = nullptr;
        jllm_status st = jllm_model_load(path.c_str(), &mp, &m);
        std::string err = jllm_last_error();
        CHECK_MSG(st == JLLM_UNSUPPORTED && m == nullptr, "type %u: status %d", type, st);
        CHECK_MSG(err.find(std::string("ggml type ") + name) != std::string::npos, "type %u: message '%s'", type,
                  err.c_str());
        jllm_model_free(m);
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
}

TEST(dummy_q4_k_m_follows_llama_cpp_mix_and_computes) {
    // 2 layers: llama.cpp's use_more_bits picks layer 1 (the last eighth) for Q6_K attn_v and ffn_down; the tied
    // embedding is the output, Q6_K. Q4_K rows of 256 are one 144-byte block, Q6_K 210 bytes.
    std::string dir = write_config(
        R"({"architectures":["LlamaForCausalLM"],"hidden_size":256,"intermediate_size":512,"num_hidden_layers":2,
            "num_attention_heads":4,"num_key_value_heads":4,"vocab_size":300,"max_position_embeddings":64,
            "tie_word_embeddings":true})");
    jllm_model_params mp = jllm_model_default_params();
    mp.load_format = JLLM_LOAD_DUMMY;
    mp.dummy_dtype = JLLM_DUMMY_Q4_K_M;
    jllm_model* m = nullptr;
    CHECK_MSG(jllm_model_load(dir.c_str(), &mp, &m) == JLLM_OK, "%s", jllm_last_error());
    if (m) {
        jllm_model_info info;
        jllm_model_get_info(m, &info);
        int64_t layer0 = 3 * 256 * 144 + 256 * 144 + 2 * 512 * 144 + 256 * 2 * 144;
        int64_t layer1 = 3 * 256 * 144 + 256 * 210 + 2 * 512 * 144 + 256 * 2 * 210;
        CHECK_MSG(info.weight_bytes == 300 * 210 + layer0 + layer1, "weight bytes %lld", (long long)info.weight_bytes);
        CHECK(info.weight_dtype == JLLM_DTYPE_Q4_K);
        jllm_model_free(m);
    }
    // Every quantized dummy dtype computes finite logits through the whole forward pass.
    for (int32_t dt : {JLLM_DTYPE_Q4_0, JLLM_DTYPE_Q4_1, JLLM_DTYPE_Q5_0, JLLM_DTYPE_Q5_1, JLLM_DTYPE_Q8_0,
                       JLLM_DTYPE_Q2_K, JLLM_DTYPE_Q3_K, JLLM_DTYPE_Q4_K, JLLM_DTYPE_Q5_K, JLLM_DTYPE_Q6_K,
                       JLLM_DUMMY_Q4_K_M}) {
        std::vector<float> l = logits(dir, JLLM_LOAD_DUMMY, dt);
        bool finite = !l.empty();
        for (float v : l) finite = finite && std::isfinite(v);
        CHECK_MSG(finite && l.size() == 300, "dummy dtype %d: %zu logits, finite %d", dt, l.size(), finite);
    }
    unlink((dir + "/config.json").c_str());
    rmdir(dir.c_str());
}

int main() { return check::run_all(); }
