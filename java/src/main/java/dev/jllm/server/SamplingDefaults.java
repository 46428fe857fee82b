package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Defaults a model's generation_config.json gives for fields a request leaves out (null = the API's default).
 */
public record SamplingDefaults(Float temperature, Float topP, Integer topK, Float minP, Float repetitionPenalty,
                               Integer maxNewTokens) {
    public static final SamplingDefaults NONE = new SamplingDefaults(null, null, null, null, null, null);

    public static SamplingDefaults fromGenerationConfig(JsonNode g) {
        return new SamplingDefaults(f(g, "temperature"), f(g, "top_p"), i(g, "top_k"), f(g, "min_p"),
                f(g, "repetition_penalty"), i(g, "max_new_tokens"));
    }

    private static Float f(JsonNode g, String k) {
        return g.path(k).isNumber() ? (float) g.path(k).asDouble() : null;
    }

    private static Integer i(JsonNode g, String k) {
        return g.path(k).isIntegralNumber() ? g.path(k).asInt() : null;
    }
}
