package dev.jllm.engine;

/**
 * Scheduling and admission limits (vLLM's engine arguments, plus jllm's queue bounds and watchdog).
 *
 * @param seed               the engine's generator for requests without a seed of their own (--seed)
 * @param maxWaitingRequests requests submitted and not yet scheduled before new ones get 429 (--max-waiting-requests)
 * @param maxWaitingTokens   prompt tokens of those requests before new ones get 429; 0 = 16 x max(max_num_batched_tokens,
 *                           max_model_len) (--max-waiting-tokens)
 * @param watchdogSeconds    a step running longer than this makes /health answer 503 (--watchdog-timeout)
 */
public record EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs, long seed,
                           int maxWaitingRequests, long maxWaitingTokens, double watchdogSeconds) {
    public static final double DEFAULT_WATCHDOG_SECONDS = 120;

    /** The default queue bound: a few times what one step can run. */
    public static int defaultMaxWaitingRequests(int maxNumSeqs) {
        return 4 * maxNumSeqs;
    }

    public EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs, long seed) {
        this(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, seed, defaultMaxWaitingRequests(maxNumSeqs), 0,
                DEFAULT_WATCHDOG_SECONDS);
    }

    public EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs) {
        this(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, 0x5EED);
    }

    public EngineConfig {
        if (maxNumSeqs < 1 || maxNumBatchedTokens < 1) throw new IllegalArgumentException("max_num_seqs and max_num_batched_tokens must be at least 1");
        if (maxNumBatchedTokens < maxNumSeqs)  // as vLLM: else a batch of decodes cannot run whole
            throw new IllegalArgumentException("max_num_batched_tokens (" + maxNumBatchedTokens + ") must be at least max_num_seqs (" + maxNumSeqs + ")");
        if (maxWaitingRequests < 1) throw new IllegalArgumentException("--max-waiting-requests must be at least 1, got " + maxWaitingRequests);
        if (maxWaitingTokens < 0) throw new IllegalArgumentException("--max-waiting-tokens must be at least 0, got " + maxWaitingTokens);
        if (!(watchdogSeconds > 0)) throw new IllegalArgumentException("--watchdog-timeout must be positive, got " + watchdogSeconds);
    }
}
