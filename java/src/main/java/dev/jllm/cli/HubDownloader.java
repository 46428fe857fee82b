package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Downloads a model from the Hugging Face Hub into the standard cache layout
 * ({@code $HF_HOME/hub/models--org--name/{blobs,snapshots/<commit>,refs/<revision>}}), as huggingface_hub does:
 * files are stored once under blobs/ (named by ETag) and linked from the snapshot; what is cached is reused, a
 * broken download resumes from its .incomplete file with an HTTP Range request, and sizes are verified.
 */
public final class HubDownloader {
    /** Where and how to download; {@link #fromEnvironment} reads HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE. */
    public record Config(Path hubDir, String endpoint, String token, boolean offline, PrintStream progress) {
        public static Config fromEnvironment(Map<String, String> env, PrintStream progress) {
            Path home = env.containsKey("HF_HOME") ? Path.of(env.get("HF_HOME"))
                    : Path.of(System.getProperty("user.home"), ".cache", "huggingface");
            String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co").replaceAll("/+$", "");
            String token = env.getOrDefault("HF_TOKEN", env.get("HUGGING_FACE_HUB_TOKEN"));
            String off = env.getOrDefault("HF_HUB_OFFLINE", "0");
            return new Config(home.resolve("hub"), endpoint, token, off.equals("1") || off.equalsIgnoreCase("true"), progress);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WANTED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "model.safetensors.index.json");

    private final Config config;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(15)).build();

    public HubDownloader(Config config) {
        this.config = config;
    }

    public static boolean looksLikeRepoId(String s) {
        return s.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+") && !s.endsWith(".gguf") && !s.startsWith(".");
    }

    private Path repoDir(String repo) {
        return config.hubDir().resolve("models--" + repo.replace("/", "--"));
    }

    /**
     * Returns the local snapshot directory (or the GGUF file in it when ggufFile is given), downloading what is
     * missing. Throws IOException with a message meant for the user.
     */
    public Path fetch(String repo, String revision, String ggufFile) throws IOException, InterruptedException {
        String rev = revision == null ? "main" : revision;
        Path dir = repoDir(repo);
        if (config.offline()) {
            Path snap = cachedSnapshot(dir, rev);
            if (snap == null) throw new IOException("HF_HUB_OFFLINE is set and " + repo + "@" + rev + " is not in the cache at " + dir);
            Path result = ggufFile == null ? snap : snap.resolve(ggufFile);
            if (!Files.exists(result)) throw new IOException("HF_HUB_OFFLINE is set and " + result + " is not cached");
            return result;
        }
        JsonNode info = revisionInfo(repo, rev);
        String sha = info.path("sha").asText(rev);
        List<String> files = new ArrayList<>();
        for (JsonNode s : info.path("siblings")) {
            String f = s.path("rfilename").asText();
            if (ggufFile != null ? f.equals(ggufFile) : (WANTED.contains(f) || (f.endsWith(".safetensors") && !f.contains("/")))) files.add(f);
        }
        if (ggufFile != null && files.isEmpty()) throw new IOException(repo + " has no file " + ggufFile);
        if (ggufFile == null && files.stream().noneMatch(f -> f.endsWith(".safetensors")))
            throw new IOException(repo + " has no .safetensors weights at " + rev + "; for a GGUF repository pass --gguf-file NAME.gguf");
        Path snap = dir.resolve("snapshots").resolve(sha);
        Files.createDirectories(snap);
        Files.createDirectories(dir.resolve("blobs"));
        for (String f : files) download(repo, sha, f, dir, snap);
        Files.createDirectories(dir.resolve("refs"));
        Files.writeString(dir.resolve("refs").resolve(rev), sha);
        return ggufFile == null ? snap : snap.resolve(ggufFile);
    }

    private static Path cachedSnapshot(Path dir, String rev) throws IOException {
        Path ref = dir.resolve("refs").resolve(rev);
        String sha = Files.isRegularFile(ref) ? Files.readString(ref).trim() : rev;
        Path snap = dir.resolve("snapshots").resolve(sha);
        return Files.isDirectory(snap) ? snap : null;
    }

