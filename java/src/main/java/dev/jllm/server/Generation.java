package dev.jllm.server;

import dev.jllm.engine.Engine;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The engine requests of one HTTP call (one per prompt, ids "{id}-{i}"), read through one queue. */
final class Generation implements AutoCloseable {
    record Out(int promptIndex, RequestOutput output) {}

    private final Engine engine;
    private final Sink sink = new Sink();
    /** Outputs allowed to wait unread per request of this call (see HttpOut.watch); more: the client stopped reading. */
    private volatile int backlog = Integer.MAX_VALUE;
    /** Why the requests were aborted from outside (client gone, or too slow), or null. */
    private volatile String cancelled;
    private final Map<String, Integer> index = new HashMap<>();
    private final List<String> ids = new ArrayList<>();
    private int unfinished;

    Generation(Engine engine, String id, List<int[]> prompts, List<SamplingParams> params) {
        this.engine = engine;
        for (int i = 0; i < prompts.size(); i++) {
            String rid = id + "-" + i;
            ids.add(rid);
            index.put(rid, i);
        }
        try {
            engine.submitAll(ids, prompts, params, sink);  // all or none
        } catch (dev.jllm.engine.RequestRejected e) {
            throw ApiException.of(e);
        }
        unfinished = prompts.size();
    }

    boolean done() {
        return unfinished == 0;
    }

    /** Refuses at once (429 when the queue is full, 503 while shutting down) before a handler does costly work. */
    static void precheck(Engine engine) {
        try {
            engine.checkAdmission();
        } catch (dev.jllm.engine.RequestRejected e) {
            throw ApiException.of(e);
        }
    }

    /**
     * The outputs the engine queues for this call. The engine thread adds with offer(); past the backlog the output
     * is dropped and the call aborted, so a client that does not read holds at most `backlog` outputs a request.
     */
    private final class Sink extends LinkedBlockingQueue<RequestOutput> {
        @Override
        public boolean offer(RequestOutput o) {
            if (cancelled == null && size() < backlog * (long) ids.size()) return super.offer(o);
            cancel("the client did not read its stream (" + size() + " outputs waiting)");
            return true;
        }
    }

    void limitBacklog(int outputs) {
        backlog = outputs;
    }

    /** Aborts every request of this call now (from any thread); next() then throws. */
    void cancel() {
        cancel("the client disconnected");
    }

    private void cancel(String why) {
        if (cancelled != null) return;
        cancelled = why;
        for (String id : ids) engine.abort(id);
    }

    /** The next output of any prompt; null while none has come within the wait; IOException once cancelled. */
    Out next(long millis) throws InterruptedException, java.io.IOException {
        RequestOutput o = sink.poll(millis, TimeUnit.MILLISECONDS);
        if (cancelled != null) throw new java.io.IOException("aborted: " + cancelled);
        if (o == null) return null;
        if (o.finished()) unfinished--;
        return new Out(index.get(o.requestId()), o);
    }

    /** Aborts whatever is still running (client gone, or an error in another prompt). */
    @Override
    public void close() {
        if (unfinished > 0 && cancelled == null) for (String id : ids) engine.abort(id);
    }
}
