package dev.jllm.engine;

import java.util.List;
import java.util.Map;

/**
 * What one request asks of generation, with vLLM's names and defaults (../shared/reference/openai-compat.md §7).
 * Built at the server's edge from an OpenAI request; {@link #validate} throws {@link IllegalArgumentException}
 * with the field's name, which the server turns into a 400.
 */
public record SamplingParams(
        int n,
        int bestOf,
        float temperature,
        float topP,
        int topK,
        float minP,
        float presencePenalty,
        float frequencyPenalty,
        float repetitionPenalty,
        Long seed,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean includeStopStrInOutput,
        boolean ignoreEos,
        int maxTokens,
        int minTokens,
        Integer logprobs,
        Integer promptLogprobs,
        boolean skipSpecialTokens,
        boolean spacesBetweenSpecialTokens,
        Map<Integer, Float> logitBias,
        TokenConstraint constraint,
        boolean useBeamSearch,
        float lengthPenalty,
        String earlyStopping) {

    public static final float GREEDY_EPS = 1e-5f;

    public boolean greedy() {
        return temperature < GREEDY_EPS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Checks ranges; maxLogprobs is the server's --max-logprobs. */
    public void validate(int maxLogprobs) {
        if (n < 1) throw new IllegalArgumentException("n must be at least 1, got " + n + ".");
        if (bestOf < n) throw new IllegalArgumentException("best_of must be greater than or equal to n, got n=" + n + " and best_of=" + bestOf + ".");
        if (useBeamSearch) {
            if (bestOf < 2) throw new IllegalArgumentException("best_of must be greater than 1 when using beam search. Got " + bestOf + ".");
            if (!greedy()) throw new IllegalArgumentException("temperature must be 0 when using beam search.");
            if (topP < 1 - GREEDY_EPS) throw new IllegalArgumentException("top_p must be 1 when using beam search.");
            if (topK != -1) throw new IllegalArgumentException("top_k must be -1 when using beam search.");
            if (2 * bestOf > maxLogprobs) throw new IllegalArgumentException("beam width (best_of) " + bestOf + " is too large: at most " + maxLogprobs / 2 + " with --max-logprobs " + maxLogprobs + ".");
            if (!java.util.Set.of("true", "false", "never").contains(earlyStopping)) throw new IllegalArgumentException("early_stopping must be True, False, or 'never', got " + earlyStopping + ".");
        } else {
            if (bestOf > 1 && greedy())  // best_of defaults to n: name the field the client set
                throw new IllegalArgumentException(bestOf == n ? "n must be 1 when using greedy sampling, got " + n + "."
                        : "best_of must be 1 when using greedy sampling.");
            if (lengthPenalty != 1.0f) throw new IllegalArgumentException("length_penalty is not effective when use_beam_search is False. Please check if you need to set use_beam_search=True.");
            if (!earlyStopping.equals("false")) throw new IllegalArgumentException("early_stopping is not effective and must be False when use_beam_search is False.");
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be non-negative, got " + temperature + ".");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP + ".");
        if (topK < -1) throw new IllegalArgumentException("top_k must be 0 or -1 (all tokens), or at least 1, got " + topK + ".");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP + ".");
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty + ".");
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty + ".");
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 2)) throw new IllegalArgumentException("repetition_penalty must be in (0, 2], got " + repetitionPenalty + ".");
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens + ".");
        if (minTokens < 0 || minTokens > maxTokens) throw new IllegalArgumentException("min_tokens must be in [0, max_tokens], got " + minTokens + ".");
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("stop cannot contain an empty string.");
        if (logprobs != null && (logprobs < 0 || logprobs > maxLogprobs))
            throw new IllegalArgumentException("logprobs must be in [0, " + maxLogprobs + "], got " + logprobs + ". (Cannot request more than " + maxLogprobs + " logprobs.)");
        if (promptLogprobs != null && (promptLogprobs < 0 || promptLogprobs > maxLogprobs))
            throw new IllegalArgumentException("prompt_logprobs must be in [0, " + maxLogprobs + "], got " + promptLogprobs + ".");
        for (var e : logitBias.entrySet())
            if (!(e.getValue() >= -100 && e.getValue() <= 100)) throw new IllegalArgumentException("logit_bias values must be in [-100, 100], got " + e.getValue() + " for token " + e.getKey() + ".");
    }

    /** Mutable builder with vLLM's defaults. */
    public static final class Builder {
        public int n = 1;
        public Integer bestOf;
        public float temperature = 1.0f, topP = 1.0f, minP = 0f;
        public int topK = -1;
        public float presencePenalty = 0f, frequencyPenalty = 0f, repetitionPenalty = 1.0f;
        public Long seed;
        public List<String> stop = List.of();
        public List<Integer> stopTokenIds = List.of();
        public boolean includeStopStrInOutput, ignoreEos;
        public int maxTokens = 16, minTokens = 0;
        public Integer logprobs, promptLogprobs;
        public boolean skipSpecialTokens = true, spacesBetweenSpecialTokens = true;
        public Map<Integer, Float> logitBias = Map.of();
        public TokenConstraint constraint;
        public boolean useBeamSearch;
        public float lengthPenalty = 1.0f;
        public String earlyStopping = "false";

        public SamplingParams build() {
            // top_k 0 means "all tokens", as -1 does (vLLM's current default); one spelling inside the engine
            return new SamplingParams(n, bestOf == null ? n : bestOf, temperature, topP, topK == 0 ? -1 : topK, minP, presencePenalty,
                    frequencyPenalty, repetitionPenalty, seed, List.copyOf(stop), List.copyOf(stopTokenIds),
                    includeStopStrInOutput, ignoreEos, maxTokens, minTokens, logprobs, promptLogprobs,
                    skipSpecialTokens, spacesBetweenSpecialTokens, Map.copyOf(logitBias), constraint, useBeamSearch,
                    lengthPenalty, earlyStopping);
        }
    }
}
