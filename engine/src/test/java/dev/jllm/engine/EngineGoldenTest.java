package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.TestModels;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole Java engine on the real model: reference greedy tokens and text, batch invariance, n/best_of, stops. */
class EngineGoldenTest {
    static NativeModel model;
    static NativeExecutor exec;
    static Tokenizer tok;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        model = NativeModel.load(TestModels.gguf().toString(), NativeModel.Format.AUTO, 0, 0);
        // a small cache (48 blocks of 8 tokens) so that 24 concurrent requests force preemption
        exec = new NativeExecutor(model, new NativeExecutor.Config(8, 48, 0, 0, 256, 64, 20, 2));
        tok = Tokenizers.load(TestModels.hf(), null);
        engine = new Engine(exec, tok, new EngineConfig(256, 64, true, 20));
    }

    @AfterAll
    static void stop() {
        engine.close();
        exec.close();
        model.close();
        tok.close();
    }

    record Done(List<Integer> tokens, String text, String finishReason, Object stopReason, List<RequestOutput> outputs) {}

    static Done run(int[] prompt, SamplingParams p) throws Exception {
        RequestStream s = engine.submit("req-" + System.nanoTime() + "-" + Math.random(), prompt, p);
        List<Integer> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        List<RequestOutput> outs = new ArrayList<>();
        while (true) {
            RequestOutput o = s.poll(60, TimeUnit.SECONDS);
            assertNotNull(o, "request hung");
            assertNull(o.error(), o.error());
            outs.add(o);
            RequestOutput.SeqDelta d = o.seqs().get(0);
            for (int id : d.tokenIds()) ids.add(id);
            text.append(d.text());
            if (o.finished()) return new Done(ids, text.toString(), d.finishReason(), d.stopReason(), outs);
        }
    }

    static SamplingParams greedy(int max) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = max;
        b.ignoreEos = true;
        return b.build();
    }

    @Test
    void greedyMatchesTheReferenceTokensAndText() throws Exception {
        for (JsonNode c : TestModels.greedyReference().path("cases")) {
            Done d = run(TestModels.ints(c.path("prompt_token_ids")), greedy(64));
            assertArrayEquals(TestModels.ints(c.path("greedy_token_ids")), d.tokens.stream().mapToInt(i -> i).toArray(), c.path("prompt").asText());
            assertEquals(c.path("greedy_text").asText(), d.text);
            assertEquals("length", d.finishReason);
        }
    }

    @Test
    void greedyIsBatchInvariantUnderLoadAndPreemption() throws Exception {
        JsonNode cases = TestModels.greedyReference().path("cases");
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            JsonNode c = cases.get(i % cases.size());
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    Done d = run(TestModels.ints(c.path("prompt_token_ids")), greedy(64));
                    assertArrayEquals(TestModels.ints(c.path("greedy_token_ids")), d.tokens.stream().mapToInt(x -> x).toArray());
                } catch (Throwable e) {
                    synchronized (errors) { errors.add(e); }
                }
            });
            threads.add(t);
        }
        for (Thread t : threads) t.join();
        assertTrue(errors.isEmpty(), () -> errors.get(0).toString());
        assertTrue(engine.stats().preemptions.get() > 0, "the small cache should have forced preemption");
    }

    @Test
    void seededSamplingIsReproducibleAndNVariesChoices() throws Exception {
        int[] prompt = tok.encode("Once upon a time", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 1.0f;
        b.seed = 42L;
        b.maxTokens = 20;
        b.ignoreEos = true;
        Done a = run(prompt, b.build()), c = run(prompt, b.build());
        assertEquals(a.tokens, c.tokens);
        b.seed = 43L;
        assertNotEquals(a.tokens, run(prompt, b.build()).tokens);
        b.n = 3;
        b.seed = 7L;
        RequestStream s = engine.submit("n3", prompt, b.build());
        List<StringBuilder> texts = List.of(new StringBuilder(), new StringBuilder(), new StringBuilder());
        RequestOutput o;
        do {
            o = s.poll(60, TimeUnit.SECONDS);
            for (RequestOutput.SeqDelta d : o.seqs()) texts.get(d.index()).append(d.text());
        } while (!o.finished());
        assertEquals(3, o.seqs().size());
        assertTrue(!texts.get(0).toString().equals(texts.get(1).toString()) || !texts.get(1).toString().equals(texts.get(2).toString()));
    }

    @Test
    void stopStringsAndStopTokensEndGeneration() throws Exception {
        int[] prompt = tok.encode("Once upon a time", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = 64;
        b.stop = List.of("Lily");
        Done d = run(prompt, b.build());
        assertEquals(", there was a little girl named ", d.text);
        assertEquals("stop", d.finishReason);
        assertEquals("Lily", d.stopReason);
        b.includeStopStrInOutput = true;
        assertEquals(", there was a little girl named Lily", run(prompt, b.build()).text);
        b.stop = List.of();
        b.includeStopStrInOutput = false;
        int girl = tok.encode("girl", false, false)[0];
        b.stopTokenIds = List.of(girl);
        Done t = run(prompt, b.build());
        assertEquals(girl, t.stopReason);
        assertEquals("stop", t.finishReason);
    }

    @Test
    void logprobsAndPromptLogprobsAreReturned() throws Exception {
        int[] prompt = tok.encode("Once upon a time", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = 3;
        b.logprobs = 2;
        b.promptLogprobs = 1;
        Done d = run(prompt, b.build());
        List<TokenLogprob> lps = new ArrayList<>();
        List<TokenLogprob> plps = null;
        for (RequestOutput o : d.outputs) {
            if (o.seqs().get(0).logprobs() != null) lps.addAll(o.seqs().get(0).logprobs());
            if (o.promptLogprobs() != null) plps = o.promptLogprobs();
        }
        assertEquals(3, lps.size());
        for (TokenLogprob lp : lps) {
            assertEquals(2, lp.topIds().length);
            assertEquals(lp.tokenId(), lp.topIds()[0], "greedy picks the top token");
            assertEquals(lp.logprob(), lp.topLogprobs()[0], 1e-6);
        }
        assertNotNull(plps);
        assertEquals(prompt.length - 1, plps.size());
        for (int i = 0; i < plps.size(); i++) assertEquals(prompt[i + 1], plps.get(i).tokenId());
    }

    @Test
    void bestOfReturnsTheMostLikelyOfSeveral() throws Exception {
        int[] prompt = tok.encode("The little dog", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 1.0f;
        b.seed = 5L;
        b.maxTokens = 8;
        b.bestOf = 4;
        b.ignoreEos = true;
        RequestStream s = engine.submit("best", prompt, b.build());
        RequestOutput o;
        int outputs = 0;
        do {
            o = s.poll(60, TimeUnit.SECONDS);
            assertNotNull(o, "best_of request hung");
            outputs++;
        } while (!o.finished());
        assertEquals(1, outputs, "best_of > n answers once, at the end");
        assertEquals(1, o.seqs().size());
        RequestOutput.SeqDelta best = o.seqs().get(0);
        assertEquals(8, best.tokenIds().length);
        // the same request with n = 4 returns all four samples (same seeds): best_of must have picked the likeliest
        b.n = 4;
        RequestStream all = engine.submit("best-all", prompt, b.build());
        List<RequestOutput.SeqDelta> finals = new ArrayList<>();
        java.util.Map<Integer, List<Integer>> tokens = new java.util.HashMap<>();
        do {
            o = all.poll(60, TimeUnit.SECONDS);
            assertNotNull(o, "n = 4 request hung");
            for (RequestOutput.SeqDelta d : o.seqs()) {
                for (int t : d.tokenIds()) tokens.computeIfAbsent(d.index(), k -> new ArrayList<>()).add(t);
                if (d.finished()) finals.add(d);
            }
        } while (!o.finished());
        assertEquals(4, finals.size());
        RequestOutput.SeqDelta likeliest = finals.stream().max(java.util.Comparator.comparingDouble(RequestOutput.SeqDelta::cumulativeLogprob)).orElseThrow();
        double least = finals.stream().mapToDouble(RequestOutput.SeqDelta::cumulativeLogprob).min().orElseThrow();
        assertTrue(likeliest.cumulativeLogprob() > least, "the four samples should differ in likelihood");
        assertEquals(likeliest.cumulativeLogprob(), best.cumulativeLogprob(), 1e-9, "best_of returned a sample that is not the likeliest");
        assertEquals(tokens.get(likeliest.index()), java.util.Arrays.stream(best.tokenIds()).boxed().toList());
    }

    static final String[] WORDS = {"Once", "upon", "a", "time", "there", "was", "a", "little", "dog", "named", "Max",
            "who", "loved", "to", "play", "in", "the", "park", "with", "his", "friends", "every", "day"};

    static int[] prompt(int i) {
        StringBuilder b = new StringBuilder();
        for (int w = 0; w < 1 + (i * 7) % 20; w++) b.append(w == 0 ? "" : " ").append(WORDS[(i + w) % WORDS.length]);
        return tok.encode(b.toString(), true, false);
    }

    @Test
    void thirtyOneConcurrentPromptsOfDifferentLengthsMatchTheirSoloRuns() throws Exception {
        List<List<Integer>> solo = new ArrayList<>();
        for (int i = 0; i < 31; i++) solo.add(run(prompt(i), greedy(24)).tokens());
        List<Thread> threads = new ArrayList<>();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 31; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    List<Integer> got = run(prompt(k), greedy(24)).tokens();
                    if (!got.equals(solo.get(k))) errors.add("prompt " + k + " differs in a batch");
                } catch (Exception e) {
                    errors.add(e.toString());
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void aStopStringSplitAcrossTokensIsCaught() throws Exception {
        int[] p = tok.encode("Once upon a time", true, false);
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = 64;
        b.stop = List.of("tle gi");  // the end of "little" and the start of "girl": two tokens
        Done d = run(p, b.build());
        assertEquals(", there was a lit", d.text());
        assertEquals("tle gi", d.stopReason());
        // streamed deltas never showed the beginning of the stop string
        StringBuilder streamed = new StringBuilder();
        for (RequestOutput o : d.outputs()) streamed.append(o.seqs().get(0).text());
        assertEquals(d.text(), streamed.toString());
    }

    @Test
    void survivesManyRandomRequestsAndAbortsWithNoBlocksLeft() throws Exception {
        java.util.Random rnd = new java.util.Random(1234);
        List<String> ids = new ArrayList<>();
        List<RequestStream> streams = new ArrayList<>();
        java.util.Set<String> aborted = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            SamplingParams.Builder b = SamplingParams.builder();
            b.temperature = rnd.nextFloat() * 1.5f;
            b.topP = 0.5f + rnd.nextFloat() / 2;
            b.topK = rnd.nextBoolean() ? -1 : 1 + rnd.nextInt(50);
            b.minP = rnd.nextFloat() * 0.2f;
            b.repetitionPenalty = 0.8f + rnd.nextFloat() * 0.6f;
            b.presencePenalty = rnd.nextFloat() - 0.5f;
            b.frequencyPenalty = rnd.nextFloat() - 0.5f;
            b.maxTokens = 1 + rnd.nextInt(40);
            b.n = b.temperature < SamplingParams.GREEDY_EPS ? 1 : 1 + rnd.nextInt(3);
            b.seed = rnd.nextBoolean() ? (long) rnd.nextInt(100) : null;
            b.logprobs = rnd.nextBoolean() ? rnd.nextInt(5) : null;
            b.stop = rnd.nextInt(4) == 0 ? List.of("the") : List.of();
            b.logitBias = rnd.nextBoolean() ? java.util.Map.of(rnd.nextInt(512), rnd.nextFloat() * 10 - 5) : java.util.Map.of();
            SamplingParams p = b.build();
            p.validate(20);
            String id = "soak-" + i;
            ids.add(id);
            streams.add(engine.submit(id, prompt(rnd.nextInt(100)), p));
            if (rnd.nextInt(5) == 0) {
                String victim = ids.get(rnd.nextInt(ids.size()));
                engine.abort(victim);
                aborted.add(victim);
            }
        }
        for (int i = 0; i < 20; i++) {
            String id = ids.get(rnd.nextInt(ids.size()));
            engine.abort(id);
            aborted.add(id);
        }
        // every request ends and is accounted for: finished, or (when aborted before it finished) an "abort" output
        int finished = 0, abortedSeen = 0;
        for (int i = 0; i < streams.size(); i++) {
            RequestStream s = streams.get(i);
            while (true) {
                RequestOutput o = s.poll(60, TimeUnit.SECONDS);
                assertNotNull(o, "request " + ids.get(i) + " neither finished nor ended as aborted");
                assertNull(o.error(), o.error());
                if (!o.finished()) continue;
                if (o.seqs().isEmpty()) {
                    assertTrue(aborted.contains(ids.get(i)), ids.get(i) + " ended as aborted but was never aborted");
                    abortedSeen++;
                } else {
                    for (RequestOutput.SeqDelta d : o.seqs()) assertTrue(d.finished() && d.finishReason() != null, ids.get(i) + " ended unfinished");
                    finished++;
                }
                break;
            }
        }
        assertEquals(200, finished + abortedSeen);
        assertTrue(abortedSeen > 0 && abortedSeen <= aborted.size(), "aborted " + abortedSeen + " of " + aborted.size());
        System.out.println("soak: " + finished + " finished, " + abortedSeen + " aborted, of 200");
        long deadline = System.currentTimeMillis() + 20000;
        while ((engine.stats().running > 0 || engine.stats().waiting > 0) && System.currentTimeMillis() < deadline) Thread.sleep(20);
        Thread.sleep(100);
        assertEquals(0, engine.stats().running);
        assertEquals(0.0, engine.stats().kvUsage, 1e-12, "every KV block is free again");
    }
}
