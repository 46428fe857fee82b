package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * `jllm serve` on a model directory laid out as the Hub publishes it — config.json of a small shape,
 * generation_config.json, and a family's real tokenizer.json + tokenizer_config.json from ../shared/tokenizers —
 * with dummy weights (`--load-format dummy`). Closing it stops the server.
 */
final class DummyModelServer implements AutoCloseable {
    final HttpClient http = HttpClient.newHttpClient();
    final String base;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread serve;

    /**
     * family: a folder of ../shared/tokenizers; arch: config.json's architecture; familyKeys: further config.json
     * members (JSON, no braces); eos: generation_config.json's eos_token_id (a JSON number or list).
     */
    DummyModelServer(Path dir, String family, String arch, int vocab, String familyKeys, String eos) throws Exception {
        // 1. the model directory: small shape, real vocabulary and tokenizer files
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["%s"], "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                 "vocab_size": %d, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                 "tie_word_embeddings": true, "torch_dtype": "bfloat16", %s}
                """.formatted(arch, vocab, familyKeys));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": " + eos + "}");
        Path tokenizers = TestModels.shared().resolve("tokenizers").resolve(family);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"})
            Files.createSymbolicLink(dir.resolve(f), tokenizers.resolve(f).toAbsolutePath());
        // 2. serve it on a free port, and wait for /health
        int port = ShutdownTest.freePort();
        Throwable[] failed = new Throwable[1];
        serve = Thread.ofPlatform().start(() -> {
            try {
                Main.serve(new String[] {"--model", dir.toString(), "--load-format", "dummy", "--host", "127.0.0.1",
                        "--port", String.valueOf(port), "--threads", "1", "--max-model-len", "1024", "--disable-log-requests"}, stop);
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        base = "http://127.0.0.1:" + port;
        int health = 0;
        for (int i = 0; i < 1200 && health != 200 && failed[0] == null; i++) {
            try {
                health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        if (health != 200) close();
        assertEquals(200, health, "server did not start: " + failed[0]);
    }

    /** POSTs a JSON body to path; the response (any status). */
    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        stop.countDown();
        serve.join(120_000);
    }
}
