package dev.jllm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What tokenizer_config.json and generation_config.json say about special tokens and templates. addBos/addEos are
 * null when the file does not set them (then tokenizer.json's post-processor decides, as in transformers).
 */
record TokenizerConfig(Boolean addBos, Boolean addEos, String bosToken, String eosToken, JsonNode chatTemplate,
                       Set<Integer> generationEosIds) {
    static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerConfig read(Path dir) throws IOException {
        JsonNode tc = readJson(dir.resolve("tokenizer_config.json"));
        JsonNode gc = readJson(dir.resolve("generation_config.json"));
        Set<Integer> eos = new LinkedHashSet<>();
        JsonNode e = gc.path("eos_token_id");
        if (e.isInt()) eos.add(e.asInt());
        if (e.isArray()) e.forEach(x -> eos.add(x.asInt()));
        return new TokenizerConfig(flag(tc.get("add_bos_token")), flag(tc.get("add_eos_token")),
                tokenString(tc.get("bos_token")), tokenString(tc.get("eos_token")), tc.get("chat_template"), eos);
    }

    private static Boolean flag(JsonNode n) {
        return n != null && n.isBoolean() ? n.asBoolean() : null;
    }

    private static JsonNode readJson(Path p) throws IOException {
        return Files.isRegularFile(p) ? JSON.readTree(p.toFile()) : JSON.createObjectNode();
    }

    /** A token given as "text" or {"content": "text", ...}. */
    private static String tokenString(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        return n.path("content").isTextual() ? n.path("content").asText() : null;
    }
}
