// Prints CPU throughput of libjllm on dummy Llama models: llama2.c's stories15M / stories110M shapes and the
// Llama-3.2-1B shape (hidden 2048, 16 layers, 32/8 heads, intermediate 8192, vocabulary 128256, tied embeddings),
// in BF16, Q8_0 and llama.cpp's Q4_K_M mix by default: prefill tokens/s, decode tokens/s at batch 1, 8 and 32,
// and the fraction of this machine's read bandwidth that batch-1 decode reaches (weight bytes per token x tokens/s
// / STREAM-style read rate measured in the same run). A benchmark, not a test: it prints figures, never fails on
// a time.
//   usage: jllm_bench [--dtype LIST] [--threads N] [--model LIST]
//     LIST: comma-separated; dtypes f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q2_k q3_k q4_k q5_k q6_k q4_k_m
//     (default bf16,q8_0,q4_k_m); models 15m 110m 1b, or all (default 15m,110m)
//     --batches LIST: decode batch sizes (default 1,8,32); --prefill N: prompt tokens (0 skips the prefill figure)
//   jllm_bench --kernels [--threads N]: batch-1 matmul alone per weight dtype (128 MiB of weights), GB/s of
//     weights read, against the read rate
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "jllm.h"
#include "model/model.h"

using Clock = std::chrono::steady_clock;
static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// STREAM-style read rate (bytes read per second) over a buffer far larger than the caches, each thread summing
// its own slice; the best of five passes.
static double read_bandwidth(int threads) {
    const size_t n = 128ull << 20;  // uint64 words: 1 GiB
    std::vector<uint64_t> a(n);
    for (size_t i = 0; i < n; i++) a[i] = i;
    double best = 0;
    std::atomic<uint64_t> sink{0};
    for (int rep = 0; rep < 5; rep++) {
        auto t = Clock::now();
        std::vector<std::thread> ts;
        for (int th = 0; th < threads; th++)
            ts.emplace_back([&, th] {
                size_t b = n * th / threads, e = n * (th + 1) / threads;
                uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (size_t i = b; i + 4 <= e; i += 4) { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; }
                sink += s0 + s1 + s2 + s3;
            });
        for (auto& x : ts) x.join();
        best = std::max(best, n * sizeof(uint64_t) / seconds_since(t));
    }
    return best + (double)(sink.load() & 0);
}

static std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

static int32_t parse_dtype(const std::string& d) {
    static const std::pair<const char*, int32_t> names[] = {
        {"f32", JLLM_DTYPE_F32},   {"f16", JLLM_DTYPE_F16},   {"bf16", JLLM_DTYPE_BF16}, {"q4_0", JLLM_DTYPE_Q4_0},
        {"q4_1", JLLM_DTYPE_Q4_1}, {"q5_0", JLLM_DTYPE_Q5_0}, {"q5_1", JLLM_DTYPE_Q5_1}, {"q8_0", JLLM_DTYPE_Q8_0},
        {"q2_k", JLLM_DTYPE_Q2_K}, {"q3_k", JLLM_DTYPE_Q3_K}, {"q4_k", JLLM_DTYPE_Q4_K}, {"q5_k", JLLM_DTYPE_Q5_K},
        {"q6_k", JLLM_DTYPE_Q6_K}, {"q4_k_m", JLLM_DUMMY_Q4_K_M}};
    for (auto& [n, v] : names)
        if (d == n) return v;
    return -1;
}

struct Shape { const char* name; int dim, hidden, layers, heads, kv_heads, vocab, prefill, steps, blocks_per_seq, ctx; };

static std::string write_config(const Shape& s) {
    char dir[] = "/tmp/jllm-bench-XXXXXX";
    if (!mkdtemp(dir)) return "";
    std::ofstream(std::string(dir) + "/config.json")
        << "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":" << s.dim
        << ",\"intermediate_size\":" << s.hidden << ",\"num_hidden_layers\":" << s.layers
        << ",\"num_attention_heads\":" << s.heads << ",\"num_key_value_heads\":" << s.kv_heads
        << ",\"vocab_size\":" << s.vocab << ",\"max_position_embeddings\":1024,\"rms_norm_eps\":1e-5,"
        << "\"tie_word_embeddings\":true}";
    return dir;
}

