// Corrupt or inconsistent model files and impossible sizes, made on the fly from the shared stories260K model:
// each is refused at load (or engine creation) with a message naming what is wrong and the numbers, before
// anything large is allocated.
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "jllm.h"

static const std::string kShared = JLLM_SHARED_DIR;
static const std::string kGguf = kShared + "/models/stories260K/stories260K.gguf";
static const std::string kHf = kShared + "/models/stories260K-hf";

static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A temporary model directory: config.json (given) beside a link to the shared safetensors file.
struct TempDir {
    std::string path;
    explicit TempDir(const std::string& config, bool with_weights = true) {
        char dir[] = "/tmp/jllm-files-XXXXXX";
        path = mkdtemp(dir) ? dir : "/tmp";
        std::ofstream(path + "/config.json") << config;
        if (with_weights) CHECK(symlink((kHf + "/model.safetensors").c_str(), (path + "/model.safetensors").c_str()) == 0);
    }
    ~TempDir() {
        unlink((path + "/config.json").c_str());
        unlink((path + "/model.safetensors").c_str());
        rmdir(path.c_str());
    }
};

// stories260K's config.json with `key` set to `value` (JSON text).
static std::string hf_config_with(const std::string& key, const std::string& value) {
    std::string c = slurp(kHf + "/config.json");
    size_t k = c.find("\"" + key + "\"");
    if (k == std::string::npos) return c;
    size_t colon = c.find(':', k), end = c.find_first_of(",\n}", colon);
    return c.substr(0, colon + 1) + " " + value + c.substr(end);
}

static jllm_status load(const std::string& path, jllm_model** m, int32_t format = JLLM_LOAD_AUTO, int32_t dtype = JLLM_DTYPE_AUTO) {
    jllm_model_params mp = jllm_model_default_params();
    mp.load_format = format;
    mp.dtype = dtype;
    *m = nullptr;
    return jllm_model_load(path.c_str(), &mp, m);
}

static bool says(const char* a, const char* b = nullptr, const char* c = nullptr) {
    const char* e = jllm_last_error();
    bool ok = strstr(e, a) && (!b || strstr(e, b)) && (!c || strstr(e, c));
    if (!ok) printf("  message: %s\n", e);
    return ok;
}

TEST(a_layer_count_that_disagrees_with_the_tensors_is_refused_naming_both) {
    jllm_model* m;
    for (const char* layers : {"3", "7"}) {
        TempDir d(hf_config_with("num_hidden_layers", layers));
        CHECK(load(d.path, &m) == JLLM_INVALID_ARGUMENT && m == nullptr);
        CHECK(says("num_hidden_layers = ", layers, "hold 5 layers"));
    }
    // The same in GGUF: llama.block_count patched from 5 to 3 in a copy.
    std::string bytes = slurp(kGguf);
    size_t k = bytes.find("llama.block_count");
    CHECK(k != std::string::npos);
    uint32_t three = 3;
    memcpy(&bytes[k + strlen("llama.block_count") + 4], &three, 4);  // after the key: u32 type, then the value
    std::string path = "/tmp/jllm-files-3layers.gguf";
    std::ofstream(path, std::ios::binary) << bytes;
    CHECK(load(path, &m) == JLLM_INVALID_ARGUMENT && m == nullptr);
    CHECK(says("llama.block_count = 3", "hold 5 layers"));
    unlink(path.c_str());
}

TEST(a_zero_context_length_is_refused) {
    TempDir d(hf_config_with("max_position_embeddings", "0"));
    jllm_model* m;
    CHECK(load(d.path, &m) == JLLM_INVALID_ARGUMENT && m == nullptr);
    CHECK(says("context length", "is 0"));
    TempDir neg(hf_config_with("max_position_embeddings", "-5"));
    CHECK(load(neg.path, &m) == JLLM_INVALID_ARGUMENT && m == nullptr);
}

