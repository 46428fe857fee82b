package dev.jllm.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.engine.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-process API on stories260K: golden tokens, many threads at once, streaming cancellation, close, chat. */
class JllmTest {
    static Jllm llm;

    @BeforeAll
    static void load() throws Exception {
        llm = Jllm.load(ModelOptions.builder(TestModels.gguf()).tokenizer(TestModels.hf()).maxNumSeqs(16).maxNumBatchedTokens(512)
                .seed(7).chatTemplate("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")
                .build());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    static SamplingParams greedy(int maxTokens) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = maxTokens;
        b.ignoreEos = true;
        return b.build();
    }

    @Test
    void generateGivesTheReferenceGreedyTokensAndText() throws Exception {
        int cases = 0;
        for (JsonNode c : TestModels.greedyReference().path("cases")) {
            Completion r = llm.generate(TestModels.ints(c.path("prompt_token_ids")), greedy(64));
            assertArrayEquals(TestModels.ints(c.path("greedy_token_ids")), r.tokenIds(), c.path("prompt").asText());
            assertEquals(c.path("greedy_text").asText(), r.text());
            assertEquals("length", r.finishReason());
            assertEquals(c.path("prompt_token_ids").size(), r.promptTokens());
            cases++;
        }
        assertTrue(cases > 0, "no reference cases");
    }

    @Test
    void textPromptsAreTokenizedWithTheModelsBos() {
        int[] ids = llm.tokenize("Once upon a time", true);
        assertEquals(1, ids[0], "BOS first");
        assertEquals(llm.generate(ids, greedy(12)).text(), llm.generate("Once upon a time", greedy(12)).text());
        assertEquals("Once upon a time", llm.detokenize(ids, true));
    }

    @Test
    void thirtyTwoConcurrentCallsFromVirtualThreadsEqualTheirSoloRuns() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 32; i++) prompts.add(List.of("Once upon a time", "The little dog", "Lily and Ben", "One day")
                .get(i % 4) + " ".repeat(i / 4));
        List<String> solo = new ArrayList<>();
        for (String p : prompts) solo.add(llm.generate(p, greedy(40)).text());
        long stepsBefore = llm.engine().stats().steps.get();
        List<Future<String>> together = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String p : prompts) together.add(pool.submit(() -> llm.generate(p, greedy(40)).text()));
        }
        for (int i = 0; i < prompts.size(); i++) assertEquals(solo.get(i), together.get(i).get(), prompts.get(i));
        long steps = llm.engine().stats().steps.get() - stepsBefore;
        // run one at a time they would need at least 32 x 40 steps: batching is what the engine did
        assertTrue(steps < 32 * 40, "requests did not batch: " + steps + " steps");
    }

    @Test
    void closingAStreamCancelsTheRequestAndFreesItsBlocks() throws Exception {
        AtomicLong aborted = llm.engine().stats().finishedByReason.computeIfAbsent("abort", k -> new AtomicLong());
        long abortedBefore = aborted.get();
        int received = 0;
        try (CompletionStream s = llm.stream("Once upon a time", greedy(400))) {
            while (s.hasNext() && received < 3) received += s.next().tokenIds().length;
        }
        assertTrue(received >= 3 && received < 400);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((aborted.get() == abortedBefore || llm.engine().stats().kvUsage > 0) && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(abortedBefore + 1, aborted.get(), "the request was not aborted");
        assertEquals(0.0, llm.engine().stats().kvUsage, "its KV blocks are still held");
    }

    @Test
    void streamedDeltasAddUpToTheGeneratedText() {
        StringBuilder text = new StringBuilder();
        String finish = null;
        try (CompletionStream s = llm.stream("The little dog", greedy(30))) {
            while (s.hasNext()) {
                CompletionStream.Delta d = s.next();
                text.append(d.text());
                if (d.finishReason() != null) finish = d.finishReason();
            }
        }
        assertEquals(llm.generate("The little dog", greedy(30)).text(), text.toString());
        assertEquals("length", finish);
    }

    @Test
    void jsonSchemaConstraintGivesValidJson() throws Exception {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0.8f;
        b.seed = 3L;
        b.maxTokens = 200;
        ObjectMapper json = new ObjectMapper();
        b.constraint = llm.constraints().jsonSchema(json.readTree("""
                {"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer","minimum":0,"maximum":99}},
                 "required":["name","age"],"additionalProperties":false}"""), null);
        Completion r = llm.generate("Once upon a time", b.build());
        JsonNode obj = json.readTree(r.text());
        assertTrue(obj.path("name").isTextual() && obj.path("age").isInt(), r.text());
        assertTrue(obj.path("age").asInt() >= 0 && obj.path("age").asInt() <= 99, r.text());
        assertEquals("stop", r.finishReason());
    }

    @Test
    void chatRendersTheTemplateWithAGenerationPrompt() {
        List<Map<String, Object>> msgs = List.of(Map.of("role", "user", "content", "Tell me a story."));
        int[] ids = llm.chatPrompt(msgs, null);
        assertEquals("<|user|>Tell me a story.\n<|assistant|>", llm.detokenize(ids, true));
        assertEquals(llm.generate(ids, greedy(10)).text(), llm.chat(msgs, null, greedy(10)).text());
    }

    @Test
    void refusalsAreExceptionsWithAStatus() {
        JllmException tooLong = assertThrows(JllmException.class, () -> llm.generate(new int[600], greedy(10)));
        assertEquals(400, tooLong.status());
        SamplingParams.Builder b = SamplingParams.builder();
        b.topP = 0;
        JllmException bad = assertThrows(JllmException.class, () -> llm.generate("x", b.build()));
        assertEquals(400, bad.status());
        assertTrue(bad.getMessage().contains("top_p"), bad.getMessage());
    }
}
