// The supported architectures: how each is named in config.json and in GGUF, and what its forward does beyond a
// Llama block. Every loader ends here, so a model is described once (ModelConfig) whatever its file format.
//
//   family      HF architectures[0]                      GGUF general.architecture  differences from Llama
//   Llama       LlamaForCausalLM (Llama 3.x, SmolLM2)    llama                      GGUF q/k rows permuted
//   Mistral     MistralForCausalLM                       llama                      sliding window on every layer
//   Qwen2       Qwen2ForCausalLM (Qwen2.5)               qwen2                      q/k/v biases
//   Qwen3       Qwen3ForCausalLM                         qwen3                      per-head q/k RMSNorm
//   Phi-3       Phi3ForCausalLM (Phi-3/3.5-mini)         phi3                       fused qkv and gate_up, longrope
//   Gemma 2     Gemma2ForCausalLM                        gemma2                     see below
//   Gemma 3     Gemma3ForCausalLM (text)                 gemma3                     see below
//
// Gemma 2: RMSNorm as (1 + w) (GGUF stores 1 + w), post-attention and post-MLP norms, embeddings × sqrt(hidden),
// GeGLU (gelu tanh), score scale query_pre_attn_scalar^-½, attention and final logit soft-caps, even layers slide.
// Gemma 3: as Gemma 2 plus per-head q/k norm, no soft-caps, 5 of every 6 layers slide and rotate with base 10000
// unscaled while global layers use rope_theta and rope_scaling.
#include <climits>
#include <cmath>
#include "model.h"
#include "util/error.h"

namespace jllm {

// A context length read as a number, clamped into int32 so that a huge value is sized (and fitted or refused
// with numbers later), never wrapped.
static int32_t context_length(double v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

namespace {

int32_t req_int(const Json& j, const char* key) {
    if (!j[key].is_number()) fail(JLLM_INVALID_ARGUMENT, "config.json lacks \"%s\"", key);
    return (int32_t)j[key].number();
}

int32_t first_id(const Json& v) {  // an int, or the first of a list
    if (v.is_number()) return (int32_t)v.number();
    if (v.is_array() && !v.array().empty() && v.array()[0].is_number()) return (int32_t)v.array()[0].number();
    return -1;
}

enum class Family { Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma2, Gemma3 };

struct HfName { const char* arch; const char* model_type; Family family; };
const HfName kHfNames[] = {
    {"LlamaForCausalLM", "llama", Family::Llama},       {"MistralForCausalLM", "mistral", Family::Mistral},
    {"Qwen2ForCausalLM", "qwen2", Family::Qwen2},       {"Qwen3ForCausalLM", "qwen3", Family::Qwen3},
    {"Phi3ForCausalLM", "phi3", Family::Phi3},          {"Gemma2ForCausalLM", "gemma2", Family::Gemma2},
    {"Gemma3ForCausalLM", "gemma3_text", Family::Gemma3},
    {"Gemma3ForConditionalGeneration", "gemma3", Family::Gemma3},  // its text model (hf_text_config)
};
const char* kSupportedHf = "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, "
                           "Phi3ForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3ForConditionalGeneration (text)";

const HfName* find_hf_name(const std::string& arch, const std::string& model_type) {
    for (const HfName& n : kHfNames)
        if (arch == n.arch || (arch.empty() && model_type == n.model_type)) return &n;
    return nullptr;
}

bool is_gemma(Family f) { return f == Family::Gemma2 || f == Family::Gemma3; }

// The Gemma traits both formats share; `query_pre_attn_scalar` as the config names it.
void describe_gemma(ModelConfig& c, Family f, double query_pre_attn_scalar) {
    c.post_norms = true;
    c.activation = Activation::GeluTanh;
    c.embed_scale = std::sqrt((float)c.hidden_size);
    c.query_scale = (float)(1.0 / std::sqrt(query_pre_attn_scalar));
    c.sliding_pattern = f == Family::Gemma2 ? 2 : 6;
    if (f == Family::Gemma3) {
        c.qk_norm = true;
        c.rope_local_theta = 10000.0f;
    }
}

std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\';
        if ((unsigned char)ch < 0x20) {
            char b[8];
            snprintf(b, sizeof b, "\\u%04x", ch);
            o += b;
            continue;
        }
        o += ch;
    }
    return o + "\"";
}

std::string to_text(const Json& j) {  // JSON text of a parsed value
    switch (j.type()) {
        case Json::Type::Null: return "null";
        case Json::Type::Bool: return j.boolean() ? "true" : "false";
        case Json::Type::String: return quote(j.str());
        case Json::Type::Number: {
            char b[40];
            snprintf(b, sizeof b, "%.17g", j.number());
            return b;
        }
        case Json::Type::Array: {
            std::string o;
            for (auto& v : j.array()) o += (o.empty() ? "" : ",") + to_text(v);
            return "[" + o + "]";
        }
        case Json::Type::Object: {
            std::string o;
            for (auto& [k, v] : j.object()) o += (o.empty() ? "" : ",") + quote(k) + ":" + to_text(v);
            return "{" + o + "}";
        }
    }
    return "null";
}

// transformers' Gemma3TextConfig defaults: the text_config of Gemma3ForConditionalGeneration lists only what differs.
const char* kGemma3TextDefaults =
    R"("vocab_size":262208,"hidden_size":2304,"intermediate_size":9216,"num_hidden_layers":26,)"
    R"("num_attention_heads":8,"num_key_value_heads":4,"head_dim":256,"hidden_activation":"gelu_pytorch_tanh",)"
    R"("max_position_embeddings":131072,"rms_norm_eps":1e-6,"rope_theta":1000000.0,"query_pre_attn_scalar":256,)"
    R"("sliding_window":4096,"rope_local_base_freq":10000.0,"sliding_window_pattern":6,"bos_token_id":2,)"
    R"("eos_token_id":1,"tie_word_embeddings":true)";

}  // namespace

