package dev.jllm.engine;

/**
 * A request refused at submission, before it reached the scheduler: 400 when it can never run here, 429 when the
 * waiting queue is full (retry after retryAfterSeconds), 503 while the engine shuts down. The server turns it into
 * an OpenAI-shaped error with this status.
 */
public final class RequestRejected extends RuntimeException {
    private final int status;
    private final String type, param, reason;
    private final int retryAfterSeconds;

    RequestRejected(int status, String type, String message, String param, String reason, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() { return status; }
    public String type() { return type; }
    public String param() { return param; }
    /** The metric label: invalid, queue_full, queued_tokens, shutting_down, duplicate_id. */
    public String reason() { return reason; }
    /** Seconds for a Retry-After header, 0 for none. */
    public int retryAfterSeconds() { return retryAfterSeconds; }
}
