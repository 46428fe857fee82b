// The embedding kernels against naive references on fresh random inputs: dense attention (bidirectional and
// causal with windows, head sizes 8/64/80/128, GQA ratios, several sequences of odd lengths), LayerNorm, exact GELU,
// and pooling (last / CLS / mean). Tolerance 1e-4 absolute (float32 against double).
#include <algorithm>
#include <cstring>
#include "check.h"
#include "cpu/encoder_ops.h"
#include "jllm.h"
#include "model/encoder.h"
#include "model/model.h"

using namespace jllm;

static std::mt19937_64 rng(check::seed());  // JLLM_TEST_SEED reproduces a run

static std::vector<float> randn(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

TEST(dense_attention_matches_naive) {
    const int shapes[][3] = {{4, 4, 8}, {8, 2, 64}, {6, 3, 80}, {4, 1, 128}};  // nh, nkv, hd
    for (auto& sh : shapes) {
        const int nh = sh[0], nkv = sh[1], hd = sh[2], group = nh / nkv;
        for (int mode = 0; mode < 3; mode++) {  // 0 bidirectional, 1 causal, 2 causal with a window of 3
            const bool causal = mode > 0;
            const int window = mode == 2 ? 3 : 0;
            std::vector<int32_t> qs = {0, 7, 8, 21};  // sequences of 7, 1 and 13 tokens
            const int T = qs.back(), S = (int)qs.size() - 1;
            auto q = randn((size_t)T * nh * hd), k = randn((size_t)T * nkv * hd), v = randn((size_t)T * nkv * hd);
            std::vector<float> out((size_t)T * nh * hd), scratch(3 * 32);
            const float scale = 1.0f / std::sqrt((float)hd);
            cpu::dense_attention(q.data(), k.data(), v.data(), out.data(), qs.data(), S, nh, nkv, hd, scale, causal,
                                 window, 3, scratch.data(), 32);
            float worst = 0;
            for (int s = 0; s < S; s++)
                for (int t = qs[s]; t < qs[s + 1]; t++)
                    for (int h = 0; h < nh; h++) {
                        const int g = h / group;
                        int p0 = qs[s], p1 = qs[s + 1];
                        if (causal) p1 = t + 1;
                        if (window > 0) p0 = std::max(p0, t - window + 1);
                        std::vector<double> w;
                        double mx = -1e300, sum = 0;
                        for (int p = p0; p < p1; p++) {
                            double d = 0;
                            for (int i = 0; i < hd; i++) d += (double)q[((size_t)t * nh + h) * hd + i] * k[((size_t)p * nkv + g) * hd + i];
                            w.push_back(d * scale);
                            mx = std::max(mx, w.back());
                        }
                        for (double& x : w) sum += x = std::exp(x - mx);
                        for (int i = 0; i < hd; i++) {
                            double o = 0;
                            for (int p = p0; p < p1; p++) o += w[p - p0] / sum * v[((size_t)p * nkv + g) * hd + i];
                            worst = std::max(worst, (float)std::fabs(o - out[((size_t)t * nh + h) * hd + i]));
                        }
                    }
            CHECK_MSG(worst < 1e-4f, "nh %d nkv %d hd %d mode %d: max |diff| %g", nh, nkv, hd, mode, worst);
        }
    }
}

TEST(layernorm_and_gelu_match_naive) {
    const int rows = 5, dim = 77;
    auto x = randn(rows * dim, 3.0f), w = randn(dim), b = randn(dim);
    for (auto& v : x) v += 10.0f;  // a large mean: the variance must not cancel away
    std::vector<float> out(rows * dim);
    cpu::layernorm(x.data(), w.data(), b.data(), out.data(), rows, dim, 1e-12f);
    float worst = 0;
    for (int r = 0; r < rows; r++) {
        double mean = 0, var = 0;
        for (int i = 0; i < dim; i++) mean += x[r * dim + i];
        mean /= dim;
        for (int i = 0; i < dim; i++) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
        var /= dim;
        for (int i = 0; i < dim; i++) {
            double want = (x[r * dim + i] - mean) / std::sqrt(var + 1e-12) * w[i] + b[i];
            worst = std::max(worst, (float)std::fabs(want - out[r * dim + i]));
        }
    }
    CHECK_MSG(worst < 1e-4f, "layernorm max |diff| %g", worst);
    auto g = randn(1000, 3.0f), g0 = g;
    cpu::gelu_erf(g.data(), (int64_t)g.size());
    worst = 0;
    for (size_t i = 0; i < g.size(); i++)
        worst = std::max(worst, (float)std::fabs(0.5 * g0[i] * (1 + std::erf(g0[i] / std::sqrt(2.0))) - g[i]));
    CHECK_MSG(worst < 1e-5f, "gelu max |diff| %g", worst);
}

TEST(pooling_picks_last_first_or_mean) {
    const int dim = 6;
    std::vector<int32_t> qs = {0, 3, 4, 9};
    auto x = randn(9 * dim);
    std::vector<float> out(3 * dim);
    for (int32_t mode : {JLLM_POOLING_LAST, JLLM_POOLING_CLS, JLLM_POOLING_MEAN}) {
        pool_rows(x.data(), dim, qs.data(), 3, mode, out.data());
        float worst = 0;
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < dim; i++) {
                double want = 0;
                if (mode == JLLM_POOLING_LAST) want = x[(qs[s + 1] - 1) * dim + i];
                else if (mode == JLLM_POOLING_CLS) want = x[qs[s] * dim + i];
                else {
                    for (int t = qs[s]; t < qs[s + 1]; t++) want += x[t * dim + i];
                    want /= qs[s + 1] - qs[s];
                }
                worst = std::max(worst, (float)std::fabs(want - out[s * dim + i]));
            }
        CHECK_MSG(worst < 1e-5f, "pooling %d max |diff| %g", mode, worst);
    }
}

