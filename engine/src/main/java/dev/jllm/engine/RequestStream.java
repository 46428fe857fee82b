package dev.jllm.engine;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The outputs of one request, produced by the engine thread and consumed by one HTTP handler thread. */
public final class RequestStream {
    private final LinkedBlockingQueue<RequestOutput> queue;
    private final String requestId;

    /** queue may be shared by several requests of one HTTP call (one prompt each). */
    RequestStream(String requestId, LinkedBlockingQueue<RequestOutput> queue) {
        this.requestId = requestId;
        this.queue = queue;
    }

    public String requestId() {
        return requestId;
    }

    void put(RequestOutput out) {
        queue.add(out);
    }

    /** The next output, or null after the timeout. */
    public RequestOutput poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }
}
