// In-memory model: hyper-parameters plus weight views into memory-mapped files or owned buffers.
#pragma once
#include <cstdint>
#include <map>
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

int64_t dtype_row_bytes(int32_t dtype, int64_t cols);  // throws for unknown dtypes or cols not a multiple of the block
int32_t dtype_block_size(int32_t dtype);               // elements per block (1 for F32/F16/BF16); 0 if unknown
const char* dtype_name(int32_t dtype);

enum class RopeStyle { NeoX, Interleaved };  // NeoX: pairs (i, i + d/2) (HF rotate_half); Interleaved: (2i, 2i+1)
enum class Activation { SiLU, GeluTanh };    // of the gated MLP: act(gate) * up (SwiGLU / GeGLU)

// Attention of one layer: its window and which rope frequencies it uses.
struct LayerAttention {
    int32_t window = 0;         // 0 = full causal attention; W > 0 = only the last W positions (itself included)
    bool local_rope = false;    // use ModelConfig::rope_local_inv_freq (Gemma 3 sliding layers)
};

// The hyper-parameters and the architecture description: everything model/decoder.cpp needs to know about a
// model, whatever file it came from. Loaders fill it from config.json or GGUF keys (model/architectures.cpp).
struct ModelConfig {
    std::string architecture;  // as named in the file, for messages and info
    int32_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_layers = 0;
    int32_t num_heads = 0, num_kv_heads = 0, head_dim = 0;
    int32_t max_model_len = 0;
    float rms_norm_eps = 1e-5f;
    float rope_theta = 10000.0f;
    float rope_local_theta = 0;  // > 0: sliding-window layers use this base without scaling (Gemma 3)
    int32_t rope_original_max = 0;  // original_max_position_embeddings (longrope), 0 = not given
    RopeStyle rope_style = RopeStyle::NeoX;
    bool qkv_bias = false;
    bool tie_word_embeddings = false;
    int32_t bos_token_id = -1, eos_token_id = -1;

    // -- what the forward does beyond a Llama block --
    bool qk_norm = false;          // per-head RMSNorm of q and k before rope (Qwen3, Gemma 3)
    bool post_norms = false;       // RMSNorm of the attention and MLP outputs before each residual add (Gemma 2/3)
    Activation activation = Activation::SiLU;
    float embed_scale = 1.0f;      // x = embed[token] * embed_scale (Gemma: sqrt(hidden_size))
    float query_scale = 0;         // score = q·k * query_scale; 0 = 1/sqrt(head_dim) (Gemma: query_pre_attn_scalar^-½)
    float attn_softcap = 0;        // > 0: score = cap * tanh(score / cap) (Gemma 2)
    float final_softcap = 0;       // > 0: logit = cap * tanh(logit / cap) (Gemma 2)
    int32_t sliding_window = 0;    // W of the sliding layers; 0 = none
    int32_t sliding_pattern = 0;   // 1: every layer slides; N > 1: layer i slides unless (i + 1) % N == 0
    std::vector<bool> sliding_layers;  // explicit per-layer choice (HF layer_types); overrides sliding_pattern

    // Derived by finish_config:
    std::vector<float> rope_inv_freq;        // [head_dim / 2] after any rope scaling
    std::vector<float> rope_local_inv_freq;  // [head_dim / 2] when rope_local_theta > 0
    // Phi-3 longrope: rope_inv_freq holds the short factors; a sequence whose context exceeds rope_original_max
    // in a step rotates that step's tokens with rope_long_inv_freq (as transformers does at generation).
    std::vector<float> rope_long_inv_freq;   // [head_dim / 2] or empty
    std::vector<LayerAttention> layers;      // [num_layers]
};

