package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's engine faults, on a fake executor (no model): requests that can never run are refused or failed (never
 * wedge the loop), the loop never spins, one request's error stays its own, the queue is bounded with a live
 * counter, the watchdog, and shutdown that frees native memory only after the last step.
 */
class EngineLivenessTest {
    static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        tok = Tokenizers.load(TestModels.hf(), null);
    }

    @AfterAll
    static void unload() {
        tok.close();
    }

    /** 64 blocks of 4 tokens, max_model_len 128, max_num_seqs 4, 32 tokens a step. */
    static Engine engine(FakeExecutor exec, int maxWaiting, long maxWaitingTokens, double watchdogSeconds) {
        return new Engine(exec, tok, new EngineConfig(32, 4, true, 20, 1, maxWaiting, maxWaitingTokens, watchdogSeconds));
    }

    static FakeExecutor fake() {
        return new FakeExecutor(tok.vocabSize(), 128, 4, 64);
    }

    static SamplingParams params(int n, int maxTokens) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.n = n;
        b.temperature = n > 1 ? 1f : 0f;
        b.maxTokens = maxTokens;
        b.ignoreEos = true;
        return b.build();
    }

    static int[] prompt(int len) {
        int[] p = new int[len];
        for (int i = 0; i < len; i++) p[i] = 100 + i;
        return p;
    }

    /** The stream's outputs up to its last one; fails when a request does not end. */
    static RequestOutput last(RequestStream s) throws InterruptedException {
        while (true) {
            RequestOutput o = s.poll(30, TimeUnit.SECONDS);
            assertNotNull(o, "request " + s.requestId() + " never ended");
            if (o.finished()) return o;
        }
    }

    /** Loop iterations once the engine thread waits for a command (at most 10 s for it to get there). */
    static long settledLoops(Engine e) throws InterruptedException {
        for (int i = 0; i < 200 && !e.waitsForCommands(); i++) Thread.sleep(50);
        return e.stats().loopIterations.get();
    }

    /** CPU time of the live engine threads (every engine in this JVM is idle here), for the printed figure. */
    static long engineThreadCpuNanos() {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet())
            if (t.getName().equals("jllm-engine") && t.isAlive()) sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
        return sum;
    }

    @Test
    void anIdleEngineBlocksInsteadOfLooping() throws Exception {
        try (Engine e = engine(fake(), 16, 0, 60)) {
            RequestOutput o = last(e.submit("warm", prompt(5), params(1, 3)));
            assertNull(o.error());
            long loops = settledLoops(e);
            long cpu0 = engineThreadCpuNanos();
            Thread.sleep(500);
            assertEquals(loops, e.stats().loopIterations.get(), "the idle engine loop kept iterating");
            System.out.printf("idle engine: %d loop iterations in total, none while idle; engine threads' CPU over 500 ms idle: %.3f ms%n",
                    loops, (engineThreadCpuNanos() - cpu0) / 1e6);
        }
    }

    @Test
    void aRequestTheSchedulerCanNeverRunFailsWithoutWedgingTheLoop() throws Exception {
        try (Engine e = engine(fake(), 16, 0, 60)) {
            // the fault: a chat template rendering to "" queued a 0-token prompt; 5 sequences on max_num_seqs 4
            // wedged the queue in recompute mode. Enqueued past admission, the scheduler must fail them, not spin.
            RequestStream empty = e.enqueue("empty", new int[0], params(1, 4), new LinkedBlockingQueue<>(), false);
            RequestStream five = e.enqueue("five", prompt(5), params(5, 4), new LinkedBlockingQueue<>(), false);
            RequestStream fine = e.submit("fine", prompt(5), params(1, 4));
            RequestOutput a = last(empty), b = last(five), c = last(fine);
            assertEquals(400, a.errorStatus());
            assertTrue(a.error().contains("empty"), a.error());
            assertEquals(400, b.errorStatus());
            assertTrue(b.error().contains("max_num_seqs"), b.error());
            assertNull(c.error(), "the next request runs");
            long loops = settledLoops(e);
            Thread.sleep(300);
            assertEquals(loops, e.stats().loopIterations.get());
            assertEquals(0, e.stats().running + e.stats().waiting);
        }
    }

    @Test
    void requestsThatCanNeverRunAreRefusedAtSubmissionWithTheNumbers() {
        try (Engine e = engine(fake(), 16, 0, 60)) {
            RequestRejected empty = assertThrows(RequestRejected.class, () -> e.submit("a", new int[0], params(1, 4)));
            assertEquals(400, empty.status());
            assertTrue(empty.getMessage().contains("0 tokens"), empty.getMessage());
            SamplingParams.Builder b = SamplingParams.builder();
            b.maxTokens = 8;
            b.minTokens = 8;
            RequestRejected minTokens = assertThrows(RequestRejected.class, () -> e.submit("b", prompt(125), b.build()));
            assertTrue(minTokens.getMessage().contains("128") && minTokens.getMessage().contains("min_tokens is 8"), minTokens.getMessage());
            RequestRejected n = assertThrows(RequestRejected.class, () -> e.submit("c", prompt(5), params(5, 4)));
            assertTrue(n.getMessage().contains("--max-num-seqs") && n.getMessage().contains("max_num_seqs"), n.getMessage());
            SamplingParams.Builder best = SamplingParams.builder();
            best.bestOf = 10000;
            RequestRejected bestOf = assertThrows(RequestRejected.class, () -> e.submit("d", prompt(5), best.build()));
            assertTrue(bestOf.getMessage().contains("best_of 10000"), bestOf.getMessage());
            // 4 sequences x 120 tokens = 4 x 30 blocks of 4 > 64 blocks
            RequestRejected blocks = assertThrows(RequestRejected.class, () -> e.submit("e", prompt(20), params(4, 100)));
            assertTrue(blocks.getMessage().contains("120 KV blocks") && blocks.getMessage().contains("64 usable blocks"), blocks.getMessage());
            assertEquals(5, e.stats().rejectedByReason.get("invalid").get());
            assertEquals(0, e.stats().queuedRequests);
        }
    }

    /** A constraint that throws while the step is built (mask) or while its result is applied (accept). */
    record Broken(boolean inMask) implements TokenConstraint {
        public void fillAllowed(int[] mask) {
            if (inMask) throw new IllegalStateException("broken mask");
            java.util.Arrays.fill(mask, -1);
        }

        public void accept(int tokenId) {
            if (!inMask) throw new IllegalStateException("broken accept");
        }

        public boolean isComplete() { return false; }
        public TokenConstraint fork() { return this; }
    }

    @Test
    void anErrorInOneRequestFailsThatRequestOnly() throws Exception {
        FakeExecutor exec = fake();
        try (Engine e = engine(exec, 16, 0, 60)) {
            exec.hold();
            RequestStream others = e.submit("others", prompt(5), params(2, 20));
            assertTrue(exec.awaitBlocked());
            SamplingParams.Builder b = SamplingParams.builder();
            b.temperature = 0;
            b.maxTokens = 4;
            b.constraint = new Broken(true);
            RequestStream mask = e.submit("mask", prompt(5), b.build());
            b.constraint = new Broken(false);
            RequestStream accept = e.submit("accept", prompt(6), b.build());
            exec.release();
            RequestOutput badMask = last(mask), badAccept = last(accept), good = last(others);
            assertEquals(500, badMask.errorStatus());
            assertTrue(badMask.error().contains("broken mask"), badMask.error());
            assertEquals(500, badAccept.errorStatus());
            assertTrue(badAccept.error().contains("broken accept"), badAccept.error());
            assertNull(good.error(), "a running request failed because of another one: " + good.error());
            assertEquals(2, good.seqs().size());
            settledLoops(e);
            assertEquals(0.0, e.stats().kvUsage, 1e-12);
        }
    }

    @Test
    void theWaitingQueueIsBoundedByALiveCounterWith429() throws Exception {
        FakeExecutor exec = fake();
        try (Engine e = engine(exec, 2, 0, 60)) {
            exec.hold();
            RequestStream running = e.submit("running", prompt(5), params(4, 3));  // takes all 4 seats
            assertTrue(exec.awaitBlocked());
            // submitted back to back: a counter the engine thread updates later (the old stats.waiting) lets all in
            RequestStream q1 = e.submit("q1", prompt(5), params(1, 3)), q2 = e.submit("q2", prompt(5), params(1, 3));
            long t0 = System.nanoTime();
            RequestRejected full = assertThrows(RequestRejected.class, () -> e.submit("q3", prompt(5), params(1, 3)));
            long nanos = System.nanoTime() - t0;
            assertEquals(429, full.status());
            assertEquals(1, full.retryAfterSeconds());
            assertTrue(full.getMessage().contains("--max-waiting-requests"), full.getMessage());
            RequestRejected early = assertThrows(RequestRejected.class, e::checkAdmission);
            assertEquals(429, early.status());
            System.out.printf("queue full: 429 from submit in %.3f ms%n", nanos / 1e6);
            exec.release();
            for (RequestStream s : List.of(running, q1, q2)) assertNull(last(s).error());
            assertEquals(2, e.stats().rejectedByReason.get("queue_full").get());
            e.submit("after", prompt(5), params(1, 3));  // room again
        }
    }

    @Test
    void queuedPromptTokensAreBounded() throws Exception {
        FakeExecutor exec = fake();
        try (Engine e = engine(exec, 100, 50, 60)) {
            exec.hold();
            RequestStream running = e.submit("running", prompt(5), params(4, 3));
            assertTrue(exec.awaitBlocked());
            RequestStream q1 = e.submit("q1", prompt(40), params(1, 3));
            RequestRejected r = assertThrows(RequestRejected.class, () -> e.submit("q2", prompt(20), params(1, 3)));
            assertEquals(429, r.status());
            assertTrue(r.getMessage().contains("40 prompt tokens") && r.getMessage().contains("--max-waiting-tokens"), r.getMessage());
            e.submit("q3", prompt(10), params(1, 3));  // 40 + 10 fits
            exec.release();
            assertNull(last(running).error());
            assertNull(last(q1).error());
        }
    }

    @Test
    void duplicateRequestIdsAreRefusedAndOrphanNothing() throws Exception {
        FakeExecutor exec = fake();
        try (Engine e = engine(exec, 16, 0, 60)) {
            exec.hold();
            RequestStream first = e.submit("same", prompt(9), params(1, 6));
            RequestRejected dup = assertThrows(RequestRejected.class, () -> e.submit("same", prompt(9), params(1, 6)));
            assertEquals(400, dup.status());
            RequestStream unchecked = e.enqueue("same", prompt(9), params(1, 6), new LinkedBlockingQueue<>(), false);
            exec.release();
            assertEquals(400, last(unchecked).errorStatus());
            RequestOutput o = last(first);
            assertNull(o.error());
            assertEquals(6, o.seqs().get(0).outputTokens());
            settledLoops(e);
            assertEquals(0.0, e.stats().kvUsage, 1e-12, "no block of an orphaned group stays in use");
            assertEquals(0, e.stats().running + e.stats().waiting);
            assertNull(last(e.submit("same", prompt(9), params(1, 2))).error(), "the id is free again once its request ended");
        }
    }

    @Test
    void theWatchdogReportsAStepThatDoesNotReturn() throws Exception {
        FakeExecutor exec = fake();
        try (Engine e = engine(exec, 16, 0, 0.2)) {
            assertNull(e.unhealthy());
            exec.hold();
            RequestStream s = e.submit("stuck", prompt(5), params(1, 2));
            assertTrue(exec.awaitBlocked());
            String why = null;
            for (int i = 0; i < 100 && why == null; i++) {
                Thread.sleep(50);
                why = e.unhealthy();
            }
            assertNotNull(why, "a step stuck for 5 s went unnoticed");
            assertTrue(why.contains("--watchdog-timeout"), why);
            exec.release();
            assertNull(last(s).error());
            assertNull(e.unhealthy(), "healthy again once the step returned");
        }
    }

    @Test
    void shutdownRefusesNewRequestsAndFreesNativeMemoryOnlyAfterTheLastStep() throws Exception {
        FakeExecutor exec = fake();
        Engine e = engine(exec, 16, 0, 60);
        exec.hold();
        RequestStream running = e.submit("running", prompt(5), params(1, 100));
        assertTrue(exec.awaitBlocked());
        AtomicBoolean returned = new AtomicBoolean();
        boolean[] freed = new boolean[1];
        Thread closer = Thread.ofPlatform().start(() -> {
            freed[0] = e.shutdown(Duration.ofMillis(100), Duration.ofSeconds(60));
            returned.set(true);
        });
        RequestRejected refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            try {
                e.submit("late-" + i, prompt(5), params(1, 2));
                Thread.sleep(10);
            } catch (RequestRejected r) {
                refused = r;
            }
        }
        assertNotNull(refused, "new requests were still admitted during shutdown");
        assertEquals(503, refused.status());
        assertNotNull(e.unhealthy());
        // the step is still running: shutdown must wait for it, whatever its own time limits
        Thread.sleep(300);
        assertFalse(returned.get(), "shutdown returned while a step was still running");
        assertFalse(e.shutdown(Duration.ZERO, Duration.ofMillis(200)), "a shutdown whose join limit passed reports the thread alive");
        assertFalse(exec.closed, "native memory freed while a step ran");
        exec.release();
        closer.join(30_000);
        assertTrue(returned.get());
        assertTrue(freed[0]);
        assertTrue(exec.closed, "the executor's native memory is freed by shutdown");
        assertFalse(exec.closedDuringStep, "freed while a step ran");
        RequestOutput o = last(running);
        assertEquals(503, o.errorStatus(), "a request still running after --shutdown-timeout ends with 503");
    }
}
