package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams of several choices and the text around a finish: each choice's finish goes out once, the streamed deltas
 * add up to the whole reply, the finishing EOS token's text is not output, beam search and prompt logprobs.
 */
class StreamedChoicesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;

    @BeforeAll
    static void start() throws Exception {
        base = ServerFixture.get().base;
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode j = JSON.readTree(r.body());
        assertEquals(200, r.statusCode(), r.body());
        return j;
    }

    /** The JSON events of an SSE response, without [DONE] (which must end it). */
    static List<JsonNode> stream(String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        List<String> data = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) if (line.startsWith("data: ")) data.add(line.substring(6));
        }
        assertEquals("[DONE]", data.get(data.size() - 1));
        List<JsonNode> out = new ArrayList<>();
        for (String d : data.subList(0, data.size() - 1)) out.add(JSON.readTree(d));
        return out;
    }

    /** Per choice index: the concatenated deltas and how many chunks carried a finish_reason. */
    record Streamed(String[] text, int[] finishes, String[] reasons) {}

    static Streamed collect(List<JsonNode> events, int n, boolean chat) {
        Streamed s = new Streamed(new String[n], new int[n], new String[n]);
        for (int i = 0; i < n; i++) s.text[i] = "";
        for (JsonNode e : events) {
            for (JsonNode c : e.path("choices")) {
                int i = c.path("index").asInt();
                s.text[i] += chat ? c.path("delta").path("content").asText("") : c.path("text").asText();
                if (!c.path("finish_reason").isNull() && !c.path("finish_reason").isMissingNode()) {
                    s.finishes[i]++;
                    s.reasons[i] = c.path("finish_reason").asText();
                }
            }
        }
        return s;
    }

    @Test
    void eachStreamedCompletionChoiceFinishesOnceAndAddsUpToTheWhole() throws Exception {
        // stop "e" ends the choices at different steps: the early ones must not repeat their last chunk
        String body = "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":40,\"seed\":2,\"n\":3,\"stop\":[\"e\"]";
        JsonNode whole = post("/v1/completions", body + "}");
        Streamed s = collect(stream("/v1/completions", body + ",\"stream\":true}"), 3, false);
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode c = whole.path("choices").get(i);
            assertEquals(1, s.finishes[i], "choice " + i + " finishes once");
            assertEquals(c.path("text").asText(), s.text[i], "choice " + i);
            assertEquals(c.path("finish_reason").asText(), s.reasons[i]);
            lengths.add(c.path("text").asText().length());
        }
        assertNotEquals(1, lengths.stream().distinct().count(), "the choices end at different steps: " + lengths);
    }

    @Test
    void eachStreamedChatChoiceFinishesOnceAndAddsUpToTheWhole() throws Exception {
        String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":40,\"seed\":2,\"n\":3,\"stop\":[\"e\"]";
        JsonNode whole = post("/v1/chat/completions", body + "}");
        Streamed s = collect(stream("/v1/chat/completions", body + ",\"stream\":true}"), 3, true);
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode c = whole.path("choices").get(i);
            assertEquals(1, s.finishes[i], "choice " + i + " finishes once");
            assertEquals(c.path("message").path("content").asText(), s.text[i], "choice " + i);
            lengths.add(c.path("message").path("content").asText().length());
        }
        assertNotEquals(1, lengths.stream().distinct().count(), "the choices end at different steps: " + lengths);
    }

    @Test
    void theFinishingEosTokensTextIsNotOutputEvenWithSpecialTokensShown() throws Exception {
        // the regex allows only EOS after "abc": generation ends on EOS, whose text "</s>" shows with skip_special_tokens false
        String body = "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":10,\"guided_regex\":\"abc\",\"skip_special_tokens\":false";
        JsonNode c = post("/v1/completions", body + "}").path("choices").get(0);
        assertEquals("abc", c.path("text").asText());
        assertEquals("stop", c.path("finish_reason").asText());
        Streamed s = collect(stream("/v1/completions", body + ",\"stream\":true}"), 1, false);
        assertEquals("abc", s.text[0]);
        assertEquals(1, s.finishes[0]);
        // as for stop strings and stop tokens, include_stop_str_in_output keeps it
        JsonNode kept = post("/v1/completions", body + ",\"include_stop_str_in_output\":true}").path("choices").get(0);
        assertTrue(kept.path("text").asText().startsWith("abc") && kept.path("text").asText().length() > 3, kept.toString());
        JsonNode chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"max_tokens\":10,\"guided_regex\":\"abc\",\"skip_special_tokens\":false}").path("choices").get(0);
        assertEquals("abc", chat.path("message").path("content").asText());
        Streamed cs = collect(stream("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"max_tokens\":10,\"guided_regex\":\"abc\",\"skip_special_tokens\":false,\"stream\":true}"), 1, true);
        assertEquals("abc", cs.text[0]);
    }

    /** Checks vLLM's prompt_logprobs shape against the prompt ids and the echo+logprobs values of the same prompt. */
    static void assertPromptLogprobs(JsonNode plp, JsonNode ids, JsonNode echoLps, int top) {
        assertEquals(ids.size(), plp.size(), plp.toString());
        assertTrue(plp.get(0).isNull(), "nothing scores the first prompt token");
        for (int i = 1; i < ids.size(); i++) {
            JsonNode entry = plp.get(i), own = entry.path(ids.get(i).asText());
            assertTrue(own.isObject(), "entry " + i + " holds the prompt token " + ids.get(i) + ": " + entry);
            assertTrue(entry.size() >= 1 && entry.size() <= top + 1, entry.toString());
            assertEquals(echoLps.get(i).asDouble(), own.path("logprob").asDouble(), 1e-4, "entry " + i);
            assertTrue(own.path("decoded_token").isTextual(), own.toString());
            int ranked = 0;
            for (var e : entry.properties()) {
                assertTrue(e.getValue().path("logprob").asDouble() <= 0, entry.toString());
                if (e.getValue().path("rank").isInt()) ranked++;
            }
            assertTrue(ranked >= Math.min(top, entry.size()), "the top entries are ranked: " + entry);
        }
    }

    @Test
    void promptLogprobsAreReturnedInVllmsShape() throws Exception {
        JsonNode ids = post("/tokenize", "{\"model\":\"stories\",\"prompt\":\"Once upon a b\"}").path("tokens");
        assertTrue(ids.size() >= 3, ids.toString());
        // echo + logprobs scores the same prompt tokens the same way: the reference values
        JsonNode echoLps = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a b\",\"echo\":true,\"logprobs\":2,\"max_tokens\":1,\"temperature\":0}")
                .path("choices").get(0).path("logprobs").path("token_logprobs");
        String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a b\",\"prompt_logprobs\":2,\"max_tokens\":3,\"seed\":1,\"n\":2";
        JsonNode whole = post("/v1/completions", body + "}");
        for (JsonNode c : whole.path("choices")) assertPromptLogprobs(c.path("prompt_logprobs"), ids, echoLps, 2);
        // streamed: each choice's first chunk carries them
        List<JsonNode> events = stream("/v1/completions", body + ",\"stream\":true}");
        int[] seen = new int[2];
        for (JsonNode e : events)
            for (JsonNode c : e.path("choices"))
                if (c.has("prompt_logprobs")) {
                    seen[c.path("index").asInt()]++;
                    assertPromptLogprobs(c.path("prompt_logprobs"), ids, echoLps, 2);
                }
        assertEquals(1, seen[0]);
        assertEquals(1, seen[1]);
        // chat: at the response's top level, for the rendered prompt
        JsonNode chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"prompt_logprobs\":0,\"max_tokens\":2,\"temperature\":0}");
        JsonNode plp = chat.path("prompt_logprobs");
        assertEquals(chat.path("usage").path("prompt_tokens").asInt(), plp.size(), chat.toString());
        assertTrue(plp.get(0).isNull());
        for (int i = 1; i < plp.size(); i++) assertEquals(1, plp.get(i).size(), "prompt_logprobs 0: the prompt token alone: " + plp.get(i));
    }

    @Test
    void beamSearchReturnsEachBeamsTokenLogprobs() throws Exception {
        JsonNode whole = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon\",\"use_beam_search\":true,\"best_of\":3,"
                + "\"n\":2,\"max_tokens\":6,\"temperature\":0,\"logprobs\":1}");
        // the greedy first step: every beam's first alternatives hold its token with the same logprob
        JsonNode greedy = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon\",\"max_tokens\":1,\"temperature\":0,\"logprobs\":1}")
                .path("choices").get(0).path("logprobs");
        String greedyToken = greedy.path("tokens").get(0).asText();
        double greedyLp = greedy.path("token_logprobs").get(0).asDouble();
        List<Double> sums = new ArrayList<>();
        for (JsonNode c : whole.path("choices")) {
            JsonNode lp = c.path("logprobs");
            int count = lp.path("tokens").size();
            assertEquals("length", c.path("finish_reason").asText(), c.toString());
            assertEquals(6, count, "one entry per output token: " + c);
            assertEquals(count, lp.path("token_logprobs").size());
            assertEquals(count, lp.path("top_logprobs").size());
            assertEquals(count, lp.path("text_offset").size());
            StringBuilder joined = new StringBuilder();
            double sum = 0;
            for (int i = 0; i < count; i++) {
                String t = lp.path("tokens").get(i).asText();
                double v = lp.path("token_logprobs").get(i).asDouble();
                assertTrue(v <= 0 && v > -9999, lp.toString());
                JsonNode top = lp.path("top_logprobs").get(i);
                assertTrue(top.size() >= 1 && top.size() <= 2, top.toString());
                assertEquals(v, top.path(t).asDouble(), 1e-6, "the token's own entry: " + top);
                assertEquals(joined.length(), lp.path("text_offset").get(i).asInt(), lp.toString());
                joined.append(t);
                sum += v;
            }
            assertEquals(c.path("text").asText(), joined.toString());
            assertEquals(greedyLp, lp.path("top_logprobs").get(0).path(greedyToken).asDouble(1), 1e-4, lp.toString());
            sums.add(sum);
        }
        assertTrue(sums.get(0) >= sums.get(1) - 1e-6, "the best beam first (same lengths, length_penalty 1): " + sums);
    }

    @Test
    void eachStreamedToolCallChoiceFinishesOnceWithItsWholeArguments() throws Exception {
        String body = ToolCallTest.body("\"required\"", false).replace("\"seed\":3", "\"seed\":3,\"n\":2");
        JsonNode whole = post("/v1/chat/completions", body);
        List<JsonNode> events = stream("/v1/chat/completions", body.replace("\"n\":2", "\"n\":2,\"stream\":true"));
        int[] finishes = new int[2];
        String[] args = {"", ""}, names = {"", ""};
        for (JsonNode e : events)
            for (JsonNode c : e.path("choices")) {
                int i = c.path("index").asInt();
                if (!c.path("finish_reason").isNull()) finishes[i]++;
                for (JsonNode call : c.path("delta").path("tool_calls")) {
                    names[i] += call.path("function").path("name").asText("");
                    args[i] += call.path("function").path("arguments").asText("");
                }
            }
        for (int i = 0; i < 2; i++) {
            JsonNode call = whole.path("choices").get(i).path("message").path("tool_calls").get(0);
            assertEquals(1, finishes[i], "choice " + i + " finishes once");
            assertEquals(call.path("function").path("name").asText(), names[i]);
            assertEquals(call.path("function").path("arguments").asText(), args[i], "choice " + i);
        }
    }
}
