package dev.jllm.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Decides what runs in each step (vLLM's scheduler with chunked prefill): running requests first (one decode
 * token per sequence, or the next prefill chunk), then waiting requests FCFS while the token budget
 * (max_num_batched_tokens), the seats (max_num_seqs, counting every sequence a request will fork) and free KV
 * blocks allow. A request's sequences are scheduled together: either all of them sample in a step or none does
 * (beams stay in step; best_of's extra sampling rows count against the token budget). When a running sequence
 * cannot get a block, the most recently arrived running request is preempted (swapped out, or recomputed): it
 * goes back to the front of its queue. A request that can never run ({@link Limits#whyNever}) is failed, never
 * kept waiting. Engine thread only.
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
    final Limits limits;
    final Deque<SequenceGroup> waiting = new ArrayDeque<>();
    final List<SequenceGroup> running = new ArrayList<>();
    final Deque<SequenceGroup> swapped = new ArrayDeque<>();
    long preemptions, swaps;
    private Plan current;

    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs) {
        this(blocks, maxBatchedTokens, maxSeqs, Integer.MAX_VALUE / 2);
    }

    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs, int maxModelLen) {
        this(blocks, maxBatchedTokens, maxSeqs, maxModelLen, Integer.MAX_VALUE);
    }

    /** maxRows: logit rows one step may produce (the executor's max_logit_rows); see StepBuilder.rowsFor. */
    Scheduler(BlockManager blocks, int maxBatchedTokens, int maxSeqs, int maxModelLen, int maxRows) {
        this.blocks = blocks;
        this.maxBatchedTokens = maxBatchedTokens;
        this.maxSeqs = maxSeqs;
        this.maxRows = maxRows;
        this.watermarkBlocks = Math.max(0, blocks.numBlocks() / 100);
        this.limits = new Limits(maxModelLen, maxSeqs, maxBatchedTokens, blocks.numBlocks(),
                blocks.numBlocks() - watermarkBlocks, blocks.blockSize());
    }

    /** Seats a request holds while it runs (see {@link Limits#seats}); beams and samples never exceed it. */
    static int seats(SequenceGroup g) {
        return Math.max(Limits.seats(g.params), g.unfinished().size());
    }

    /** Sampling rows beyond one per sequence: best_of's samples of the prompt's first token. */
    private static int extraRows(SequenceGroup g) {
        SamplingParams p = g.params;
        return !p.useBeamSearch() && !g.forked && p.bestOf() > 1 ? p.bestOf() - 1 : 0;
    }

    /**
     * A request's share of a step within `budget` tokens (and as many logit rows). Every sequence that reaches
     * its end samples, so either all of a group's sequences reach their end together, or the step only advances
     * prefills (after a recompute) without any of them sampling. Empty when nothing fits.
     */
    private static List<Work> planGroup(SequenceGroup g, int budget, int rowBudget) {
        List<Sequence> seqs = g.unfinished();
        List<Work> out = new ArrayList<>();
        int extra = extraRows(g), total = 0, rows = 0;
        for (Sequence s : seqs) {
            total += s.uncomputed();
            rows += StepBuilder.rowsFor(s, s.uncomputed());
        }
        if (total + extra <= budget && rows <= rowBudget) {
            for (Sequence s : seqs) if (s.uncomputed() > 0) out.add(new Work(s, s.uncomputed()));
            return out;
        }
        // not all can sample now: advance prefills short of their last token, prompt-logprob rows within the budget
        int left = budget, rowsLeft = rowBudget;
        for (Sequence s : seqs) {
            int n = StepBuilder.fitRows(s, Math.min(s.uncomputed() - 1, left), rowsLeft);
            if (n > 0) {
                out.add(new Work(s, n));
                left -= n;
                rowsLeft -= StepBuilder.rowsFor(s, n);
            }
        }
        return out;
    }

    /** Logit rows a group's work adds to the step (StepBuilder's rules). */
    private static int rows(List<Work> work) {
        int n = 0;
        for (Work w : work) n += StepBuilder.rowsFor(w.seq(), w.count());
        return n;
    }

    /** Tokens (and logit rows) a group's work takes from the step's budget. */
    private static int cost(SequenceGroup g, List<Work> work) {
        int n = 0;
        for (Work w : work) n += w.count();
        Work first = work.get(0);
        boolean samples = first.seq().numComputed + first.count() == first.seq().tokens.size();
        return n + (samples ? extraRows(g) : 0);
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
        int tokenBudget = maxBatchedTokens, rowBudget = maxRows, seatsInUse = 0;
        for (SequenceGroup g : running) seatsInUse += seats(g);

        // 0. swapped requests come back first (FCFS), while seats and blocks allow
        while (!swapped.isEmpty()) {
            SequenceGroup g = swapped.peekFirst();
            if (seatsInUse + seats(g) > maxSeqs || !blocks.canSwapIn(g.unfinished(), watermarkBlocks)) break;
            swapped.pollFirst();
            BlockManager.Moves m = blocks.swapIn(g.unfinished());
            plan.ops.add(new Op(Op.Kind.SWAP_IN, m.src(), m.dst()));
            running.add(g);
            seatsInUse += seats(g);
        }

        // 1. running requests, oldest first, each whole or not at all
        for (int gi = 0; gi < running.size(); gi++) {
            SequenceGroup g = running.get(gi);
            List<Work> work = planGroup(g, tokenBudget, rowBudget);
            if (work.isEmpty()) continue;
            boolean preemptedSelf = false;
            for (Work w : work) {
                while (!preemptedSelf && !ensure(plan, w.seq(), w.seq().numComputed + w.count())) {
                    if (running.size() - 1 > gi) {
                        SequenceGroup victim = running.get(running.size() - 1);
                        seatsInUse -= seats(victim);
                        preempt(victim);
                        plan.preempted++;
                    } else {
                        preemptedSelf = true;
                    }
                }
            }
            if (preemptedSelf) {
                seatsInUse -= seats(g);
                if (running.size() == 1 && waiting.isEmpty() && swapped.isEmpty()) {
                    // Alone and still out of blocks: it can never fit in this KV cache (the edge should have refused it).
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
                continue;
            }
            plan.work.addAll(work);
            tokenBudget -= cost(g, work);
            rowBudget -= rows(work);
        }

        // 2. waiting requests FCFS, unless this step had to preempt or requests wait swapped out
        while (plan.preempted == 0 && swapped.isEmpty() && !waiting.isEmpty() && tokenBudget > 0) {
            SequenceGroup g = waiting.peekFirst();
            String never = limits.whyNever(g.prompt.length, g.params);
            if (never != null) {
                waiting.pollFirst();
                for (Sequence s : g.seqs) blocks.free(s);
                plan.failed.add(g);
                plan.failures.add(never);
                continue;
            }
            if (seatsInUse + seats(g) > maxSeqs) break;
            List<Sequence> seqs = g.unfinished();
            // prompt logprobs need every prompt position computed, so such requests skip the prefix cache
            if (g.promptLogprobs == null || g.promptLogprobsSent) for (Sequence s : seqs) blocks.reusePrefix(s);
            List<Work> work = planGroup(g, tokenBudget, rowBudget);
            boolean fits = !work.isEmpty();
            for (int i = 0; fits && i < work.size(); i++) {
                Sequence s = work.get(i).seq();
                int upTo = s.numComputed + work.get(i).count();
                fits = blocks.blocksNeeded(s, upTo) <= blocks.numFree() - watermarkBlocks && ensure(plan, s, upTo);
            }
            if (!fits) {
                for (Sequence s : seqs) blocks.free(s);
                break;
            }
            waiting.pollFirst();
            running.add(g);
            for (Sequence s : seqs) s.status = Sequence.Status.RUNNING;
            plan.work.addAll(work);
            tokenBudget -= cost(g, work);
            rowBudget -= rows(work);
            seatsInUse += seats(g);
        }
        return plan;
    }
}
