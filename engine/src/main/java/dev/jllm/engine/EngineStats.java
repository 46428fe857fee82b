package dev.jllm.engine;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counters and histograms the engine thread updates and /metrics reads. */
public final class EngineStats {
    /** Histogram bucket upper bounds in seconds (Prometheus style, +Inf implied). */
    public static final double[] TIME_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};

    /** A fixed-bucket histogram of seconds. */
    public static final class Histogram {
        public final AtomicLongArray counts = new AtomicLongArray(TIME_BUCKETS.length + 1);
        public final AtomicLong count = new AtomicLong();
        private final AtomicLong sumNanos = new AtomicLong();

        public void observe(double seconds) {
            int i = 0;
            while (i < TIME_BUCKETS.length && seconds > TIME_BUCKETS[i]) i++;
            counts.incrementAndGet(i);
            count.incrementAndGet();
            sumNanos.addAndGet((long) (seconds * 1e9));
        }

        public double sum() {
            return sumNanos.get() / 1e9;
        }
    }

    public final AtomicLong promptTokens = new AtomicLong();
    public final AtomicLong generationTokens = new AtomicLong();
    public final AtomicLong requestsFinished = new AtomicLong();
    public final AtomicLong preemptions = new AtomicLong();
    public volatile int running, waiting, swapped;
    public volatile double kvUsage, hostKvUsage, prefixHitRate;
    public final AtomicLong swaps = new AtomicLong();
    /** Wall time of whole engine steps, and of the native call inside them (the rest is Java-side work). */
    public final AtomicLong stepNanos = new AtomicLong(), nativeNanos = new AtomicLong(), steps = new AtomicLong();
    public final Histogram timeToFirstToken = new Histogram();
    public final Histogram interTokenLatency = new Histogram();
    public final Histogram e2eLatency = new Histogram();
    public final Histogram timePerOutputToken = new Histogram();
    /** Finished requests by finish reason ("stop", "length", "abort", "error"). */
    public final java.util.concurrent.ConcurrentHashMap<String, AtomicLong> finishedByReason = new java.util.concurrent.ConcurrentHashMap<>();

    /** Requests refused at submission, by reason (invalid, queue_full, queued_tokens, shutting_down, duplicate_id). */
    public final java.util.concurrent.ConcurrentHashMap<String, AtomicLong> rejectedByReason = new java.util.concurrent.ConcurrentHashMap<>();
    /** Engine loop iterations: stays still while the engine has nothing runnable (it blocks, never spins). */
    public final AtomicLong loopIterations = new AtomicLong();
    /** System.nanoTime() when the step in progress began, 0 between steps (the watchdog reads it). */
    public volatile long stepStartedNanos;
    /** Requests submitted and not yet scheduled, and their prompt tokens (the admission counters). */
    public volatile long queuedRequests, queuedTokens;

    void rejected(String reason) {
        rejectedByReason.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
    }

    void finished(String reason) {
        finishedByReason.computeIfAbsent(reason == null ? "stop" : reason, k -> new AtomicLong()).incrementAndGet();
    }
}
