package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
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

/** Anthropic's Messages API (/v1/messages, /v1/messages/count_tokens) on the real model: shapes, stops, tools, stream, auth, errors. */
class MessagesApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;

    static final String TOOLS = "[{\"name\":\"get_weather\",\"description\":\"Weather for a city\",\"input_schema\":{\"type\":\"object\","
            + "\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12},\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\",\"unit\"]}},"
            + "{\"name\":\"get_time\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"zone\"]}}]";

    @BeforeAll
    static void start() throws Exception {
        base = ServerFixture.get().base;
    }

    record Reply(int status, JsonNode body) {}

    static Reply send(String path, String body, String header, String value) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (header != null) b.header(header, value);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    static JsonNode post(String path, String body) throws Exception {
        Reply r = send(path, body, "x-api-key", ServerFixture.KEY);
        assertEquals(200, r.status(), r.body().toString());
        return r.body();
    }

    /** An Anthropic-shaped error with this status and type. */
    static JsonNode assertError(Reply r, int status, String type) {
        assertEquals(status, r.status(), r.body().toString());
        assertEquals("error", r.body().path("type").asText(), r.body().toString());
        assertEquals(type, r.body().path("error").path("type").asText(), r.body().toString());
        assertTrue(r.body().path("error").path("message").isTextual());
        return r.body().path("error");
    }

    static String request(String extra) {
        return "{\"model\":\"stories\",\"max_tokens\":12,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]" + extra + "}";
    }

    /** The message's one text block. */
    static String text(JsonNode m) {
        assertEquals(1, m.path("content").size(), m.toString());
        JsonNode block = m.path("content").get(0);
        assertEquals("text", block.path("type").asText(), m.toString());
        return block.path("text").asText();
    }

    @Test
    void aTextMessageHasAnthropicsShape() throws Exception {
        JsonNode m = post("/v1/messages", request(""));
        assertTrue(m.path("id").asText().startsWith("msg_"), m.toString());
        assertEquals("message", m.path("type").asText());
        assertEquals("assistant", m.path("role").asText());
        assertEquals("stories", m.path("model").asText());
        assertFalse(text(m).isEmpty(), m.toString());
        assertEquals("max_tokens", m.path("stop_reason").asText(), "the story model runs past 12 tokens");
        assertTrue(m.path("stop_sequence").isNull());
        assertEquals(12, m.path("usage").path("output_tokens").asInt());
        assertTrue(m.path("usage").path("input_tokens").asInt() > 3, m.toString());
    }

    @Test
    void systemAsAStringOrAsBlocksRendersTheSame() throws Exception {
        String sys = ",\"system\":\"You tell stories.\"";
        String blocks = ",\"system\":[{\"type\":\"text\",\"text\":\"You tell\"},{\"type\":\"text\",\"text\":\"stories.\"}]";
        String joined = ",\"system\":\"You tell\\nstories.\"";
        int none = post("/v1/messages/count_tokens", request("")).path("input_tokens").asInt();
        int withString = post("/v1/messages/count_tokens", request(sys)).path("input_tokens").asInt();
        assertTrue(withString > none, withString + " vs " + none);
        assertEquals(post("/v1/messages/count_tokens", request(joined)).path("input_tokens").asInt(),
                post("/v1/messages/count_tokens", request(blocks)).path("input_tokens").asInt(), "text blocks join with newlines");
        assertEquals(text(post("/v1/messages", request(joined))), text(post("/v1/messages", request(blocks))));
    }

    @Test
    void countTokensEqualsTheMessagesInputTokens() throws Exception {
        String body = request(",\"system\":\"Be brief.\",\"tools\":" + TOOLS);
        int counted = post("/v1/messages/count_tokens", body).path("input_tokens").asInt();
        assertEquals(counted, post("/v1/messages", body).path("usage").path("input_tokens").asInt());
        JsonNode c = post("/v1/messages/count_tokens", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertEquals(1, c.size(), "only input_tokens: " + c);
    }

    @Test
    void aStopSequenceEndsTheMessageAndIsNamed() throws Exception {
        String whole = text(post("/v1/messages", request("")));
        String[] words = whole.strip().split("\\s+");
        String stop = words[Math.min(3, words.length - 1)];
        JsonNode m = post("/v1/messages", request(",\"stop_sequences\":[\"zzqx\"," + JSON.writeValueAsString(stop) + "]"));
        assertEquals("stop_sequence", m.path("stop_reason").asText(), m.toString());
        assertEquals(stop, m.path("stop_sequence").asText());
        assertEquals(whole.substring(0, whole.indexOf(stop)), text(m));
    }

    @Test
    void maxTokensStopsWithMaxTokens() throws Exception {
        JsonNode m = post("/v1/messages", request("").replace("\"max_tokens\":12", "\"max_tokens\":3"));
        assertEquals("max_tokens", m.path("stop_reason").asText());
        assertEquals(3, m.path("usage").path("output_tokens").asInt());
        // a max_tokens past the context is cut to the room left, as agent clients send large fixed values
        JsonNode big = post("/v1/messages", request(",\"stop_sequences\":[\".\"]").replace("\"max_tokens\":12", "\"max_tokens\":1000000"));
        assertEquals("stop_sequence", big.path("stop_reason").asText(), big.toString());
    }

    static void assertWeather(JsonNode block) {
        assertEquals("tool_use", block.path("type").asText(), block.toString());
        assertTrue(block.path("id").asText().matches("toolu_[A-Za-z0-9]{24}"), block.toString());
        assertEquals("get_weather", block.path("name").asText());
        JsonNode input = block.path("input");
        assertTrue(input.isObject(), block.toString());
        assertTrue(input.path("city").isTextual() && input.path("city").asText().length() <= 12, input.toString());
        assertTrue(List.of("celsius", "fahrenheit").contains(input.path("unit").asText()), input.toString());
    }

    static String toolRequest(String choice, boolean stream) {
        return "{\"model\":\"stories\",\"max_tokens\":80,\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],\"tools\":" + TOOLS
                + ",\"tool_choice\":" + choice + (stream ? ",\"stream\":true" : "") + ",\"temperature\":0}";
    }

    @Test
    void toolChoiceToolReturnsAToolUseBlockMatchingTheSchema() throws Exception {
        JsonNode m = post("/v1/messages", toolRequest("{\"type\":\"tool\",\"name\":\"get_weather\"}", false));
        assertEquals(1, m.path("content").size(), m.toString());
        assertWeather(m.path("content").get(0));
        assertEquals("tool_use", m.path("stop_reason").asText());
    }

    @Test
    void toolChoiceAnyCallsOneOfTheTools() throws Exception {
        JsonNode m = post("/v1/messages", toolRequest("{\"type\":\"any\",\"disable_parallel_tool_use\":true}", false));
        assertEquals("tool_use", m.path("stop_reason").asText(), m.toString());
        JsonNode block = m.path("content").get(m.path("content").size() - 1);
        if (block.path("name").asText().equals("get_weather")) assertWeather(block);
        else {
            assertEquals("get_time", block.path("name").asText(), m.toString());
            assertTrue(block.path("input").path("zone").isTextual(), m.toString());
        }
    }

    /** The content blocks a stream's events spell: type, name and input (partial_json read as PartialJson does), or text. */
    static List<JsonNode> blocks(List<Event> events) {
        List<JsonNode> out = new ArrayList<>();
        StringBuilder acc = new StringBuilder();
        for (Event e : events) {
            JsonNode d = e.data();
            switch (e.name()) {
                case "content_block_start" -> acc.setLength(0);
                case "content_block_delta" -> acc.append(d.path("delta").path(d.path("delta").has("text") ? "text" : "partial_json").asText());
                case "content_block_stop" -> {
                    JsonNode start = events.stream().filter(x -> x.name().equals("content_block_start") && x.data().path("index").equals(d.path("index")))
                            .findFirst().orElseThrow().data().path("content_block");
                    com.fasterxml.jackson.databind.node.ObjectNode b = JSON.createObjectNode().put("type", start.path("type").asText());
                    if (start.path("type").asText().equals("text")) b.put("text", acc.toString());
                    else b.put("name", start.path("name").asText()).set("input", PartialJson.object(acc.toString()));
                    out.add(b);
                }
                default -> {}
            }
        }
        return out;
    }

    /**
     * tool_choice any or tool cut by max_tokens (issue 12): the tool_use block keeps the input generated so far (cut
     * strings included), as OpenAI's "required" keeps the partial arguments; before the name is complete ("any") the
     * text is a text block; stop_reason max_tokens. Streamed, the same blocks.
     */
    @Test
    void toolChoiceAnyOrToolCutByMaxTokensKeepsThePartialInput() throws Exception {
        for (String choice : List.of("{\"type\":\"any\"}", "{\"type\":\"tool\",\"name\":\"get_weather\"}")) {
            boolean textBlock = false, complete = false;
            int withInput = 0;
            for (int max = 1; max <= 81 && !complete; max += 4) {  // the whole call takes under 80 tokens (toolChoiceAnyCallsOneOfTheTools)
                String body = toolRequest(choice, false).replace("\"max_tokens\":80", "\"max_tokens\":" + max);
                JsonNode m = post("/v1/messages", body);
                complete = "tool_use".equals(m.path("stop_reason").asText());
                if (!complete) assertEquals("max_tokens", m.path("stop_reason").asText(), m.toString());
                assertEquals(1, m.path("content").size(), m.toString());
                JsonNode block = m.path("content").get(0);
                List<JsonNode> expected = new ArrayList<>();
                if (block.path("type").asText().equals("text")) {
                    assertTrue(choice.contains("any") && !complete, "only a cut 'any' call before its name is text: " + m);
                    assertTrue(block.path("text").asText().startsWith("{"), m.toString());
                    textBlock = true;
                    expected.add(JSON.createObjectNode().put("type", "text").put("text", block.path("text").asText()));
                } else {
                    assertEquals("tool_use", block.path("type").asText(), m.toString());
                    assertTrue(List.of("get_weather", "get_time").contains(block.path("name").asText()), m.toString());
                    JsonNode input = block.path("input");
                    assertTrue(input.isObject(), m.toString());
                    input.fieldNames().forEachRemaining(k -> assertTrue(List.of("city", "unit", "zone").contains(k), "a member of the tool's schema: " + m));
                    if (!complete && !input.isEmpty()) withInput++;
                    com.fasterxml.jackson.databind.node.ObjectNode b = JSON.createObjectNode().put("type", "tool_use").put("name", block.path("name").asText());
                    b.set("input", input);
                    expected.add(b);
                }
                List<Event> events = stream(body.replace("\"temperature\":0", "\"temperature\":0,\"stream\":true"));
                assertEquals(expected, blocks(events), "max_tokens " + max + ": streamed as whole");
                assertEquals(m.path("stop_reason").asText(), events.get(events.size() - 2).data().path("delta").path("stop_reason").asText());
            }
            assertTrue(complete, choice + ": the call completes within 81 tokens");
            assertTrue(withInput > 0, choice + ": a call cut by max_tokens keeps the input generated so far");
            if (choice.contains("any")) assertTrue(textBlock, "max_tokens 1 cuts the 'any' call inside its name");
        }
    }

    static final String ROUND_TRIP = "{\"model\":\"stories\",\"max_tokens\":8,\"tools\":" + TOOLS + ",\"messages\":["
            + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\",\"unit\":\"celsius\"}}]},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01\",\"content\":[{\"type\":\"text\",\"text\":\"RESULT\"}]},{\"type\":\"text\",\"text\":\"Thanks\"}]}]}";

    @Test
    void aToolUseAndToolResultRoundTripRendersAsChatToolMessages() throws Exception {
        JsonNode chat = AnthropicRequest.toChat(JSON.readTree(ROUND_TRIP), false);
        JsonNode msgs = chat.path("messages");
        assertEquals(4, msgs.size(), msgs.toString());
        JsonNode call = msgs.get(1).path("tool_calls").get(0);
        assertEquals("toolu_01", call.path("id").asText());
        assertEquals("get_weather", call.path("function").path("name").asText());
        assertEquals(JSON.readTree("{\"city\":\"Paris\",\"unit\":\"celsius\"}"), JSON.readTree(call.path("function").path("arguments").asText()));
        assertEquals("Checking.", msgs.get(1).path("content").asText());
        assertEquals(JSON.readTree("{\"role\":\"tool\",\"tool_call_id\":\"toolu_01\",\"content\":\"RESULT\"}"), msgs.get(2));
        assertEquals(JSON.readTree("{\"role\":\"user\",\"content\":\"Thanks\"}"), msgs.get(3));
        // over HTTP: answered, and rendered as /tokenize renders the same chat request (the tool result's text included)
        JsonNode m = post("/v1/messages", ROUND_TRIP);
        int counted = m.path("usage").path("input_tokens").asInt();
        JsonNode tokenized = post("/tokenize", chat.toString());
        assertEquals(tokenized.path("count").asInt(), counted);
        int longer = post("/v1/messages/count_tokens", ROUND_TRIP.replace("RESULT", "RESULT with many more words in it")).path("input_tokens").asInt();
        assertTrue(longer > counted, longer + " vs " + counted);
    }

    @Test
    void aFinalAssistantMessageIsContinued() throws Exception {
        String prefill = "{\"model\":\"stories\",\"max_tokens\":4,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Once upon a time\"}]}";
        JsonNode chat = AnthropicRequest.toChat(JSON.readTree(prefill), false);
        assertTrue(chat.path("continue_final_message").asBoolean(), chat.toString());
        String rendered = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nOnce upon a time";
        JsonNode m = post("/v1/messages", prefill);
        assertEquals(post("/tokenize", "{\"prompt\":" + JSON.writeValueAsString(rendered) + ",\"add_special_tokens\":false}").path("count").asInt(),
                m.path("usage").path("input_tokens").asInt(), "the prompt ends inside the assistant turn");
    }

    record Event(String name, JsonNode data) {}

    static List<Event> stream(String body) throws Exception {
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
                .header("x-api-key", ServerFixture.KEY).header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<Event> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line, name = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) name = line.substring(7);
                else if (line.startsWith("data: ")) {
                    JsonNode data = JSON.readTree(line.substring(6));
                    assertEquals(data.path("type").asText(), name, "the event name is the data's type");
                    events.add(new Event(name, data));
                    name = null;
                }
            }
        }
        return events;
    }

    static List<String> names(List<Event> events) {
        List<String> out = new ArrayList<>();
        for (Event e : events) if (out.isEmpty() || !out.get(out.size() - 1).equals(e.name()) || !e.name().equals("content_block_delta")) out.add(e.name());
        return out;
    }

    @Test
    void aStreamFollowsAnthropicsEventOrderAndMatchesTheMessage() throws Exception {
        JsonNode whole = post("/v1/messages", request(""));
        List<Event> events = stream(request(",\"stream\":true"));
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                names(events));
        JsonNode start = events.get(0).data().path("message");
        assertTrue(start.path("id").asText().startsWith("msg_"));
        assertEquals(0, start.path("content").size());
        assertEquals(whole.path("usage").path("input_tokens"), start.path("usage").path("input_tokens"));
        assertEquals(JSON.readTree("{\"type\":\"text\",\"text\":\"\"}"), events.get(2).data().path("content_block"));
        StringBuilder text = new StringBuilder();
        for (Event e : events)
            if (e.name().equals("content_block_delta")) {
                assertEquals("text_delta", e.data().path("delta").path("type").asText());
                assertEquals(0, e.data().path("index").asInt());
                text.append(e.data().path("delta").path("text").asText());
            }
        assertEquals(text(whole), text.toString(), "greedy: the deltas spell the non-streamed text");
        JsonNode delta = events.get(events.size() - 2).data();
        assertEquals("max_tokens", delta.path("delta").path("stop_reason").asText());
        assertEquals(whole.path("usage").path("output_tokens"), delta.path("usage").path("output_tokens"));
    }

    @Test
    void aNamedToolStreamsItsInputAsJsonDeltas() throws Exception {
        List<Event> events = stream(toolRequest("{\"type\":\"tool\",\"name\":\"get_weather\"}", true));
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                names(events));
        JsonNode block = events.get(2).data().path("content_block");
        assertEquals("tool_use", block.path("type").asText());
        StringBuilder json = new StringBuilder();
        for (Event e : events)
            if (e.name().equals("content_block_delta")) json.append(e.data().path("delta").path("partial_json").asText());
        ((com.fasterxml.jackson.databind.node.ObjectNode) block).set("input", JSON.readTree(json.toString()));
        assertWeather(block);
        assertEquals("tool_use", events.get(events.size() - 2).data().path("delta").path("stop_reason").asText());
    }

    @Test
    void autoToolChoiceStreamsItsParsedReplyAtTheEnd() throws Exception {
        // the fixture parses with hermes; the story model writes no <tool_call>, so the reply is one text block
        String body = toolRequest("{\"type\":\"auto\"}", false).replace("\"max_tokens\":80", "\"max_tokens\":10");
        JsonNode whole = post("/v1/messages", body);
        assertEquals("max_tokens", whole.path("stop_reason").asText(), whole.toString());
        List<Event> events = stream(body.replace("\"temperature\":0", "\"temperature\":0,\"stream\":true"));
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                names(events));
        StringBuilder text = new StringBuilder();
        for (Event e : events)
            if (e.name().equals("content_block_delta")) text.append(e.data().path("delta").path("text").asText());
        assertEquals(text(whole), text.toString());
        assertEquals("max_tokens", events.get(events.size() - 2).data().path("delta").path("stop_reason").asText());
    }

    @Test
    void anApiKeyIsAcceptedAsXApiKeyAndRequired() throws Exception {
        assertError(send("/v1/messages", request(""), null, null), 401, "authentication_error");
        assertError(send("/v1/messages/count_tokens", request(""), "x-api-key", "wrong"), 401, "authentication_error");
        assertEquals(200, send("/v1/messages", request(""), "Authorization", "Bearer " + ServerFixture.KEY).status());
        assertEquals(200, send("/v1/messages", request(""), "x-api-key", ServerFixture.KEY).status());
    }

    @Test
    void badRequestsGetAnthropicShapedErrors() throws Exception {
        JsonNode e = assertError(send("/v1/messages", request("").replace("\"max_tokens\":12,", ""), "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        assertTrue(e.path("message").asText().contains("max_tokens"), e.toString());
        String image = "{\"model\":\"stories\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}}]}]}";
        assertTrue(assertError(send("/v1/messages", image, "x-api-key", ServerFixture.KEY), 400, "invalid_request_error").path("message").asText().contains("'image'"));
        String doc = image.replace("\"image\"", "\"document\"");
        assertTrue(assertError(send("/v1/messages/count_tokens", doc, "x-api-key", ServerFixture.KEY), 400, "invalid_request_error").path("message").asText().contains("'document'"));
        assertError(send("/v1/messages", request(",\"temperature\":-1").replace("\"temperature\":0,", ""), "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        // Anthropic's temperature range is 0..1: 1.5 (fine for OpenAI) is a 400 in Anthropic's shape; 1 is fine
        JsonNode hot = assertError(send("/v1/messages", request("").replace("\"temperature\":0", "\"temperature\":1.5"), "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        assertTrue(hot.path("message").asText().contains("temperature"), hot.toString());
        assertEquals(200, send("/v1/messages", request("").replace("\"temperature\":0", "\"temperature\":1"), "x-api-key", ServerFixture.KEY).status());
        assertError(send("/v1/messages", request("").replace("\"user\"", "\"system\""), "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        assertError(send("/v1/messages", request(",\"tool_choice\":{\"type\":\"tool\",\"name\":\"nope\"},\"tools\":" + TOOLS), "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        assertError(send("/v1/messages", "{not json", "x-api-key", ServerFixture.KEY), 400, "invalid_request_error");
        assertError(send("/v1/messages", request("").replace("\"stories\"", "\"claude-x\""), "x-api-key", ServerFixture.KEY), 404, "not_found_error");
        assertError(send("/v1/messages/batches", request(""), "x-api-key", ServerFixture.KEY), 404, "not_found_error");
        assertError(send("/proxy/v1/messages/nope", request(""), "x-api-key", ServerFixture.KEY), 404, "not_found_error");
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages")).header("x-api-key", ServerFixture.KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(new Reply(get.statusCode(), JSON.readTree(get.body())), 405, "invalid_request_error");
    }
}
