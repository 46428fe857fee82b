#include "thread_pool.h"
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace jllm::cpu {

namespace {

// About 30-100 µs of pause instructions before a waiting thread sleeps: long enough to cover the gap between the
// parallel regions of one forward pass, short enough that a waiter never burns a core a preempted thread needs.
constexpr int kSpinIterations = 2000;

thread_local bool t_inside_job = false;

class ThreadPool {
public:
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lk(mu_);
            stop_ = true;
        }
        work_cv_.notify_all();
        for (auto& t : workers_) t.join();
    }

    void run(int nth, const std::function<void(int, int)>& fn) {
        // 1. enough workers (tids 1..nth-1), started on first use
        while ((int)workers_.size() < nth - 1) {
            int tid = (int)workers_.size() + 1;
            workers_.emplace_back([this, tid] { worker(tid); });
        }
        // 2. publish the job as a seqlock: an odd generation while the fields change, the next even one when they
        // are valid, so a late worker never pairs one job's size with another's function. The final bump happens
        // under the mutex, so a worker going to sleep cannot miss it.
        pending_.store(nth - 1, std::memory_order_relaxed);
        uint64_t g = generation_.load(std::memory_order_relaxed);
        generation_.store(g + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        job_.store(&fn, std::memory_order_relaxed);
        job_nth_.store(nth, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lk(mu_);
            generation_.store(g + 2, std::memory_order_release);
        }
        work_cv_.notify_all();
        // 3. the caller's share, then wait for the others: spin, then sleep
        t_inside_job = true;
        fn(0, nth);
        t_inside_job = false;
        for (int i = 0; i < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; i++) cpu_relax();
        if (pending_.load(std::memory_order_acquire) != 0) {
            std::unique_lock<std::mutex> lk(mu_);
            done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
        }
    }

private:
    // A generation other than `seen` whose job fields are complete (even), or `seen` if none yet.
    uint64_t next_generation(uint64_t seen) const {
        uint64_t g = generation_.load(std::memory_order_acquire);
        return (g & 1) ? seen : g;
    }

    void worker(int tid) {
        t_inside_job = true;  // a worker never starts a nested pool
        uint64_t seen = 0;
        for (;;) {
            // 1. wait for a new generation: spin, then sleep
            uint64_t g = next_generation(seen);
            for (int i = 0; i < kSpinIterations && g == seen; i++) {
                cpu_relax();
                g = next_generation(seen);
            }
            if (g == seen) {
                std::unique_lock<std::mutex> lk(mu_);
                work_cv_.wait(lk, [&] { return stop_ || next_generation(seen) != seen; });
                if (stop_) return;
                g = next_generation(seen);
            }
            // 2. read the job; retry if the caller published another meanwhile
            const std::function<void(int, int)>* job = job_.load(std::memory_order_relaxed);
            int nth = job_nth_.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (generation_.load(std::memory_order_relaxed) != g) continue;
            seen = g;
            // 3. run this worker's share; the last one to finish wakes the caller
            if (tid < nth) {
                (*job)(tid, nth);
                if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                    std::lock_guard<std::mutex> lk(mu_);
                    done_cv_.notify_one();
                }
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable work_cv_, done_cv_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<const std::function<void(int, int)>*> job_{nullptr};
    std::atomic<int> job_nth_{0};
    bool stop_ = false;
};

ThreadPool& pool() {
    static thread_local ThreadPool p;
    return p;
}

}  // namespace

void parallel_run(int nth, const std::function<void(int tid, int nth)>& fn) {
    if (nth <= 1 || t_inside_job) {
        for (int t = 0; t < (nth > 1 ? nth : 1); t++) fn(t, nth > 1 ? nth : 1);
        return;
    }
    pool().run(nth, fn);
}

void parallel_for(int64_t n, int nth, const std::function<void(int64_t i, int tid)>& fn) {
    if (n <= 0) return;
    if (nth > n) nth = (int)n;
    std::atomic<int64_t> next{0};
    parallel_run(nth, [&](int tid, int) {
        for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i, tid);
    });
}

}  // namespace jllm::cpu
