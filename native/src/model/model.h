// In-memory model: hyper-parameters plus weight views into memory-mapped files or owned buffers.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "jllm.h"
#include "util/json.h"
#include "util/mmap_file.h"

namespace jllm {

// A 2-D weight [rows, cols], row-major; rows are output features. `data` points into a mapped file or into
// Model::owned; it lives as long as the Model.
struct WeightTensor {
    int32_t dtype = JLLM_DTYPE_F32;  // JLLM_DTYPE_*
    const void* data = nullptr;
    int64_t rows = 0, cols = 0;
    int64_t row_bytes() const;       // bytes of one row in this dtype
    int64_t bytes() const { return row_bytes() * rows; }
};

int64_t dtype_row_bytes(int32_t dtype, int64_t cols);  // throws for unknown dtypes or Q8_0 cols % 32 != 0
const char* dtype_name(int32_t dtype);

enum class RopeStyle { NeoX, Interleaved };  // NeoX: pairs (i, i + d/2) (HF rotate_half); Interleaved: (2i, 2i+1)

struct ModelConfig {
    std::string architecture;  // as named in the file, for messages and info
    int32_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_layers = 0;
    int32_t num_heads = 0, num_kv_heads = 0, head_dim = 0;
    int32_t max_model_len = 0;
    float rms_norm_eps = 1e-5f;
    float rope_theta = 10000.0f;
    RopeStyle rope_style = RopeStyle::NeoX;
    bool qkv_bias = false;
    bool tie_word_embeddings = false;
    int32_t bos_token_id = -1, eos_token_id = -1;
    std::vector<float> rope_inv_freq;  // [head_dim / 2] after any rope scaling
};

struct LayerWeights {
    const float* attn_norm = nullptr;  // [hidden]
    const float* ffn_norm = nullptr;   // [hidden]
    WeightTensor wq, wk, wv, wo;       // [nh*hd, hidden], [nkv*hd, hidden] x2, [hidden, nh*hd]
    const float* bq = nullptr;         // [nh*hd] or null
    const float* bk = nullptr;         // [nkv*hd] or null
    const float* bv = nullptr;         // [nkv*hd] or null
    WeightTensor w_gate, w_up, w_down; // [inter, hidden] x2, [hidden, inter]
};

struct Model {
    ModelConfig config;
    WeightTensor embed;                // [vocab, hidden]
    std::vector<LayerWeights> layers;
    const float* final_norm = nullptr; // [hidden]
    WeightTensor lm_head;              // [vocab, hidden]; equals embed when tied

    std::vector<std::unique_ptr<MappedFile>> files;      // mappings the weights point into
    std::vector<std::vector<uint8_t>> owned;             // converted or generated weights

    // Copies `count` floats of `data` (in `dtype`) into owned F32 storage; for norms and biases.
    const float* own_f32(int32_t dtype, const void* data, int64_t count);
    void* own_bytes(size_t n);
    int64_t num_params() const;
    int64_t weight_bytes() const;
    int64_t mapped_weight_bytes() const;  // bytes of weight matrices read from mapped files (not yet in RSS)
    int32_t main_dtype() const { return layers.empty() ? embed.dtype : layers[0].wq.dtype; }
};

// Loaders; each throws Error with a message naming the file or tensor at fault.
std::unique_ptr<Model> load_model(const std::string& path, const jllm_model_params& params);
std::unique_ptr<Model> load_safetensors_dir(const std::string& dir, const jllm_model_params& params);
std::unique_ptr<Model> load_gguf(const std::string& path, const jllm_model_params& params);
std::unique_ptr<Model> load_dummy(const std::string& dir, const jllm_model_params& params);

// Reads <dir>/config.json into a ModelConfig; refuses unsupported architectures by name.
ModelConfig parse_hf_config(const Json& config);
// Derived fields (inv_freq) and consistency checks shared by every loader.
void finish_config(ModelConfig& c, const Json* rope_scaling, const jllm_model_params& params);
// Checks that every weight has the shape the config implies.
void validate_shapes(const Model& m);
// Refuses a checkpoint whose tensors hold a different number of layers than its config says (both named).
// tensor_layers: 1 + the highest layer index among the tensor names (0 if none).
void check_layer_count(const ModelConfig& c, int64_t tensor_layers, const char* config_key, const std::string& where);
// JLLM_DTYPE_* of config.json's "torch_dtype" (or "dtype"): bfloat16, float16, float32; F32 when absent.
int32_t hf_torch_dtype(const Json& config);
// Converts every F32/F16/BF16 weight matrix not already in `dtype` into owned memory in `dtype` (after checking
// the memory is available); quantized matrices are left as they are.
void convert_weights(Model& m, int32_t dtype);
// Refuses (JLLM_HOST_OOM) when `need` bytes exceed the memory available; `what` says what they are for.
void require_memory(int64_t need, const std::string& what);

std::string read_text_file(const std::string& path);

}  // namespace jllm
