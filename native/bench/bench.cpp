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
//     --steps N: timed decode steps at batch 1 (half as many, at least 5, at larger batches); batch 1 also reports
//     its fastest step against the read rate (bw_frac_best); each batch-1 step follows a read-rate pass, and the
//     fraction is taken against the rate measured next to the steps (a shared machine's rate moves)
//   jllm_bench --gguf FILE[,FILE...] [--prefill N] [--steps N] [--batches LIST] [--threads N] [--ctx N]: the same
//     figures for GGUF files (ci/bench-1b.sh writes 1B-class ones with random weights); one "RESULT" line per file
//     for scripts; decode starts at a context of --ctx tokens per sequence (default 16)
//   jllm_bench --read-rate [--threads N]: the mean read rate of 20 passes (ci/bench-1b.sh takes one next to each
//     llama-bench run)
//   jllm_bench --kernels [--threads N]: batch-1 matmul alone per weight dtype (128 MiB of weights), GB/s of
//     weights read, against the read rate; in cache on one thread, batch 1, 4 and 8 (GB/s of weights) and 64
//     (multiply-adds per second)
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

// STREAM-style read rate (bytes read per second): each thread sums its own slice of a buffer far larger than the
// caches (512 MiB, 16x a 32 MiB L3). One pass takes about 10 ms, so a pass can sit next to each timed decode step:
// on a shared machine the rate moves with other tenants' traffic, and a step is compared with the rate of its moment.
struct ReadProbe {
    std::vector<uint64_t> a;
    int threads;
    explicit ReadProbe(int threads) : a(64ull << 20), threads(threads) {
        for (size_t i = 0; i < a.size(); i++) a[i] = i;
    }
    double pass() {
        std::atomic<uint64_t> sink{0};
        auto t = Clock::now();
        std::vector<std::thread> ts;
        for (int th = 0; th < threads; th++)
            ts.emplace_back([&, th] {
                size_t b = a.size() * th / threads, e = a.size() * (th + 1) / threads;
                uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (size_t i = b; i + 4 <= e; i += 4) { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; }
                sink += s0 + s1 + s2 + s3;
            });
        for (auto& x : ts) x.join();
        return a.size() * sizeof(uint64_t) / seconds_since(t) + (double)(sink.load() & 0);
    }
    double best(int passes) {
        double b = 0;
        for (int i = 0; i < passes; i++) b = std::max(b, pass());
        return b;
    }
};

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
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

// Batch-1 matmul of a [N, 2048] weight in every dtype: with about 128 MiB of weights (far larger than the caches)
// on every thread, the weight bytes read per second against the read rate; with about 256 KiB (in L2) on one thread,
// the kernel's compute ceiling (best of many repetitions, so other load on the machine matters less).
static double matmul_rate(int32_t dt, int64_t K, int64_t target_bytes, int threads, bool best, int64_t M = 1) {
    const int64_t N = std::max<int64_t>(16, target_bytes / jllm::dtype_row_bytes(dt, K) / 16 * 16);
    std::vector<float> x(M * K, 0.5f), y(M * N), scratch((size_t)threads * jllm::cpu::kGemmTileRows * K);
    jllm::WeightTensor w;
    w.dtype = dt;
    w.rows = N;
    w.cols = K;
    // Every byte 0x3c: a normal number as f32, f16 and bf16 (no denormal slow paths); kernels do not branch on data.
    std::vector<uint8_t> bytes((size_t)w.bytes(), 0x3c);
    w.data = bytes.data();
    jllm::cpu::matmul(w, x.data(), M, y.data(), N, nullptr, threads, scratch.data());
    double rate = 0, total = 0;
    int reps = 0;
    auto t0 = Clock::now();
    while (seconds_since(t0) < 0.5 || reps < 5) {
        auto t = Clock::now();
        jllm::cpu::matmul(w, x.data(), M, y.data(), N, nullptr, threads, scratch.data());
        double s = seconds_since(t);
        total += s;
        rate = std::max(rate, (double)w.bytes() / s);
        reps++;
    }
    return best ? rate : (double)w.bytes() * reps / total;
}

