package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Scheduling decisions with no native code: budgets, chunked prefill, preemption, requests that never fit. */
class SchedulerTest {
    /** A one-sequence request; max_tokens 1 keeps it runnable in the tiny caches here (the tests grow sequences by hand). */
    static SequenceGroup group(String id, int promptLen) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.maxTokens = 1;
        SamplingParams p = b.build();
        return new SequenceGroup(id, new int[promptLen], p, null, 1);
    }

    /** What the engine does after a step: count computed tokens, sample one token where a sequence caught up. */
    static void advance(Scheduler.Plan plan) {
        for (Scheduler.Work w : plan.work) {
            w.seq().numComputed += w.count();
            if (w.seq().numComputed == w.seq().tokens.size()) w.seq().tokens.add(7);
        }
    }

    @Test
    void chunkedPrefillMixesWithDecodesWithinTheTokenBudget() {
        BlockManager bm = new BlockManager(100, 4, false);
        Scheduler s = new Scheduler(bm, 8, 16);
        SequenceGroup a = group("a", 3), b = group("b", 20);
        s.add(a);
        s.add(b);
        Scheduler.Plan p1 = s.schedule();
        assertEquals(2, p1.work.size());
        assertEquals(3, p1.work.get(0).count());
        assertEquals(5, p1.work.get(1).count(), "b's prompt is cut to the remaining budget");
        advance(p1);
        Scheduler.Plan p2 = s.schedule();
        assertEquals(1, p2.work.get(0).count(), "a decodes one token");
        assertEquals(7, p2.work.get(1).count(), "b continues its prefill");
        int total = 0;
        for (Scheduler.Work w : p2.work) total += w.count();
        assertTrue(total <= 8);
    }

    @Test
    void maxNumSeqsLimitsTheBatch() {
        BlockManager bm = new BlockManager(100, 4, false);
        Scheduler s = new Scheduler(bm, 100, 2);
        for (int i = 0; i < 5; i++) s.add(group("g" + i, 2));
        Scheduler.Plan p = s.schedule();
        assertEquals(2, p.work.size());
        assertEquals(3, s.waiting.size());
    }

    @Test
    void runningOutOfBlocksPreemptsTheNewestRequestByRecompute() {
        BlockManager bm = new BlockManager(4, 2, false);  // 8 token slots
        Scheduler s = new Scheduler(bm, 100, 16);
        SequenceGroup a = group("a", 3), b = group("b", 3);
        s.add(a);
        s.add(b);
        advance(s.schedule());  // both prefilled: 2 blocks each, the pool is full
        assertEquals(0, bm.numFree());
        // a now needs position 3 (fits in its second block), then 4 (a third block): b must make room.
        advance(s.schedule());
        Scheduler.Plan p = s.schedule();
        assertEquals(1, p.preempted);
        assertEquals(1, s.running.size());
        assertEquals("a", s.running.get(0).requestId);
        assertEquals("b", s.waiting.peekFirst().requestId, "the preempted request goes to the front");
        assertEquals(0, b.seqs.get(0).numComputed, "its KV is recomputed later");
        assertFalse(b.seqs.get(0).blocks.size() > 0);
    }

    @Test
    void aRequestThatCanNeverFitFailsInsteadOfWaitingForever() {
        BlockManager bm = new BlockManager(2, 4, false);
        Scheduler s = new Scheduler(bm, 100, 16);
        s.add(group("huge", 30));
        Scheduler.Plan p = s.schedule();
        assertEquals(1, p.failed.size());
        assertTrue(p.failures.get(0).contains("KV blocks"));
        assertFalse(s.hasWork());
    }

    @Test
    void removingARequestFreesItsBlocks() {
        BlockManager bm = new BlockManager(10, 4, false);
        Scheduler s = new Scheduler(bm, 100, 16);
        SequenceGroup a = group("a", 9);
        s.add(a);
        advance(s.schedule());
        assertEquals(7, bm.numFree());
        s.remove(a);
        assertEquals(10, bm.numFree());
        assertFalse(s.hasWork());
    }

    @Test
    void multiSequenceRequestsAreSwappedOutAndBackIn() {
        BlockManager bm = new BlockManager(6, 8, 2, false);
        Scheduler s = new Scheduler(bm, 100, 16);
        SequenceGroup a = group("a", 3), b = group("b", 3);
        s.add(a);
        s.add(b);
        advance(s.schedule());
        // b forks a second sequence sharing its blocks (n = 2)
        Sequence b0 = b.seqs.get(0), b1 = b0.fork(1, 5);
        bm.fork(b0, b1);
        b.seqs.add(b1);
        b1.tokens.set(b1.tokens.size() - 1, 9);
        Scheduler.Plan p = null;
        for (int i = 0; i < 6 && (p == null || p.count(Scheduler.Op.Kind.SWAP_OUT) == 0); i++) {
            p = s.schedule();
            advance(p);
        }
        assertEquals(1, p.count(Scheduler.Op.Kind.SWAP_OUT), "b, with two live sequences, goes to the host pool");
        assertEquals(1, s.swapped.size());
        assertTrue(bm.numFreeHost() < 8);
        assertEquals(0, b0.numComputed == 0 ? 1 : 0, "swapped sequences keep their computed state");
        // when a finishes, b comes back before anything new is admitted
        s.remove(a);
        Scheduler.Plan back = s.schedule();
        assertEquals(1, back.count(Scheduler.Op.Kind.SWAP_IN));
        assertEquals(8, bm.numFreeHost());
        assertTrue(s.running.contains(b));
        for (Sequence q : b.seqs) for (int i = 0; i < q.blocks.size(); i++) assertTrue(q.blocks.get(i) >= 0 && q.blocks.get(i) < 6);
    }

    @Test
    void abortMidPrefillAndMidDecodeLeavesNoBlocks() {
        BlockManager bm = new BlockManager(40, 4, true);
        Scheduler s = new Scheduler(bm, 8, 16);
        SequenceGroup prefilling = group("p", 30), decoding = group("d", 3);
        s.add(decoding);
        s.add(prefilling);
        advance(s.schedule());  // d prefilled; p got its first chunk of 5
        assertTrue(prefilling.seqs.get(0).numComputed > 0 && prefilling.seqs.get(0).numComputed < 30);
        advance(s.schedule());  // d decodes
        s.remove(prefilling);
        s.remove(decoding);
        assertEquals(40, bm.numFree());
        assertFalse(s.hasWork());
    }

    @Test
    void aPreemptedRequestResumesAndCompletes() {
        BlockManager bm = new BlockManager(4, 2, false);
        Scheduler s = new Scheduler(bm, 100, 16);
        SequenceGroup a = group("a", 3), b = group("b", 3);
        s.add(a);
        s.add(b);
        int preempted = 0;
        for (int step = 0; step < 40; step++) {
            Scheduler.Plan p = s.schedule();
            preempted += p.preempted;
            advance(p);
            // a finishes after 3 generated tokens, freeing its blocks; b then resumes
            if (a.seqs.get(0).outputLen() >= 3 && s.running.contains(a)) s.remove(a);
            if (b.seqs.get(0).outputLen() >= 3) break;
        }
        assertTrue(preempted > 0);
        assertEquals(3, b.seqs.get(0).outputLen(), "b recomputed its KV and went on");
        assertEquals(b.seqs.get(0).tokens.size() - 1, b.seqs.get(0).numComputed);
    }

    /** A request of `seqs` forked sequences (n = best_of = seqs), each at `len` tokens with `computed` of them in the cache. */
    static SequenceGroup multi(String id, int seqs, int len, int computed) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.n = seqs;
        b.temperature = 1;
        b.maxTokens = 1;
        SequenceGroup g = new SequenceGroup(id, new int[len], b.build(), null, 1);
        for (int i = 1; i < seqs; i++) g.seqs.add(g.seqs.get(0).fork(i, i));
        g.forked = true;
        for (Sequence q : g.seqs) q.numComputed = computed;
        return g;
    }

    static long sampling(Scheduler.Plan p, SequenceGroup g) {
        return p.work.stream().filter(w -> w.seq().group == g && w.seq().numComputed + w.count() == w.seq().tokens.size()).count();
    }

    @Test
    void aGroupIsScheduledWholeOrNotAtAll() {
        BlockManager bm = new BlockManager(100, 4, false);
        Scheduler s = new Scheduler(bm, 4, 16);
        SequenceGroup a = group("a", 3), c = group("c", 3), beams = multi("b", 3, 3, 2);
        for (SequenceGroup g : java.util.List.of(a, c, beams)) {
            for (Sequence q : g.seqs) {
                q.numComputed = 0;
                assertTrue(bm.ensureCapacity(q, 2, new java.util.ArrayList<>()));
                q.numComputed = 2;
                q.status = Sequence.Status.RUNNING;
            }
            s.running.add(g);
        }
        Scheduler.Plan p = s.schedule();  // a and c decode (2 tokens); b's 3 decodes do not fit in the 2 left
        long b = p.work.stream().filter(w -> w.seq().group == beams).count();
        assertTrue(b == 0 || b == 3, "the step ran " + b + " of the group's 3 sequences");
        s.remove(a);
        assertEquals(3, sampling(s.schedule(), beams), "with room, all three run together");
    }

    @Test
    void aMultiSequenceRequestPreemptedByRecomputeRunsAgainWithItsSequencesInStep() {
        BlockManager bm = new BlockManager(40, 4, false);
        Scheduler s = new Scheduler(bm, 8, 16);
        // recomputed: 3 sequences of 6 tokens each, 18 tokens to prefill again, more than one step's 8
        SequenceGroup g = multi("g", 3, 6, 0);
        s.add(g);
        boolean sampled = false;
        for (int step = 0; step < 20 && !sampled; step++) {
            Scheduler.Plan p = s.schedule();
            long n = sampling(p, g);
            assertTrue(n == 0 || n == 3, "step " + step + ": " + n + " of 3 sequences sampled");
            sampled = n == 3;
            advance(p);
        }
        assertTrue(sampled, "the preempted request never ran again");
        assertFalse(s.waiting.contains(g));
    }

    @Test
    void aRequestThatCanNeverRunIsFailedNotKeptWaiting() {
        BlockManager bm = new BlockManager(100, 4, false);
        Scheduler s = new Scheduler(bm, 16, 4);
        s.add(multi("five", 5, 3, 0));  // n = 5 on max_num_seqs 4
        s.add(new SequenceGroup("empty", new int[0], SamplingParams.builder().build(), null, 1));
        s.add(group("ok", 3));
        Scheduler.Plan p = s.schedule();
        assertEquals(2, p.failed.size());
        assertTrue(p.failures.get(0).contains("max_num_seqs"), p.failures.get(0));
        assertTrue(p.failures.get(1).contains("empty"), p.failures.get(1));
        assertEquals(1, p.work.size(), "the request behind them runs");
    }
}
