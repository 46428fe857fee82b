#include "error.h"
#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace jllm {

static std::string vformat(const char* fmt, va_list ap) {
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    if (n < (int)sizeof buf) return std::string(buf, n < 0 ? 0 : n);
    std::string out(n, '\0');
    vsnprintf(out.data(), n + 1, fmt, ap);
    return out;
}

void fail(jllm_status status, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vformat(fmt, ap);
    va_end(ap);
    throw Error(status, msg);
}

static std::atomic<jllm_log_fn> g_log{nullptr};

void set_log_callback(jllm_log_fn fn) { g_log.store(fn); }

void log(int32_t level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vformat(fmt, ap);
    va_end(ap);
    jllm_log_fn fn = g_log.load();
    if (fn) {
        fn(level, msg.c_str());
    } else if (level >= JLLM_LOG_INFO) {
        static const char* names[] = {"debug", "info", "warn", "error"};
        fprintf(stderr, "[jllm %s] %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], msg.c_str());
    }
}

}  // namespace jllm
