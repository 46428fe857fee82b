package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** n > 1 requests on a KV cache too small for them all: swapped out and back, they give the same text. */
class SwapTest {
    static List<String> runAll(Engine e, Tokenizer tok) throws Exception {
        List<RequestStream> streams = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            SamplingParams.Builder b = SamplingParams.builder();
            b.n = 3;
            b.seed = 100L + i;
            b.maxTokens = 40;
            b.ignoreEos = true;
            streams.add(e.submit("swap-" + i, tok.encode(i % 2 == 0 ? "Once upon a time" : "The little dog", true, false), b.build()));
        }
        List<String> texts = new ArrayList<>();
        for (RequestStream s : streams) {
            StringBuilder[] t = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
            RequestOutput o;
            do {
                o = s.poll(60, TimeUnit.SECONDS);
                assertNotNull(o, "request hung");
                for (RequestOutput.SeqDelta d : o.seqs()) t[d.index()].append(d.text());
            } while (!o.finished());
            for (StringBuilder x : t) texts.add(x.toString());
        }
        return texts;
    }

    @Test
    void swappedRequestsMatchUnconstrainedOnes() throws Exception {
        try (NativeModel model = NativeModel.load(TestModels.gguf().toString(), NativeModel.Format.AUTO, 0, 0);
             Tokenizer tok = Tokenizers.load(TestModels.hf(), null)) {
            List<String> want, got;
            try (NativeExecutor big = new NativeExecutor(model, new NativeExecutor.Config(4, 2048, 0, 0, 256, 64, 20, 2));
                 Engine e = new Engine(big, tok, new EngineConfig(256, 64, false, 20))) {
                want = runAll(e, tok);
            }
            try (NativeExecutor small = new NativeExecutor(model, new NativeExecutor.Config(4, 60, 0, Integer.getInteger("hostblocks", 200), 256, 64, 20, 2));
                 Engine e = new Engine(small, tok, new EngineConfig(256, 64, false, 20))) {
                got = runAll(e, tok);
                if (Integer.getInteger("hostblocks", 200) > 0) assertTrue(e.stats().swaps.get() > 0, "the small cache should have swapped");
                System.out.println("swaps: " + e.stats().swaps.get() + ", preemptions: " + e.stats().preemptions.get());
            }
            assertEquals(want, got);
        }
    }
}
