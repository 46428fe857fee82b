// Token sampling with vLLM's semantics (../shared/reference/openai-compat.md §7), one logits row at a time.
#pragma once
#include <cstdint>
#include <vector>
#include "jllm.h"

namespace jllm::cpu {

// Per-thread working memory, sized once for a vocabulary (no allocation per row).
struct SampleScratch {
    std::vector<float> work;     // [vocab] processed logits
    std::vector<int32_t> counts; // [vocab] zero between rows
    std::vector<int32_t> idx;    // [vocab] candidate ids
    std::vector<float> prob;     // [vocab] exp(logit - max), unnormalised
    explicit SampleScratch(int32_t vocab = 0) { resize(vocab); }
    void resize(int32_t vocab) { work.resize(vocab); counts.assign(vocab, 0); idx.resize(vocab); prob.resize(vocab); }
};

// Processes logits [vocab] with p and picks a token. Writes *token (-1 when every token is masked), *logprob,
// and p.num_logprobs entries of top_ids / top_logprobs (may be null when num_logprobs is 0).
void sample_row(const float* logits, int32_t vocab, const jllm_sampling_params& p, SampleScratch& s,
                int32_t* token, float* logprob, int32_t* top_ids, float* top_logprobs);

// Uniform [0, 1) draw that depends only on (seed, step): a sequence's draws do not depend on its batch.
double uniform_draw(uint64_t seed, uint64_t step);

// Checks one row's parameters against the vocabulary and max_logprobs; throws Error naming the bad field.
void validate_sampling_params(const jllm_sampling_params& p, int32_t vocab, int32_t max_logprobs, int32_t row);

}  // namespace jllm::cpu
