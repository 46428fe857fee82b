package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jllm.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub download against a local server that answers the hub's URLs with ../shared/models/stories260K-hf. */
class HubDownloaderTest {
    static final String REPO = "karpathy/stories260K", SHA = "0123456789abcdef0123456789abcdef01234567";
    HttpServer hub;
    final List<String> log = new CopyOnWriteArrayList<>();
    volatile String seenAuth;
    @TempDir Path tmp;

    @BeforeEach
    void startHub() throws IOException {
        Path dir = TestModels.hf();
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", ex -> {
            try {
                handle(ex, dir);
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            } finally {
                ex.close();
            }
        });
        hub.start();
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    void handle(HttpExchange ex, Path dir) throws Exception {
        String path = ex.getRequestURI().getPath();
        seenAuth = ex.getRequestHeaders().getFirst("Authorization");
        String range = ex.getRequestHeaders().getFirst("Range");
        log.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
        if (path.equals("/api/models/" + REPO + "/revision/main")) {
            StringBuilder sib = new StringBuilder();
            try (var files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) sib.append(sib.isEmpty() ? "" : ",").append("{\"rfilename\":\"").append(f.getFileName()).append("\"}");
            }
            byte[] body = ("{\"id\":\"" + REPO + "\",\"sha\":\"" + SHA + "\",\"siblings\":[" + sib + ",{\"rfilename\":\"README.md\"}]}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            return;
        }
        String prefix = "/" + REPO + "/resolve/" + SHA + "/";
        if (!path.startsWith(prefix) || !Files.exists(dir.resolve(path.substring(prefix.length())))) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        byte[] data = Files.readAllBytes(dir.resolve(path.substring(prefix.length())));
        String etag = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        ex.getResponseHeaders().add("ETag", "\"" + etag + "\"");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", String.valueOf(data.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        int from = 0;
        if (range != null) from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
        ex.sendResponseHeaders(from > 0 ? 206 : 200, data.length - from);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(data, from, data.length - from);
        }
    }

    HubDownloader downloader(boolean offline, String endpoint) {
        return new HubDownloader(new HubDownloader.Config(tmp.resolve("hub"), endpoint, "hf_secret", offline,
                new PrintStream(new ByteArrayOutputStream())));
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    @Test
    void downloadsIntoTheStandardCacheLayoutAndReusesIt() throws Exception {
        Path snap = downloader(false, endpoint()).fetch(REPO, null, null);
        Path repoDir = tmp.resolve("hub/models--karpathy--stories260K");
        assertEquals(repoDir.resolve("snapshots/" + SHA), snap);
        assertEquals(SHA, Files.readString(repoDir.resolve("refs/main")));
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "model.safetensors")) {
            assertTrue(Files.isSymbolicLink(snap.resolve(f)), f + " links into blobs/");
            assertArrayEquals(Files.readAllBytes(TestModels.hf().resolve(f)), Files.readAllBytes(snap.resolve(f)), f);
        }
        assertTrue(Files.notExists(snap.resolve("README.md")), "only model files are fetched");
        assertEquals("Bearer hf_secret", seenAuth);
        log.clear();
        downloader(false, endpoint()).fetch(REPO, null, null);
        assertTrue(log.stream().noneMatch(l -> l.startsWith("GET /" + REPO + "/resolve")), "cached files are not fetched again: " + log);
    }

    @Test
    void resumesABrokenDownload() throws Exception {
        byte[] weights = Files.readAllBytes(TestModels.hf().resolve("model.safetensors"));
        String etag = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        Path blobs = tmp.resolve("hub/models--karpathy--stories260K/blobs");
        Files.createDirectories(blobs);
        Files.write(blobs.resolve(etag + ".incomplete"), java.util.Arrays.copyOf(weights, 1000));
        Path snap = downloader(false, endpoint()).fetch(REPO, null, null);
        assertTrue(log.contains("GET /" + REPO + "/resolve/" + SHA + "/model.safetensors bytes=1000-"), log.toString());
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
    }

    @Test
    void offlineModeUsesOnlyTheCache() throws Exception {
        IOException missing = assertThrows(IOException.class, () -> downloader(true, endpoint()).fetch(REPO, null, null));
        assertTrue(missing.getMessage().contains("HF_HUB_OFFLINE"));
        downloader(false, endpoint()).fetch(REPO, null, null);
        log.clear();
        Path snap = downloader(true, endpoint()).fetch(REPO, null, null);
        assertTrue(Files.exists(snap.resolve("config.json")));
        assertTrue(log.isEmpty(), "offline mode sends nothing");
    }

    @Test
    void anUnreachableHubGivesAClearError() {
        IOException e = assertThrows(IOException.class, () -> downloader(false, "http://127.0.0.1:1").fetch(REPO, null, null));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:1"), e.getMessage());
        assertTrue(e.getMessage().contains("pass a local --model directory or set HF_HUB_OFFLINE=1"));
        IOException nf = assertThrows(IOException.class, () -> downloader(false, endpoint()).fetch("nobody/nothing", null, null));
        assertTrue(nf.getMessage().contains("no model nobody/nothing"), nf.getMessage());
    }

    @Test
    void configReadsTheEnvironment() {
        HubDownloader.Config c = HubDownloader.Config.fromEnvironment(java.util.Map.of("HF_HOME", "/x", "HF_ENDPOINT", "http://h/",
                "HF_TOKEN", "t", "HF_HUB_OFFLINE", "1"), null);
        assertEquals(Path.of("/x/hub"), c.hubDir());
        assertEquals("http://h", c.endpoint());
        assertEquals("t", c.token());
        assertTrue(c.offline());
        assertTrue(HubDownloader.looksLikeRepoId("Qwen/Qwen2.5-0.5B-Instruct"));
        assertTrue(!HubDownloader.looksLikeRepoId("./models/x") && !HubDownloader.looksLikeRepoId("/abs/path"));
    }
}
