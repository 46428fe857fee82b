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
    /** A block move: copy-on-write inside the main pool, or a swap between the main and host pools. */
    record Op(Kind kind, int[] src, int[] dst) {
        enum Kind { COPY, SWAP_OUT, SWAP_IN }
    }

    /** One sequence's share of a step: `count` tokens starting at its numComputed. */
    record Work(Sequence seq, int count) {}

    /** A step's plan. */
    static final class Plan {
        final List<Work> work = new ArrayList<>();
        /** Block moves in the order they were decided; the engine runs them in this order before the step. */
        final List<Op> ops = new ArrayList<>();
        final List<SequenceGroup> failed = new ArrayList<>();  // requests that can never run
        final List<String> failures = new ArrayList<>();
        int preempted;

        long count(Op.Kind kind) {
            return ops.stream().filter(o -> o.kind() == kind).count();
        }

        boolean isEmpty() {
            return work.isEmpty();
        }
    }

    private final BlockManager blocks;
    private final int maxBatchedTokens, maxSeqs, maxRows;
    private final int watermarkBlocks;
    final Deque<SequenceGroup> waiting = new ArrayDeque<>();
    final List<SequenceGroup> running = new ArrayList<>();
    final Deque<SequenceGroup> swapped = new ArrayDeque<>();
    long preemptions, swaps;
    private Plan current;

    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs) {
        this(blocks, maxBatchedTokens, maxSeqs, Integer.MAX_VALUE);
    }

    /** maxRows: logit rows one step may produce (the executor's max_logit_rows); see StepBuilder.rowsFor. */
    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs, int maxRows) {
        this.blocks = blocks;
        this.maxBatchedTokens = maxBatchedTokens;
        this.maxSeqs = maxSeqs;
        this.maxRows = maxRows;
        this.watermarkBlocks = Math.max(0, blocks.numBlocks() / 100);
    }

    void add(SequenceGroup g) {
        waiting.addLast(g);
    }

    boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty() || !swapped.isEmpty();
    }

    /** Removes a request wherever it is and frees its blocks. */
    void remove(SequenceGroup g) {
        waiting.remove(g);
        running.remove(g);
        if (swapped.remove(g)) blocks.freeSwapped(g.unfinished());
        for (Sequence s : g.seqs) blocks.free(s);
    }

    /**
     * Makes room: a request with several live sequences (n, best_of, beams) is swapped to the host pool when it
     * fits there, as vLLM does; otherwise, and for single sequences, its KV is dropped and recomputed later.
     */
    private void preempt(SequenceGroup g) {
        List<Sequence> live = g.unfinished();
        if (live.size() > 1 && blocks.canSwapOut(live)) {
            running.remove(g);
            BlockManager.Moves m = blocks.swapOut(live);
            current.ops.add(new Op(Op.Kind.SWAP_OUT, m.src(), m.dst()));
            swapped.addLast(g);
            swaps++;
            preemptions++;
            return;
        }
        running.remove(g);
        for (Sequence s : g.seqs) {
            blocks.free(s);
            if (!s.finished()) s.status = Sequence.Status.WAITING;
        }
        waiting.addFirst(g);
        preemptions++;
    }

    private final List<int[]> copyBuffer = new ArrayList<>();

    /** ensureCapacity, recording any copy-on-write in the plan's ordered moves. */
    private boolean ensure(Plan plan, Sequence s, int tokens) {
        copyBuffer.clear();
        boolean ok = blocks.ensureCapacity(s, tokens, copyBuffer);
        for (int[] c : copyBuffer) plan.ops.add(new Op(Op.Kind.COPY, new int[] {c[0]}, new int[] {c[1]}));
        return ok;
    }

    Plan schedule() {
        Plan plan = new Plan();
        current = plan;
        int tokenBudget = maxBatchedTokens, seqBudget = maxSeqs, rowBudget = maxRows;

        // 0. swapped requests come back first (FCFS), while blocks allow
        while (!swapped.isEmpty()) {
            SequenceGroup g = swapped.peekFirst();
            if (!blocks.canSwapIn(g.unfinished(), watermarkBlocks)) break;
            swapped.pollFirst();
            BlockManager.Moves m = blocks.swapIn(g.unfinished());
            plan.ops.add(new Op(Op.Kind.SWAP_IN, m.src(), m.dst()));
            running.add(g);
        }

        // 1. running requests, oldest first
        for (int gi = 0; gi < running.size(); gi++) {
            SequenceGroup g = running.get(gi);
            boolean preemptedSelf = false;
            for (Sequence s : g.unfinished()) {
                int n = StepBuilder.fitRows(s, Math.min(s.uncomputed(), tokenBudget), rowBudget);
                if (n <= 0 || seqBudget <= 0) continue;
                while (!ensure(plan, s, s.numComputed + n)) {
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
                rowBudget -= StepBuilder.rowsFor(s, n);
            }
            if (preemptedSelf) {
                plan.work.removeIf(w -> w.seq().group == g);
                if (running.size() == 1 && waiting.isEmpty() && swapped.isEmpty()) {
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

        // 2. waiting requests FCFS, unless this step had to preempt or requests wait swapped out
        while (plan.preempted == 0 && swapped.isEmpty() && !waiting.isEmpty() && tokenBudget > 0 && seqBudget > 0) {
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
            int firstSamples = seqs.isEmpty() ? 1 : StepBuilder.samplesAtEnd(seqs.get(0));
            if (firstSamples > maxRows) {
                waiting.pollFirst();
                plan.failed.add(g);
                plan.failures.add("the request samples " + firstSamples + " sequences at once but a step holds "
                        + maxRows + " logit rows (max_logit_rows); lower best_of or raise --max-num-seqs");
                continue;
            }
            if (seqs.size() > seqBudget) break;
            List<Work> admitted = new ArrayList<>();
            boolean fits = true;
            int budget = tokenBudget, rows = rowBudget;
            for (Sequence s : seqs) {
                // prompt logprobs need every prompt position computed, so such requests skip the prefix cache
                if (g.promptLogprobs == null || g.promptLogprobsSent) blocks.reusePrefix(s);
                int n = StepBuilder.fitRows(s, Math.min(s.uncomputed(), budget), rows);
                if (n <= 0 || blocks.blocksNeeded(s, s.numComputed + n) > blocks.numFree() - watermarkBlocks
                        || !ensure(plan, s, s.numComputed + n)) {
                    fits = false;
                    break;
                }
                admitted.add(new Work(s, n));
                budget -= n;
                rows -= StepBuilder.rowsFor(s, n);
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
            rowBudget = rows;
            seqBudget -= seqs.size();
        }
        return plan;
    }
}
