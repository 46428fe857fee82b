#include "sampling.h"
#include <algorithm>
#include <cmath>
#include "kernels.h"
#include "util/error.h"

namespace jllm::cpu {

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double uniform_draw(uint64_t seed, uint64_t step) {
    uint64_t z = mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ (step * 0xd1b54a32d192ed03ull + 0x632be59bd9b4e019ull));
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

void validate_sampling_params(const jllm_sampling_params& p, int32_t vocab, int32_t max_logprobs, int32_t row) {
    auto bad = [&](const char* what) { fail(JLLM_INVALID_ARGUMENT, "sampling row %d: %s", row, what); };
    if (!(p.temperature >= 0) || std::isinf(p.temperature)) bad("temperature must be finite and >= 0");
    if (!(p.top_p > 0 && p.top_p <= 1)) bad("top_p must be in (0, 1]");
    if (!(p.min_p >= 0 && p.min_p <= 1)) bad("min_p must be in [0, 1]");
    if (!(p.repetition_penalty > 0) || std::isinf(p.repetition_penalty)) bad("repetition_penalty must be > 0");
    if (!std::isfinite(p.presence_penalty) || !std::isfinite(p.frequency_penalty)) bad("penalties must be finite");
    if (p.num_logprobs < 0 || p.num_logprobs > max_logprobs || p.num_logprobs > vocab) bad("num_logprobs out of range");
    if (p.forced_token < -1 || p.forced_token >= vocab) bad("forced_token out of range");
    if (p.num_prompt_tokens < 0 || (p.num_prompt_tokens > 0 && !p.prompt_tokens)) bad("prompt_tokens missing");
    if (p.num_output_tokens < 0 || (p.num_output_tokens > 0 && !p.output_tokens)) bad("output_tokens missing");
    if (p.num_bias < 0 || (p.num_bias > 0 && (!p.bias_token_ids || !p.bias_values))) bad("logit bias arrays missing");
    for (int32_t i = 0; i < p.num_prompt_tokens; i++)
        if (p.prompt_tokens[i] < 0 || p.prompt_tokens[i] >= vocab) bad("prompt token id out of range");
    for (int32_t i = 0; i < p.num_output_tokens; i++)
        if (p.output_tokens[i] < 0 || p.output_tokens[i] >= vocab) bad("output token id out of range");
    for (int32_t i = 0; i < p.num_bias; i++)
        if (p.bias_token_ids[i] < 0 || p.bias_token_ids[i] >= vocab) bad("logit bias token id out of range");
}

// Higher logit first; ties to the lower id (so greedy and top lists are deterministic).
static inline bool better(const float* w, int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); }

