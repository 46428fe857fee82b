package dev.jllm.engine;

/**
 * What the scheduler can ever run, from the engine's budgets. A request outside them would wait forever (or fail
 * mid-stream after preemption), so the edge refuses it with a 400 that gives the numbers, and the scheduler fails
 * one that got in anyway. Immutable: read by handler threads and the engine thread.
 *
 * @param usableBlocks KV blocks a request can get when alone: the cache less the watermark kept free at admission
 */
record Limits(int maxModelLen, int maxNumSeqs, int maxBatchedTokens, int numBlocks, int usableBlocks, int blockSize) {

    /**
     * Sequences a request holds a seat for while it runs: every sample of best_of/n (forked after the prompt's
     * first sample), and the beam width for beam search. vLLM counts best_of the same way.
     */
    static int seats(SamplingParams p) {
        return p.bestOf();
    }

    /**
     * KV blocks a request may need at its peak: its sequences at full length (prompt + max_tokens). A request of
     * several sequences counts one copy per sequence (one preempted by recompute gets nothing shared back).
     */
    long peakBlocks(int promptLen, SamplingParams p) {
        return seats(p) * (long) BlockManager.blocksFor(promptLen + Math.max(p.maxTokens(), 1), blockSize);
    }

    /**
     * The blocks it may hold at its peak and the most it can have: all of them for one sequence (it only needs
     * the watermark's room for its first prompt chunk), the cache less the watermark for several (a recomputed
     * group is admitted again all at once).
     */
    private long blockLimit(SamplingParams p) {
        return seats(p) == 1 ? numBlocks : usableBlocks;
    }

    /** Why a request can never run here, or null when it can. The message names the numbers and the flag to change. */
    String whyNever(int promptLen, SamplingParams p) {
        int seats = seats(p);
        String what = p.useBeamSearch() ? "beam width (best_of) " + seats : p.bestOf() > p.n() ? "best_of " + seats : "n " + seats;
        if (promptLen == 0)
            return "The prompt is empty (0 tokens after tokenization and chat templating): there is nothing to generate from.";
        if ((long) promptLen + Math.max(1, p.minTokens()) > maxModelLen)
            return "This model's maximum context length is " + maxModelLen + " tokens; the prompt has " + promptLen
                    + " tokens and min_tokens is " + p.minTokens() + ".";
        if (seats > maxNumSeqs)
            return "The " + what + " needs " + seats + " sequences at once, but this server runs at most " + maxNumSeqs
                    + " (--max-num-seqs); as in vLLM, n and best_of cannot exceed max_num_seqs.";
        if (seats > maxBatchedTokens)
            return "The " + what + " needs " + seats + " tokens per step, but a step holds at most " + maxBatchedTokens
                    + " (--max-num-batched-tokens).";
        long peak = peakBlocks(promptLen, p), limit = blockLimit(p);
        int firstChunk = BlockManager.blocksFor(Math.min(promptLen, maxBatchedTokens), blockSize);
        if (peak > limit || firstChunk > usableBlocks)
            return "This request needs up to " + peak + " KV blocks (" + seats + " sequence(s) of up to "
                    + (promptLen + p.maxTokens()) + " tokens, " + blockSize + " tokens per block), but the KV cache has "
                    + limit + " usable blocks (" + limit * blockSize
                    + " tokens); lower n/best_of or max_tokens, or raise --kv-cache-memory.";
        return null;
    }
}