// Norm weights are stored as the factor the forward multiplies by (Gemma's 1 + w already added at load).
struct LayerWeights {
    const float* attn_norm = nullptr;       // [hidden]
    const float* ffn_norm = nullptr;        // [hidden]
    const float* q_norm = nullptr;          // [head_dim] when qk_norm
    const float* k_norm = nullptr;          // [head_dim] when qk_norm
    const float* post_attn_norm = nullptr;  // [hidden] when post_norms
    const float* post_ffn_norm = nullptr;   // [hidden] when post_norms
    WeightTensor wq, wk, wv, wo;            // [nh*hd, hidden], [nkv*hd, hidden] x2, [hidden, nh*hd]
    const float* bq = nullptr;              // [nh*hd] or null
    const float* bk = nullptr;              // [nkv*hd] or null
    const float* bv = nullptr;              // [nkv*hd] or null
    WeightTensor w_gate, w_up, w_down;      // [inter, hidden] x2, [hidden, inter]
};

struct EncoderWeights;  // model/encoder.h

struct Model {
    ModelConfig config;
    std::shared_ptr<const EncoderWeights> encoder;  // set for BERT-family encoders (embedding models), else null
    WeightTensor embed;                // [vocab, hidden]
    std::vector<LayerWeights> layers;
    const float* final_norm = nullptr; // [hidden]
    WeightTensor lm_head;              // [vocab, hidden]; equals embed when tied

    std::vector<std::unique_ptr<MappedFile>> files;      // mappings the weights point into
    std::vector<std::vector<uint8_t>> owned;             // converted or generated weights

    // Copies `count` floats of `data` (in `dtype`) into owned F32 storage; for norms and biases.
    float* own_f32(int32_t dtype, const void* data, int64_t count);
    void* own_bytes(size_t n);
    int64_t num_params() const;
    int64_t weight_bytes() const;
    int64_t mapped_weight_bytes() const;  // bytes of weight matrices read from mapped files (not yet in RSS)
    int32_t main_dtype() const { return layers.empty() ? embed.dtype : layers[0].wq.dtype; }
};

// A tensor of a mapped safetensors file: dtype, shape and where its bytes lie (inside Model::files).
struct TensorRef {
    int32_t dtype;
    std::vector<int64_t> shape;
    const uint8_t* data;
    int64_t nbytes;
    std::string file;
};
// Maps <dir>/model.safetensors, or every shard model.safetensors.index.json lists, into m.files: name → tensor.
std::map<std::string, TensorRef> map_safetensors(Model& m, const std::string& dir);

// Loaders; each throws Error with a message naming the file or tensor at fault.
std::unique_ptr<Model> load_model(const std::string& path, const jllm_model_params& params);
std::unique_ptr<Model> load_safetensors_dir(const std::string& dir, const jllm_model_params& params);
std::unique_ptr<Model> load_gguf(const std::string& path, const jllm_model_params& params);
std::unique_ptr<Model> load_dummy(const std::string& dir, const jllm_model_params& params);

// The config of the text model: config.json itself, or for Gemma3ForConditionalGeneration its text_config with
// transformers' defaults filled in (the vision tower is not loaded).
Json hf_text_config(const Json& config);
// Reads <dir>/config.json into a ModelConfig; refuses unsupported architectures and features by name.
ModelConfig parse_hf_config(const Json& config);
// GGUF metadata as parse_gguf_config reads it (numbers only; strings are read by the loader).
struct GgufKeys {
    virtual ~GgufKeys() = default;
    virtual bool has(const std::string& key) const = 0;
    virtual double num(const std::string& key, double fallback) const = 0;
};
// The ModelConfig of a GGUF file of general.architecture `arch` (vocab_size is the loader's to set); refuses
// unsupported architectures and features by name.
ModelConfig parse_gguf_config(const std::string& arch, const GgufKeys& kv);
// True when the HF checkpoint of this config stores RMSNorm weights as w of (1 + w) (Gemma).
bool hf_norms_add_one(const ModelConfig& c);
// Splits a fused weight [sum(rows), cols] into row views (Phi-3's qkv_proj and gate_up_proj); no copy.
std::vector<WeightTensor> split_rows(const WeightTensor& fused, const std::vector<int64_t>& rows, const char* what);
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