void sample_row(const float* logits, int32_t vocab, const jllm_sampling_params& p, SampleScratch& s,
                int32_t* token, float* logprob, int32_t* top_ids, float* top_logprobs) {
    float* w = s.work.data();
    std::copy(logits, logits + vocab, w);

    // 1. logits processors: logit_bias, then the allowed-token mask (structured output)
    for (int32_t i = 0; i < p.num_bias; i++) w[p.bias_token_ids[i]] += p.bias_values[i];
    if (p.allowed_mask)
        for (int32_t id = 0; id < vocab; id++)
            if (!((p.allowed_mask[id >> 5] >> (id & 31)) & 1u)) w[id] = -INFINITY;

    // 2. penalties: repetition over prompt ∪ output; frequency and presence over output
    int32_t* counts = s.counts.data();
    if (p.repetition_penalty != 1.0f) {
        auto penalize = [&](const int32_t* ids, int32_t n) {
            for (int32_t i = 0; i < n; i++) {
                int32_t id = ids[i];
                if (counts[id]) continue;
                counts[id] = 1;
                w[id] = w[id] > 0 ? w[id] / p.repetition_penalty : w[id] * p.repetition_penalty;
            }
        };
        penalize(p.prompt_tokens, p.num_prompt_tokens);
        penalize(p.output_tokens, p.num_output_tokens);
        for (int32_t i = 0; i < p.num_prompt_tokens; i++) counts[p.prompt_tokens[i]] = 0;
        for (int32_t i = 0; i < p.num_output_tokens; i++) counts[p.output_tokens[i]] = 0;
    }
    if (p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
        for (int32_t i = 0; i < p.num_output_tokens; i++) counts[p.output_tokens[i]]++;
        for (int32_t i = 0; i < p.num_output_tokens; i++) {
            int32_t id = p.output_tokens[i];
            if (!counts[id]) continue;
            w[id] -= p.frequency_penalty * (float)counts[id] + p.presence_penalty;
            counts[id] = 0;
        }
    }

    // 3. temperature; greedy resets the filters
    const bool greedy = p.temperature < 1e-5f;
    int32_t top_k = greedy ? 0 : p.top_k;
    float top_p = greedy ? 1.0f : p.top_p, min_p = greedy ? 0.0f : p.min_p;
    if (!greedy && p.temperature != 1.0f) {
        float inv = 1.0f / p.temperature;
        for (int32_t id = 0; id < vocab; id++) w[id] *= inv;
    }

    // 4. top-k: drop logits below the k-th largest (ties at the threshold stay, as in vLLM)
    int32_t* idx = s.idx.data();
    if (top_k > 0 && top_k < vocab) {
        for (int32_t i = 0; i < vocab; i++) idx[i] = i;
        std::nth_element(idx, idx + top_k - 1, idx + vocab, [&](int32_t a, int32_t b) { return better(w, a, b); });
        float kth = w[idx[top_k - 1]];
        for (int32_t id = 0; id < vocab; id++)
            if (w[id] < kth) w[id] = -INFINITY;
    }

    const Kernels& k = kernels();
    float* e = s.prob.data();  // exp(w - mx), from the last exp_sum pass
    float mx = k.max_f32(w, vocab);
    if (mx == -INFINITY) {  // everything masked: nothing can be sampled
        *token = p.forced_token >= 0 ? p.forced_token : -1;
        *logprob = -INFINITY;
        for (int32_t i = 0; i < p.num_logprobs; i++) { top_ids[i] = i; top_logprobs[i] = -INFINITY; }
        return;
    }

    // 5. top-p over the sorted probabilities: keep the shortest prefix whose mass reaches p (at least one)
    if (top_p < 1.0f) {
        const double z = k.exp_sum(w, vocab, mx, e);
        int32_t n = 0;
        for (int32_t id = 0; id < vocab; id++)
            if (w[id] > -INFINITY) idx[n++] = id;
        int32_t head = std::min<int32_t>(n, 64), kept = n;
        for (;;) {  // sort a longer head until its mass reaches top_p
            std::partial_sort(idx, idx + head, idx + n, [&](int32_t a, int32_t b) { return better(w, a, b); });
            double cum = 0;
            int32_t j = 0;
            for (; j < head && cum < top_p * z; j++) cum += e[idx[j]];
            if (cum >= top_p * z || head == n) { kept = std::max(j, 1); break; }
            head = std::min<int32_t>(n, head * 4);
        }
        for (int32_t j = kept; j < n; j++) w[idx[j]] = -INFINITY;
    }

    // 6. min-p: drop tokens whose probability is below min_p times the largest
    if (min_p > 0.0f) {
        float cut = mx + std::log(min_p);
        for (int32_t id = 0; id < vocab; id++)
            if (w[id] < cut) w[id] = -INFINITY;
    }

    // 7. log-softmax normaliser
    const double z = k.exp_sum(w, vocab, mx, e);
    const float lse = mx + (float)std::log(z);

    // 8. choose
    int32_t chosen;
    if (p.forced_token >= 0) {
        chosen = p.forced_token;
    } else if (greedy) {  // the first id holding the maximum
        chosen = 0;
        while (chosen + 1 < vocab && w[chosen] != mx) chosen++;
    } else {  // inverse CDF in id order with the row's own draw
        double u = uniform_draw(p.seed, p.rng_step) * z, cum = 0;
        chosen = -1;
        for (int32_t id = 0; id < vocab; id++) {
            if (w[id] == -INFINITY) continue;
            cum += e[id];
            chosen = id;
            if (cum > u) break;
        }
    }
    *token = chosen;
    *logprob = w[chosen] - lse;

    // 9. top-N log-probabilities, most likely first
    if (p.num_logprobs > 0) {
        for (int32_t i = 0; i < vocab; i++) idx[i] = i;
        int32_t n = p.num_logprobs;
        std::partial_sort(idx, idx + n, idx + vocab, [&](int32_t a, int32_t b) { return better(w, a, b); });
        for (int32_t i = 0; i < n; i++) { top_ids[i] = idx[i]; top_logprobs[i] = w[idx[i]] - lse; }
    }
}

}  // namespace jllm::cpu
