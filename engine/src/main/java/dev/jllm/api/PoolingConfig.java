package dev.jllm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.ModelExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * How an embedding (pooling) model turns final hidden states into a vector, as vLLM reads it: sentence-transformers'
 * modules.json (a Pooling module's {@code 1_Pooling/config.json}: pooling_mode_cls_token / _mean_tokens /
 * _lasttoken; a Normalize module), else the architecture's default (BERT-family encoders: CLS; decoders: last
 * token), normalized.
 *
 * @param pooling    ModelExecutor.POOLING_LAST, POOLING_CLS or POOLING_MEAN (the native JLLM_POOLING_* codes)
 * @param normalize  whether vectors are divided by their L2 norm
 * @param hiddenSize the vector's full length (the most `dimensions` may ask for)
 */
public record PoolingConfig(int pooling, boolean normalize, int hiddenSize) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Architectures the native library runs as encoders (native/src/model/encoder.cpp). */
    public static final Set<String> ENCODERS = Set.of("BertModel", "BertForMaskedLM", "RobertaModel", "XLMRobertaModel",
            "NomicBertModel");

    /**
     * A pooling code's name.
     *
     * @param pooling a POOLING_* code
     * @return "CLS", "MEAN" or "LAST"
     */
    public static String poolingName(int pooling) {
        return switch (pooling) {
            case ModelExecutor.POOLING_CLS -> "CLS";
            case ModelExecutor.POOLING_MEAN -> "MEAN";
            default -> "LAST";
        };
    }

    /**
     * Whether a model is an embedding model (the auto task): a BERT-family encoder or a sentence-transformers directory.
     *
     * @param dir          the model directory or file
     * @param architecture the model's architecture
     * @return true for an embedding model
     */
    public static boolean looksLikeEmbeddingModel(Path dir, String architecture) {
        return ENCODERS.contains(architecture) || (Files.isDirectory(dir) && Files.exists(dir.resolve("modules.json")));
    }

    /**
     * Reads the pooling of a model.
     *
     * @param dir          the model directory (a .gguf file gets the defaults)
     * @param architecture the model's architecture (encoders default to CLS, decoders to the last token)
     * @param hiddenSize   the width of its hidden states
     * @return the pooling
     * @throws IOException modules.json or the pooling config cannot be read
     */
    public static PoolingConfig read(Path dir, String architecture, int hiddenSize) throws IOException {
        int pooling = ENCODERS.contains(architecture) ? ModelExecutor.POOLING_CLS : ModelExecutor.POOLING_LAST;
        boolean normalize = true;
        Path modules = Files.isDirectory(dir) ? dir.resolve("modules.json") : null;
        if (modules != null && Files.exists(modules)) {
            normalize = false;  // sentence-transformers normalizes only when a Normalize module is listed
            for (JsonNode m : JSON.readTree(modules.toFile())) {
                String type = m.path("type").asText();
                if (type.endsWith(".Normalize")) normalize = true;
                if (type.endsWith(".Pooling")) {
                    Path cfg = dir.resolve(m.path("path").asText()).resolve("config.json");
                    if (Files.exists(cfg)) pooling = poolingMode(JSON.readTree(cfg.toFile()), cfg);
                }
            }
        }
        return new PoolingConfig(pooling, normalize, hiddenSize);
    }

    private static int poolingMode(JsonNode c, Path where) {
        if (c.path("pooling_mode_cls_token").asBoolean(false)) return ModelExecutor.POOLING_CLS;
        if (c.path("pooling_mode_mean_tokens").asBoolean(false)) return ModelExecutor.POOLING_MEAN;
        if (c.path("pooling_mode_lasttoken").asBoolean(false)) return ModelExecutor.POOLING_LAST;
        for (String unsupported : new String[] {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens"})
            if (c.path(unsupported).asBoolean(false))
                throw new IllegalArgumentException(where + ": " + unsupported + " is not supported (CLS, mean or last-token pooling)");
        throw new IllegalArgumentException(where + " enables no pooling mode");
    }
}
