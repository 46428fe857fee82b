package dev.jllm.engine;

import java.util.List;

/**
 * What one engine step produced for one request: a delta per sequence (choice). The last output of a request has
 * finished = true on every sequence it returns, or an error.
 */
public record RequestOutput(String requestId, int promptTokens, List<SeqDelta> seqs, List<TokenLogprob> promptLogprobs,
                            boolean finished, String error, int errorStatus) {

    /** New text and tokens of one choice since the previous output. */
    public record SeqDelta(int index, String text, int[] tokenIds, List<TokenLogprob> logprobs, int textOffset,
                           boolean finished, String finishReason, Object stopReason, int outputTokens,
                           double cumulativeLogprob) {}

    /** The last output of an aborted request: finished, no new text, finish reason "abort" on no choice. */
    public static RequestOutput aborted(String requestId, int promptTokens) {
        return new RequestOutput(requestId, promptTokens, List.of(), null, true, null, 0);
    }

    public static RequestOutput error(String requestId, String message, int status) {
        return new RequestOutput(requestId, 0, List.of(), null, true, message, status);
    }
}
