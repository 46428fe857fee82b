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
    private final LinkedBlockingQueue<RequestOutput> sink = new LinkedBlockingQueue<>();
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

    /** The next output of any prompt; null while none has come within the wait. */
    Out next(long millis) throws InterruptedException {
        RequestOutput o = sink.poll(millis, TimeUnit.MILLISECONDS);
        if (o == null) return null;
        if (o.finished()) unfinished--;
        return new Out(index.get(o.requestId()), o);
    }

    /** Aborts whatever is still running (client gone, or an error in another prompt). */
    @Override
    public void close() {
        if (unfinished > 0) for (String id : ids) engine.abort(id);
    }
}
