package dev.jllm.engine.nativeapi;

/** A failed libjllm call: the status name and the native last-error text, copied at once. */
public final class JllmException extends RuntimeException {
    private final int status;
    private final String statusName;

    public JllmException(int status, String statusName, String detail) {
        super(statusName + ": " + detail);
        this.status = status;
        this.statusName = statusName;
    }

    public int status() {
        return status;
    }

    public String statusName() {
        return statusName;
    }

    /** The native detail without the status prefix. */
    public String detail() {
        return getMessage().substring(statusName.length() + 2);
    }
}
