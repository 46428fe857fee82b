package dev.jllm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.engine.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** close() while requests run: each ends with a 503 JllmException, nothing hangs, later calls are refused. */
class JllmCloseTest {
    @Test
    void closeWithRequestsInFlightCancelsThem() throws Exception {
        Jllm llm = Jllm.load(ModelOptions.builder(TestModels.gguf()).tokenizer(TestModels.hf()).maxNumSeqs(4).seed(1).build());
        SamplingParams.Builder b = SamplingParams.builder();
        b.maxTokens = 100_000;  // more than the context: only the context or close() ends them
        b.ignoreEos = true;
        b.maxTokens = llm.info().maxModelLen() - 8;
        List<CompletionStream> streams = new ArrayList<>();
        for (int i = 0; i < 8; i++) streams.add(llm.stream("Once upon a time", b.build()));
        // wait until the first is generating, then close with all 8 unfinished (4 running, 4 waiting)
        assertTrue(streams.get(0).hasNext());
        List<Future<Throwable>> readers = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (CompletionStream s : streams)
                readers.add(pool.submit(() -> {
                    try {
                        while (s.hasNext()) s.next();
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }));
            llm.close();
        }
        int cancelled = 0;
        for (Future<Throwable> f : readers) {
            Throwable t = f.get();
            if (t instanceof JllmException e && e.status() == 503) cancelled++;
        }
        assertEquals(8, cancelled, "every unfinished request ends with a 503 JllmException");
        JllmException after = assertThrows(JllmException.class, () -> llm.generate("x", b.build()));
        assertEquals(503, after.status());
        llm.close();  // idempotent
    }
}