static void kernel_bench(int threads, double bw) {
    const int64_t K = 2048;
    const std::pair<const char*, int32_t> dts[] = {
        {"f32", JLLM_DTYPE_F32},   {"f16", JLLM_DTYPE_F16},   {"bf16", JLLM_DTYPE_BF16}, {"q8_0", JLLM_DTYPE_Q8_0},
        {"q4_0", JLLM_DTYPE_Q4_0}, {"q4_1", JLLM_DTYPE_Q4_1}, {"q5_0", JLLM_DTYPE_Q5_0}, {"q5_1", JLLM_DTYPE_Q5_1},
        {"q2_k", JLLM_DTYPE_Q2_K}, {"q3_k", JLLM_DTYPE_Q3_K}, {"q4_k", JLLM_DTYPE_Q4_K}, {"q5_k", JLLM_DTYPE_Q5_K},
        {"q6_k", JLLM_DTYPE_Q6_K}};
    printf("batch-1 matmul [N, %lld], %s kernels: 128 MiB of weights on %d threads; 256 KiB (in cache) on 1 thread\n",
           (long long)K, jllm::cpu::kernels().name, threads);
    for (auto [name, dt] : dts) {
        double mem = matmul_rate(dt, K, 128ll << 20, threads, false), cache = matmul_rate(dt, K, 256 << 10, 1, true);
        double cache4 = matmul_rate(dt, K, 256 << 10, 1, true, 4), cache8 = matmul_rate(dt, K, 256 << 10, 1, true, 8);
        // batch 64 (prefill-like) as multiply-adds per second: weight bytes/s x 64 x K / row bytes
        double gmacs64 = matmul_rate(dt, K, 256 << 10, 1, true, 64) * 64 * K / jllm::dtype_row_bytes(dt, K) / 1e9;
        printf("  %-5s %6.2f GB/s  (%.2f of the read rate)   in cache, 1 thread: %6.2f GB/s, batch 4: %6.2f GB/s, "
               "batch 8: %6.2f GB/s, batch 64: %6.1f GMAC/s\n",
               name, mem / 1e9, mem / bw, cache / 1e9, cache4 / 1e9, cache8 / 1e9, gmacs64);
        printf("RESULT kernel_%s mem_gbs=%.2f bw_frac=%.3f cache_gbs=%.2f cache_b4_gbs=%.2f cache_b8_gbs=%.2f "
               "cache_b64_gmacs=%.1f\n", name, mem / 1e9, mem / bw, cache / 1e9, cache4 / 1e9, cache8 / 1e9, gmacs64);
        fflush(stdout);
    }
}

// Prefill and decode figures of one loaded model; `label` names it in the RESULT line. Sequences own
// `blocks_per_seq` 16-token blocks; decode runs at a context of `ctx` tokens.
struct BenchPlan { int prefill, steps, blocks_per_seq, ctx; };

// Batch 1 is timed step by step, each step right after a read-rate pass of the probe: bw_frac is weight bytes per
// step / the median step time against the median of those passes; bw_frac_best is the fastest step against the
// fastest pass. Tokens/s is the plain mean.
static int bench_model(jllm_model* m, const std::string& label, const BenchPlan& plan, const std::string& batches,
                       int threads, ReadProbe& probe) {
    jllm_model_info info;
    jllm_model_get_info(m, &info);
    jllm_engine_params ep = jllm_engine_default_params();
    ep.num_threads = threads;
    ep.max_num_batched_tokens = std::max(2048, plan.prefill);
    ep.num_blocks = 32 * plan.blocks_per_seq;  // 16-token blocks for 32 sequences
    jllm_engine* e = nullptr;
    if (jllm_engine_create(m, &ep, &e) != JLLM_OK) { fprintf(stderr, "%s\n", jllm_last_error()); return 1; }
    Runner r{e, 16, plan.blocks_per_seq};
    printf("\nmodel %s: %.1fM params, %.1f MiB read per decode step\n", label.c_str(), info.num_params / 1e6,
           info.weight_bytes / 1048576.0);
    std::string result = "RESULT " + label;
    char buf[160];
    // 1. Prefill: one prompt of plan.prefill tokens (at most the sequence's blocks); one untimed pass first.
    int np = std::min(plan.prefill, 16 * plan.blocks_per_seq);
    if (np > 0) {
        r.step(1, np, 0);
        double t = 0;
        for (int i = 0; i < 2; i++) t += r.step(1, np, 0);
        printf("  prefill %3d tokens:   %9.1f tokens/s\n", np, 2 * np / t);
        snprintf(buf, sizeof buf, " pp%d=%.2f", np, 2 * np / t);
        result += buf;
    }
    // 2. Decode at each batch size: every sequence adds one token per step.
    for (const std::string& bstr : split(batches)) {
        int batch = std::max(1, std::min(32, atoi(bstr.c_str())));
        // a context of plan.ctx tokens per sequence, fed in steps of at most 2048 tokens
        for (int c0 = 0, chunk = std::max(1, 2048 / batch); c0 < plan.ctx; c0 += chunk)
            r.step(batch, std::min(chunk, plan.ctx - c0), c0);
        int steps = batch == 1 ? plan.steps : std::max(5, plan.steps / 2);
        steps = std::min(steps, 16 * plan.blocks_per_seq - plan.ctx);
        std::vector<double> times, rates;  // each batch-1 step's time and the read rate of the pass before it
        for (int i = 0; i < steps; i++) {
            if (batch == 1) rates.push_back(probe.pass());
            times.push_back(r.step(batch, 1, plan.ctx + i));
        }
        double total = 0;
        for (double t : times) total += t;
        double tps = batch * steps / total;
        printf("  decode batch %2d:      %9.1f tokens/s  (%.2f ms/step)", batch, tps, 1e3 * total / steps);
        snprintf(buf, sizeof buf, " tg_b%d=%.2f", batch, tps);
        result += buf;
        if (batch == 1) {
            // Medians: a shared machine's rare stalls (a pass or a step several times slower than the others) move
            // the means of both by more than the figure being measured.
            const double t_med = median(times), rate_med = median(rates);
            const double best = *std::min_element(times.begin(), times.end());
            const double rate_max = *std::max_element(rates.begin(), rates.end());
            double frac = info.weight_bytes / t_med / rate_med, frac_best = info.weight_bytes / best / rate_max;
            printf("  read-bandwidth fraction %.2f (median step %.2f ms, median read rate %.1f GB/s of %.1f-%.1f; "
                   "fastest step %.2f ms against the fastest pass: %.2f)", frac, 1e3 * t_med, rate_med / 1e9,
                   *std::min_element(rates.begin(), rates.end()) / 1e9, rate_max / 1e9, 1e3 * best, frac_best);
            snprintf(buf, sizeof buf, " bw_frac=%.3f bw_frac_best=%.3f read_gbs=%.2f", frac, frac_best, rate_med / 1e9);
            result += buf;
        }
        printf("\n");
        fflush(stdout);
    }
    snprintf(buf, sizeof buf, " weight_mib=%.1f", info.weight_bytes / 1048576.0);
    printf("%s%s\n", result.c_str(), buf);
    fflush(stdout);
    jllm_engine_free(e);
    return 0;
}

