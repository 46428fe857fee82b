package dev.jllm.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Decides what runs in each step (vLLM's scheduler with chunked prefill): running sequences first (one decode
 * token each, or the next prefill chunk), then waiting requests FCFS while the token budget
 * (max_num_batched_tokens), the sequence budget (max_num_seqs) and free KV blocks allow. When a running
 * sequence cannot get a block, the most recently arrived running request is preempted by recompute: its blocks
 * are freed and it goes back to the front of the waiting queue. Engine thread only.
 */
final class Scheduler {
    /** One sequence's share of a step: `count` tokens starting at its numComputed. */
    record Work(Sequence seq, int count) {}

    /** A step's plan. */
    static final class Plan {
        final List<Work> work = new ArrayList<>();
        final List<int[]> copies = new ArrayList<>();
        final List<SequenceGroup> failed = new ArrayList<>();  // requests that can never run
        final List<String> failures = new ArrayList<>();
        int preempted;

        boolean isEmpty() {
            return work.isEmpty();
        }
    }

    private final BlockManager blocks;
    private final int maxBatchedTokens, maxSeqs;
    private final int watermarkBlocks;
    final Deque<SequenceGroup> waiting = new ArrayDeque<>();
    final List<SequenceGroup> running = new ArrayList<>();
    long preemptions;

    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs) {
        this.blocks = blocks;
        this.maxBatchedTokens = maxBatchedTokens;
        this.maxSeqs = maxSeqs;
        this.watermarkBlocks = Math.max(0, blocks.numBlocks() / 100);
    }

    void add(SequenceGroup g) {
        waiting.addLast(g);
    }

    boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    /** Removes a request wherever it is and frees its blocks. */
    void remove(SequenceGroup g) {
        waiting.remove(g);
        running.remove(g);
        for (Sequence s : g.seqs) blocks.free(s);
    }

    private void preempt(SequenceGroup g) {
        running.remove(g);
        for (Sequence s : g.seqs) {
            blocks.free(s);
            if (!s.finished()) s.status = Sequence.Status.WAITING;
        }
        waiting.addFirst(g);
        preemptions++;
    }

    Plan schedule() {
        Plan plan = new Plan();
        int tokenBudget = maxBatchedTokens, seqBudget = maxSeqs;

        // 1. running requests, oldest first
        for (int gi = 0; gi < running.size(); gi++) {
            SequenceGroup g = running.get(gi);
            boolean preemptedSelf = false;
            for (Sequence s : g.unfinished()) {
                int n = Math.min(s.uncomputed(), tokenBudget);
                if (n <= 0 || seqBudget <= 0) continue;
                while (!blocks.ensureCapacity(s, s.numComputed + n, plan.copies)) {
                    if (running.size() - 1 > gi) {
                        preempt(running.get(running.size() - 1));
                        plan.preempted++;
                    } else {
                        preemptedSelf = true;
                        break;
                    }
                }
                if (preemptedSelf) break;
                plan.work.add(new Work(s, n));
                tokenBudget -= n;
                seqBudget--;
            }
            if (preemptedSelf) {
                plan.work.removeIf(w -> w.seq().group == g);
                if (running.size() == 1 && waiting.isEmpty()) {
                    // Alone and still out of blocks: it can never fit in this KV cache.
                    running.remove(g);
                    for (Sequence s : g.seqs) blocks.free(s);
                    plan.failed.add(g);
                    plan.failures.add("the KV cache (" + blocks.numBlocks() + " blocks of " + blocks.blockSize()
                            + " tokens) cannot hold this request's " + g.unfinished().size() + " sequences");
                } else {
                    preempt(g);
                    plan.preempted++;
                }
                gi--;
            }
        }

        // 2. waiting requests FCFS, unless this step had to preempt
        while (plan.preempted == 0 && !waiting.isEmpty() && tokenBudget > 0 && seqBudget > 0) {
            SequenceGroup g = waiting.peekFirst();
            List<Sequence> seqs = g.unfinished();
            int total = 0;
            for (Sequence s : seqs) total += BlockManager.blocksFor(s.tokens.size() + 1, blocks.blockSize());
            if (total > blocks.numBlocks()) {
                waiting.pollFirst();
                plan.failed.add(g);
                plan.failures.add("the request needs " + total + " KV blocks but the cache has " + blocks.numBlocks()
                        + " (" + blocks.numBlocks() * blocks.blockSize() + " tokens); shorten the prompt or raise --kv-cache-memory");
                continue;
            }
            if (seqs.size() > seqBudget) break;
            List<Work> admitted = new ArrayList<>();
            boolean fits = true;
            int budget = tokenBudget;
            for (Sequence s : seqs) {
                // prompt logprobs need every prompt position computed, so such requests skip the prefix cache
                if (g.promptLogprobs == null || g.promptLogprobsSent) blocks.reusePrefix(s);
                int n = Math.min(s.uncomputed(), budget);
                if (n <= 0 || blocks.blocksNeeded(s, s.numComputed + n) > blocks.numFree() - watermarkBlocks
                        || !blocks.ensureCapacity(s, s.numComputed + n, plan.copies)) {
                    fits = false;
                    break;
                }
                admitted.add(new Work(s, n));
                budget -= n;
            }
            if (!fits) {
                for (Sequence s : seqs) blocks.free(s);
                break;
            }
            waiting.pollFirst();
            running.add(g);
            for (Sequence s : seqs) s.status = Sequence.Status.RUNNING;
            plan.work.addAll(admitted);
            tokenBudget = budget;
            seqBudget -= seqs.size();
        }
        return plan;
    }
}