struct Runner {
    jllm_engine* e;
    int bs = 16, stride;
    // Runs one step: `seqs` sequences, each feeding `n` tokens at positions [ctx, ctx + n); sequence s owns
    // blocks [s * stride, (s + 1) * stride).
    double step(int seqs, int n, int ctx) {
        std::vector<int32_t> tok, pos, qs = {0}, cl, tables(seqs * stride);
        std::vector<int64_t> slots;
        for (int s = 0; s < seqs; s++) {
            for (int i = 0; i < n; i++) {
                int p = ctx + i;
                tok.push_back((7 * s + 13 * p) % 1000 + 3);
                pos.push_back(p);
                slots.push_back((int64_t)(s * stride + p / bs) * bs + p % bs);
            }
            qs.push_back((int32_t)tok.size());
            cl.push_back(ctx + n);
            for (int b = 0; b < stride; b++) tables[s * stride + b] = s * stride + b;
        }
        jllm_batch b{(int32_t)tok.size(), tok.data(), pos.data(), slots.data(), seqs, qs.data(), cl.data(),
                     tables.data(), stride, 0, nullptr};
        std::vector<jllm_sampling_params> ps(seqs, jllm_sampling_default_params());
        std::vector<int32_t> ot(seqs);
        std::vector<float> olp(seqs);
        jllm_step_output out{ot.data(), olp.data(), nullptr, nullptr, 0, nullptr};
        auto t = Clock::now();
        jllm_status st = jllm_engine_step(e, &b, ps.data(), &out);
        if (st != JLLM_OK) fprintf(stderr, "step failed: %s\n", jllm_last_error());
        return seconds_since(t);
    }
};

// Batch-1 matmul of a [N, 2048] weight in every dtype, N chosen for about 128 MiB of weights (far larger than the
// caches): weight bytes read per second.
static void kernel_bench(int threads, double bw) {
    const int64_t K = 2048;
    const std::pair<const char*, int32_t> dts[] = {
        {"f32", JLLM_DTYPE_F32},   {"f16", JLLM_DTYPE_F16},   {"bf16", JLLM_DTYPE_BF16}, {"q8_0", JLLM_DTYPE_Q8_0},
        {"q4_0", JLLM_DTYPE_Q4_0}, {"q4_1", JLLM_DTYPE_Q4_1}, {"q5_0", JLLM_DTYPE_Q5_0}, {"q5_1", JLLM_DTYPE_Q5_1},
        {"q2_k", JLLM_DTYPE_Q2_K}, {"q3_k", JLLM_DTYPE_Q3_K}, {"q4_k", JLLM_DTYPE_Q4_K}, {"q5_k", JLLM_DTYPE_Q5_K},
        {"q6_k", JLLM_DTYPE_Q6_K}};
    std::vector<float> x(K, 0.5f), scratch((size_t)threads * jllm::cpu::kGemmTileRows * K);
    printf("batch-1 matmul [N, %lld] with about 128 MiB of weights, %s kernels, %d threads\n", (long long)K,
           jllm::cpu::kernels().name, threads);
    for (auto [name, dt] : dts) {
        const int64_t N = (128ll << 20) / jllm::dtype_row_bytes(dt, K) / 16 * 16;
        std::vector<float> y(N);
        jllm::WeightTensor w;
        w.dtype = dt;
        w.rows = N;
        w.cols = K;
        // Every byte 0x3c: a normal number as f32, f16 and bf16 (no denormal slow paths); kernels do not branch on data.
        std::vector<uint8_t> bytes((size_t)w.bytes(), 0x3c);
        w.data = bytes.data();
        jllm::cpu::matmul(w, x.data(), 1, y.data(), N, nullptr, threads, scratch.data());
        int reps = 0;
        auto t = Clock::now();
        while (seconds_since(t) < 0.5 || reps < 5) {
            jllm::cpu::matmul(w, x.data(), 1, y.data(), N, nullptr, threads, scratch.data());
            reps++;
        }
        double rate = (double)w.bytes() * reps / seconds_since(t);
        printf("  %-5s %7.1f MiB  %6.2f GB/s  (%.2f of the read rate)\n", name, w.bytes() / 1048576.0, rate / 1e9, rate / bw);
        fflush(stdout);
    }
}

