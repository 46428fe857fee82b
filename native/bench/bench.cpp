// Prints CPU throughput of libjllm on dummy Llama models of about 15M and 110M parameters (llama2.c's
// stories15M / stories110M shapes): prefill tokens/s, decode tokens/s at batch 1, 8 and 32, and the fraction of
// this machine's memory bandwidth that batch-1 decode reaches (weight bytes per token x tokens/s / copy rate).
// A benchmark, not a test: it prints figures and never fails on a time.
//   usage: jllm_bench [--dtype f32|f16|bf16|q8_0] [--threads N] [--model 15m|110m|all]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include <omp.h>
#include <unistd.h>
#include "jllm.h"

using Clock = std::chrono::steady_clock;
static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// STREAM-style copy rate (bytes read + written per second) over buffers far larger than the caches.
static double copy_bandwidth(int threads) {
    const size_t n = 64ull << 20;  // floats per buffer: 256 MiB
    std::vector<float> a(n, 1.0f), b(n, 0.0f);
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        auto t = Clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) b[i] = a[i];
        best = std::max(best, 2.0 * n * sizeof(float) / seconds_since(t));
    }
    return best + b[n / 2] * 0;  // keep b alive
}

struct Shape { const char* name; int dim, hidden, layers, heads, vocab; };

static std::string write_config(const Shape& s) {
    char dir[] = "/tmp/jllm-bench-XXXXXX";
    if (!mkdtemp(dir)) return "";
    std::ofstream(std::string(dir) + "/config.json")
        << "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":" << s.dim
        << ",\"intermediate_size\":" << s.hidden << ",\"num_hidden_layers\":" << s.layers
        << ",\"num_attention_heads\":" << s.heads << ",\"num_key_value_heads\":" << s.heads
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

int main(int argc, char** argv) {
    std::string dtype = "f32", which = "all";
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dtype")) dtype = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) which = argv[i + 1];
    }
    int32_t dt = dtype == "f16" ? JLLM_DTYPE_F16 : dtype == "bf16" ? JLLM_DTYPE_BF16 : dtype == "q8_0" ? JLLM_DTYPE_Q8_0 : JLLM_DTYPE_F32;
    if (threads <= 0) threads = (int)std::thread::hardware_concurrency();
    printf("%s\n", jllm_build_info());
    double bw = copy_bandwidth(threads);
    printf("memory copy rate (STREAM-style, %d threads): %.2f GB/s\n", threads, bw / 1e9);
    Shape shapes[] = {{"15m", 288, 768, 6, 6, 32000}, {"110m", 768, 2048, 12, 12, 32000}};
    for (const Shape& s : shapes) {
        if (which != "all" && which != s.name) continue;
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
        ep.num_blocks = 32 * 64;
        jllm_engine* e = nullptr;
        if (jllm_engine_create(m, &ep, &e) != JLLM_OK) { fprintf(stderr, "%s\n", jllm_last_error()); return 1; }
        Runner r{e, 16, 64};
        printf("\nmodel %s: %.1fM params, %s weights, %.1f MiB read per decode step\n", s.name,
               info.num_params / 1e6, dtype.c_str(), info.weight_bytes / 1048576.0);
        // Prefill: one 512-token prompt.
        r.step(1, 512, 0);
        double t = 0;
        for (int i = 0; i < 3; i++) t += r.step(1, 512, 0);
        printf("  prefill 512 tokens:   %9.1f tokens/s\n", 3 * 512 / t);
        for (int batch : {1, 8, 32}) {
            r.step(batch, 64, 0);  // context of 64 tokens per sequence
            int steps = batch == 1 ? 40 : 20;
            double total = 0;
            for (int i = 0; i < steps; i++) total += r.step(batch, 1, 64 + i);
            double tps = batch * steps / total;
            printf("  decode batch %2d:      %9.1f tokens/s  (%.2f ms/step)", batch, tps, 1e3 * total / steps);
            if (batch == 1) printf("  bandwidth fraction %.2f", info.weight_bytes * (steps / total) / bw);
            printf("\n");
        }
        jllm_engine_free(e);
        jllm_model_free(m);
        unlink((dir + "/config.json").c_str());
        rmdir(dir.c_str());
    }
    return 0;
}
