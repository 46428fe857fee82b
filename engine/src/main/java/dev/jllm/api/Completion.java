package dev.jllm.api;

import dev.jllm.engine.TokenLogprob;
import java.util.List;

/**
 * The result of {@link Jllm#generate}: one {@link Choice} per sequence asked for (SamplingParams.n), in index order.
 *
 * @param requestId    the engine's id of the request
 * @param promptTokens tokens in the prompt (after the chat template, if any)
 * @param choices      the generated sequences; index 0 first
 */
public record Completion(String requestId, int promptTokens, List<Choice> choices) {

    /**
     * One generated sequence.
     *
     * @param index        its index (0 .. n-1)
     * @param text         the generated text (stop strings excluded unless includeStopStrInOutput)
     * @param tokenIds     the generated token ids
     * @param logprobs     per token, when SamplingParams.logprobs was set; else empty
     * @param finishReason "stop" (end of sequence, stop string or stop token), "length" (max_tokens or the context)
     * @param stopReason   the stop string (String) or token id (Integer) that ended it, or null
     * @param cumulativeLogprob the sum of its tokens' logprobs (natural log)
     */
    public record Choice(int index, String text, int[] tokenIds, List<TokenLogprob> logprobs, String finishReason,
                         Object stopReason, double cumulativeLogprob) {}

    /**
     * Shortcut.
     *
     * @return the first choice's text
     */
    public String text() {
        return choices.get(0).text();
    }

    /**
     * Shortcut.
     *
     * @return the first choice's token ids
     */
    public int[] tokenIds() {
        return choices.get(0).tokenIds();
    }

    /**
     * Shortcut.
     *
     * @return the first choice's finish reason
     */
    public String finishReason() {
        return choices.get(0).finishReason();
    }

    /**
     * Shortcut.
     *
     * @return tokens generated over all choices
     */
    public int completionTokens() {
        return choices.stream().mapToInt(c -> c.tokenIds().length).sum();
    }
}
