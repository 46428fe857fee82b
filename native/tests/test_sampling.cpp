// Sampling on fixed logits through the public jllm_sample: greedy, each filter alone and combined, penalties,
// bias, mask, forced tokens, and seeded draws that do not depend on the batch around them.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include "check.h"
#include "jllm.h"

static const int V = 10;

struct Result {
    int32_t token;
    float logprob;
    std::vector<int32_t> top_ids;
    std::vector<float> top_lp;
    jllm_status status;
};

static std::vector<Result> sample(const std::vector<float>& logits, const std::vector<jllm_sampling_params>& ps) {
    int32_t rows = (int32_t)ps.size(), vocab = (int32_t)(logits.size() / ps.size());
    std::vector<int32_t> tok(rows), ids(rows * vocab);
    std::vector<float> lp(rows), tlp(rows * vocab);
    jllm_step_output out{tok.data(), lp.data(), ids.data(), tlp.data(), vocab, nullptr};
    jllm_status st = jllm_sample(logits.data(), rows, vocab, ps.data(), &out);
    std::vector<Result> r(rows);
    for (int i = 0; i < rows; i++) {
        r[i] = {tok[i], lp[i], {}, {}, st};
        for (int j = 0; j < ps[i].num_logprobs; j++) {
            r[i].top_ids.push_back(ids[i * vocab + j]);
            r[i].top_lp.push_back(tlp[i * vocab + j]);
        }
    }
    return r;
}

static Result one(const std::vector<float>& logits, const jllm_sampling_params& p) { return sample(logits, {p})[0]; }

static jllm_sampling_params greedy() {
    jllm_sampling_params p = jllm_sampling_default_params();
    p.temperature = 0;
    return p;
}

static const std::vector<float> kLogits = {1.0f, 3.0f, 0.5f, 3.0f, -1.0f, 2.0f, 0.0f, -2.0f, 1.5f, 2.5f};

static std::vector<double> log_softmax(std::vector<double> w) {
    double mx = *std::max_element(w.begin(), w.end()), z = 0;
    for (double v : w) if (v > -1e300) z += std::exp(v - mx);
    for (double& v : w) v = v - mx - std::log(z);
    return w;
}

TEST(greedy_takes_the_argmax_with_ties_to_the_lowest_id) {
    Result r = one(kLogits, greedy());
    CHECK(r.status == JLLM_OK);
    CHECK(r.token == 1);  // ids 1 and 3 tie at 3.0
    auto ls = log_softmax(std::vector<double>(kLogits.begin(), kLogits.end()));
    CHECK(std::fabs(r.logprob - ls[1]) < 1e-5);
}

TEST(top_logprobs_are_sorted_and_exact) {
    jllm_sampling_params p = greedy();
    p.num_logprobs = 4;
    Result r = one(kLogits, p);
    CHECK((r.top_ids == std::vector<int32_t>{1, 3, 9, 5}));
    auto ls = log_softmax(std::vector<double>(kLogits.begin(), kLogits.end()));
    for (int i = 0; i < 4; i++) CHECK(std::fabs(r.top_lp[i] - ls[r.top_ids[i]]) < 1e-5);
}

// Distinct tokens seen over many seeded draws.
static std::map<int32_t, int> histogram(const std::vector<float>& logits, jllm_sampling_params p, int draws) {
    std::map<int32_t, int> h;
    for (int i = 0; i < draws; i++) {
        p.seed = 12345;
        p.rng_step = (uint64_t)i;
        h[one(logits, p).token]++;
    }
    return h;
}

TEST(top_k_keeps_only_the_k_best) {
    jllm_sampling_params p = jllm_sampling_default_params();
    p.top_k = 3;  // 3.0, 3.0, 2.5
    auto h = histogram(kLogits, p, 2000);
    std::set<int32_t> seen;
    for (auto& [t, n] : h) seen.insert(t);
    CHECK((seen == std::set<int32_t>{1, 3, 9}));
}

TEST(top_p_keeps_the_smallest_prefix_reaching_p) {
    // probabilities 0.5, 0.3, 0.15, 0.05 → top_p 0.75 keeps {0, 1}; 0.85 keeps {0, 1, 2}
    std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    jllm_sampling_params p = jllm_sampling_default_params();
    p.top_p = 0.75f;
    auto h = histogram(l, p, 2000);
    CHECK(h.size() == 2 && h.count(0) && h.count(1));
    p.top_p = 0.85f;
    h = histogram(l, p, 2000);
    CHECK(h.size() == 3 && !h.count(3));
    p.top_p = 1e-6f;  // always at least one
    h = histogram(l, p, 200);
    CHECK(h.size() == 1 && h.count(0));
    // The kept tokens are renormalised: with {0, 1} the logprob of 0 is log(0.5 / 0.8).
    p.top_p = 0.75f;
    p.forced_token = 0;
    CHECK(std::fabs(one(l, p).logprob - std::log(0.5 / 0.8)) < 1e-5);
}

TEST(min_p_drops_tokens_below_a_fraction_of_the_best) {
    std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    jllm_sampling_params p = jllm_sampling_default_params();
    p.min_p = 0.25f;  // threshold 0.125 keeps 0, 1, 2
    auto h = histogram(l, p, 3000);
    CHECK(h.size() == 3 && !h.count(3));
}