int main(int argc, char** argv) {
    std::string dtypes = "bf16,q8_0,q4_k_m", models = "15m,110m", batches = "1,8,32", ggufs;
    int prefill = -1, steps = -1, ctx = 0;
    int threads = 0;
    bool kernels_only = false, read_rate_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kernels")) kernels_only = true;
        if (!strcmp(argv[i], "--read-rate")) read_rate_only = true;
    }
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--dtype")) dtypes = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) models = argv[i + 1];
        else if (!strcmp(argv[i], "--batches")) batches = argv[i + 1];
        else if (!strcmp(argv[i], "--prefill")) prefill = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ctx")) ctx = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--gguf")) ggufs = argv[i + 1];
    }
    if (models == "all") models = "15m,110m,1b";
    if (threads <= 0) threads = (int)std::thread::hardware_concurrency();
    printf("%s\n", jllm_build_info());
    ReadProbe probe(threads);
    double bw = probe.best(5);
    printf("memory read rate (STREAM-style sum, %d threads, best of 5): %.2f GB/s\n", threads, bw / 1e9);
    printf("RESULT read_bandwidth read_gbs=%.2f threads=%d\n", bw / 1e9, threads);
    if (read_rate_only) {  // the mean of 20 passes: for a figure taken by another program next to this one
        double sum = 0;
        for (int i = 0; i < 20; i++) sum += probe.pass();
        printf("RESULT read_rate read_gbs=%.2f threads=%d\n", sum / 20 / 1e9, threads);
        return 0;
    }
    if (kernels_only) {
        kernel_bench(threads, bw);
        return 0;
    }
    if (!ggufs.empty()) {
        int pp = prefill >= 0 ? prefill : 512;
        BenchPlan plan{pp, steps > 0 ? steps : 16, std::max(4, (pp + 15) / 16), ctx > 0 ? ctx : 16};
        plan.blocks_per_seq = std::max(plan.blocks_per_seq, (plan.ctx + plan.steps + 15) / 16);
        for (const std::string& path : split(ggufs)) {
            jllm_model_params mp = jllm_model_default_params();
            jllm_model* m = nullptr;
            if (jllm_model_load(path.c_str(), &mp, &m) != JLLM_OK) { fprintf(stderr, "%s\n", jllm_last_error()); return 1; }
            std::string label = path.substr(path.rfind('/') + 1);
            int rc = bench_model(m, label, plan, batches, threads, probe);
            jllm_model_free(m);
            if (rc) return rc;
        }
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
                BenchPlan plan{prefill >= 0 ? prefill : s.prefill, steps > 0 ? steps : s.steps, s.blocks_per_seq, s.ctx};
                int rc = bench_model(m, std::string(s.name) + "-" + dtype, plan, batches, threads, probe);
                jllm_model_free(m);
                unlink((dir + "/config.json").c_str());
                rmdir(dir.c_str());
                if (rc) return rc;
            }
        }
    return 0;
}
