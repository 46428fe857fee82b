package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fresh-user review's repro: a Qwen 3 model (real tokenizer and template, dummy weights) in tool_choice "auto"
 * (hermes, from the template) whose reply stops (EOS) inside a call. The reply is content with finish_reason "stop",
 * whole and streamed, never a call whose arguments are not JSON.
 */
class CutToolCallTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCallTheReplyStopsInsideIsContent(@TempDir Path dir) throws Exception {
        // 1-2. a Qwen 3 model directory of a small shape, served with dummy weights
        try (DummyModelServer server = new DummyModelServer(dir, "qwen3", "Qwen3ForCausalLM", 151936,
                "\"hidden_act\": \"silu\", \"model_type\": \"qwen3\"", "[151645, 151643]")) {
            HttpClient http = server.http;
            String base = server.base;
            // 3. the regex writes the start of a call, then only EOS may follow
            String cut = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"P";
            String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}], \"max_tokens\": 60, \"temperature\": 0,"
                    + " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\","
                    + " \"properties\": {\"city\": {\"type\": \"string\"}}}}}], \"guided_regex\": " + JSON.writeValueAsString(cut.replaceAll("([{}\\[\\]().*+?|^$\\\\])", "\\\\$1"));
            JsonNode whole = JSON.readTree(send(http, base, body + "}"));
            JsonNode choice = whole.path("choices").get(0);
            assertEquals("stop", choice.path("finish_reason").asText(), whole.toString());
            assertTrue(choice.path("message").path("tool_calls").isMissingNode() || choice.path("message").path("tool_calls").isEmpty(), whole.toString());
            assertEquals(cut, choice.path("message").path("content").asText(), whole.toString());
            // 4. streamed: content deltas only, the same text, finish_reason "stop"
            StringBuilder content = new StringBuilder();
            String finish = null;
            for (String line : send(http, base, body + ", \"stream\": true}").split("\n")) {
                if (!line.startsWith("data: {")) continue;
                JsonNode c = JSON.readTree(line.substring(6)).path("choices").path(0);
                assertTrue(c.path("delta").path("tool_calls").isMissingNode(), line);
                content.append(c.path("delta").path("content").asText(""));
                if (c.path("finish_reason").isTextual()) finish = c.path("finish_reason").asText();
            }
            assertEquals(cut, content.toString());
            assertEquals("stop", finish);
        }
    }

    static String send(HttpClient http, String base, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
