// Internal error type: thrown inside native code, caught and mapped to a jllm_status in api.cpp only.
#pragma once
#include <stdexcept>
#include <string>
#include "jllm.h"

namespace jllm {

struct Error : std::runtime_error {
    jllm_status status;
    Error(jllm_status s, const std::string& msg) : std::runtime_error(msg), status(s) {}
};

[[noreturn]] void fail(jllm_status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

void log(int32_t level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void set_log_callback(jllm_log_fn fn);

}  // namespace jllm