Json hf_text_config(const Json& config) {
    if (!config["architectures"].is_array() || config["architectures"].array().empty() ||
        config["architectures"].array()[0].str() != "Gemma3ForConditionalGeneration")
        return config;
    // The text model: text_config's keys first (the first of duplicate keys wins), then the top-level token ids,
    // then the defaults.
    std::string text = "{\"architectures\":[\"Gemma3ForConditionalGeneration\"],\"model_type\":\"gemma3\"";
    if (config["text_config"].is_object())
        for (auto& [k, v] : config["text_config"].object())
            if (k != "architectures" && k != "model_type") text += "," + quote(k) + ":" + to_text(v);
    for (const char* k : {"bos_token_id", "eos_token_id"})
        if (config.has(k)) text += std::string(",\"") + k + "\":" + to_text(config[k]);
    return Json::parse(text + "," + kGemma3TextDefaults + "}");
}

bool hf_norms_add_one(const ModelConfig& c) {
    const HfName* n = find_hf_name(c.architecture, "");  // architecture: the HF class, or the model_type
    if (!n) n = find_hf_name("", c.architecture);
    return n && is_gemma(n->family);
}

ModelConfig parse_hf_config(const Json& j) {
    ModelConfig c;
    // 1. which family
    std::string arch, type = j.str_or("model_type", "");
    if (j["architectures"].is_array() && !j["architectures"].array().empty())
        arch = j["architectures"].array()[0].str();
    const HfName* name = find_hf_name(arch, type);
    if (!name)
        fail(JLLM_UNSUPPORTED, "unsupported architecture '%s' (model_type '%s'); supported: %s", arch.c_str(),
             type.c_str(), kSupportedHf);
    const Family f = name->family;
    c.architecture = arch.empty() ? type : arch;

    // 2. sizes and the Llama hyper-parameters
    c.vocab_size = req_int(j, "vocab_size");
    c.hidden_size = req_int(j, "hidden_size");
    c.intermediate_size = req_int(j, "intermediate_size");
    c.num_layers = req_int(j, "num_hidden_layers");
    c.num_heads = req_int(j, "num_attention_heads");
    c.num_kv_heads = j.has("num_key_value_heads") ? req_int(j, "num_key_value_heads") : c.num_heads;
    c.head_dim = j.has("head_dim") ? req_int(j, "head_dim") : (c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
    c.max_model_len = context_length(j.num_or("max_position_embeddings", 2048));
    c.rms_norm_eps = (float)j.num_or("rms_norm_eps", 1e-6);
    c.rope_theta = (float)j.num_or("rope_theta", 10000.0);
    c.rope_original_max = (int32_t)j.num_or("original_max_position_embeddings", 0);
    c.rope_style = RopeStyle::NeoX;  // HF checkpoints store q/k rows for rotate_half
    c.qkv_bias = f == Family::Qwen2 || j.bool_or("attention_bias", false);
    c.tie_word_embeddings = j.bool_or("tie_word_embeddings", is_gemma(f));
    c.bos_token_id = first_id(j["bos_token_id"]);
    c.eos_token_id = first_id(j["eos_token_id"]);

    // 3. what differs per family
    std::string act = j.str_or("hidden_activation", j.str_or("hidden_act", is_gemma(f) ? "gelu_pytorch_tanh" : "silu"));
    std::string want_act = is_gemma(f) ? "gelu_pytorch_tanh" : "silu";
    if (act != want_act)
        fail(JLLM_UNSUPPORTED, "%s: unsupported activation '%s' (supported: %s)", c.architecture.c_str(), act.c_str(),
             want_act.c_str());
    if (j.bool_or("mlp_bias", false)) fail(JLLM_UNSUPPORTED, "%s: mlp_bias is not supported", c.architecture.c_str());
    if (j.num_or("partial_rotary_factor", 1.0) != 1.0)
        fail(JLLM_UNSUPPORTED, "%s: partial_rotary_factor %g is not supported (rope over the whole head only)",
             c.architecture.c_str(), j.num_or("partial_rotary_factor", 1.0));
    if (f == Family::Qwen3) c.qk_norm = true;
    if (is_gemma(f)) {
        describe_gemma(c, f, j.num_or("query_pre_attn_scalar", c.head_dim));
        c.attn_softcap = (float)j.num_or("attn_logit_softcapping", 0);
        c.final_softcap = (float)j.num_or("final_logit_softcapping", 0);
        if (f == Family::Gemma3) {
            c.rope_local_theta = (float)j.num_or("rope_local_base_freq", 10000.0);
            c.sliding_pattern = (int32_t)j.num_or("sliding_window_pattern", 6);
        }
    }
    // Sliding windows: Mistral and Phi-3 slide on every layer when the config sets sliding_window; Qwen configs carry
    // one but leave use_sliding_window off.
    if (f == Family::Qwen2 || f == Family::Qwen3) {
        if (j.bool_or("use_sliding_window", false))
            fail(JLLM_UNSUPPORTED, "%s: use_sliding_window (with max_window_layers) is not supported",
                 c.architecture.c_str());
    } else if (f != Family::Llama && j["sliding_window"].is_number()) {
        c.sliding_window = (int32_t)j["sliding_window"].number();
        if (!is_gemma(f)) c.sliding_pattern = 1;
    }
    if (j["layer_types"].is_array()) {  // newer transformers spell the pattern out
        for (auto& t : j["layer_types"].array()) c.sliding_layers.push_back(t.str() == "sliding_attention");
        if ((int32_t)c.sliding_layers.size() != c.num_layers)
            fail(JLLM_INVALID_ARGUMENT, "config.json: layer_types has %zu entries for %d layers",
                 c.sliding_layers.size(), c.num_layers);
    }
    return c;
}

ModelConfig parse_gguf_config(const std::string& arch, const GgufKeys& kv) {
    ModelConfig c;
    // 1. which family
    Family f;
    if (arch == "llama") f = Family::Llama;  // Mistral converts as llama too
    else if (arch == "qwen2") f = Family::Qwen2;
    else if (arch == "qwen3") f = Family::Qwen3;
    else if (arch == "phi3") f = Family::Phi3;
    else if (arch == "gemma2") f = Family::Gemma2;
    else if (arch == "gemma3") f = Family::Gemma3;
    else fail(JLLM_UNSUPPORTED, "unsupported GGUF architecture '%s'; supported: llama, qwen2, qwen3, phi3, gemma2, gemma3",
              arch.c_str());
    c.architecture = arch;

    // 2. sizes and the Llama hyper-parameters (llama.cpp's key names, prefixed by the architecture)
    auto num = [&](const char* key, double fallback) { return kv.num(arch + "." + key, fallback); };
    c.hidden_size = (int32_t)num("embedding_length", 0);
    c.num_layers = (int32_t)num("block_count", 0);
    c.intermediate_size = (int32_t)num("feed_forward_length", 0);
    c.num_heads = (int32_t)num("attention.head_count", 0);
    c.num_kv_heads = (int32_t)num("attention.head_count_kv", c.num_heads);
    c.head_dim = (int32_t)num("attention.key_length", c.num_heads ? c.hidden_size / c.num_heads : 0);
    c.max_model_len = context_length(num("context_length", 2048));
    c.rms_norm_eps = (float)num("attention.layer_norm_rms_epsilon", 1e-5);
    c.rope_theta = (float)num("rope.freq_base", 10000.0);
    // llama.cpp permutes the q/k rows of llama-arch models so that rope rotates adjacent pairs; we keep the rows as
    // stored and rotate (2i, 2i+1), which gives the logits of the HF layout with rotate_half. Others stay NeoX.
    c.rope_style = f == Family::Llama ? RopeStyle::Interleaved : RopeStyle::NeoX;
    c.qkv_bias = f == Family::Qwen2;
    c.bos_token_id = (int32_t)kv.num("tokenizer.ggml.bos_token_id", -1);
    c.eos_token_id = (int32_t)kv.num("tokenizer.ggml.eos_token_id", -1);
    if (num("expert_count", 0) > 0)
        fail(JLLM_UNSUPPORTED, "%s: mixture-of-experts models (expert_count %g) are not supported", arch.c_str(),
             num("expert_count", 0));
    if ((int32_t)num("attention.value_length", c.head_dim) != c.head_dim)
        fail(JLLM_UNSUPPORTED, "%s: attention.value_length differs from key_length", arch.c_str());
    if (num("rope.dimension_count", c.head_dim) != c.head_dim)
        fail(JLLM_UNSUPPORTED, "%s: rope.dimension_count %g < head_dim %d (partial rotary) is not supported",
             arch.c_str(), num("rope.dimension_count", c.head_dim), c.head_dim);

    // 3. what differs per family
    if (f == Family::Qwen3) c.qk_norm = true;
    if (is_gemma(f)) {
        // llama.cpp derives the score scale from the model size: the 27B models use hidden / heads (= their
        // query_pre_attn_scalar), the others head_dim. attention.scale, when a file has it, wins.
        bool is_27b = (f == Family::Gemma2 && c.num_layers == 46) || (f == Family::Gemma3 && c.num_layers == 62);
        describe_gemma(c, f, is_27b ? (double)c.hidden_size / c.num_heads : c.head_dim);
        c.attn_softcap = (float)num("attn_logit_softcapping", f == Family::Gemma2 ? 50.0 : 0);
        c.final_softcap = (float)num("final_logit_softcapping", f == Family::Gemma2 ? 30.0 : 0);
    }
    if (kv.has(arch + ".attention.scale")) c.query_scale = (float)num("attention.scale", 0);
    c.sliding_window = (int32_t)num("attention.sliding_window", 0);
    if (c.sliding_window > 0 && !is_gemma(f)) c.sliding_pattern = 1;
    return c;
}

void finish_config(ModelConfig& c, const Json* rope_scaling, const jllm_model_params& params) {
    // 1. sizes the kernels accept
    if (c.vocab_size <= 0 || c.hidden_size <= 0 || c.intermediate_size <= 0 || c.num_layers <= 0 ||
        c.num_heads <= 0 || c.num_kv_heads <= 0 || c.head_dim <= 0)
        fail(JLLM_INVALID_ARGUMENT, "model has a non-positive dimension (vocab %d hidden %d inter %d layers %d heads %d/%d head_dim %d)",
             c.vocab_size, c.hidden_size, c.intermediate_size, c.num_layers, c.num_heads, c.num_kv_heads, c.head_dim);
    if (c.num_heads % c.num_kv_heads != 0)
        fail(JLLM_UNSUPPORTED, "num_heads %d is not a multiple of num_kv_heads %d", c.num_heads, c.num_kv_heads);
    if (c.head_dim % 2 != 0 || c.head_dim > 256)
        fail(JLLM_UNSUPPORTED, "head_dim %d unsupported (even, at most 256)", c.head_dim);
    if (c.max_model_len <= 0)
        fail(JLLM_INVALID_ARGUMENT, "the model's context length (max_position_embeddings / context_length) is %d; "
             "it must be positive", c.max_model_len);
    if (c.sliding_window < 0 || c.attn_softcap < 0 || c.final_softcap < 0)
        fail(JLLM_INVALID_ARGUMENT, "negative sliding_window or soft-cap");

    // 2. rope frequencies: global (with any scaling) and, for Gemma 3's sliding layers, local
    int half = c.head_dim / 2;
    auto base_freqs = [&](double theta) {
        std::vector<float> f(half);
        for (int i = 0; i < half; i++) f[i] = (float)(1.0 / std::pow(theta, 2.0 * i / c.head_dim));
        return f;
    };
    c.rope_inv_freq = base_freqs(c.rope_theta);
    if (c.rope_local_theta > 0) c.rope_local_inv_freq = base_freqs(c.rope_local_theta);
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
        } else if (type == "longrope" || type == "su") {
            // Phi-3: inv_freq / short_factor, or / long_factor once a sequence outgrows the original context;
            // cos and sin scaled by attention_factor, i.e. every score by its square.
            const Json &lf = (*rope_scaling)["long_factor"], &sf = (*rope_scaling)["short_factor"];
            if (!lf.is_array() || !sf.is_array() || (int)lf.array().size() != half || (int)sf.array().size() != half)
                fail(JLLM_INVALID_ARGUMENT, "%s: longrope needs long_factor and short_factor of %d values",
                     c.architecture.c_str(), half);
            double orig = rope_scaling->num_or("original_max_position_embeddings",
                                               c.rope_original_max > 0 ? c.rope_original_max : c.max_model_len);
            if (c.rope_original_max <= 0) factor = rope_scaling->num_or("factor", 1.0);
            else factor = (double)c.max_model_len / orig;
            double attn = rope_scaling->num_or(
                "attention_factor", factor <= 1 ? 1.0 : std::sqrt(1 + std::log(factor) / std::log(orig)));
            c.rope_long_inv_freq = c.rope_inv_freq;
            for (int i = 0; i < half; i++) {
                c.rope_inv_freq[i] = (float)(c.rope_inv_freq[i] / sf.array()[i].number());
                c.rope_long_inv_freq[i] = (float)(c.rope_long_inv_freq[i] / lf.array()[i].number());
            }
            c.rope_original_max = (int32_t)orig;
            c.query_scale = (float)((c.query_scale > 0 ? c.query_scale : 1.0 / std::sqrt((double)c.head_dim)) * attn * attn);
        } else if (type == "linear") {
            for (int i = 0; i < half; i++) c.rope_inv_freq[i] = (float)(c.rope_inv_freq[i] / factor);
        } else if (!type.empty() && type != "default") {
            fail(JLLM_UNSUPPORTED, "%s: unsupported rope_scaling type '%s' (supported: llama3, linear, longrope)",
                 c.architecture.c_str(), type.c_str());
        }
    }

    // 3. the context. The sliding window limits what a layer reads, not the context: max_model_len stays the model's.
    if (params.max_model_len > 0 && params.max_model_len < c.max_model_len) c.max_model_len = params.max_model_len;
    if (params.max_model_len > c.max_model_len)
        fail(JLLM_INVALID_ARGUMENT, "max_model_len %d exceeds the model's context length %d", params.max_model_len,
             c.max_model_len);

    // 4. per-layer attention: window and rope table
    c.layers.assign(c.num_layers, LayerAttention{});
    for (int i = 0; i < c.num_layers; i++) {
        bool slides = !c.sliding_layers.empty() ? c.sliding_layers[i]
                      : c.sliding_pattern == 1  ? true
                      : c.sliding_pattern > 1   ? (i + 1) % c.sliding_pattern != 0
                                                : false;
        if (slides && c.sliding_window > 0) c.layers[i].window = c.sliding_window;
        c.layers[i].local_rope = slides && c.rope_local_theta > 0;
    }
}

std::vector<WeightTensor> split_rows(const WeightTensor& fused, const std::vector<int64_t>& rows, const char* what) {
    int64_t total = 0;
    for (int64_t r : rows) total += r;
    if (fused.rows != total)
        fail(JLLM_INVALID_ARGUMENT, "fused weight %s has %lld rows, expected %lld", what, (long long)fused.rows,
             (long long)total);
    std::vector<WeightTensor> parts;
    const uint8_t* p = (const uint8_t*)fused.data;
    for (int64_t r : rows) {
        WeightTensor w = fused;
        w.rows = r;
        w.data = p;
        p += w.bytes();  // rows are independent (quantised blocks never cross a row), so a view is exact
        parts.push_back(w);
    }
    return parts;
}

}  // namespace jllm
