// A DecoderOps that times another one, op by op (JLLM_PROFILE=1): where a step's wall time goes, to compare with
// the bytes each matmul reads. Matmuls are keyed by weight shape and dtype, the other ops by name. Wall time, so a
// thread preempted by another process shows up in the op it was running.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include "model/decoder.h"

namespace jllm {

class TimedOps final : public DecoderOps {
public:
    struct Total { int64_t calls = 0, bytes = 0; double seconds = 0, fastest = 1e30; };
    std::map<std::string, Total> totals;  // op -> totals over every step timed
    DecoderOps* inner = nullptr;

    // Prints one line per op: calls, ms per step, share of the timed time, GB/s of weights for matmuls; then the
    // same from each op's fastest call, which other load on the machine moves least ("if every call went as well
    // as the best one"), and the step time that adds up to.
    void print(FILE* f, int64_t steps) const {
        const double n = (double)std::max<int64_t>(steps, 1);
        double all = 0, all_fast = 0;
        for (auto& [k, t] : totals) all += t.seconds, all_fast += t.fastest * t.calls;
        fprintf(f, "[jllm profile] %lld steps, %.2f ms/step in decoder ops (%.2f at each op's fastest call)\n",
                (long long)steps, 1e3 * all / n, 1e3 * all_fast / n);
        for (auto& [k, t] : totals) {
            fprintf(f, "[jllm profile]   %-50s %6lld calls %8.3f ms/step %5.1f%% | fastest %8.1f us %8.3f ms/step %5.1f%%",
                    k.c_str(), (long long)t.calls, 1e3 * t.seconds / n, 100 * t.seconds / std::max(all, 1e-12),
                    1e6 * t.fastest, 1e3 * t.fastest * t.calls / n, 100 * t.fastest * t.calls / std::max(all_fast, 1e-12));
            if (t.bytes) fprintf(f, " %6.2f GB/s", t.bytes / t.calls / t.fastest / 1e9);
            fprintf(f, "\n");
        }
    }

    void embed(const WeightTensor& table, const int32_t* ids, int64_t T, float scale, float* x) override {
        timed("embed", 0, [&] { inner->embed(table, ids, T, scale, x); });
    }
    void matmul(const WeightTensor& w, const float* x, int64_t M, float* y, const float* bias) override {
        char key[64];
        snprintf(key, sizeof key, "matmul %s %lldx%lld", dtype_name(w.dtype), (long long)w.rows, (long long)w.cols);
        timed(key, w.bytes(), [&] { inner->matmul(w, x, M, y, bias); });
    }
    void matmuls(const float* x, int64_t M, const MatmulOut* out, int n) override {
        std::string key = "matmuls";
        int64_t bytes = 0;
        for (int i = 0; i < n; i++) {
            key += std::string(i ? "+" : " ") + dtype_name(out[i].w->dtype) + " " + std::to_string(out[i].w->rows) + "x" +
                   std::to_string(out[i].w->cols);
            bytes += out[i].w->bytes();
        }
        timed(key, bytes, [&] { inner->matmuls(x, M, out, n); });
    }
    void rmsnorm(const float* x, const float* w, float* out, int64_t rows, int64_t dim, float eps) override {
        timed("rmsnorm", 0, [&] { inner->rmsnorm(x, w, out, rows, dim, eps); });
    }
    void rope(float* q, float* k, const int32_t* positions, int64_t T, int nh, int nkv, int hd, const float* inv_freq,
              RopeStyle style) override {
        timed("rope", 0, [&] { inner->rope(q, k, positions, T, nh, nkv, hd, inv_freq, style); });
    }
    void write_kv(int layer, const float* k, const float* v, const jllm_batch& b) override {
        timed("write_kv", 0, [&] { inner->write_kv(layer, k, v, b); });
    }
    void attention(int layer, const float* q, float* out, const jllm_batch& b, float scale, int32_t window,
                   float softcap) override {
        timed("attention", 0, [&] { inner->attention(layer, q, out, b, scale, window, softcap); });
    }
    void gated_activation(Activation act, float* gate, const float* up, int64_t n) override {
        timed("gated_activation", 0, [&] { inner->gated_activation(act, gate, up, n); });
    }
    void add(float* x, const float* y, int64_t n) override {
        timed("add", 0, [&] { inner->add(x, y, n); });
    }
    void softcap(float* x, int64_t n, float cap) override {
        timed("softcap", 0, [&] { inner->softcap(x, n, cap); });
    }
    void gather_rows(const float* x, const int32_t* rows, int32_t num_rows, int64_t dim, float* out) override {
        timed("gather_rows", 0, [&] { inner->gather_rows(x, rows, num_rows, dim, out); });
    }

    template <class F>
    void timed(const std::string& key, int64_t bytes, F&& f) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        Total& t = totals[key];
        t.calls++;
        t.bytes += bytes;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        t.seconds += s;
        t.fastest = std::min(t.fastest, s);
    }
};

}  // namespace jllm
