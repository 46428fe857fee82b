package dev.jllm.engine;

/** One generated (or prompt) token's log-probability and the most likely alternatives, most likely first. */
public record TokenLogprob(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {}