TEST(filters_combine_top_k_then_top_p_then_min_p) {
    std::vector<float> l = {std::log(0.4f), std::log(0.3f), std::log(0.2f), std::log(0.1f)};
    jllm_sampling_params p = jllm_sampling_default_params();
    p.top_k = 3;      // {0,1,2}: renormalised 0.444, 0.333, 0.222
    p.top_p = 0.7f;   // prefix reaching 0.7: {0, 1}
    p.min_p = 0.8f;   // 0.333/0.444 = 0.75 < 0.8: only {0}
    auto h = histogram(l, p, 500);
    CHECK(h.size() == 1 && h.count(0));
    p.min_p = 0.5f;
    h = histogram(l, p, 2000);
    CHECK(h.size() == 2 && h.count(0) && h.count(1));
}

TEST(sampling_frequencies_follow_the_distribution) {
    std::vector<float> l = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
    jllm_sampling_params p = jllm_sampling_default_params();
    const int n = 20000;
    auto h = histogram(l, p, n);
    CHECK(std::fabs(h[0] / (double)n - 0.6) < 0.02);
    CHECK(std::fabs(h[1] / (double)n - 0.3) < 0.02);
    CHECK(std::fabs(h[2] / (double)n - 0.1) < 0.015);
    // Temperature 0.5 squares the odds: 0.36 : 0.09 : 0.01 normalised.
    p.temperature = 0.5f;
    h = histogram(l, p, n);
    CHECK(std::fabs(h[0] / (double)n - 0.36 / 0.46) < 0.02);
}

TEST(penalties_follow_vllm_definitions) {
    jllm_sampling_params p = greedy();
    p.num_logprobs = V;
    int32_t prompt[] = {1, 4};
    int32_t output[] = {5, 5, 9, 4};
    p.prompt_tokens = prompt;
    p.num_prompt_tokens = 2;
    p.output_tokens = output;
    p.num_output_tokens = 4;
    p.repetition_penalty = 2.0f;
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    Result r = one(kLogits, p);
    std::vector<double> w(kLogits.begin(), kLogits.end());
    for (int id : {1, 4, 5, 9}) w[id] = w[id] > 0 ? w[id] / 2.0 : w[id] * 2.0;  // prompt ∪ output, once each
    std::map<int, int> counts = {{5, 2}, {9, 1}, {4, 1}};                       // output only
    for (auto [id, c] : counts) w[id] -= 0.5 * c + 0.25;
    auto ls = log_softmax(w);
    for (int i = 0; i < V; i++) CHECK_MSG(std::fabs(r.top_lp[i] - ls[r.top_ids[i]]) < 1e-5, "id %d", r.top_ids[i]);
    CHECK(r.token == 3);
}

TEST(logit_bias_and_allowed_mask_apply_before_sampling) {
    jllm_sampling_params p = greedy();
    int32_t ids[] = {7, 1};
    float vals[] = {10.0f, -INFINITY};
    p.bias_token_ids = ids;
    p.bias_values = vals;
    p.num_bias = 2;
    CHECK(one(kLogits, p).token == 7);
    uint32_t mask = (1u << 2) | (1u << 6);  // only 2 and 6
    jllm_sampling_params m = greedy();
    m.allowed_mask = &mask;
    m.num_logprobs = 3;
    Result r = one(kLogits, m);
    CHECK(r.token == 2);
    CHECK(r.top_lp[2] == -INFINITY);
    uint32_t none = 0;
    m.allowed_mask = &none;
    CHECK(one(kLogits, m).token == -1);  // nothing allowed: no token, not a crash
}

TEST(seeded_draws_do_not_depend_on_the_batch) {
    std::vector<float> row = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
    jllm_sampling_params p = jllm_sampling_default_params();
    p.seed = 99;
    p.rng_step = 3;
    int32_t alone = one(row, p).token;
    for (int trial = 0; trial < 20; trial++) {
        std::vector<float> batch;
        std::vector<jllm_sampling_params> ps;
        int pos = trial % 5;
        for (int r = 0; r < 5; r++) {
            jllm_sampling_params q = jllm_sampling_default_params();
            q.seed = 1000 + trial * 7 + r;
            q.rng_step = (uint64_t)trial;
            if (r == pos) q = p;
            ps.push_back(q);
            batch.insert(batch.end(), row.begin(), row.end());
        }
        CHECK(sample(batch, ps)[pos].token == alone);
    }
    // A different seed gives a different sequence of draws.
    int differ = 0;
    for (uint64_t step = 0; step < 50; step++) {
        jllm_sampling_params a = p, b = p;
        a.rng_step = b.rng_step = step;
        b.seed = 100;
        differ += one(row, a).token != one(row, b).token;
    }
    CHECK(differ > 10);
}

TEST(forced_token_reports_its_logprob) {
    jllm_sampling_params p = jllm_sampling_default_params();
    p.forced_token = 7;
    Result r = one(kLogits, p);
    auto ls = log_softmax(std::vector<double>(kLogits.begin(), kLogits.end()));
    CHECK(r.token == 7 && std::fabs(r.logprob - ls[7]) < 1e-5);
}

TEST(bad_parameters_are_refused_with_a_message) {
    jllm_sampling_params p = jllm_sampling_default_params();
    p.top_p = 0;
    CHECK(one(kLogits, p).status == JLLM_INVALID_ARGUMENT);
    CHECK(strstr(jllm_last_error(), "top_p") != nullptr);
    p = jllm_sampling_default_params();
    int32_t bad = 10;
    float v = 1;
    p.bias_token_ids = &bad;
    p.bias_values = &v;
    p.num_bias = 1;
    CHECK(one(kLogits, p).status == JLLM_INVALID_ARGUMENT);
    p = jllm_sampling_default_params();
    p.temperature = -1;
    CHECK(one(kLogits, p).status == JLLM_INVALID_ARGUMENT);
}

int main() { return check::run_all(); }
