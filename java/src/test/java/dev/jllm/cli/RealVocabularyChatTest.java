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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * `jllm serve` on a model directory laid out as the Hub publishes it — config.json, generation_config.json and the
 * family's real tokenizer.json + tokenizer_config.json (../shared/tokenizers) — with dummy weights of a small shape
 * but the real vocabulary: chat renders the family's own template, tokenizes with its real tokenizer, and stops at
 * its end-of-turn token.
 */
class RealVocabularyChatTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({
            // family, architecture, vocab, end-of-turn id, eos ids (generation_config), turn marker in the prompt
            "llama3, LlamaForCausalLM,   128256, 128009, '[128001, 128008, 128009]', <|start_header_id|>assistant<|end_header_id|>",
            "qwen3,  Qwen3ForCausalLM,   151936, 151645, '[151645, 151643]',         <|im_start|>assistant",
            "gemma3, Gemma3ForCausalLM,  262144, 106,    '[1, 106]',                 <start_of_turn>model",
    })
    void chatUsesTheFamilysTemplateTokenizerAndEndOfTurn(String family, String arch, int vocab, int endOfTurn, String eos,
                                                         String marker, @TempDir Path dir) throws Exception {
        // 1-2. a model directory (small shape, real vocabulary and tokenizer files), served with dummy weights
        String familyKeys = switch (family) {
            case "gemma3" -> "\"hidden_activation\": \"gelu_pytorch_tanh\", \"sliding_window\": 512, \"sliding_window_pattern\": 6, "
                    + "\"query_pre_attn_scalar\": 16, \"rope_local_base_freq\": 10000.0, \"model_type\": \"gemma3_text\"";
            case "qwen3" -> "\"hidden_act\": \"silu\", \"model_type\": \"qwen3\"";
            default -> "\"hidden_act\": \"silu\", \"model_type\": \"llama\"";
        };
        try (DummyModelServer server = new DummyModelServer(dir, family, arch, vocab, familyKeys, eos)) {
            HttpClient http = server.http;
            String base = server.base;
            String messages = "[{\"role\": \"system\", \"content\": \"You are terse.\"}, {\"role\": \"user\", \"content\": \"Hello, 世界! 👋\"}]";

            // 3. the prompt is the family's template, tokenized by its tokenizer (a round trip through /detokenize)
            JsonNode tok = post(http, base + "/tokenize", "{\"messages\": " + messages + "}");
            JsonNode text = post(http, base + "/detokenize", "{\"tokens\": " + tok.path("tokens") + "}");
            String prompt = text.path("prompt").asText();
            assertTrue(prompt.contains("Hello, 世界! 👋") && prompt.strip().endsWith(marker), family + " prompt: " + prompt);
            assertTrue(prompt.contains("You are terse."), family + " system prompt lost: " + prompt);

            // 4. chat: the prompt's token count is the template's, and the end-of-turn token stops generation
            JsonNode chat = post(http, base + "/v1/chat/completions", "{\"messages\": " + messages
                    + ", \"max_tokens\": 8, \"temperature\": 0, \"logit_bias\": {\"" + endOfTurn + "\": 100}}");
            assertEquals(tok.path("count").asInt(), chat.path("usage").path("prompt_tokens").asInt(), chat.toString());
            JsonNode choice = chat.path("choices").get(0);
            assertEquals("stop", choice.path("finish_reason").asText(), family + ": end of turn did not stop: " + chat);
            assertEquals(1, chat.path("usage").path("completion_tokens").asInt(), chat.toString());
            assertEquals("", choice.path("message").path("content").asText(), chat.toString());

            // 5. a tokenizer id past the model's embedding rows (Gemma 3's <image_soft_token>) is a 400, not a crash
            HttpResponse<String> past = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\": [1, " + vocab + "], \"max_tokens\": 2}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, past.statusCode(), past.body());
            if (family.equals("gemma3")) {
                JsonNode err = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"see <image_soft_token>\", \"max_tokens\": 2}")).build(), HttpResponse.BodyHandlers.ofString()).body());
                assertTrue(err.path("error").path("message").asText().contains("out of vocabulary"), err.toString());
                // a logit_bias on that id: a 400 naming logit_bias (the native step would refuse the whole batch)
                HttpResponse<String> bias = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"hi\", \"max_tokens\": 2, \"logit_bias\": {\"" + vocab + "\": 5}}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(400, bias.statusCode(), bias.body());
                assertEquals("logit_bias", JSON.readTree(bias.body()).path("error").path("param").asText(), bias.body());
                // allowed_token_ids naming only that id allowed nothing the model can produce (200, empty): a 400
                HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"hi\", \"max_tokens\": 2, \"allowed_token_ids\": [" + vocab + "]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(400, allowed.statusCode(), allowed.body());
                assertEquals("allowed_token_ids", JSON.readTree(allowed.body()).path("error").path("param").asText(), allowed.body());
            }

            // 6. without the bias it generates (random weights: any text) up to max_tokens or a stop
            JsonNode free = post(http, base + "/v1/chat/completions", "{\"messages\": " + messages + ", \"max_tokens\": 8, \"temperature\": 0}");
            assertTrue(free.path("usage").path("completion_tokens").asInt() >= 1, free.toString());
        }
    }

    static JsonNode post(HttpClient http, String url, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
