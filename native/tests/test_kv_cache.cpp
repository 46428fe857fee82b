// The KV cache in F32, F16 and BF16: conversions bit-exact against the scalar reference (every SIMD level via
// JLLM_SIMD, see CMakeLists.txt), paged attention per dtype against a naive f32 reference over the same rounded
// K/V, and whole-engine block copies and swaps moving bytes intact. Seed: argv[1] or JLLM_TEST_SEED; printed.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include "check.h"
#include "cpu/attention.h"
#include "cpu/kernels.h"
#include "cpu/kv_dtype.h"
#include "jllm.h"
#include "util/half.h"

using namespace jllm;

static std::mt19937 rng;
static const std::string kGguf = std::string(JLLM_SHARED_DIR) + "/models/stories260K/stories260K.gguf";
static const int32_t kDtypes[] = {JLLM_DTYPE_F32, JLLM_DTYPE_F16, JLLM_DTYPE_BF16};

static std::vector<float> randn(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

static float round_trip(int32_t dtype, float x) {  // the scalar reference
    if (dtype == JLLM_DTYPE_F16) return f16_to_f32(f32_to_f16(x));
    if (dtype == JLLM_DTYPE_BF16) return bf16_to_f32(f32_to_bf16(x));
    return x;
}

TEST(kv_conversions_match_the_scalar_reference_bit_for_bit) {
    printf("  simd: %s\n", cpu::kernels().name);
    // Normal values of several magnitudes, f16 subnormals and overflow, ties, signed zeros and infinities.
    std::vector<float> x = randn(1000, 3.0f);
    std::vector<float> small = randn(200, 1e-6f), large = randn(100, 1e5f);
    x.insert(x.end(), small.begin(), small.end());
    x.insert(x.end(), large.begin(), large.end());
    for (float v : {0.0f, -0.0f, INFINITY, -INFINITY, 65504.0f, 65520.0f, -65519.0f, 1.0f + 1.0f / 2048, 1.00390625f,
                    6.1e-5f, 5.96e-8f, 2.98e-8f, 1e-40f})
        x.push_back(v);
    for (int32_t dt : {JLLM_DTYPE_F16, JLLM_DTYPE_BF16}) {
        for (size_t n : {x.size(), (size_t)37, (size_t)5}) {  // odd lengths exercise the scalar tails
            std::vector<uint16_t> got(n);
            std::vector<float> back(n);
            cpu::kv_store(dt, x.data(), got.data(), (int64_t)n);
            cpu::kv_load(dt, got.data(), back.data(), (int64_t)n);
            int bad = 0;
            for (size_t i = 0; i < n; i++) {
                uint16_t want = dt == JLLM_DTYPE_F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
                float wantf = dt == JLLM_DTYPE_F16 ? f16_to_f32(want) : bf16_to_f32(want);
                if (got[i] != want || memcmp(&back[i], &wantf, 4) != 0) {
                    if (bad++ < 3) printf("  %s x=%g: stored %04x want %04x\n", cpu::kv_dtype_name(dt), x[i], got[i], want);
                }
            }
            CHECK_MSG(bad == 0, "%s: %d of %zu values differ", cpu::kv_dtype_name(dt), bad, n);
        }
        // NaN stays NaN (payloads may differ between the scalar and vector paths)
        float nan = NAN;
        uint16_t h;
        float back;
        cpu::kv_store(dt, &nan, &h, 1);
        cpu::kv_load(dt, &h, &back, 1);
        CHECK(std::isnan(back));
    }
}

// out[h] for one token: softmax(q_h · K[0..pos] / sqrt(hd)) · V[0..pos], K/V [ctx, nkv, hd], in double.
static void naive_attention(const float* q, const float* K, const float* V, int nh, int nkv, int hd, int pos, float* out) {
    for (int h = 0; h < nh; h++) {
        int kvh = h / (nh / nkv);
        std::vector<double> s(pos + 1);
        double mx = -1e300, z = 0;
        for (int p = 0; p <= pos; p++) {
            double d = 0;
            for (int i = 0; i < hd; i++) d += (double)q[h * hd + i] * K[(p * nkv + kvh) * hd + i];
            s[p] = d / std::sqrt((double)hd);
            mx = std::max(mx, s[p]);
        }
        for (int p = 0; p <= pos; p++) { s[p] = std::exp(s[p] - mx); z += s[p]; }
        for (int i = 0; i < hd; i++) {
            double o = 0;
            for (int p = 0; p <= pos; p++) o += s[p] / z * V[(p * nkv + kvh) * hd + i];
            out[h * hd + i] = (float)o;
        }
    }
}

TEST(paged_attention_reads_every_kv_dtype) {
    int cases = 0;
    for (int32_t dt : kDtypes)
        for (int hd : {8, 64, 80, 128})
            for (int bs : {4, 16})
                for (int ratio : {1, 4}) {
                    int nkv = 2, nh = nkv * ratio;
                    cpu::KvLayout L{bs, nkv, hd, dt};
                    std::uniform_int_distribution<int> len(1, 3 * bs + 5);
                    int ctx[2] = {len(rng) + 1, len(rng) + 3};
                    int nbs = (std::max(ctx[0], ctx[1]) + bs - 1) / bs, num_blocks = 2 * nbs + 2;
                    std::vector<int32_t> phys(num_blocks);
                    for (int i = 0; i < num_blocks; i++) phys[i] = i;
                    std::shuffle(phys.begin(), phys.end(), rng);
                    std::vector<int32_t> tables(phys.begin(), phys.begin() + 2 * nbs);
                    std::vector<uint8_t> kc(L.block_bytes() * num_blocks), vc(kc.size());
                    std::vector<float> K[2], V[2];
                    for (int s = 0; s < 2; s++) {
                        K[s] = randn((size_t)ctx[s] * nkv * hd);
                        V[s] = randn((size_t)ctx[s] * nkv * hd);
                        for (int p = 0; p < ctx[s]; p++) {
                            int64_t slot = (int64_t)tables[s * nbs + p / bs] * bs + p % bs;
                            cpu::write_kv(&K[s][(size_t)p * nkv * hd], &V[s][(size_t)p * nkv * hd], &slot, 1, kc.data(),
                                          vc.data(), L);
                        }
                        // the reference reads what the cache should hold: each value rounded to the dtype
                        for (auto* a : {&K[s], &V[s]})
                            for (float& x : *a) x = round_trip(dt, x);
                    }
                    // Seq 0 decodes its last position; seq 1 prefills its last 3 positions.
                    std::vector<int32_t> positions = {ctx[0] - 1, ctx[1] - 3, ctx[1] - 2, ctx[1] - 1}, tok_seq = {0, 1, 1, 1};
                    int T = 4;
                    std::vector<float> q = randn((size_t)T * nh * hd), out((size_t)T * nh * hd), ref(out.size());
                    int64_t stride = cpu::attention_scratch_floats(L, ratio, nbs * bs);
                    std::vector<float> scratch(3 * stride);
                    cpu::paged_attention(q.data(), out.data(), kc.data(), vc.data(), L, nh, positions.data(),
                                         tok_seq.data(), tables.data(), nbs, T, 1.0f / std::sqrt((float)hd), 0, 0.0f,
                                         3, scratch.data(), stride);
                    for (int t = 0; t < T; t++)
                        naive_attention(&q[(size_t)t * nh * hd], K[tok_seq[t]].data(), V[tok_seq[t]].data(), nh, nkv,
                                        hd, positions[t], &ref[(size_t)t * nh * hd]);
                    float err = max_abs_diff(out.data(), ref.data(), out.size());
                    CHECK_MSG(err < 1e-4f, "%s hd %d bs %d ratio %d: max error %g", cpu::kv_dtype_name(dt), hd, bs,
                              ratio, err);
                    cases++;
                }
    printf("  %d cases\n", cases);
}

// ---- whole engine on the shared stories260K model ----

struct Engine {
    jllm_model* m = nullptr;
    jllm_engine* e = nullptr;
    jllm_engine_info info{};
    int32_t vocab = 0;
    Engine(int32_t kv_dtype, int32_t num_blocks, int32_t host_blocks) {
        jllm_model_params mp = jllm_model_default_params();
        if (jllm_model_load(kGguf.c_str(), &mp, &m) != JLLM_OK) { printf("  load: %s\n", jllm_last_error()); return; }
        jllm_model_info mi;
        jllm_model_get_info(m, &mi);
        vocab = mi.vocab_size;
        jllm_engine_params ep = jllm_engine_default_params();
        ep.block_size = 4;
        ep.num_blocks = num_blocks;
        ep.num_host_blocks = host_blocks;
        ep.max_num_batched_tokens = 64;
        ep.num_threads = 2;
        ep.kv_cache_dtype = kv_dtype;
        if (jllm_engine_create(m, &ep, &e) != JLLM_OK) { printf("  engine: %s\n", jllm_last_error()); return; }
        jllm_engine_get_info(e, &info);
    }
    ~Engine() { jllm_engine_free(e); jllm_model_free(m); }
    // Runs tokens at positions first.. of one sequence with block table `table`; logits of the last token.
    std::vector<float> run(const std::vector<int32_t>& tokens, int32_t first, const std::vector<int32_t>& table) {
        int32_t n = (int32_t)tokens.size(), ctx = first + n, qs[2] = {0, n};
        std::vector<int32_t> pos(n), row(info.max_blocks_per_seq, 0);
        std::vector<int64_t> slots(n);
        std::copy(table.begin(), table.end(), row.begin());
        for (int32_t i = 0; i < n; i++) {
            pos[i] = first + i;
            slots[i] = (int64_t)table[pos[i] / info.block_size] * info.block_size + pos[i] % info.block_size;
        }
        jllm_batch b{n, tokens.data(), pos.data(), slots.data(), 1, qs, &ctx, row.data(), info.max_blocks_per_seq, 0, nullptr};
        std::vector<float> out(vocab);
        jllm_step_output o{nullptr, nullptr, nullptr, nullptr, 0, out.data()};
        if (jllm_engine_step(e, &b, nullptr, &o) != JLLM_OK) { printf("  step: %s\n", jllm_last_error()); out.clear(); }
        return out;
    }
};

TEST(engine_block_copies_and_swaps_move_every_kv_dtype_intact) {
    const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 300, 301, 302, 303}, other = {1, 9, 8, 7, 6, 5, 4, 3, 2};
    std::vector<float> f32_logits;
    for (int32_t dt : kDtypes) {
        Engine g(dt, 16, 8);
        CHECK(g.e != nullptr);
        if (!g.e) continue;
        CHECK(g.info.kv_cache_dtype == dt);
        const std::vector<int32_t> A = {0, 1, 2}, B = {3, 4, 5}, C = {6, 7, 8}, H = {0, 1, 2};
        g.run(prompt, 0, A);
        std::vector<float> la = g.run({42}, 9, A);
        CHECK(jllm_engine_copy_blocks(g.e, A.data(), B.data(), 3) == JLLM_OK);
        CHECK(jllm_engine_swap_out(g.e, A.data(), H.data(), 3) == JLLM_OK);
        g.run(other, 0, A);  // overwrite the originals while the copy is out
        CHECK(jllm_engine_swap_in(g.e, H.data(), C.data(), 3) == JLLM_OK);
        std::vector<float> lb = g.run({42}, 9, B), lc = g.run({42}, 9, C), lo = g.run({42}, 9, A);
        CHECK(!la.empty() && la == lb && la == lc);
        CHECK_MSG(la != lo, "%s: the overwritten blocks must give other logits", cpu::kv_dtype_name(dt));
        if (dt == JLLM_DTYPE_F32) {
            f32_logits = la;
        } else if (!f32_logits.empty()) {
            // 16-bit K/V: close to the f32 cache, yet not identical (so the dtype is really used)
            float err = max_abs_diff(la.data(), f32_logits.data(), la.size());
            CHECK_MSG(err > 0 && err < 0.05f, "%s KV logits differ from f32 KV by %g", cpu::kv_dtype_name(dt), err);
        }
    }
}

