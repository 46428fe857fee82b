package dev.jllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the shared test fixtures; a missing fixture fails the test (never skips it). */
public final class TestModels {
    private TestModels() {}

    public static Path shared() {
        Path p = Path.of(System.getProperty("jllm.shared.dir", "../../shared"));
        if (!Files.isDirectory(p)) throw new IllegalStateException("../shared is missing: " + p.toAbsolutePath());
        return p;
    }

    public static Path hf() {
        return shared().resolve("models/stories260K-hf");
    }

    public static Path gguf() {
        return shared().resolve("models/stories260K/stories260K.gguf");
    }

    public static JsonNode greedyReference() throws IOException {
        return new ObjectMapper().readTree(shared().resolve("reference/stories260K-greedy.json").toFile());
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
