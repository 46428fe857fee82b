package dev.jllm.engine;

import java.util.List;

/**
 * Admission control at submission (handler threads): refuses a request the scheduler can never run (400, with the
 * numbers), bounds the waiting queue by requests (--max-waiting-requests) and by prompt tokens
 * (--max-waiting-tokens) with a 429 and Retry-After, and refuses everything with 503 once shutdown began. The
 * queue counters are live: they count requests submitted and not yet scheduled, updated at submission and by the
 * engine thread when a request first runs or ends.
 */
final class Admission {
    static final int RETRY_AFTER_SECONDS = 1;

    private final Limits limits;
    private final int vocabSize;
    private final int maxWaitingRequests;
    private final long maxWaitingTokens;
    private final EngineStats stats;
    private int queued;          // guarded by this
    private long queuedTokens;   // guarded by this
    private volatile String closed;  // why every request is refused (shutdown), or null

    Admission(Limits limits, int vocabSize, int maxWaitingRequests, long maxWaitingTokens, EngineStats stats) {
        this.limits = limits;
        this.vocabSize = vocabSize;
        this.maxWaitingRequests = maxWaitingRequests;
        this.maxWaitingTokens = maxWaitingTokens;
        this.stats = stats;
    }

    Limits limits() {
        return limits;
    }

    void close(String why) {
        closed = why;
    }

    String closedReason() {
        return closed;
    }

    synchronized int queued() {
        return queued;
    }

    synchronized long queuedTokens() {
        return queuedTokens;
    }

    private RequestRejected reject(int status, String type, String message, String param, String reason, int retryAfter) {
        stats.rejected(reason);
        return new RequestRejected(status, type, message, param, reason, retryAfter);
    }

    /** The cheap part, before a handler renders and tokenizes: shutdown, or a queue already full. */
    void precheck() {
        if (closed != null) throw reject(503, "ServiceUnavailableError", closed, null, "shutting_down", 0);
        synchronized (this) {
            if (queued > 0 && queued >= maxWaitingRequests) throw full(1);
        }
    }

    private RequestRejected full(int adding) {
        return reject(429, "RateLimitError", "The server is at capacity: " + queued + " requests are waiting to be scheduled "
                + "(limit " + maxWaitingRequests + ", --max-waiting-requests); retry after " + RETRY_AFTER_SECONDS + " s.",
                null, "queue_full", RETRY_AFTER_SECONDS);
    }

    /** Checks one HTTP call's prompts and reserves queue room for all of them, or throws and reserves nothing. */
    void reserve(List<int[]> prompts, List<SamplingParams> params) {
        if (closed != null) throw reject(503, "ServiceUnavailableError", closed, null, "shutting_down", 0);
        long tokens = 0;
        for (int i = 0; i < prompts.size(); i++) {
            String why = limits.whyNever(prompts.get(i).length, params.get(i));
            if (why == null) why = outsideVocabulary(prompts.get(i));
            if (why != null) throw reject(400, "BadRequestError", why, null, "invalid", 0);
            for (int id : params.get(i).logitBias().keySet())  // the step would refuse the whole batch
                if (id < 0 || id >= vocabSize)
                    throw reject(400, "BadRequestError", "logit_bias token id " + id + " is out of vocabulary: the model has "
                            + vocabSize + " tokens (0.." + (vocabSize - 1) + ").", "logit_bias", "invalid", 0);
            tokens += prompts.get(i).length;
        }
        reserveRoom(prompts.size(), tokens);
    }

    /**
     * Checks one embedding call's inputs (each must fit one forward of at most maxLen tokens and have embedding
     * rows) and reserves queue room for it as one request, or throws 400 (param "input") / 503 / 429.
     */
    void reserveEmbedding(List<int[]> inputs, int maxLen) {
        long tokens = 0;
        for (int[] in : inputs) {
            String why = in.length == 0 ? "An input is empty: every input needs at least one token."
                    : in.length > maxLen ? "This model's maximum context length is " + maxLen + " tokens. However, you requested "
                    + in.length + " tokens in the input for embedding generation. Please reduce the length of the input."
                    : outsideVocabulary(in);
            if (why != null) throw reject(400, "BadRequestError", why, "input", "invalid", 0);
            tokens += in.length;
        }
        if (closed != null) throw reject(503, "ServiceUnavailableError", closed, null, "shutting_down", 0);
        reserveRoom(1, tokens);
    }

    /** Queue room for `requests` requests of `tokens` prompt tokens in all, or 429. */
    private synchronized void reserveRoom(int requests, long tokens) {
        // an empty queue takes any request that can run, however large: it must be able to run some time
        if (queued > 0 && queued + requests > maxWaitingRequests) throw full(requests);
        if (queued > 0 && queuedTokens + tokens > maxWaitingTokens)
            throw reject(429, "RateLimitError", "The server is at capacity: " + queuedTokens + " prompt tokens are waiting "
                    + "to be scheduled and this request adds " + tokens + " (limit " + maxWaitingTokens
                    + ", --max-waiting-tokens); retry after " + RETRY_AFTER_SECONDS + " s.", null, "queued_tokens", RETRY_AFTER_SECONDS);
        queued += requests;
        queuedTokens += tokens;
    }

    /**
     * A prompt id without an embedding row: tokenizers may hold a few more ids than the model's vocabulary (Gemma 3's
     * `<image_soft_token>` is id 262144 of a 262,144-row text model), and clients may send ids.
     */
    private String outsideVocabulary(int[] prompt) {
        for (int id : prompt)
            if (id < 0 || id >= vocabSize)
                return "Token id " + id + " is out of vocabulary: the model has " + vocabSize + " tokens (0.." + (vocabSize - 1) + ").";
        return null;
    }

    /** A reserved request left the queue (first scheduled, aborted or failed). */
    synchronized void release(int promptLen) {
        queued--;
        queuedTokens -= promptLen;
    }
}
