// Fork-join parallelism for the CPU kernels without OpenMP's spinning waits. Each calling thread (an engine's step
// thread) owns a small pool of workers; a worker that finds no work spins for a few tens of microseconds (enough to
// catch the next matmul of the same step) and then sleeps on a condition variable, so idle or waiting workers give
// their core back to whatever else runs on the machine. The caller waits for its workers the same way.
#pragma once
#include <cstdint>
#include <functional>

namespace jllm::cpu {

// Runs fn(tid, nth) for tid < nth on nth threads, the caller being tid 0, and returns when every call returned.
// Nested calls (from inside fn) run serially on the calling thread.
void parallel_run(int nth, const std::function<void(int tid, int nth)>& fn);

// fn(i, tid) for every i < n on up to nth threads; items are handed out one at a time (dynamic schedule).
void parallel_for(int64_t n, int nth, const std::function<void(int64_t i, int tid)>& fn);

}  // namespace jllm::cpu
