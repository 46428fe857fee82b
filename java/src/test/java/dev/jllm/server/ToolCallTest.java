package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    /**
     * A tool whose parameters are {} or missing takes a JSON object (as vLLM), never another JSON value: named and
     * required calls, chat, Responses and Messages alike.
     */
    @Test
    void emptyOrMissingParametersAreAnObject() throws Exception {
        for (String fn : List.of("{\"name\":\"f\",\"parameters\":{}}", "{\"name\":\"f\"}", "{\"name\":\"f\",\"parameters\":null}"))
            assertEquals(JSON.readTree("{\"type\":\"object\",\"properties\":{}}"), ToolCalls.parameters(JSON.readTree(fn)), fn);
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"fish\",\"parameters\":{}}}]";
        for (int seed = 1; seed <= 4; seed++) {
            for (String choice : List.of("\"required\"", "{\"type\":\"function\",\"function\":{\"name\":\"fish\"}}")) {
                JsonNode r = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Fish?\"}],"
                        + "\"max_tokens\":300,\"seed\":" + seed + ",\"tools\":" + tools + ",\"tool_choice\":" + choice + "}");
                String args = r.path("choices").get(0).path("message").path("tool_calls").get(0).path("function").path("arguments").asText();
                assertTrue(args.startsWith("{"), choice + " seed " + seed + ": " + args);
                if (r.path("choices").get(0).path("finish_reason").asText().equals("tool_calls"))
                    assertTrue(JSON.readTree(args).isObject(), args);
            }
            JsonNode m = post("/v1/messages", "{\"model\":\"stories\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\",\"content\":\"Fish?\"}],"
                    + "\"tools\":[{\"name\":\"fish\",\"input_schema\":{}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"fish\"}}");
            JsonNode use = m.path("content").get(m.path("content").size() - 1);
            assertEquals("tool_use", use.path("type").asText(), m.toString());
            assertTrue(use.path("input").isObject(), m.toString());
        }
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

    /** A hermes reply forced with guided_choice (stories260K writes no calls by itself); tool_choice left out. */
    static String forced(String reply, boolean stream, String extra) throws Exception {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Time?\"}],\"max_tokens\":200,"
                + "\"tools\":" + TOOLS + ",\"guided_choice\":[" + JSON.writeValueAsString(reply) + "]" + (stream ? ",\"stream\":true" : "") + extra + "}";
    }

    static final String HERMES_REPLY = "Let me check.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n</tool_call>";

    @Test
    void autoIsTheDefaultWithToolsAndReadsTheModelsCalls() throws Exception {
        JsonNode r = post("/v1/chat/completions", forced(HERMES_REPLY, false, ""));
        assertShape(r, "CreateChatCompletionResponse");
        JsonNode choice = r.path("choices").get(0);
        assertEquals("tool_calls", choice.path("finish_reason").asText(), r.toString());
        assertEquals("Let me check.", choice.path("message").path("content").asText());
        JsonNode calls = choice.path("message").path("tool_calls");
        assertEquals(1, calls.size(), r.toString());
        assertTrue(calls.get(0).path("id").asText().startsWith("call_"));
        assertEquals("get_time", calls.get(0).path("function").path("name").asText());
        assertEquals("{\"zone\": \"UTC\"}", calls.get(0).path("function").path("arguments").asText());
        // tool_choice "none": the same text is content, nothing is read from it
        JsonNode none = post("/v1/chat/completions", forced(HERMES_REPLY, false, ",\"tool_choice\":\"none\""));
        assertEquals(HERMES_REPLY, none.path("choices").get(0).path("message").path("content").asText());
        assertEquals(0, none.path("choices").get(0).path("message").path("tool_calls").size());
        assertEquals("stop", none.path("choices").get(0).path("finish_reason").asText());
    }

    @Test
    void streamedAutoCallsAreToolCallDeltasThatAddUpToTheWholeReply() throws Exception {
        List<JsonNode> chunks = stream("/v1/chat/completions", forced(HERMES_REPLY, true, ""));
        StringBuilder content = new StringBuilder(), args = new StringBuilder();
        String name = null, finish = null;
        for (JsonNode c : chunks) {
            assertShape(c, "CreateChatCompletionStreamResponse");
            JsonNode ch = c.path("choices").get(0);
            content.append(ch.path("delta").path("content").asText(""));
            for (JsonNode tc : ch.path("delta").path("tool_calls")) {
                assertEquals(0, tc.path("index").asInt());
                if (tc.has("id")) {
                    assertEquals(null, name, "id and name come once");
                    assertTrue(tc.path("id").asText().startsWith("call_"));
                    assertEquals("function", tc.path("type").asText());
                    name = tc.path("function").path("name").asText();
                }
                args.append(tc.path("function").path("arguments").asText());
            }
            if (!ch.path("finish_reason").isNull()) {
                assertEquals(null, finish, "one finish_reason");
                finish = ch.path("finish_reason").asText();
            }
        }
        assertTrue(chunks.size() > 4, "streamed in pieces: " + chunks.size());
        assertEquals("Let me check.", content.toString(), "no markup in content");
        assertEquals("get_time", name);
        assertEquals("{\"zone\": \"UTC\"}", args.toString());
        assertEquals("tool_calls", finish);
    }

    @Test
    void streamedAutoRepliesKeepEveryTokensLogprob() throws Exception {
        List<JsonNode> chunks = stream("/v1/chat/completions", forced(HERMES_REPLY, true, ",\"logprobs\":true,\"stream_options\":{\"include_usage\":true}"));
        int logprobs = 0, completion = -1;
        for (JsonNode c : chunks) {
            assertShape(c, "CreateChatCompletionStreamResponse");
            if (c.path("usage").isObject()) completion = c.path("usage").path("completion_tokens").asInt();
            for (JsonNode ch : c.path("choices")) logprobs += ch.path("logprobs").path("content").size();
        }
        assertTrue(completion > 5, "usage chunk: " + completion);
        assertEquals(completion, logprobs, "one logprob per token, held-back text included");
    }

    /**
     * Issue 12: "auto" and a call to a function the request did not pass: no tool_calls (the client could not dispatch
     * it), the model's text as content, finish_reason "stop"; streamed the same (/v1/messages reads replies the same way).
     */
    @Test
    void aCallToAnUnknownFunctionIsContentNotACall() throws Exception {
        String reply = "Let me check.\n<tool_call>\n{\"name\": \"delete_files\", \"arguments\": {\"path\": \"/\"}}\n</tool_call>";
        JsonNode choice = post("/v1/chat/completions", forced(reply, false, "")).path("choices").get(0);
        assertEquals("stop", choice.path("finish_reason").asText(), choice.toString());
        assertEquals(0, choice.path("message").path("tool_calls").size(), choice.toString());
        assertEquals(reply, choice.path("message").path("content").asText());
        StringBuilder content = new StringBuilder();
        String finish = null;
        for (JsonNode c : stream("/v1/chat/completions", forced(reply, true, ""))) {
            assertShape(c, "CreateChatCompletionStreamResponse");
            JsonNode ch = c.path("choices").get(0);
            assertTrue(ch.path("delta").path("tool_calls").isEmpty(), c.toString());
            content.append(ch.path("delta").path("content").asText(""));
            if (!ch.path("finish_reason").isNull()) finish = ch.path("finish_reason").asText();
        }
        assertEquals(reply, content.toString());
        assertEquals("stop", finish);
        // a known function in the same markup is a call (the check is on the name only)
        JsonNode known = post("/v1/chat/completions", forced(reply.replace("delete_files", "get_time"), false, "")).path("choices").get(0);
        assertEquals("get_time", known.path("message").path("tool_calls").get(0).path("function").path("name").asText(), known.toString());
    }

    @Test
    void parallelToolCallsFalseReturnsOneCall() throws Exception {
        String two = "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}</tool_call>"
                + "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"celsius\"}}</tool_call>";
        assertEquals(2, post("/v1/chat/completions", forced(two, false, "")).path("choices").get(0).path("message").path("tool_calls").size());
        JsonNode one = post("/v1/chat/completions", forced(two, false, ",\"parallel_tool_calls\":false")).path("choices").get(0);
        assertEquals(1, one.path("message").path("tool_calls").size(), one.toString());
        assertEquals("get_time", one.path("message").path("tool_calls").get(0).path("function").path("name").asText());
        assertTrue(one.path("message").path("content").isNull());
    }

    /**
     * "required" cut by max_tokens: a partial call once its name is complete (as vLLM), never a call with an empty or
     * cut name; before that, no tool_calls and the text as content, finish_reason "length"; streamed the same way.
     */
    @Test
    void requiredCutByMaxTokensIsAPartialCallOnlyOnceItsNameIsComplete() throws Exception {
        boolean cutName = false, partialCall = false;
        for (int max = 1; max <= 60 && !(cutName && partialCall); max++) {
            String body = body("\"required\"", false).replace("\"max_tokens\":80", "\"max_tokens\":" + max);
            JsonNode choice = post("/v1/chat/completions", body).path("choices").get(0);
            JsonNode msg = choice.path("message");
            if ("tool_calls".equals(choice.path("finish_reason").asText())) break;  // the call is complete
            assertEquals("length", choice.path("finish_reason").asText(), choice.toString());
            if (!msg.path("tool_calls").isEmpty()) {
                partialCall = true;
                assertEquals(1, msg.path("tool_calls").size(), choice.toString());
                assertTrue(List.of("get_weather", "get_time").contains(msg.path("tool_calls").get(0).path("function").path("name").asText()), choice.toString());
                assertTrue(msg.path("content").isNull(), "not raw JSON content: " + choice);
                continue;
            }
            cutName = true;
            String content = msg.path("content").asText();
            assertTrue(content.startsWith("{"), "the cut call's text is the content: " + choice);
            StringBuilder streamed = new StringBuilder();
            String finish = null;
            for (JsonNode c : stream("/v1/chat/completions", body("\"required\"", true).replace("\"max_tokens\":80", "\"max_tokens\":" + max))) {
                JsonNode ch = c.path("choices").get(0);
                assertTrue(ch.path("delta").path("tool_calls").isEmpty(), c.toString());
                streamed.append(ch.path("delta").path("content").asText(""));
                if (!ch.path("finish_reason").isNull()) finish = ch.path("finish_reason").asText();
            }
            assertEquals(content, streamed.toString());
            assertEquals("length", finish);
        }
        assertTrue(cutName && partialCall, "max_tokens 1..60 cut both inside and after the name");
    }

    /** "required" with an empty tools list has nothing to call: a 400, not an empty reply that finishes "stop". */
    @Test
    void requiredWithNoToolsIsRefused() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body("\"required\"", false).replace(TOOLS, "[]"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertEquals("tool_choice", e.path("param").asText(), e.toString());
        assertTrue(e.path("message").asText().contains("needs at least one tool"), e.toString());
    }

    /** Every tool's parameters must be a JSON schema object, whatever tool_choice (the template renders them all). */
    @Test
    void aNonObjectParametersSchemaIsRefusedForEveryToolChoice() throws Exception {
        String bad = TOOLS.replace("\"parameters\":{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"zone\"]}",
                "\"parameters\":\"notobj\"");
        assertTrue(bad.contains("notobj"));
        for (String choice : List.of("\"required\"", "\"auto\"", "\"none\"", "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}",
                "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Authorization", "Bearer " + ServerFixture.KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body(choice, false).replace(TOOLS, bad))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), choice + ": " + r.body());
            JsonNode e = JSON.readTree(r.body()).path("error");
            assertTrue(e.path("message").asText().contains("the JSON schema must be an object"), choice + ": " + e);
            assertEquals("tools", e.path("param").asText(), e.toString());
        }
    }

    @Test
    void autoWithoutCallsReturnsTheText() throws Exception {
        JsonNode r = post("/v1/chat/completions", body("\"auto\"", false));
        assertShape(r, "CreateChatCompletionResponse");
        assertTrue(r.path("choices").get(0).path("message").path("content").isTextual());
    }
}