// stories260K (../shared) run as a decoder embedding model: the LAST-pooled vector must be the final-normed hidden
// state the engine's own step turns into logits (lm_head · vector == the step's logits), whatever runs beside it.
TEST(decoder_embedding_is_the_last_tokens_final_hidden_state) {
    const std::string path = std::string(JLLM_SHARED_DIR) + "/models/stories260K-hf";
    jllm_model_params mp = jllm_model_default_params();
    jllm_model* m = nullptr;
    CHECK(jllm_model_load(path.c_str(), &mp, &m) == JLLM_OK);
    if (!m) return;
    jllm_engine_params ep = jllm_engine_default_params();
    ep.block_size = 16, ep.num_blocks = 16, ep.num_threads = 2;
    jllm_engine* e = nullptr;
    CHECK(jllm_engine_create(m, &ep, &e) == JLLM_OK);
    jllm_model_info mi;
    jllm_model_get_info(m, &mi);
    const int H = mi.hidden_size, V = mi.vocab_size;
    std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 9, 77};

    // 1. the step's logits of the prompt's last token
    const int n = (int)prompt.size();
    std::vector<int32_t> pos(n), qs = {0, n}, ctx = {n}, table(64, 0);
    std::vector<int64_t> slots(n);
    for (int i = 0; i < n; i++) pos[i] = i, slots[i] = i;
    jllm_engine_info ei;
    jllm_engine_get_info(e, &ei);
    jllm_batch b{n, prompt.data(), pos.data(), slots.data(), 1, qs.data(), ctx.data(), table.data(), ei.max_blocks_per_seq, 0, nullptr};
    std::vector<float> logits(V);
    jllm_step_output out{nullptr, nullptr, nullptr, nullptr, 0, logits.data()};
    CHECK(jllm_engine_step(e, &b, nullptr, &out) == JLLM_OK);

    // 2. the prompt embedded alone and between two other sequences
    std::vector<int32_t> ids = {5, 6, 7};
    ids.insert(ids.end(), prompt.begin(), prompt.end());
    ids.push_back(42);
    std::vector<int32_t> eqs = {0, 3, 3 + n, 4 + n};
    std::vector<float> batched(3 * H), alone(H);
    jllm_embed_batch eb{(int32_t)ids.size(), ids.data(), 3, eqs.data(), JLLM_POOLING_LAST};
    CHECK(jllm_engine_embed(e, &eb, batched.data()) == JLLM_OK);
    int32_t aqs[2] = {0, n};
    jllm_embed_batch ab{n, prompt.data(), 1, aqs, JLLM_POOLING_LAST};
    CHECK(jllm_engine_embed(e, &ab, alone.data()) == JLLM_OK);
    CHECK_MSG(max_abs_diff(alone.data(), batched.data() + H, H) < 1e-5f, "alone vs batched %g",
              max_abs_diff(alone.data(), batched.data() + H, H));

    // 3. lm_head · vector against the step's logits (lm_head read from the same files independently)
    auto model = jllm::load_model(path, mp);
    const jllm::WeightTensor& head = model->lm_head;
    CHECK(head.dtype == JLLM_DTYPE_F32);
    float worst = 0;
    for (int v = 0; v < V; v++) {
        double l = 0;
        for (int i = 0; i < H; i++) l += (double)((const float*)head.data)[(size_t)v * H + i] * alone[i];
        worst = std::max(worst, (float)std::fabs(l - logits[v]));
    }
    CHECK_MSG(worst < 1e-3f, "lm_head x embedding vs step logits: max |diff| %g", worst);

    // 4. bad batches are refused with a status, never run
    eb.pooling = 7;
    CHECK(jllm_engine_embed(e, &eb, batched.data()) == JLLM_INVALID_ARGUMENT);
    eb.pooling = JLLM_POOLING_MEAN;
    ids[0] = V;
    CHECK(jllm_engine_embed(e, &eb, batched.data()) == JLLM_INVALID_ARGUMENT);
    CHECK(strstr(jllm_last_error(), "out of range") != nullptr);
    ids[0] = 5;
    eqs[1] = 0;  // an empty sequence
    CHECK(jllm_engine_embed(e, &eb, batched.data()) == JLLM_INVALID_ARGUMENT);
    CHECK(jllm_engine_embed(e, nullptr, batched.data()) == JLLM_INVALID_ARGUMENT);
    jllm_engine_free(e);
    jllm_model_free(m);
}

int main() { return check::run_all(); }
