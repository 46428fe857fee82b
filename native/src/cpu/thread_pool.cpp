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

// A job's shares (tids) are claimed, not assigned: the caller claims tid 0, and whoever comes next (a worker, or the
// caller again once its share is done) claims the next unclaimed tid. So the caller never waits for a worker that
// has not started yet (asleep, or preempted on a shared machine): it runs that share itself, and a late worker
// finds nothing left. It only waits for shares a worker has claimed and is still running.
//
// The claim state is one atomic word, so a claim is checked against the job it belongs to:
//   bits 63..32: job generation, 31..16: nth (shares in the job), 15..0: next unclaimed tid.
constexpr uint64_t pack(uint64_t gen, int nth, int next) { return gen << 32 | (uint64_t)nth << 16 | (uint64_t)next; }
constexpr uint64_t gen_of(uint64_t s) { return s >> 32; }
constexpr int nth_of(uint64_t s) { return (int)(s >> 16 & 0xffff); }
constexpr int next_of(uint64_t s) { return (int)(s & 0xffff); }

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
        // 1. enough workers (at most nth - 1 can help), started on first use
        while ((int)workers_.size() < nth - 1) workers_.emplace_back([this] { worker(); });
        // 2. publish the job: its function, then the claim word (release), tid 0 already the caller's. The word is
        // stored under the mutex so that a worker about to sleep cannot miss it.
        const uint64_t gen = gen_of(state_.load(std::memory_order_relaxed)) + 1;
        job_.store(&fn, std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lk(mu_);
            state_.store(pack(gen, nth, 1), std::memory_order_release);
        }
        if (sleepers_.load(std::memory_order_relaxed) > 0) work_cv_.notify_all();
        // 3. the caller's share, then any share no worker has claimed yet
        t_inside_job = true;
        int tid = 0;
        do {
            fn(tid, nth);
            finish_share();
        } while ((tid = claim(gen)) >= 0);
        t_inside_job = false;
        // 4. wait for the shares workers are still running: spin, then sleep
        auto all_done = [&] { return done_.load(std::memory_order_acquire) == nth; };
        for (int i = 0; i < kSpinIterations && !all_done(); i++) cpu_relax();
        if (!all_done()) {
            std::unique_lock<std::mutex> lk(mu_);
            done_cv_.wait(lk, all_done);
        }
    }

private:
    // The next unclaimed tid of job `gen`, or -1 when every share is claimed or the job is no longer current.
    int claim(uint64_t gen) {
        uint64_t s = state_.load(std::memory_order_acquire);
        while (gen_of(s) == gen && next_of(s) < nth_of(s))
            if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                return next_of(s);
        return -1;
    }

    // Counts a finished share; the one that completes the job wakes the caller if it sleeps.
    void finish_share() {
        const int nth = nth_of(state_.load(std::memory_order_relaxed));
        if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == nth) {
            std::lock_guard<std::mutex> lk(mu_);
            done_cv_.notify_one();
        }
    }

    void worker() {
        t_inside_job = true;  // a worker never starts a nested pool
        uint64_t seen = 0;    // the last generation this worker looked at
        for (;;) {
            // 1. wait for a new job: spin, then sleep
            auto fresh = [&] { return gen_of(state_.load(std::memory_order_acquire)) != seen; };
            for (int i = 0; i < kSpinIterations && !fresh(); i++) cpu_relax();
            if (!fresh()) {
                std::unique_lock<std::mutex> lk(mu_);
                sleepers_.fetch_add(1, std::memory_order_relaxed);
                work_cv_.wait(lk, [&] { return stop_ || fresh(); });
                sleepers_.fetch_sub(1, std::memory_order_relaxed);
                if (stop_) return;
            }
            // 2. claim shares of the current job until none is left. A successful claim pins the job: its caller
            // cannot return (and drop fn) before this share is counted done.
            seen = gen_of(state_.load(std::memory_order_acquire));
            for (int tid; (tid = claim(seen)) >= 0;) {
                const std::function<void(int, int)>* job = job_.load(std::memory_order_relaxed);
                (*job)(tid, nth_of(state_.load(std::memory_order_relaxed)));
                finish_share();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable work_cv_, done_cv_;
    std::atomic<uint64_t> state_{0};  // the claim word (see pack)
    std::atomic<int> done_{0};        // shares of the current job that returned
    std::atomic<int> sleepers_{0};    // workers blocked on work_cv_
    std::atomic<const std::function<void(int, int)>*> job_{nullptr};
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
