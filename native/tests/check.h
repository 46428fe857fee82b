// A minimal test harness: CHECK records failures and keeps going; main() ends with "N passed, N failed".
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace check {

inline int& failures() { static int n = 0; return n; }
inline int& checks() { static int n = 0; return n; }
inline std::vector<std::pair<std::string, std::function<void()>>>& registry() {
    static std::vector<std::pair<std::string, std::function<void()>>> r;
    return r;
}
struct Register {
    Register(const char* name, std::function<void()> f) { registry().emplace_back(name, std::move(f)); }
};

inline int run_all() {
    int passed = 0, failed = 0;
    for (auto& [name, fn] : registry()) {
        int before = failures();
        fn();
        bool ok = failures() == before;
        printf("%s %s\n", ok ? "PASS" : "FAIL", name.c_str());
        fflush(stdout);
        (ok ? passed : failed)++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

}  // namespace check

#define TEST(name) \
    static void name(); \
    static check::Register reg_##name(#name, name); \
    static void name()

#define CHECK(cond) \
    do { \
        check::checks()++; \
        if (!(cond)) { check::failures()++; printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
    } while (0)

#define CHECK_MSG(cond, ...) \
    do { \
        check::checks()++; \
        if (!(cond)) { \
            check::failures()++; \
            printf("  %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__); \
            printf("\n"); \
        } \
    } while (0)

// The random seed of this test run: JLLM_TEST_SEED from the environment, else a fresh one; printed once, so a
// failure can be reproduced with JLLM_TEST_SEED=<seed>.
namespace check {
inline uint64_t seed() {
    static uint64_t s = [] {
        const char* e = getenv("JLLM_TEST_SEED");
        uint64_t v = e && *e ? strtoull(e, nullptr, 10) : ((uint64_t)std::random_device{}() << 32 | std::random_device{}());
        printf("random seed %llu (set JLLM_TEST_SEED=%llu to reproduce)\n", (unsigned long long)v, (unsigned long long)v);
        fflush(stdout);
        return v;
    }();
    return s;
}
}  // namespace check

// Largest |a - b| over n values.
inline float max_abs_diff(const float* a, const float* b, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; i++) m = std::fmax(m, std::fabs(a[i] - b[i]));
    return m;
}
