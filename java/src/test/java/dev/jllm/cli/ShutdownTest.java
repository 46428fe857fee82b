package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * `jllm serve`'s orderly shutdown (the path SIGTERM's hook takes): admission stops (503) while a running stream
 * still finishes within --shutdown-timeout, then serve returns with the engine joined and native memory freed.
 */
class ShutdownTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int PORT = freePort();

    /** A port nothing listens on now (a fixed one collides with parallel test runs). */
    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shutdownRefusesNewRequestsAndLetsARunningStreamFinish() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Throwable[] failed = new Throwable[1];
        Thread serve = Thread.ofPlatform().start(() -> {
            try {
                Main.serve(new String[] {"--model", TestModels.hf().toString(), "--host", "127.0.0.1", "--port", String.valueOf(PORT),
                        "--threads", "1", "--max-num-seqs", "4", "--shutdown-timeout", "60", "--disable-log-requests"}, stop);
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + PORT;
        int health = 0;
        for (int i = 0; i < 600 && health != 200 && failed[0] == null; i++) {
            try {
                health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        assertEquals(200, health, "server did not start: " + failed[0]);
        HttpRequest streamReq = HttpRequest.newBuilder(URI.create(base + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(
                "{\"prompt\":\"Once upon a time\",\"max_tokens\":300,\"ignore_eos\":true,\"temperature\":0,\"stream\":true}")).build();
        HttpResponse<InputStream> r = http.send(streamReq, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        List<String> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line = in.readLine();
            while (line != null && !line.startsWith("data: ")) line = in.readLine();
            assertNotNull(line);
            events.add(line.substring(6));
            stop.countDown();  // shut down while the stream runs
            HttpResponse<String> late = null;
            for (int i = 0; i < 200; i++) {
                late = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"Hi\",\"max_tokens\":2}")).build(), HttpResponse.BodyHandlers.ofString());
                if (late.statusCode() == 503) break;
                Thread.sleep(10);
            }
            assertEquals(503, late.statusCode(), "admission did not stop: " + late.body());
            assertEquals(503, JSON.readTree(late.body()).path("error").path("code").asInt());
            while ((line = in.readLine()) != null) if (line.startsWith("data: ")) events.add(line.substring(6));
        }
        assertEquals("[DONE]", events.get(events.size() - 1));
        JsonNode last = JSON.readTree(events.get(events.size() - 2));
        assertEquals("length", last.path("choices").get(0).path("finish_reason").asText(), "the running stream finished: " + last);
        serve.join(120_000);
        assertTrue(!serve.isAlive(), "serve did not return after shutdown");
        assertEquals(null, failed[0]);
    }
}
