package dev.jllm.engine;

/** Scheduling limits (vLLM's engine arguments). */
public record EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs, long seed) {
    /** seed: the engine's generator for requests without a seed of their own (--seed). */
    public EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs) {
        this(maxNumBatchedTokens, maxNumSeqs, enablePrefixCaching, maxLogprobs, 0x5EED);
    }
}
