package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/**
 * The logits buffer holds max_logit_rows rows (default max_num_seqs), not max_num_batched_tokens: prompt logprobs
 * of a long prompt are spread over steps by the scheduler and come out the same as with a large buffer, and
 * best_of requests whose first samples exceed one step's rows wait for room instead of overflowing.
 */
class LogitRowsTest {
    private static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. "
            + "One day, she saw a big tree with a red ball in it and she wanted to get it down.";

    private record Run(List<TokenLogprob> promptLogprobs, List<List<Integer>> outputs) {}

    private static Run run(Engine e, String id, int[] prompt, SamplingParams p) throws Exception {
        RequestStream s = e.submit(id, prompt, p);
        List<TokenLogprob> plps = null;
        List<List<Integer>> outs = new ArrayList<>();
        while (true) {
            RequestOutput o = s.poll(120, TimeUnit.SECONDS);
            assertNotNull(o, "request hung");
            assertNull(o.error(), o.error());
            if (o.promptLogprobs() != null) plps = o.promptLogprobs();
            for (int i = 0; i < o.seqs().size(); i++) {
                while (outs.size() <= i) outs.add(new ArrayList<>());
                for (int t : o.seqs().get(i).tokenIds()) outs.get(i).add(t);
            }
            if (o.finished()) return new Run(plps, outs);
        }
    }

    private static SamplingParams promptLogprobs() {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = 4;
        b.promptLogprobs = 2;
        return b.build();
    }

    /**
     * A prompt longer than max_num_batched_tokens runs in chunks whose steps sample nothing (no logit rows at all);
     * it completes with the tokens of a one-step prefill.
     */
    @Test
    void promptLongerThanTheStepBudgetIsChunked() throws Exception {
        try (NativeModel model = NativeModel.load(TestModels.gguf().toString(), NativeModel.Format.AUTO, 0, 0);
             Tokenizer tok = Tokenizers.load(TestModels.hf(), null)) {
            int[] prompt = tok.encode(TEXT, true, false);
            assertTrue(prompt.length > 40, "prompt of " + prompt.length + " tokens");
            SamplingParams.Builder b = SamplingParams.builder();
            b.temperature = 0;
            b.maxTokens = 8;
            Run big, small;
            try (NativeExecutor x = new NativeExecutor(model, new NativeExecutor.Config(16, 64, 0, 0, 256, 4, 20, 2));
                 Engine e = new Engine(x, tok, new EngineConfig(256, 4, false, 20))) {
                big = run(e, "big", prompt, b.build());
            }
            try (NativeExecutor x = new NativeExecutor(model, new NativeExecutor.Config(16, 64, 0, 0, 16, 4, 20, 2));
                 Engine e = new Engine(x, tok, new EngineConfig(16, 4, false, 20))) {
                small = run(e, "small", prompt, b.build());
            }
            assertEquals(8, big.outputs().get(0).size());
            assertEquals(big.outputs(), small.outputs());
        }
    }

    @Test
    void promptLogprobsAreChunkedToTheRowBudgetAndUnchanged() throws Exception {
        try (NativeModel model = NativeModel.load(TestModels.gguf().toString(), NativeModel.Format.AUTO, 0, 0);
             Tokenizer tok = Tokenizers.load(TestModels.hf(), null)) {
            int[] prompt = tok.encode(TEXT, true, false);
            assertTrue(prompt.length > 40, "prompt of " + prompt.length + " tokens");
            Run big, small;
            try (NativeExecutor x = new NativeExecutor(model, new NativeExecutor.Config(16, 64, 0, 0, 256, 8, 20, 2, -1, 0, 256, 0));
                 Engine e = new Engine(x, tok, new EngineConfig(256, 8, false, 20))) {
                assertEquals(256, x.maxLogitRows());
                big = run(e, "big", prompt, promptLogprobs());
            }
            // default rows = max_num_seqs = 4: the 256-token budget would otherwise put ~50 rows in one step
            try (NativeExecutor x = new NativeExecutor(model, new NativeExecutor.Config(16, 64, 0, 0, 256, 4, 20, 2));
                 Engine e = new Engine(x, tok, new EngineConfig(256, 4, false, 20))) {
                assertEquals(4, x.maxLogitRows());
                small = run(e, "small", prompt, promptLogprobs());
                // best_of 4 fills a whole step's rows; three at once must take turns, and all finish
                SamplingParams.Builder b = SamplingParams.builder();
                b.temperature = 1;
                b.seed = 3L;
                b.maxTokens = 5;
                b.bestOf = 4;
                List<RequestStream> streams = new ArrayList<>();
                for (int i = 0; i < 3; i++) streams.add(e.submit("best" + i, tok.encode("The dog", true, false), b.build()));
                for (RequestStream s : streams) {
                    RequestOutput o;
                    do {
                        o = s.poll(120, TimeUnit.SECONDS);
                        assertNotNull(o, "best_of request hung");
                        assertNull(o.error(), o.error());
                    } while (!o.finished());
                }
            }
            assertEquals(prompt.length - 1, small.promptLogprobs().size());
            assertEquals(big.outputs(), small.outputs());
            for (int i = 0; i < prompt.length - 1; i++) {
                TokenLogprob a = big.promptLogprobs().get(i), c = small.promptLogprobs().get(i);
                assertEquals(prompt[i + 1], c.tokenId());
                assertEquals(a.logprob(), c.logprob(), 1e-5, "prompt position " + (i + 1));
                assertEquals(a.topIds()[0], c.topIds()[0]);
            }
        }
    }
}
