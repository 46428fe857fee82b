package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tool calls on the real model: named and required calls are valid JSON for the tool; shapes as OpenAI's. */
class ToolCallTest extends OpenApiShapesTest {
    static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather for a city\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12},\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},"
            + "\"required\":[\"city\",\"unit\"]}}},{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"zone\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"zone\"]}}}]";

    static String body(String choice, boolean stream) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],\"max_tokens\":80,\"seed\":3,"
                + "\"tools\":" + TOOLS + ",\"tool_choice\":" + choice + (stream ? ",\"stream\":true" : "") + "}";
    }

    @Test
    void aNamedToolCallReturnsItsArguments() throws Exception {
        JsonNode r = post("/v1/chat/completions", body("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", false));
        assertShape(r, "CreateChatCompletionResponse");
        JsonNode choice = r.path("choices").get(0);
        JsonNode msg = choice.path("message");
        assertTrue(msg.path("content").isNull());
        JsonNode call = msg.path("tool_calls").get(0);
        assertTrue(call.path("id").asText().startsWith("call_"));
        assertEquals("function", call.path("type").asText());
        assertEquals("get_weather", call.path("function").path("name").asText());
        assertEquals("tool_calls", choice.path("finish_reason").asText(), "the constrained call completes within max_tokens");
        JsonNode args = JSON.readTree(call.path("function").path("arguments").asText());
        assertTrue(args.path("city").isTextual() && args.path("city").asText().length() <= 12, args.toString());
        assertTrue(List.of("celsius", "fahrenheit").contains(args.path("unit").asText()), args.toString());
    }

    @Test
    void aNamedToolCallStreamsAsToolCallDeltas() throws Exception {
        List<JsonNode> chunks = stream("/v1/chat/completions", body("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", true));
        StringBuilder args = new StringBuilder();
        int withId = 0, finishes = 0;
        for (JsonNode c : chunks) {
            assertShape(c, "CreateChatCompletionStreamResponse");
            JsonNode ch = c.path("choices").get(0);
            for (JsonNode tc : ch.path("delta").path("tool_calls")) {
                assertEquals(0, tc.path("index").asInt());
                if (tc.has("id")) {
                    withId++;
                    assertEquals("get_weather", tc.path("function").path("name").asText());
                }
                args.append(tc.path("function").path("arguments").asText());
            }
            if (!ch.path("finish_reason").isNull()) finishes++;
        }
        assertEquals(1, withId, "id, type and name come once, in the first delta");
        assertEquals(1, finishes);
        JsonNode whole = post("/v1/chat/completions", body("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", false));
        assertEquals(whole.path("choices").get(0).path("message").path("tool_calls").get(0).path("function").path("arguments").asText(), args.toString());
    }

    @Test
    void requiredCallsOneOfTheTools() throws Exception {
        JsonNode r = post("/v1/chat/completions", body("\"required\"", false));
        assertShape(r, "CreateChatCompletionResponse");
        JsonNode choice = r.path("choices").get(0);
        assertEquals("tool_calls", choice.path("finish_reason").asText(), "the required call completes within max_tokens");
        JsonNode call = choice.path("message").path("tool_calls").get(0);
        assertTrue(call.path("id").asText().startsWith("call_"), call.toString());
        String name = call.path("function").path("name").asText();
        JsonNode args = JSON.readTree(call.path("function").path("arguments").asText());
        if (name.equals("get_weather")) assertTrue(args.path("city").isTextual() && args.has("unit"), args.toString());
        else assertEquals("get_time", name, "one of the two tools");
        if (name.equals("get_time")) assertTrue(args.path("zone").isTextual() && args.path("zone").asText().length() <= 8, args.toString());
    }

    @Test
    void autoParsesHermesCallsFromText() {
        ToolCalls.Parsed p = ToolCalls.hermes("Let me check.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n</tool_call>");
        assertEquals(1, p.calls().size());
        assertEquals("get_time", p.calls().get(0).name());
        assertEquals("{\"zone\":\"UTC\"}", p.calls().get(0).arguments());
        assertEquals("Let me check.", p.content());
        ToolCalls.Parsed l = ToolCalls.llama3Json("{\"name\": \"get_time\", \"parameters\": {\"zone\": \"CET\"}}");
        assertEquals("get_time", l.calls().get(0).name());
        assertTrue(ToolCalls.llama3Json("Just text").calls().isEmpty());
    }

    @Test
    void autoWithoutCallsReturnsTheText() throws Exception {
        JsonNode r = post("/v1/chat/completions", body("\"auto\"", false));
        assertShape(r, "CreateChatCompletionResponse");
        assertTrue(r.path("choices").get(0).path("message").path("content").isTextual());
    }
}