int main(int argc, char** argv) {
    std::string dtypes = "bf16,q8_0,q4_k_m", models = "15m,110m", batches = "1,8,32";
    int prefill = -1;
    int threads = 0;
    bool kernels_only = false;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--kernels")) kernels_only = true;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--dtype")) dtypes = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) models = argv[i + 1];
        else if (!strcmp(argv[i], "--batches")) batches = argv[i + 1];
        else if (!strcmp(argv[i], "--prefill")) prefill = atoi(argv[i + 1]);
    }
    if (models == "all") models = "15m,110m,1b";
    if (threads <= 0) threads = (int)std::thread::hardware_concurrency();
    printf("%s\n", jllm_build_info());
    double bw = read_bandwidth(threads);
    printf("memory read rate (STREAM-style sum, %d threads): %.2f GB/s\n", threads, bw / 1e9);
    if (kernels_only) {
        kernel_bench(threads, bw);
        return 0;
    }
    const Shape shapes[] = {{"15m", 288, 768, 6, 6, 6, 32000, 512, 40, 64, 64},
                            {"110m", 768, 2048, 12, 12, 12, 32000, 512, 40, 64, 64},
                            {"1b", 2048, 8192, 16, 32, 8, 128256, 128, 10, 8, 16}};
    for (const std::string& want : split(models))
        for (const Shape& s : shapes) {
            if (want != s.name) continue;
            for (const std::string& dtype : split(dtypes)) {
                int32_t dt = parse_dtype(dtype);
                if (dt < 0) { fprintf(stderr, "unknown dtype %s\n", dtype.c_str()); return 2; }
                std::string dir = write_config(s);
                jllm_model_params mp = jllm_model_default_params();
                mp.load_format = JLLM_LOAD_DUMMY;
                mp.dummy_dtype = dt;
                jllm_model* m = nullptr;
                if (jllm_model_load(dir.c_str(), &mp, &m) != JLLM_OK) { fprintf(stderr, "%s\n", jllm_last_error()); return 1; }
                jllm_model_info info;
                jllm_model_get_info(m, &info);
                jllm_engine_params ep = jllm_engine_default_params();
                ep.num_threads = threads;
                ep.max_num_batched_tokens = 2048;
                ep.num_blocks = 32 * s.blocks_per_seq;  // 16-token blocks for 32 sequences
                jllm_engine* e = nullptr;
                if (jllm_engine_create(m, &ep, &e) != JLLM_OK) { fprintf(stderr, "%s\n", jllm_last_error()); return 1; }
                Runner r{e, 16, s.blocks_per_seq};
                printf("\nmodel %s: %.1fM params, %s weights, %.1f MiB read per decode step\n", s.name,
                       info.num_params / 1e6, dtype.c_str(), info.weight_bytes / 1048576.0);
                // Prefill: one prompt of s.prefill tokens (or --prefill, at most the sequence's blocks).
                int np = std::min(prefill >= 0 ? prefill : s.prefill, 16 * s.blocks_per_seq);
                if (np > 0) {
                    r.step(1, np, 0);
                    double t = 0;
                    for (int i = 0; i < 3; i++) t += r.step(1, np, 0);
                    printf("  prefill %3d tokens:   %9.1f tokens/s\n", np, 3 * np / t);
                }
                for (const std::string& bstr : split(batches)) {
                    int batch = std::max(1, std::min(32, atoi(bstr.c_str())));
                    r.step(batch, s.ctx, 0);  // a context of s.ctx tokens per sequence
                    int steps = batch == 1 ? s.steps : std::max(5, s.steps / 2);
                    double total = 0;
                    for (int i = 0; i < steps; i++) total += r.step(batch, 1, s.ctx + i);
                    double tps = batch * steps / total;
                    printf("  decode batch %2d:      %9.1f tokens/s  (%.2f ms/step)", batch, tps, 1e3 * total / steps);
                    if (batch == 1) printf("  read-bandwidth fraction %.2f", info.weight_bytes * (steps / total) / bw);
                    printf("\n");
                    fflush(stdout);
                }
                jllm_engine_free(e);
                jllm_model_free(m);
                unlink((dir + "/config.json").c_str());
                rmdir(dir.c_str());
            }
        }
    return 0;
}
