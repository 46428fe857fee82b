package dev.jllm.stress;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A `jllm serve` in a child process (the real CLI: flags, start-up, SIGTERM), so the suite can measure its RSS,
 * hurt it from outside, and see it die if it dies. Its output goes to a log file named in failure messages.
 */
final class StressServer implements AutoCloseable {
    static final String KEY = "sk-stress";
    final Process process;
    final int port;
    final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private StressServer(Process p, int port, Path log) {
        this.process = p;
        this.port = port;
        this.log = log;
    }

    /** Starts `jllm serve --model MODEL --port PORT --api-key KEY extra...` (port 0: a free one) and waits until
     * /health answers 200. */
    static StressServer start(Path model, int port, List<String> extra) throws IOException, InterruptedException {
        if (port == 0) {
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xmx512m");
        String lib = System.getProperty("jllm.library.path");
        if (lib != null) cmd.add("-Djllm.library.path=" + lib);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.jllm.cli.Main", "serve", "--model", model.toString(),
                "--served-model-name", "stories", "--host", "127.0.0.1", "--port", String.valueOf(port), "--api-key", KEY,
                "--chat-template", "chatml", "--threads", "1", "--seed", "1",
                "--trust-request-chat-template"));  // the corpus sends hostile templates to the sandbox
        cmd.addAll(extra);
        Path log = Files.createTempFile("jllm-stress-" + port + "-", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        StressServer s = new StressServer(p, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IOException("jllm serve exited with " + p.exitValue() + " during start-up; log: " + log
                    + "\n" + Files.readString(log));
            if (s.healthStatus() == 200) return s;
            Thread.sleep(200);
        }
        s.close();
        throw new IOException("jllm serve did not answer /health within 60 s; log: " + log);
    }

    /** GET /health status, or -1 when nothing answers. */
    int healthStatus() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A metric's value from /metrics (the first sample of that name), NaN when absent. */
    double metric(String name) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n"))
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        return Double.NaN;
    }

    /** Greedy completion text of a fixed prompt: the "output unchanged" probe. */
    String greedy(String prompt) throws IOException, InterruptedException {
        String body = "{\"model\":\"stories\",\"prompt\":" + Stress.quote(prompt) + ",\"max_tokens\":24,\"temperature\":0}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("greedy probe answered " + r.statusCode() + ": " + r.body());
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("choices").path(0).path("text").asText();
    }

    /** Resident set size of the server process in KiB (Linux /proc), -1 elsewhere. */
    long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** SIGTERM, then waits; SIGKILL after 30 s. Returns the exit code (or -1 if it had to be killed). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
