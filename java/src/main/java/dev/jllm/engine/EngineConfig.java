package dev.jllm.engine;

/** Scheduling limits (vLLM's engine arguments). */
public record EngineConfig(int maxNumBatchedTokens, int maxNumSeqs, boolean enablePrefixCaching, int maxLogprobs) {}
