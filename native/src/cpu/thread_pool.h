// Fork-join parallelism for the CPU kernels without OpenMP's spinning waits. Each calling thread (an engine's step
// thread) owns a small pool of workers; a worker that finds no work spins for a few tens of microseconds (enough to
// catch the next matmul of the same step) and then sleeps on a condition variable, so idle or waiting workers give
// their core back to whatever else runs on the machine. A job's shares (tids) are claimed by whichever thread comes
// first, the caller included, so the caller never waits for a worker that is asleep or preempted: it runs that
// share itself, and waits (spin, then sleep) only for shares a worker has claimed and not yet finished.
#pragma once
#include <cstdint>
#include <functional>

namespace jllm::cpu {

// Runs fn(tid, nth) once for every tid < nth on up to nth threads (the caller runs tid 0, and any tid no worker
// claimed in time), and returns when every call returned. fn must not assume which thread runs which tid.
// Nested calls (from inside fn) run serially on the calling thread.
void parallel_run(int nth, const std::function<void(int tid, int nth)>& fn);

// fn(i, tid) for every i < n on up to nth threads; items are handed out one at a time (dynamic schedule).
void parallel_for(int64_t n, int nth, const std::function<void(int64_t i, int tid)>& fn);

}  // namespace jllm::cpu
