package dev.jllm.api;

/**
 * A request the engine refused or could not finish. {@link #status()} follows HTTP's meaning, as the server uses it:
 * 400 the request can never run with this model (prompt too long, bad parameters), 429 the waiting queue is full
 * (retry later), 503 the engine is closing or closed (the request was cancelled), 500 an engine failure.
 */
public final class JllmException extends RuntimeException {
    /** The HTTP-style status (serialized with the exception). */
    private final int status;

    /**
     * An exception with an HTTP-style status.
     *
     * @param message what happened and why, for people
     * @param status  400, 429, 503 or 500 (see the class comment)
     */
    public JllmException(String message, int status) {
        super(message);
        this.status = status;
    }

    /**
     * The HTTP-style status.
     *
     * @return 400, 429, 503 or 500
     */
    public int status() {
        return status;
    }
}