TEST(kv_dtype_auto_follows_the_weights_and_sizes_blocks) {
    int64_t bytes[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        Engine g(kDtypes[i], 8, 0);
        if (!g.e) { CHECK(false); continue; }
        bytes[i] = g.info.block_bytes;
        // stories260K: 5 layers, 4 kv heads x 8 dims, blocks of 4 tokens
        printf("  KV %s: %lld bytes per token\n", cpu::kv_dtype_name(kDtypes[i]), (long long)(bytes[i] / 4));
    }
    CHECK(bytes[0] == 2ll * 5 * 4 * 8 * 4 * 4);
    CHECK(bytes[1] * 2 == bytes[0] && bytes[2] * 2 == bytes[0]);
    Engine a(JLLM_DTYPE_AUTO, 8, 0);  // the GGUF's matrices are F32
    CHECK(a.e && a.info.kv_cache_dtype == JLLM_DTYPE_F32);
    Engine bad(7, 8, 0);  // not a KV dtype
    CHECK(bad.e == nullptr && strstr(jllm_last_error(), "kv_cache_dtype"));
}

int main(int argc, char** argv) {
    const char* env = getenv("JLLM_TEST_SEED");
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], nullptr, 10) : env ? (uint32_t)strtoul(env, nullptr, 10)
                                                                          : std::random_device{}();
    printf("seed %u (rerun: test_kv_cache %u)\n", seed, seed);
    rng.seed(seed);
    return check::run_all();
}
