package dev.jllm.server;

import static dev.jllm.server.OpenApiShapesTest.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * POST /v1/responses and the stored-response routes on the real model: shapes against OpenAI's schemas, the request
 * translated exactly as the equivalent chat request (same greedy text, same prompt tokens), tools and text.format
 * under constrained decoding, the SSE event sequence, the store with previous_response_id, and refusals.
 */
class ResponsesApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;

    @BeforeAll
    static void start() throws Exception {
        OpenApiShapesTest.load();
        base = ServerFixture.get().base;
    }

    record Resp(int status, JsonNode json) {}

    static Resp call(String method, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), JSON.readTree(r.body()));
    }

    static JsonNode ok(String method, String path, String body) throws Exception {
        Resp r = call(method, path, body);
        assertEquals(200, r.status(), String.valueOf(r.json()));
        return r.json();
    }

    static JsonNode create(String body) throws Exception {
        JsonNode r = ok("POST", "/v1/responses", body);
        assertShape(r, "Response");
        return r;
    }

    /** The SSE events of a streamed response: {event-line name, data}. */
    record Event(String name, JsonNode data) {}

    static List<Event> events(String body) throws Exception {
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses"))
                .header("Authorization", "Bearer " + ServerFixture.KEY).header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<Event> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line, name = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) name = line.substring(7);
                else if (line.startsWith("data: ")) {
                    out.add(new Event(name, JSON.readTree(line.substring(6))));
                    name = null;
                }
            }
        }
        return out;
    }

    static String outputText(JsonNode resp) {
        StringBuilder b = new StringBuilder();
        for (JsonNode item : resp.path("output"))
            if (item.path("type").asText().equals("message"))
                for (JsonNode part : item.path("content")) b.append(part.path("text").asText());
        return b.toString();
    }

    static int promptTokens(String messagesAndTemplate) throws Exception {
        return ok("POST", "/tokenize", "{\"model\":\"stories\"," + messagesAndTemplate + "}").path("count").asInt();
    }

    @Test
    void stringInputAnswersAsTheEquivalentChatRequest() throws Exception {
        JsonNode r = create("{\"model\":\"stories\",\"input\":\"Tell me a story\",\"max_output_tokens\":24,\"temperature\":0}");
        assertTrue(r.path("id").asText().startsWith("resp_"), r.toString());
        assertEquals("response", r.path("object").asText());
        assertEquals("stories", r.path("model").asText());
        assertTrue(r.path("error").isNull());
        JsonNode msg = r.path("output").get(0);
        assertEquals("message", msg.path("type").asText());
        assertEquals("assistant", msg.path("role").asText());
        assertEquals("output_text", msg.path("content").get(0).path("type").asText());
        JsonNode chat = ok("POST", "/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],"
                + "\"max_tokens\":24,\"temperature\":0}");
        JsonNode choice = chat.path("choices").get(0);
        assertFalse(outputText(r).isEmpty());
        assertEquals(choice.path("message").path("content").asText(), outputText(r));
        JsonNode u = r.path("usage");
        assertEquals(chat.path("usage").path("prompt_tokens").asInt(), u.path("input_tokens").asInt());
        assertEquals(chat.path("usage").path("completion_tokens").asInt(), u.path("output_tokens").asInt());
        assertEquals(u.path("input_tokens").asInt() + u.path("output_tokens").asInt(), u.path("total_tokens").asInt());
        assertEquals(choice.path("finish_reason").asText().equals("length") ? "incomplete" : "completed", r.path("status").asText());
    }

    @Test
    void instructionsAreASystemMessageBeforeTheInput() throws Exception {
        JsonNode r = create("{\"model\":\"stories\",\"instructions\":\"You tell tales.\",\"input\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"A dog\"}]}],\"max_output_tokens\":16,\"temperature\":0}");
        assertEquals("You tell tales.", r.path("instructions").asText());
        String messages = "\"messages\":[{\"role\":\"system\",\"content\":\"You tell tales.\"},{\"role\":\"user\",\"content\":\"A dog\"}]";
        assertEquals(promptTokens(messages), r.path("usage").path("input_tokens").asInt());
        JsonNode chat = ok("POST", "/v1/chat/completions", "{\"model\":\"stories\"," + messages + ",\"max_tokens\":16,\"temperature\":0}");
        assertEquals(chat.path("choices").get(0).path("message").path("content").asText(), outputText(r));
    }

    @Test
    void maxOutputTokensCutsTheResponseAsIncomplete() throws Exception {
        JsonNode r = create("{\"model\":\"stories\",\"input\":\"Once upon a time\",\"max_output_tokens\":3,\"ignore_eos\":true}");
        assertEquals("incomplete", r.path("status").asText());
        assertEquals("max_output_tokens", r.path("incomplete_details").path("reason").asText());
        assertEquals(3, r.path("usage").path("output_tokens").asInt());
        assertEquals(3, r.path("max_output_tokens").asInt());
        assertEquals("incomplete", r.path("output").get(0).path("status").asText());
        assertTrue(r.path("completed_at").isNull());
    }

    static final String TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}{% for c in m.tool_calls or [] %} [call {{ c.id }} "
            + "{{ c.function.name }} {{ c.function.arguments | tojson }}]{% endfor %}{% if m.tool_call_id %} (for {{ m.tool_call_id }} "
            + "{{ m.name }}){% endif %}\\n{% endfor %}assistant:";

    @Test
    void functionCallItemsRoundTripAsAssistantToolCallsAndToolMessages() throws Exception {
        String items = "[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"sunny\"}]";
        ArrayNode messages = ResponsesInput.messages(null, ResponsesInput.items(JSON.readTree(items), id -> null));
        assertEquals(JSON.readTree("[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                + "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\",\"name\":\"get_weather\"}]"), messages);
        JsonNode r = create("{\"model\":\"stories\",\"input\":" + items + ",\"tools\":" + RESPONSES_TOOLS
                + ",\"tool_choice\":\"none\",\"max_output_tokens\":8,\"chat_template\":\"" + TEMPLATE + "\"}");
        assertEquals("message", r.path("output").get(0).path("type").asText());
        // the prompt is the rendering of exactly those chat messages (the template prints the call and the tool turn)
        assertEquals(promptTokens("\"messages\":" + messages + ",\"chat_template\":\"" + TEMPLATE + "\""), r.path("usage").path("input_tokens").asInt());
        assertNotEquals(promptTokens("\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],\"chat_template\":\"" + TEMPLATE + "\""),
                r.path("usage").path("input_tokens").asInt());
    }

    static final String RESPONSES_TOOLS = "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"Weather for a city\",\"strict\":true,"
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12},\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},"
            + "\"required\":[\"city\",\"unit\"]}},{\"type\":\"function\",\"name\":\"get_time\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"zone\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"zone\"]}}]";

    static String toolBody(String choice, boolean stream) {
        return "{\"model\":\"stories\",\"input\":\"Weather in Paris?\",\"max_output_tokens\":80,\"seed\":3,\"tools\":" + RESPONSES_TOOLS
                + ",\"tool_choice\":" + choice + (stream ? ",\"stream\":true" : "") + "}";
    }

    @Test
    void namedAndRequiredToolChoiceGiveFunctionCallItems() throws Exception {
        JsonNode named = create(toolBody("{\"type\":\"function\",\"name\":\"get_weather\"}", false));
        assertEquals("completed", named.path("status").asText(), "the constrained call completes within max_output_tokens");
        assertEquals(1, named.path("output").size());
        JsonNode call = named.path("output").get(0);
        assertEquals("function_call", call.path("type").asText());
        assertEquals("get_weather", call.path("name").asText());
        assertTrue(call.path("call_id").asText().startsWith("call_"), call.toString());
        assertTrue(call.path("id").asText().startsWith("fc_"), call.toString());
        JsonNode args = JSON.readTree(call.path("arguments").asText());
        assertTrue(args.path("city").isTextual() && args.path("unit").isTextual(), args.toString());
        assertEquals("get_weather", named.path("tools").get(0).path("name").asText());

        JsonNode required = create(toolBody("\"required\"", false));
        JsonNode rc = required.path("output").get(0);
        assertEquals("function_call", rc.path("type").asText(), required.toString());
        JsonNode rargs = JSON.readTree(rc.path("arguments").asText());
        if (rc.path("name").asText().equals("get_time")) assertTrue(rargs.path("zone").isTextual(), rargs.toString());
        else assertTrue(rargs.path("city").isTextual(), rc.toString());
        assertTrue(List.of("get_weather", "get_time").contains(rc.path("name").asText()));
    }

    @Test
    void textFormatJsonSchemaGivesValidJson() throws Exception {
        JsonNode r = create("{\"model\":\"stories\",\"input\":\"A cat\",\"max_output_tokens\":60,\"seed\":5,\"text\":{\"format\":{\"type\":\"json_schema\","
                + "\"name\":\"pet\",\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":10},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":30}},\"required\":[\"name\",\"age\"]}}}}");
        assertEquals("completed", r.path("status").asText(), r.toString());
        JsonNode doc = JSON.readTree(outputText(r));
        assertTrue(doc.path("name").isTextual() && doc.path("age").isInt(), doc.toString());
        assertEquals("json_schema", r.path("text").path("format").path("type").asText());
    }

    static final Map<String, String> EVENT_SCHEMAS = Map.ofEntries(Map.entry("response.created", "ResponseCreatedEvent"),
            Map.entry("response.in_progress", "ResponseInProgressEvent"), Map.entry("response.output_item.added", "ResponseOutputItemAddedEvent"),
            Map.entry("response.content_part.added", "ResponseContentPartAddedEvent"), Map.entry("response.output_text.delta", "ResponseTextDeltaEvent"),
            Map.entry("response.output_text.done", "ResponseTextDoneEvent"), Map.entry("response.content_part.done", "ResponseContentPartDoneEvent"),
            Map.entry("response.output_item.done", "ResponseOutputItemDoneEvent"), Map.entry("response.completed", "ResponseCompletedEvent"),
            Map.entry("response.incomplete", "ResponseIncompleteEvent"),
            Map.entry("response.function_call_arguments.delta", "ResponseFunctionCallArgumentsDeltaEvent"),
            Map.entry("response.function_call_arguments.done", "ResponseFunctionCallArgumentsDoneEvent"));

    /** The event types in order, after checking names, sequence numbers and each event's schema. */
    static List<String> checkEvents(List<Event> events) {
        List<String> types = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            JsonNode d = events.get(i).data();
            String type = d.path("type").asText();
            assertEquals(type, events.get(i).name(), "the event: line names the data's type");
            assertEquals(i, d.path("sequence_number").asInt());
            assertTrue(EVENT_SCHEMAS.containsKey(type), type);
            assertShape(d, EVENT_SCHEMAS.get(type));
            types.add(type);
        }
        return types;
    }

    @Test
    void streamingSendsTheEventSequenceAndDeltasAddUpToTheText() throws Exception {
        String body = "{\"model\":\"stories\",\"input\":\"Tell me a story\",\"max_output_tokens\":20,\"temperature\":0,\"ignore_eos\":true";
        List<Event> events = events(body + ",\"stream\":true}");
        List<String> types = checkEvents(events);
        int deltas = (int) types.stream().filter(t -> t.equals("response.output_text.delta")).count();
        assertTrue(deltas > 1, types.toString());
        List<String> expected = new ArrayList<>(List.of("response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"));
        for (int i = 0; i < deltas; i++) expected.add("response.output_text.delta");
        expected.addAll(List.of("response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"));
        assertEquals(expected, types);
        assertEquals("in_progress", events.get(0).data().path("response").path("status").asText());
        StringBuilder text = new StringBuilder();
        for (Event e : events) if (e.name().equals("response.output_text.delta")) text.append(e.data().path("delta").asText());
        JsonNode last = events.get(events.size() - 1).data().path("response");
        assertShape(last, "Response");
        assertEquals(text.toString(), events.get(events.size() - 4).data().path("text").asText());
        assertEquals(text.toString(), outputText(last));
        assertEquals(20, last.path("usage").path("output_tokens").asInt());
        assertEquals(outputText(create(body + "}")), text.toString(), "streamed and whole greedy answers agree");
    }

    @Test
    void aNamedCallStreamsAsArgumentDeltas() throws Exception {
        List<Event> events = events(toolBody("{\"type\":\"function\",\"name\":\"get_weather\"}", true));
        List<String> types = checkEvents(events);
        assertEquals("response.output_item.added", types.get(2));
        assertEquals("function_call", events.get(2).data().path("item").path("type").asText());
        StringBuilder args = new StringBuilder();
        for (Event e : events) if (e.name().equals("response.function_call_arguments.delta")) args.append(e.data().path("delta").asText());
        JsonNode done = events.stream().filter(e -> e.name().equals("response.function_call_arguments.done")).findFirst().orElseThrow().data();
        assertEquals(args.toString(), done.path("arguments").asText());
        assertEquals("get_weather", done.path("name").asText());
        JsonNode last = events.get(events.size() - 1).data();
        assertEquals("response.completed", last.path("type").asText());
        assertEquals(args.toString(), last.path("response").path("output").get(0).path("arguments").asText());
        JSON.readTree(args.toString());  // complete JSON
    }

    @Test
    void storedResponsesAreReadAndContinuedWithPreviousResponseId() throws Exception {
        JsonNode first = create("{\"model\":\"stories\",\"input\":\"A red ball\",\"max_output_tokens\":10,\"temperature\":0,\"instructions\":\"Be kind.\"}");
        String id = first.path("id").asText();
        assertTrue(first.path("store").asBoolean());
        assertEquals(first, ok("GET", "/v1/responses/" + id, null));
        JsonNode second = create("{\"model\":\"stories\",\"input\":\"And then?\",\"max_output_tokens\":4,\"previous_response_id\":\"" + id + "\"}");
        assertEquals(id, second.path("previous_response_id").asText());
        // the previous input and output come before the new input; the previous instructions do not
        ObjectNode prevAnswer = JSON.createObjectNode().put("role", "assistant").put("content", outputText(first));
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"A red ball\"}," + prevAnswer + ",{\"role\":\"user\",\"content\":\"And then?\"}]";
        assertEquals(promptTokens(messages), second.path("usage").path("input_tokens").asInt());

        // an item_reference stands for the stored item it names (the AI SDK sends them for earlier assistant turns)
        String msgId = first.path("output").get(0).path("id").asText();
        JsonNode referenced = create("{\"model\":\"stories\",\"max_output_tokens\":2,\"input\":[{\"type\":\"item_reference\",\"id\":\"" + msgId
                + "\"},{\"role\":\"user\",\"content\":\"More\"}]}");
        assertEquals(promptTokens("\"messages\":[" + prevAnswer + ",{\"role\":\"user\",\"content\":\"More\"}]"), referenced.path("usage").path("input_tokens").asInt());
        Resp missing = call("POST", "/v1/responses", "{\"model\":\"stories\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_nope\"}]}");
        assertEquals(404, missing.status());
        assertTrue(missing.json().path("error").path("message").asText().contains("msg_nope"), missing.json().toString());

        JsonNode unstored = create("{\"model\":\"stories\",\"input\":\"x\",\"max_output_tokens\":2,\"store\":false}");
        assertEquals(404, call("GET", "/v1/responses/" + unstored.path("id").asText(), null).status());
        Resp prev = call("POST", "/v1/responses", "{\"model\":\"stories\",\"input\":\"x\",\"previous_response_id\":\"" + unstored.path("id").asText() + "\"}");
        assertEquals(404, prev.status());
        assertEquals("previous_response_id", prev.json().path("error").path("param").asText());

        Resp cancel = call("POST", "/v1/responses/" + id + "/cancel", null);
        assertEquals(400, cancel.status());
        assertTrue(cancel.json().path("error").path("message").asText().contains("synchronous"), cancel.json().toString());
        JsonNode deleted = ok("DELETE", "/v1/responses/" + id, null);
        assertTrue(deleted.path("deleted").asBoolean());
        assertEquals(404, call("GET", "/v1/responses/" + id, null).status());
    }

    @Test
    void unknownIdsAre404() throws Exception {
        for (String[] req : new String[][] {{"GET", "/v1/responses/resp_nope"}, {"DELETE", "/v1/responses/resp_nope"}, {"POST", "/v1/responses/resp_nope/cancel"}}) {
            Resp r = call(req[0], req[1], null);
            assertEquals(404, r.status(), req[0] + " " + req[1]);
            assertTrue(r.json().path("error").path("message").asText().contains("resp_nope"), r.json().toString());
            assertEquals("404", r.json().path("error").path("code").asText());
        }
        // the same API keys as every /v1 route
        HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"input\":\"hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, noKey.statusCode());
    }

    @Test
    void unsupportedInputsAreRefusedNamingTheirType() throws Exception {
        String[][] cases = {
            {"\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"http://x/y.png\"}]}]", "input_image"},
            {"\"input\":[{\"type\":\"reasoning\",\"summary\":[]}]", "reasoning"},
            {"\"input\":\"hi\",\"tools\":[{\"type\":\"web_search_preview\"}]", "web_search_preview"},
            {"\"input\":\"hi\",\"background\":true", "background"},
            {"\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"xml\"}}", "xml"},
            {"\"input\":\"hi\",\"tool_choice\":{\"type\":\"file_search\"},\"tools\":[]", "file_search"},
        };
        for (String[] c : cases) {
            Resp r = call("POST", "/v1/responses", "{\"model\":\"stories\"," + c[0] + "}");
            assertEquals(400, r.status(), c[0] + " → " + r.json());
            assertTrue(r.json().path("error").path("message").asText().contains(c[1]), r.json().toString());
        }
    }

    @Test
    void theStoreForgetsTheLeastRecentlyUsed() {
        ResponseStore s = new ResponseStore(2);
        for (String id : List.of("a", "b")) s.put(new ResponseStore.Stored(JSON.createObjectNode().put("id", id).set("output", JSON.createArrayNode()), JSON.createArrayNode()));
        s.get("a");  // a is now the most recently used
        s.put(new ResponseStore.Stored(JSON.createObjectNode().put("id", "c").set("output", JSON.createArrayNode()), JSON.createArrayNode()));
        assertNull(s.get("b"));
        assertEquals("a", s.get("a").response().path("id").asText());
        assertEquals(2, s.size());
        ResponseStore none = new ResponseStore(0);
        none.put(new ResponseStore.Stored(JSON.createObjectNode().put("id", "x").set("output", JSON.createArrayNode()), JSON.createArrayNode()));
        assertNull(none.get("x"));
    }
}