TEST(a_huge_context_is_sized_first_then_fitted_or_refused_with_numbers) {
    TempDir d(hf_config_with("max_position_embeddings", "1e9"));
    jllm_model* m;
    CHECK(load(d.path, &m) == JLLM_OK);
    if (!m) return;
    jllm_engine_params ep = jllm_engine_default_params();
    ep.num_threads = 2;
    jllm_engine* e = nullptr;
    // An explicit max_model_len the KV budget cannot hold: refused at once with the numbers.
    ep.max_model_len = 1000000000;
    auto t0 = std::chrono::steady_clock::now();
    CHECK(jllm_engine_create(m, &ep, &e) == JLLM_INVALID_ARGUMENT && e == nullptr);
    CHECK(says("max_model_len 1000000000 does not fit", "tokens", "bytes per token"));
    printf("  refused in %.3f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    // No max_model_len: the context is fitted to what the default budget holds.
    ep.max_model_len = 0;
    CHECK(jllm_engine_create(m, &ep, &e) == JLLM_OK && e != nullptr);
    if (e) {
        jllm_engine_info info;
        jllm_engine_get_info(e, &info);
        CHECK(info.max_model_len == info.num_blocks * info.block_size);
        CHECK(info.max_model_len < 1000000000 && (int64_t)info.num_blocks * info.block_bytes <= (1ll << 30));
        jllm_engine_free(e);
    }
    // A max_model_len above the model's own is refused too.
    jllm_model* small;
    CHECK(load(kHf, &small) == JLLM_OK);
    ep.max_model_len = 513;
    CHECK(jllm_engine_create(small, &ep, &e) == JLLM_INVALID_ARGUMENT && says("513", "512"));
    jllm_model_free(small);
    jllm_model_free(m);
}

TEST(a_kv_cache_beyond_memory_is_refused_before_allocating) {
    jllm_model* m;
    CHECK(load(kGguf, &m) == JLLM_OK);
    jllm_engine_params ep = jllm_engine_default_params();
    ep.kv_cache_bytes = 1ll << 50;  // 1 PiB
    jllm_engine* e = nullptr;
    CHECK(jllm_engine_create(m, &ep, &e) == JLLM_HOST_OOM && e == nullptr);
    CHECK(says("the KV cache (", "MiB of memory is available"));
    ep.kv_cache_bytes = 0;
    ep.num_host_blocks = 1 << 30;  // the swap pool counts as well
    CHECK(jllm_engine_create(m, &ep, &e) == JLLM_HOST_OOM && says("swap pool"));
    jllm_model_free(m);
}

TEST(dummy_weights_follow_torch_dtype_and_are_sized_before_generating) {
    struct { const char* torch; int32_t want; } cases[] = {
        {"\"bfloat16\"", JLLM_DTYPE_BF16}, {"\"float16\"", JLLM_DTYPE_F16}, {"\"float32\"", JLLM_DTYPE_F32}};
    int64_t f32_bytes = 0;
    for (auto& c : cases) {
        TempDir d(hf_config_with("torch_dtype", c.torch), false);
        jllm_model* m;
        CHECK(load(d.path, &m, JLLM_LOAD_DUMMY) == JLLM_OK);
        if (!m) continue;
        jllm_model_info info;
        jllm_model_get_info(m, &info);
        CHECK_MSG(info.weight_dtype == c.want, "torch_dtype %s gave dtype %d", c.torch, info.weight_dtype);
        if (c.want == JLLM_DTYPE_F32) f32_bytes = info.weight_bytes;
        else CHECK(info.weight_bytes * 2 == f32_bytes || f32_bytes == 0);
        jllm_model_free(m);
    }
    TempDir bad(hf_config_with("torch_dtype", "\"int8\""), false);
    jllm_model* m;
    CHECK(load(bad.path, &m, JLLM_LOAD_DUMMY) == JLLM_UNSUPPORTED && says("torch_dtype 'int8'"));
    // 1.3 TB of BF16 weights: refused with the numbers, before any is generated.
    TempDir huge(R"({"architectures":["LlamaForCausalLM"],"hidden_size":65536,"intermediate_size":131072,
        "num_hidden_layers":100,"num_attention_heads":512,"vocab_size":1000000,"torch_dtype":"bfloat16"})", false);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(load(huge.path, &m, JLLM_LOAD_DUMMY) == JLLM_HOST_OOM && m == nullptr);
    CHECK(says("dummy BF16 weights need", "MiB of memory is available"));
    printf("  refused in %.3f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST(weights_are_converted_once_to_the_requested_dtype) {
    // stories260K is stored F32; dtype BF16 converts the matrices once, F32 keeps them mapped.
    jllm_model *f32, *bf16;
    CHECK(load(kHf, &f32) == JLLM_OK && load(kHf, &bf16, JLLM_LOAD_AUTO, JLLM_DTYPE_BF16) == JLLM_OK);
    if (!f32 || !bf16) return;
    jllm_model_info a, b;
    jllm_model_get_info(f32, &a);
    jllm_model_get_info(bf16, &b);
    CHECK(a.weight_dtype == JLLM_DTYPE_F32 && b.weight_dtype == JLLM_DTYPE_BF16);
    CHECK(b.weight_bytes * 2 == a.weight_bytes);
    jllm_model_free(f32);
    jllm_model_free(bf16);
    jllm_model* m;
    CHECK(load(kHf, &m, JLLM_LOAD_AUTO, 8) == JLLM_INVALID_ARGUMENT);  // Q8_0 is no conversion target
}

TEST(corrupt_safetensors_are_refused_by_name) {
    TempDir d(slurp(kHf + "/config.json"), false);
    std::string st = d.path + "/model.safetensors";
    std::string good = slurp(kHf + "/model.safetensors");
    jllm_model* m;
    struct { std::string bytes; const char* says; } cases[] = {
        {good.substr(0, 5), "too short"},
        {std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8) + "{}", "exceeds the file"},
        {good.substr(0, good.size() - 100), "do not fit"},
    };
    for (auto& c : cases) {
        std::ofstream(st, std::ios::binary) << c.bytes;
        CHECK(load(d.path, &m) != JLLM_OK && m == nullptr);
        CHECK(says(c.says));
    }
}

int main() { return check::run_all(); }
