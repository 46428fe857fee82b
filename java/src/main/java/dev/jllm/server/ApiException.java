package dev.jllm.server;

/** An error returned to the client as {"error":{"message","type","param","code"}} with an HTTP status. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final int retryAfterSeconds;

    public ApiException(int status, String type, String message, String param) {
        this(status, type, message, param, 0);
    }

    /** retryAfterSeconds > 0 adds a Retry-After header (429, 503). */
    public ApiException(int status, String type, String message, String param, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** An engine's refusal at submission, with its status, message and Retry-After. */
    static ApiException of(dev.jllm.engine.RequestRejected r) {
        return new ApiException(r.status(), r.type(), r.getMessage(), r.param(), r.retryAfterSeconds());
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequestError", message, null);
    }

    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, "BadRequestError", message, param);
    }

    /**
     * A 400 for a SamplingParams validation failure; `param` is the request field the message starts with
     * ("top_p must be in (0, 1]" → top_p) when that is a sampling field, else null.
     */
    static ApiException invalidSampling(IllegalArgumentException e) {
        String msg = e.getMessage() == null ? "invalid sampling parameters" : e.getMessage();
        int sp = msg.indexOf(' ');
        String first = sp > 0 ? msg.substring(0, sp) : msg;
        return badRequest(msg, SamplingFields.COMMON.contains(first) || first.equals("top_logprobs") ? first : null);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "NotFoundError", message, null);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