    private HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10))
                .header("User-Agent", "jllm/0.1");
        if (config.token() != null && !config.token().isBlank()) b.header("Authorization", "Bearer " + config.token());
        return b;
    }

    private IOException unreachable(Exception e) {
        return new IOException("cannot reach " + config.endpoint() + " (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); pass a local --model directory or set HF_HUB_OFFLINE=1");
    }

    private JsonNode revisionInfo(String repo, String rev) throws IOException, InterruptedException {
        String url = config.endpoint() + "/api/models/" + repo + "/revision/" + URLEncoder.encode(rev, StandardCharsets.UTF_8);
        HttpResponse<byte[]> r;
        try {
            r = http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | java.net.http.HttpConnectTimeoutException | java.nio.channels.UnresolvedAddressException e) {
            throw unreachable(e);
        } catch (IOException e) {
            throw unreachable(e);
        }
        if (r.statusCode() == 401 || r.statusCode() == 403)
            throw new IOException(repo + " needs authorization (HTTP " + r.statusCode() + "): set HF_TOKEN to a token with access");
        if (r.statusCode() == 404) throw new IOException("no model " + repo + " at revision " + rev + " on " + config.endpoint());
        if (r.statusCode() != 200) throw new IOException("the hub answered HTTP " + r.statusCode() + " for " + url);
        return JSON.readTree(r.body());
    }

    private void download(String repo, String sha, String file, Path dir, Path snap) throws IOException, InterruptedException {
        Path target = snap.resolve(file);
        if (Files.exists(target) && Files.size(target) > 0) return;  // cached
        String url = config.endpoint() + "/" + repo + "/resolve/" + sha + "/" + file;
        HttpResponse<Void> head;
        try {
            head = http.send(request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw unreachable(e);
        }
        if (head.statusCode() != 200) throw new IOException("HTTP " + head.statusCode() + " for " + url);
        long size = head.headers().firstValueAsLong("x-linked-size").orElse(head.headers().firstValueAsLong("content-length").orElse(-1));
        String etag = head.headers().firstValue("x-linked-etag").or(() -> head.headers().firstValue("etag")).orElse(sha + "-" + file)
                .replace("\"", "").replaceFirst("^W/", "").replaceAll("[^\\w.-]", "_");
        Path blob = dir.resolve("blobs").resolve(etag);
        if (!Files.exists(blob) || (size >= 0 && Files.size(blob) != size)) {
            Path partial = dir.resolve("blobs").resolve(etag + ".incomplete");
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            HttpRequest.Builder get = request(url).GET();
            if (have > 0) get.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> r;
            try {
                r = http.send(get.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw unreachable(e);
            }
            boolean resumed = r.statusCode() == 206;
            if (r.statusCode() != 200 && !resumed) throw new IOException("HTTP " + r.statusCode() + " downloading " + url);
            if (!resumed) have = 0;
            try (InputStream in = r.body();
                 OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                         resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                long done = have, lastShown = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    done += n;
                    long now = System.nanoTime();
                    if (config.progress() != null && now - lastShown > 200_000_000L) {
                        progress(file, done, size);
                        lastShown = now;
                    }
                }
                if (config.progress() != null) {
                    progress(file, done, size);
                    config.progress().println();
                }
            }
            if (size >= 0 && Files.size(partial) != size)
                throw new IOException(file + ": downloaded " + Files.size(partial) + " bytes, expected " + size + "; run again to resume");
            Files.move(partial, blob, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createDirectories(target.getParent());
        Files.deleteIfExists(target);
        try {
            Files.createSymbolicLink(target, target.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, target);
        }
    }

    private void progress(String file, long done, long size) {
        int width = 30;
        double frac = size > 0 ? Math.min(1.0, (double) done / size) : 0;
        String bar = "#".repeat((int) (frac * width)) + "-".repeat(width - (int) (frac * width));
        config.progress().printf("\r  %-32s [%s] %7.1f / %s MiB", file.length() > 32 ? file.substring(0, 32) : file, bar,
                done / 1048576.0, size >= 0 ? String.format("%.1f", size / 1048576.0) : "?");
    }
}
