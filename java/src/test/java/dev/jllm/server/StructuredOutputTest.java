package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Structured output end to end on the real model: every output obeys its constraint, sampled or greedy. */
class StructuredOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;

    @BeforeAll
    static void start() throws Exception {
        base = ServerFixture.get().base;
    }

    static JsonNode post(String path, String body, int status) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static Set<String> fieldNames(JsonNode doc) {
        Set<String> names = new java.util.HashSet<>();
        doc.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static List<String> texts(JsonNode resp) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : resp.path("choices")) out.add(c.has("text") ? c.path("text").asText() : c.path("message").path("content").asText());
        return out;
    }

    @Test
    void guidedChoicePicksOneOfTheChoices() throws Exception {
        JsonNode r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"The review was\",\"n\":8,\"seed\":1,\"temperature\":1.2,"
                + "\"guided_choice\":[\"positive\",\"negative\",\"neutral and calm\"]}", 200);
        Set<String> allowed = Set.of("positive", "negative", "neutral and calm");
        for (JsonNode c : r.path("choices")) {
            assertTrue(allowed.contains(c.path("text").asText()), c.toString());
            assertEquals("stop", c.path("finish_reason").asText());
        }
        JsonNode chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Rate it\"}],"
                + "\"structured_outputs\":{\"choice\":[\"yes\",\"no\"]}}", 200);
        assertTrue(Set.of("yes", "no").contains(texts(chat).get(0)));
    }

    @Test
    void guidedRegexOutputsMatch() throws Exception {
        JsonNode r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Call me at\",\"n\":6,\"seed\":2,\"max_tokens\":40,"
                + "\"guided_regex\":\" ?[0-9]{3}-[0-9]{4}( ext\\\\. [0-9]{1,3})?\"}", 200);
        for (String t : texts(r)) assertTrue(t.matches(" ?[0-9]{3}-[0-9]{4}( ext\\. [0-9]{1,3})?"), t);
    }

    @Test
    void guidedJsonAndResponseFormatsGiveValidDocuments() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},\"age\":{\"type\":\"integer\"},"
                + "\"pets\":{\"type\":\"array\",\"items\":{\"enum\":[\"cat\",\"dog\"]},\"maxItems\":2}},\"required\":[\"name\",\"age\",\"pets\"]}";
        List<JsonNode> choices = Collections.synchronizedList(new ArrayList<>());
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Person:\",\"n\":8,\"seed\":" + k
                            + ",\"max_tokens\":160,\"guided_json\":" + schema + "}", 200).path("choices").forEach(choices::add);
                } catch (Exception e) {
                    errors.add(e.toString());
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(32, choices.size(), "32 constrained sequences at once");
        // seeded, so deterministic: every document ends by the constraint (EOS only when complete) and is valid
        for (JsonNode c : choices) {
            String t = c.path("text").asText();
            assertEquals("stop", c.path("finish_reason").asText(), "the document completes within max_tokens: " + t);
            JsonNode doc = JSON.readTree(t);
            assertEquals(Set.of("name", "age", "pets"), fieldNames(doc), t);
            assertTrue(doc.path("name").isTextual() && doc.path("name").asText().length() <= 12, t);
            assertTrue(doc.path("age").isIntegralNumber(), t);
            assertTrue(doc.path("pets").isArray() && doc.path("pets").size() <= 2, t);
            for (JsonNode pet : doc.path("pets")) assertTrue(Set.of("cat", "dog").contains(pet.asText()), t);
        }
        JsonNode rf = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"JSON please\"}],\"max_tokens\":100,"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":" + schema + "}}}", 200);
        String content = texts(rf).get(0);
        if (rf.path("choices").get(0).path("finish_reason").asText().equals("stop")) JSON.readTree(content);
        assertTrue(content.startsWith("{"));
        JsonNode obj = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Data:\",\"max_tokens\":200,\"temperature\":0,\"response_format\":{\"type\":\"json_object\"}}", 200);
        assertTrue(texts(obj).get(0).startsWith("{"));
    }

    @Test
    void guidedGrammarOutputsAreSentencesOfTheGrammar() throws Exception {
        String grammar = "?start: expr\\n?expr: term ((\\\"+\\\" | \\\"-\\\") term)*\\n?term: factor ((\\\"*\\\" | \\\"/\\\") factor)*\\n"
                + "?factor: INT | \\\"(\\\" expr \\\")\\\"\\nINT: /[1-9][0-9]?/\\n";
        JsonNode r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Compute:\",\"n\":6,\"seed\":4,\"max_tokens\":60,\"guided_grammar\":\"" + grammar + "\"}", 200);
        // every output is a sentence of the grammar, or (cut off by max_tokens) a prefix of one
        for (JsonNode c : r.path("choices")) {
            String t = c.path("text").asText();
            assertTrue(t.matches("[0-9+\\-*/()]*"), t);
            assertTrue(!t.matches(".*[0-9]{3}.*") && !t.matches(".*[-+*/][-+*/].*") && !t.matches(".*\\(\\).*") && !t.startsWith("0"), t);
            int depth = 0;
            for (char ch : t.toCharArray()) {
                depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
                assertTrue(depth >= 0, "parentheses never close more than they open: " + t);
            }
            if (c.path("finish_reason").asText().equals("stop")) assertEquals(0, depth, "a finished expression is balanced: " + t);
        }
    }

    @Test
    void invalidOrConflictingConstraintsAre400() throws Exception {
        assertTrue(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_regex\":\"(ab\"}", 400).path("error").path("message").asText().contains("regular expression"));
        assertTrue(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_json\":{\"type\":\"tuple\"}}", 400).path("error").path("message").asText().contains("tuple"));
        assertTrue(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_json\":\"{not json\"}", 400).path("error").path("param").asText().equals("guided_json"));
        assertTrue(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_choice\":[\"a\"],\"guided_regex\":\"b\"}", 400).path("error").path("message").asText().contains("one kind"));
        assertTrue(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_grammar\":\"start: undefined\"}", 400).path("error").path("message").asText().contains("undefined"));
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_choice\":[]}", 400);
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_decoding_backend\":\"magic\",\"guided_choice\":[\"a\"]}", 400);
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"response_format\":{\"type\":\"yaml\"}}", 400);
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_regex\":\"(a{1000}){1000}\"}", 400);
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":2}", 200);  // healthy afterwards
    }
}
