package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
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
        // 1. a Qwen 3 model directory of a small shape
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                 "vocab_size": 151936, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                 "tie_word_embeddings": true, "torch_dtype": "bfloat16", "hidden_act": "silu", "model_type": "qwen3"}
                """);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [151645, 151643]}");
        Path tokenizers = TestModels.shared().resolve("tokenizers").resolve("qwen3");
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"})
            Files.createSymbolicLink(dir.resolve(f), tokenizers.resolve(f).toAbsolutePath());
        // 2. serve it
        int port = ShutdownTest.freePort();
        CountDownLatch stop = new CountDownLatch(1);
        Throwable[] failed = new Throwable[1];
        Thread serve = Thread.ofPlatform().start(() -> {
            try {
                Main.serve(new String[] {"--model", dir.toString(), "--load-format", "dummy", "--host", "127.0.0.1",
                        "--port", String.valueOf(port), "--threads", "1", "--max-model-len", "1024", "--disable-log-requests"}, stop);
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            int health = 0;
            for (int i = 0; i < 1200 && health != 200 && failed[0] == null; i++) {
                try {
                    health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertEquals(200, health, "server did not start: " + failed[0]);
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
        } finally {
            stop.countDown();
            serve.join(120_000);
        }
    }

    static String send(HttpClient http, String base, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
