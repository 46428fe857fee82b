package dev.jllm.server;

/** An error returned to the client as {"error":{"message","type","param","code"}} with an HTTP status. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;

    public ApiException(int status, String type, String message, String param) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequestError", message, null);
    }

    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, "BadRequestError", message, param);
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
}
