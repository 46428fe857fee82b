package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.engine.Engine;
import dev.jllm.engine.EngineConfig;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP layer end to end on the real model: shapes, streaming, errors, auth, metrics. */
class ServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sk-test-key";
    static final String MODEL = "stories";
    static NativeModel model;
    static NativeExecutor exec;
    static Tokenizer tok;
    static Engine engine;
    static OpenAiServer server;
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;
    static ServerContext ctx;

    @BeforeAll
    static void start() throws Exception {
        ServerFixture f = ServerFixture.get();
        model = f.model;
        exec = f.exec;
        tok = f.tok;
        engine = f.engine;
        ctx = f.ctx;
        server = f.server;
        base = f.base;
    }

    record Resp(int status, JsonNode json, String text) {}

    static Resp call(String method, String path, String body, String key, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (key != null) b.header("Authorization", "Bearer " + key);
        if (accept != null) b.header("Accept", accept);
        b.header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = null;
        try {
            j = JSON.readTree(r.body());
        } catch (Exception ignored) {
        }
        return new Resp(r.statusCode(), j, r.body());
    }

    static Resp post(String path, String body) throws Exception {
        return call("POST", path, body, KEY, null);
    }

    /** The data payloads of an SSE response, in order. */
    static List<String> stream(String path, String body, String accept) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
                .header("Accept", accept).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<String> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) if (line.startsWith("data: ")) events.add(line.substring(6));
        }
        return events;
    }

    static String greedyText() throws Exception {
        return TestModels.greedyReference().path("cases").get(0).path("greedy_text").asText();
    }

    @Test
    void modelsHealthAndVersion() throws Exception {
        Resp m = call("GET", "/v1/models", null, KEY, null);
        assertEquals(200, m.status);
        assertEquals("list", m.json.path("object").asText());
        assertEquals(MODEL, m.json.path("data").get(0).path("id").asText());
        assertEquals(512, m.json.path("data").get(0).path("max_model_len").asInt());
        assertEquals(2, m.json.path("data").size());
        assertEquals("alias", call("GET", "/v1/models/alias", null, KEY, null).json.path("id").asText());
        assertEquals(404, call("GET", "/v1/models/nope", null, KEY, null).status);
        assertEquals(200, call("GET", "/health", null, null, null).status);
        // --root-path serves the same routes under a prefix, with the same auth
        assertEquals(MODEL, call("GET", "/proxy/v1/models", null, KEY, null).json.path("data").get(0).path("id").asText());
        assertEquals(401, call("GET", "/proxy/v1/models", null, null, null).status);
        assertTrue(call("GET", "/version", null, KEY, null).json.has("version"));
    }

    @Test
    void authGuardsEveryRouteButHealth() throws Exception {
        Resp r = call("GET", "/v1/models", null, null, null);
        assertEquals(401, r.status);
        assertEquals("401", r.json.path("error").path("code").textValue(), "code is a string, as in OpenAI's schema");
        assertEquals(401, call("GET", "/v1/models", null, "wrong", null).status);
        assertEquals(200, call("GET", "/v1/models", null, "second-key", null).status);
        assertEquals(401, call("POST", "/tokenize", "{\"prompt\":\"hi\"}", null, null).status);
        assertEquals(200, call("POST", "/tokenize", "{\"prompt\":\"hi\"}", KEY, null).status);
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() throws Exception {  // RFC 7235 section 2.1: auth-scheme is case-insensitive
        for (String scheme : List.of("bearer", "BEARER", "bEaReR")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                    .header("Authorization", scheme + " " + KEY).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), scheme);
        }
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                .header("Authorization", "bearer wrong").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> basic = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                .header("Authorization", "Basic " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, basic.statusCode(), "another scheme carrying the key is no Bearer token");
    }

    @Test
    void completionMatchesReferenceGreedyText() throws Exception {
        Resp r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":64,\"temperature\":0,\"ignore_eos\":true}");
        assertEquals(200, r.status, r.text);
        assertTrue(r.json.path("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", r.json.path("object").asText());
        assertEquals(MODEL, r.json.path("model").asText());
        JsonNode c = r.json.path("choices").get(0);
        assertEquals(greedyText(), c.path("text").asText());
        assertEquals("length", c.path("finish_reason").asText());
        assertTrue(c.path("logprobs").isNull());
        assertEquals(5, r.json.path("usage").path("prompt_tokens").asInt());
        assertEquals(64, r.json.path("usage").path("completion_tokens").asInt());
        assertEquals(69, r.json.path("usage").path("total_tokens").asInt());
    }

    @Test
    void multiplePromptsAndNArePromptMajor() throws Exception {
        Resp r = post("/v1/completions", "{\"model\":\"alias\",\"prompt\":[\"Once upon a time\",[1,403,407,261]],\"n\":2,\"max_tokens\":4,\"seed\":3}");
        assertEquals(200, r.status, r.text);
        assertEquals("alias", r.json.path("model").asText());
        JsonNode ch = r.json.path("choices");
        assertEquals(4, ch.size());
        for (int i = 0; i < 4; i++) assertEquals(i, ch.get(i).path("index").asInt());
        assertEquals(5 + 4, r.json.path("usage").path("prompt_tokens").asInt());
        assertEquals(16, r.json.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void streamedCompletionEqualsTheWholeAndEndsWithDone() throws Exception {
        List<String> events = stream("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":64,\"temperature\":0,\"ignore_eos\":true,\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "application/json");
        assertEquals("[DONE]", events.get(events.size() - 1));
        StringBuilder text = new StringBuilder();
        int finishes = 0;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode j = JSON.readTree(e);
            if (j.path("choices").isEmpty()) {
                usage = j.path("usage");
                continue;
            }
            JsonNode c = j.path("choices").get(0);
            text.append(c.path("text").asText());
            if (!c.path("finish_reason").isNull()) finishes++;
        }
        assertEquals(greedyText(), text.toString());
        assertEquals(1, finishes);
        assertNotNull(usage);
        assertEquals(64, usage.path("completion_tokens").asInt());
    }

    @Test
    void chatStreamsWithRoleFirstForAnAcceptHeader() throws Exception {
        String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell a story\"}],\"max_tokens\":8,\"stream\":true,\"temperature\":0}";
        List<String> events = stream("/v1/chat/completions", body, "application/json");
        JsonNode first = JSON.readTree(events.get(0));
        assertEquals("chat.completion.chunk", first.path("object").asText());
        assertTrue(first.path("id").asText().startsWith("chatcmpl-"));
        assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
        StringBuilder text = new StringBuilder();
        int finishes = 0;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode c = JSON.readTree(e).path("choices").get(0);
            text.append(c.path("delta").path("content").asText(""));
            if (!c.path("finish_reason").isNull()) finishes++;
        }
        assertEquals(1, finishes);
        Resp whole = post("/v1/chat/completions", body.replace("\"stream\":true,", ""));
        assertEquals(200, whole.status, whole.text);
        assertEquals(text.toString(), whole.json.path("choices").get(0).path("message").path("content").asText());
        assertEquals("assistant", whole.json.path("choices").get(0).path("message").path("role").asText());
        assertTrue(whole.json.path("choices").get(0).path("message").path("tool_calls").isArray());
        assertEquals(List.of("[DONE]"), events.subList(events.size() - 1, events.size()));
    }

    @Test
    void logprobsHaveOpenAiShapes() throws Exception {
        Resp r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":3,\"temperature\":0,\"logprobs\":2}");
        JsonNode lp = r.json.path("choices").get(0).path("logprobs");
        assertEquals(3, lp.path("tokens").size());
        assertEquals(3, lp.path("token_logprobs").size());
        assertEquals(3, lp.path("text_offset").size());
        assertTrue(lp.path("top_logprobs").get(0).size() >= 2 && lp.path("top_logprobs").get(0).size() <= 3);
        assertEquals(0, lp.path("text_offset").get(0).asInt());
        Resp z = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":2,\"logprobs\":0}");
        assertEquals(1, z.json.path("choices").get(0).path("logprobs").path("top_logprobs").get(0).size());
        Resp e = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":2,\"temperature\":0,\"echo\":true,\"logprobs\":1}");
        JsonNode el = e.json.path("choices").get(0).path("logprobs");
        assertEquals(5 + 2, el.path("tokens").size());
        assertTrue(el.path("token_logprobs").get(0).isNull());
        assertTrue(e.json.path("choices").get(0).path("text").asText().startsWith("Once upon a time"));
        Resp c = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":2}");
        JsonNode content = c.json.path("choices").get(0).path("logprobs").path("content");
        assertEquals(2, content.size());
        assertEquals(2, content.get(0).path("top_logprobs").size());
        assertTrue(content.get(0).path("bytes").isArray());
    }

    /**
     * echo + logprobs on a prompt longer than the logits rows of one step (the fixture's 64 sequences): the prompt's
     * logprobs arrive in outputs before the first sampled token's, and every prompt token still gets its entry.
     */
    @Test
    void echoLogprobsCoverAPromptLongerThanOneStepsLogitRows() throws Exception {
        StringBuilder ids = new StringBuilder("[1");
        for (int i = 0; i < 99; i++) ids.append(',').append(300 + (i * 7) % 200);
        String prompt = ids.append(']').toString();
        for (boolean stream : List.of(false, true)) {
            String body = "{\"model\":\"stories\",\"prompt\":" + prompt + ",\"echo\":true,\"logprobs\":1,\"max_tokens\":3,"
                    + "\"temperature\":0,\"stream\":" + stream + "}";
            JsonNode tokenLps;
            if (stream) {
                List<JsonNode> lps = new ArrayList<>();
                for (String ev : stream("/v1/completions", body, "text/event-stream")) {
                    if (ev.equals("[DONE]")) continue;
                    for (JsonNode lp : JSON.readTree(ev).path("choices").get(0).path("logprobs").path("token_logprobs")) lps.add(lp);
                }
                tokenLps = JSON.valueToTree(lps);
            } else {
                tokenLps = post("/v1/completions", body).json.path("choices").get(0).path("logprobs").path("token_logprobs");
            }
            assertEquals(100 + 3, tokenLps.size(), "stream " + stream + ": " + tokenLps);
            assertTrue(tokenLps.get(0).isNull());
            for (int i = 1; i < tokenLps.size(); i++) assertTrue(tokenLps.get(i).isNumber(), "stream " + stream + " at " + i);
        }
    }

    /** echo + logprobs: each text_offset is where its token's text starts in choices[0].text (vLLM's meaning). */
    @Test
    void echoedTextOffsetsIndexIntoTheText() throws Exception {
        for (String prompt : List.of("[1,243]", "\"Once upon\"")) {
            Resp r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":" + prompt + ",\"echo\":true,\"logprobs\":1,\"max_tokens\":3,\"temperature\":0}");
            String text = r.json.path("choices").get(0).path("text").asText();
            JsonNode lp = r.json.path("choices").get(0).path("logprobs");
            JsonNode tokens = lp.path("tokens"), offsets = lp.path("text_offset");
            String where = prompt + " -> " + JSON.writeValueAsString(text) + " " + tokens + " " + offsets;
            assertEquals(tokens.size(), offsets.size(), where);
            assertEquals("<s>", tokens.get(0).asText(), where);
            assertEquals(0, offsets.get(0).asInt(), where + ": BOS is not in the text; the text starts after it");
            for (int i = 1; i < offsets.size(); i++) {
                int at = offsets.get(i).asInt();
                assertTrue(at >= offsets.get(i - 1).asInt() && at <= text.length(), where);
                String t = tokens.get(i).asText();
                // a whole-character token's text is there (the first word's SentencePiece space may be dropped)
                if (!t.contains("\uFFFD")) assertTrue(text.startsWith(t, at) || at == 0 && text.startsWith(t.stripLeading()), where + " at " + i);
            }
        }
        Resp ids = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":[1,243],\"echo\":true,\"logprobs\":1,\"max_tokens\":3,\"temperature\":0}");
        JsonNode off = ids.json.path("choices").get(0).path("logprobs").path("text_offset");
        assertEquals(0, off.get(1).asInt(), "token 243 is the text's first character");
    }

    @Test
    void beamSearchAnswersTheNBestAtOnce() throws Exception {
        String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0,\"use_beam_search\":true,\"best_of\":3,\"n\":2,\"length_penalty\":0.8}";
        Resp r = post("/v1/completions", body);
        assertEquals(200, r.status, r.text);
        assertEquals(2, r.json.path("choices").size());
        List<String> events = stream("/v1/completions", body.replace("}", ",\"stream\":true}"), "text/event-stream");
        assertEquals(2, events.size(), "one event with the whole response, then [DONE]");
        assertEquals(r.json.path("choices").toString(), JSON.readTree(events.get(0)).path("choices").toString());
        assertBadRequest("/v1/completions", body.replace("\"temperature\":0", "\"temperature\":1"), "temperature");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"length_penalty\":0.5}", "length_penalty");
    }

    @Test
    void chatStreamsOfAWholeChosenOutputAreChunksWithDeltas() throws Exception {
        // best_of > n and beam search choose the output at the end: the stream is still chat.completion.chunk events
        // with deltas (an OpenAI SDK reading `delta.content` failed on a whole chat.completion)
        String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":6,"
                + "\"temperature\":0,\"use_beam_search\":true,\"best_of\":3,\"n\":2}";
        Resp whole = post("/v1/chat/completions", body);
        assertEquals(200, whole.status, whole.text);
        List<String> events = stream("/v1/chat/completions", body.replace("}]", "}],\"stream\":true,\"stream_options\":{\"include_usage\":true}"), "text/event-stream");
        assertEquals(3, events.size(), "the chunk, the usage chunk, [DONE]: " + events);
        JsonNode chunk = JSON.readTree(events.get(0));
        assertEquals("chat.completion.chunk", chunk.path("object").asText());
        for (int i = 0; i < 2; i++) {
            JsonNode c = chunk.path("choices").get(i), m = whole.json.path("choices").get(i).path("message");
            assertTrue(c.path("delta").path("content").isTextual(), chunk.toString());
            assertEquals(m.path("content").asText(), c.path("delta").path("content").asText());
            assertEquals("assistant", c.path("delta").path("role").asText());
            assertTrue(c.path("message").isMissingNode() && !c.path("finish_reason").isNull(), chunk.toString());
        }
        JsonNode usage = JSON.readTree(events.get(1));
        assertEquals(0, usage.path("choices").size());
        assertEquals(whole.json.path("usage").path("completion_tokens").asInt(), usage.path("usage").path("completion_tokens").asInt());
        assertEquals("[DONE]", events.get(2));
    }

    @Test
    void stopStringsWork() throws Exception {
        Resp r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":30,\"temperature\":0,\"stop\":[\"Lily\"]}");
        JsonNode c = r.json.path("choices").get(0);
        assertEquals(", there was a little girl named ", c.path("text").asText());
        assertEquals("stop", c.path("finish_reason").asText());
        assertEquals("Lily", c.path("stop_reason").asText());
    }

    static void assertBadRequest(String path, String body, String mention) throws Exception {
        Resp r = post(path, body);
        assertEquals(400, r.status, r.text);
        JsonNode err = r.json.path("error");
        assertTrue(err.path("message").asText().contains(mention), err.toString());
        assertEquals("400", err.path("code").textValue());
        assertTrue(err.has("type") && err.has("param"));
    }

    @Test
    void badRequestsGetClearErrorsAndTheServerStaysHealthy() throws Exception {
        assertBadRequest("/v1/completions", "{not json", "not valid JSON");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":\"ten\"}", "max_tokens");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"temperature\":-1}", "temperature");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"\"}", "empty");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":[]}", "at least one prompt");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"logprobs\":21}", "20");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"suffix\":\"y\"}", "suffix");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"guided_grammar\":\"x\"}", "grammar line outside a rule");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"n\":2000}", "n");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":600}", "maximum context length is 512");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":[1,99999]}", "99999");
        assertBadRequest("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}}", "stream");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[]}", "messages");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]}", "string 'text'");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2}", "logprobs");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"missing\"}},\"tools\":[]}", "has not been passed");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"required\"}", "tools");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", "image_url");
        assertBadRequest("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"chat_template\":\"{{ raise_exception('no system role') }}\"}", "no system role");
        assertEquals(404, post("/v1/completions", "{\"model\":\"gpt-4\",\"prompt\":\"x\"}").status);
        assertEquals(404, call("GET", "/nope", null, KEY, null).status);
        assertEquals(405, call("GET", "/v1/completions", null, KEY, null).status);
        // a body over --max-request-bytes (1 MiB here) is refused before it is read
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
            sock.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            sock.setSoTimeout(5000);
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while (!got.toString().contains("}}") && (n = sock.getInputStream().read(buf)) > 0)
                got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            String head = got.toString();
            assertTrue(head.startsWith("HTTP/1.1 413"), head);
            assertTrue(head.contains("\"code\":\"413\""), head);
        }
        Resp ok = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":2}");
        assertEquals(200, ok.status);
        Resp unknown = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":1,\"some_future_field\":1}");
        assertEquals(200, unknown.status, "unknown fields are accepted and logged");
    }

    @Test
    void chatLogprobBytesAreTheTokensOwnBytes() throws Exception {
        // token 229 is the byte-fallback token <0xE2>, the first byte of a three-byte character: its entry's bytes
        // are that one byte (joinable into UTF-8), not the bytes of U+FFFD
        Resp r = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":2,\"logit_bias\":{\"229\":100}}");
        assertEquals(200, r.status, r.text);
        JsonNode content = r.json.path("choices").get(0).path("logprobs").path("content");
        assertEquals(2, content.size(), r.text);
        for (JsonNode e : content) {
            assertEquals("[226]", e.path("bytes").toString(), e.toString());
            assertEquals("[226]", e.path("top_logprobs").get(0).path("bytes").toString(), e.toString());
        }
    }

    @Test
    void aStopTokensTextIsOutputOnlyWhenAskedFor() throws Exception {
        JsonNode ref = TestModels.greedyReference().path("cases").get(0);
        int stopId = ref.path("greedy_token_ids").get(4).asInt();  // the fifth greedy token
        String tokenText = call("POST", "/detokenize", "{\"model\":\"stories\",\"tokens\":[" + stopId + "]}", KEY, null).json.path("prompt").asText();
        String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0,\"stop_token_ids\":[" + stopId + "]";
        JsonNode without = post("/v1/completions", body + "}").json.path("choices").get(0);
        JsonNode with = post("/v1/completions", body + ",\"include_stop_str_in_output\":true}").json.path("choices").get(0);
        assertEquals("stop", without.path("finish_reason").asText());
        assertEquals(stopId, without.path("stop_reason").asInt());
        assertFalse(tokenText.isEmpty());
        String w = with.path("text").asText(), wo = without.path("text").asText();
        assertTrue(w.startsWith(wo) && w.length() > wo.length(), wo + " | " + w);
        assertEquals(tokenText.strip(), w.substring(wo.length()).strip(), "the difference is the stop token's text");
        assertTrue(ref.path("greedy_text").asText().startsWith(with.path("text").asText()), with.toString());
    }

    @Test
    void aToolLoopsSecondRequestWithNullContentRenders() throws Exception {
        // what OpenAI SDKs, LangChain4j and the Vercel SDK send back after a tool call: content null / absent
        for (String assistant : new String[] {"{\"role\":\"assistant\",\"content\":null,", "{\"role\":\"assistant\","}) {
            Resp r = post("/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                    + assistant + "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                    + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}]}");
            assertEquals(200, r.status, r.text);
        }
    }

    @Test
    void aRejectedRequestLeavesOneLogLine() throws Exception {
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override public void publish(java.util.logging.LogRecord r) { lines.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(OpenAiServer.class.getName());
        log.addHandler(h);
        try {
            OpenAiServer.REJECTION_LOG.reset();  // earlier tests' rejections must not use up this second's 20 lines
            assertEquals(400, post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"temperature\":-3}").status);
        } finally {
            log.removeHandler(h);
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("rejected POST /v1/completions 400: ") && l.contains("temperature")), lines.toString());
    }

    @Test
    void rangeErrorsNameTheirField() throws Exception {
        String[][] cases = {{"temperature", "-1"}, {"top_p", "1.5"}, {"min_p", "2"}, {"repetition_penalty", "0"}, {"presence_penalty", "5"}};
        for (String[] c : cases) {
            Resp r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"" + c[0] + "\":" + c[1] + "}");
            assertEquals(400, r.status, r.text);
            assertEquals(c[0], r.json.path("error").path("param").asText(), r.text);
        }
        Resp chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}");
        assertEquals("top_p", chat.json.path("error").path("param").asText(), chat.text);
    }

    @Test
    void toolCallArgumentsReachTemplatesAsObjects() throws Exception {
        var msgs = ChatHandler.messages(JSON.readTree("[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}},{\"id\":\"d\",\"type\":\"function\","
                + "\"function\":{\"name\":\"g\",\"arguments\":\"not json\"}}]}]"));
        List<?> calls = (List<?>) msgs.get(0).get("tool_calls");
        assertEquals(Map.of("city", "Paris"), ((Map<?, ?>) ((Map<?, ?>) calls.get(0)).get("function")).get("arguments"));
        assertEquals("not json", ((Map<?, ?>) ((Map<?, ?>) calls.get(1)).get("function")).get("arguments"));
        String rendered = new ChatTemplate("{{ messages[0].tool_calls[0].function.arguments | tojson }}").render(msgs, null, null, false, Map.of(), null, null);
        assertEquals("{\"city\": \"Paris\"}", rendered);
    }

    @Test
    void continueFinalMessageCutsAsTransformersDoes() {
        // a template that trims content (Llama 3): the end-of-turn token after the prefix must go
        assertEquals("<|a|>The answer is", ChatHandler.continueFinalMessage("<|a|>The answer is<|eot_id|>", "The answer is "));
        // a template that keeps it: the trailing space stays
        assertEquals("<|a|>The answer is ", ChatHandler.continueFinalMessage("<|a|>The answer is <|end|>\n", "The answer is "));
        assertEquals("x: hi x: hi", ChatHandler.continueFinalMessage("x: hi x: hi<e>", "hi"));
        ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> ChatHandler.continueFinalMessage("<|a|>other", "The answer"));
        assertEquals(400, e.status());
    }

    @Test
    void topKZeroMeansAllTokens() throws Exception {
        Resp zero = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"seed\":5,\"top_k\":0}");
        Resp off = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"seed\":5,\"top_k\":-1}");
        assertEquals(200, zero.status, zero.text);
        assertEquals(off.json.path("choices").get(0).path("text").asText(), zero.json.path("choices").get(0).path("text").asText());
        assertEquals(400, post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"top_k\":-2}").status);
    }

    @Test
    void tokenizeDetokenizeAndMetrics() throws Exception {
        Resp t = call("POST", "/tokenize", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\"}", KEY, null);
        assertEquals("[1,403,407,261,378]", t.json.path("tokens").toString());
        assertEquals(5, t.json.path("count").asInt());
        assertEquals(512, t.json.path("max_model_len").asInt());
        Resp d = call("POST", "/detokenize", "{\"model\":\"stories\",\"tokens\":[403,407,261,378]}", KEY, null);
        assertEquals("Once upon a time", d.json.path("prompt").asText());
        post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":3}");
        Resp m = call("GET", "/metrics", null, KEY, null);
        assertTrue(m.text.contains("vllm:generation_tokens_total{model_name=\"stories\"}"), m.text);
        assertTrue(m.text.contains("vllm:time_to_first_token_seconds_bucket"));
        assertTrue(m.text.contains("vllm:num_requests_running"));
        assertTrue(m.text.contains("vllm:request_success_total{finished_reason=\"length\",model_name=\"stories\"}"));
        assertTrue(m.text.contains("vllm:time_per_output_token_seconds_count"));
        assertTrue(m.text.contains("vllm:kv_cache_usage_perc"));
    }

    @Test
    void aClientThatDisconnectsFreesItsRequest() throws Exception {
        double aborted0 = metric("vllm:request_success_total{finished_reason=\"abort\"");
        double length0 = metric("vllm:request_success_total{finished_reason=\"length\"");
        // 5 prompt tokens + 500 would take the whole 512-token context: far longer than the read below
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":500,\"ignore_eos\":true,\"stream\":true}")).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = r.body();
        in.read(new byte[100]);
        in.close();
        long deadline = System.currentTimeMillis() + 20000;
        while (System.currentTimeMillis() < deadline && metric("vllm:request_success_total{finished_reason=\"abort\"") == aborted0) Thread.sleep(20);
        assertEquals(aborted0 + 1, metric("vllm:request_success_total{finished_reason=\"abort\""), "the request ended as aborted");
        assertEquals(length0, metric("vllm:request_success_total{finished_reason=\"length\""), "it did not run to max_tokens");
        String metrics = call("GET", "/metrics", null, KEY, null).text;
        String usage = metrics.lines().filter(l -> l.startsWith("vllm:kv_cache_usage_perc{")).findFirst().orElse("");
        assertTrue(usage.endsWith(" 0.0"), "after the disconnect no KV block stays in use: " + usage);
    }

    /** The value of the first /metrics sample whose line starts with `prefix`. */
    static double metric(String prefix) throws Exception {
        String metrics = call("GET", "/metrics", null, KEY, null).text;
        String line = metrics.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no metric " + prefix));
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void thirtyTwoConcurrentStreamingClientsAllGetTheRightText() throws Exception {
        String want = greedyText();
        String full = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0}").json
                .path("choices").get(0).path("text").asText();
        List<Thread> clients = new ArrayList<>();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 32; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                try {
                    List<String> ev = stream("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0,\"stream\":true}", "text/event-stream");
                    StringBuilder t = new StringBuilder();
                    for (String e : ev.subList(0, ev.size() - 1)) t.append(JSON.readTree(e).path("choices").get(0).path("text").asText());
                    if (!t.toString().equals(full) || !ev.get(ev.size() - 1).equals("[DONE]")) errors.add("wrong stream: " + t);
                } catch (Exception e) {
                    errors.add(e.toString());
                }
            }));
        }
        for (Thread t : clients) t.join();
        assertTrue(errors.isEmpty(), errors.toString());
        assertTrue(want.startsWith(full) && full.length() > 20, "24 greedy tokens are the start of the reference text: " + full);
    }

    static Resp postWithin60s(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(java.time.Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), JSON.readTree(r.body()), r.body());
    }

    @Test
    void requestsTheEngineCouldNeverRunGet400AtOnceAndHarmNoOther() throws Exception {
        // issue 10's wedge: a chat template rendering to "" queued a 0-token prompt the scheduler could never run
        Resp empty = postWithin60s("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"chat_template\":\"\",\"max_tokens\":4}");
        assertEquals(400, empty.status(), empty.text());
        assertEquals(400, empty.json().path("error").path("code").asInt());
        // best_of: 10000 overflowed the step's row buffer and failed every running request with 500
        Resp bestOf = postWithin60s("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\",\"best_of\":10000,\"temperature\":1,\"max_tokens\":4}");
        assertEquals(400, bestOf.status(), bestOf.text());
        assertTrue(bestOf.json().path("error").path("message").asText().contains("max_num_seqs"), bestOf.text());
        Resp n = postWithin60s("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":65,\"max_tokens\":4}");
        assertEquals(400, n.status(), n.text());
        assertTrue(n.json().path("error").path("message").asText().contains("--max-num-seqs"), n.text());
        Resp ok = postWithin60s("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0}");
        assertEquals(200, ok.status(), ok.text());
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAndAShuttingDownServer503() throws Exception {
        // one sequence at a time, one waiting request: the third concurrent request is over the limit
        dev.jllm.engine.FakeExecutor fake = new dev.jllm.engine.FakeExecutor(tok.vocabSize(), 128, 4, 64);
        Engine small = new Engine(fake, tok, new EngineConfig(8, 1, false, 20, 1, 1, 0, 60));
        ServerContext c = new ServerContext(small, tok, ctx.servedNames(), "assistant", 20, ctx.chatTemplate(), ctx.apiKeys(),
                0, false, 0, null, SamplingDefaults.NONE, "", null);
        OpenAiServer s = new OpenAiServer(c, new OpenAiServer.Options("127.0.0.1", 0, List.of("*"), List.of("*"), List.of("*"),
                false, 1 << 20, null, null), 64, 4).start();
        String url = "http://127.0.0.1:" + s.port();
        java.util.function.Supplier<HttpRequest> completion = () -> HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                .timeout(java.time.Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":2}")).build();
        try {
            fake.hold();
            var running = http.sendAsync(completion.get(), HttpResponse.BodyHandlers.ofString());
            assertTrue(fake.awaitBlocked());
            var queued = http.sendAsync(completion.get(), HttpResponse.BodyHandlers.ofString());
            for (int i = 0; i < 200 && small.queuedRequests() < 1; i++) Thread.sleep(20);
            assertEquals(1, small.queuedRequests());
            long[] nanos = new long[20];
            for (int i = 0; i < nanos.length; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(completion.get(), HttpResponse.BodyHandlers.ofString());
                nanos[i] = System.nanoTime() - t0;
                assertEquals(429, r.statusCode());
                assertEquals("1", r.headers().firstValue("retry-after").orElse(null));
                JsonNode err = JSON.readTree(r.body()).path("error");
                assertEquals(429, err.path("code").asInt());
                assertEquals("RateLimitError", err.path("type").asText());
                assertTrue(err.path("message").asText().contains("--max-waiting-requests"), r.body());
            }
            java.util.Arrays.sort(nanos);
            System.out.printf("429 latency over HTTP: median %.2f ms, max %.2f ms (20 requests)%n", nanos[10] / 1e6, nanos[19] / 1e6);
            assertTrue(call("GET", "/metrics", null, KEY, null).text.contains("jllm:request_rejected_total{reason=\"queue_full\""));
            fake.release();
            assertEquals(200, running.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
            assertEquals(200, queued.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
            assertTrue(small.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(30)));
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, health.statusCode());
            assertTrue(health.body().contains("shutting down"), health.body());
            HttpResponse<String> late = http.send(completion.get(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, late.statusCode());
            assertEquals(503, JSON.readTree(late.body()).path("error").path("code").asInt());
        } finally {
            fake.release();
            s.close();
            small.close();
        }
    }

    @Test
    void corsPreflightIsAnswered() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Origin", "http://example.test")
                .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() < 300);
        assertEquals("*", r.headers().firstValue("access-control-allow-origin").orElse(null));
        assertFalse(r.headers().firstValue("access-control-allow-credentials").isPresent());
        // --allowed-methods ["*"] (the fixture's) allows every method the server routes: DELETE /v1/responses/{id} too
        HttpResponse<String> del = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses/resp_x")).header("Origin", "http://example.test")
                .header("Access-Control-Request-Method", "DELETE").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(del.statusCode() < 300);
        List<String> methods = List.of(del.headers().firstValue("access-control-allow-methods").orElse("").split(",\\s*"));
        assertTrue(methods.containsAll(List.of("GET", "POST", "DELETE", "OPTIONS")), methods.toString());
    }

    @Test
    void servesHttpsWithPemFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(), "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        OpenAiServer tls = new OpenAiServer(ctx, new OpenAiServer.Options("127.0.0.1", 0, List.of("*"), List.of("*"), List.of("*"),
                false, 1 << 20, dir.resolve("key.pem"), dir.resolve("cert.pem")), exec.numBlocks(), exec.blockSize()).start();
        try {
            javax.net.ssl.TrustManager[] trustAll = {new javax.net.ssl.X509TrustManager() {
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
                public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
            }};
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, trustAll, new java.security.SecureRandom());
            HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port() + "/v1/models"))
                    .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("\"stories\""));
        } finally {
            tls.close();
        }
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> OpenAiServer.tls(dir.resolve("missing.pem"), dir.resolve("cert.pem")));
        assertTrue(e.getMessage().contains("missing.pem"));
    }
}
