package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Picks the tokenizer for a model path: tokenizer.json in a directory, or the vocabulary inside a GGUF file (for a
 * split GGUF, in its first part).
 */
public final class Tokenizers {
    private Tokenizers() {}

    public static Tokenizer load(Path model, Path tokenizerOverride) throws IOException {
        Path dir = tokenizerOverride != null ? tokenizerOverride : model;
        if (Files.isDirectory(dir)) {
            if (!Files.isRegularFile(dir.resolve("tokenizer.json")))
                throw new IOException(dir + " has no tokenizer.json (pass --tokenizer DIR)");
            return new HfTokenizer(dir);
        }
        GgufMetadata meta = new GgufMetadata(dir);
        String type = meta.string("tokenizer.ggml.model");
        try {
            if ("llama".equals(type)) return new SpmTokenizer(meta);
            if ("gpt2".equals(type)) return new ByteBpeTokenizer(meta);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        throw new IOException(dir + ": GGUF tokenizer type '" + type + "' is not supported yet (supported: llama, gpt2); "
                + "pass --tokenizer with a Hugging Face tokenizer directory");
    }
}
