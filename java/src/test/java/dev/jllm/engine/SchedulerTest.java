package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Scheduling decisions with no native code: budgets, chunked prefill, preemption, requests that never fit. */
class SchedulerTest {
    static SequenceGroup group(String id, int promptLen) {
        SamplingParams p = SamplingParams.builder().build();
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
}
