package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.engine.SamplingParams;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The sampling fields completions and chat share (vLLM's names, §3–§4, §7), read into a builder. */
final class SamplingFields {
    private SamplingFields() {}

    static final Set<String> COMMON = Set.of("model", "n", "best_of", "temperature", "top_p", "top_k", "min_p",
            "presence_penalty", "frequency_penalty", "repetition_penalty", "seed", "stop", "stop_token_ids",
            "include_stop_str_in_output", "ignore_eos", "min_tokens", "skip_special_tokens",
            "spaces_between_special_tokens", "logit_bias", "use_beam_search", "length_penalty", "early_stopping",
            "max_tokens", "max_completion_tokens", "stream", "stream_options", "user", "echo", "response_format",
            "guided_json", "guided_regex", "guided_choice", "guided_grammar", "guided_decoding_backend",
            "guided_whitespace_pattern", "structured_outputs", "add_special_tokens", "logprobs", "allowed_token_ids",
            "bad_words", "return_tokens_as_token_ids");

    /** vocabSize: the ids a request may name (ServerContext.tokenIdLimit). */
    static SamplingParams.Builder read(Fields f, dev.jllm.tokenizer.Tokenizer tok, SamplingDefaults d, int vocabSize) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.n = f.integer("n", 1);
        b.bestOf = f.integer("best_of", null);
        b.temperature = f.number("temperature", d.temperature() != null ? d.temperature() : 1.0f);
        b.topP = f.number("top_p", d.topP() != null ? d.topP() : 1.0f);
        b.topK = f.integer("top_k", d.topK() != null && d.topK() > 0 ? d.topK() : -1);
        b.minP = f.number("min_p", d.minP() != null ? d.minP() : 0f);
        b.presencePenalty = f.number("presence_penalty", 0f);
        b.frequencyPenalty = f.number("frequency_penalty", 0f);
        b.repetitionPenalty = f.number("repetition_penalty", d.repetitionPenalty() != null ? d.repetitionPenalty() : 1.0f);
        Long seed = f.longValue("seed");
        b.seed = seed != null && seed == -1 ? null : seed;
        b.stop = f.stringOrList("stop");
        b.stopTokenIds = f.intList("stop_token_ids");
        for (int id : b.stopTokenIds)
            if (id < 0 || id >= vocabSize) throw ApiException.badRequest("stop_token_ids contains " + id + ", outside the vocabulary (0.." + (vocabSize - 1) + ").", "stop_token_ids");
        b.includeStopStrInOutput = f.bool("include_stop_str_in_output", false);
        b.ignoreEos = f.bool("ignore_eos", false);
        b.minTokens = f.integer("min_tokens", 0);
        b.skipSpecialTokens = f.bool("skip_special_tokens", true);
        b.spacesBetweenSpecialTokens = f.bool("spaces_between_special_tokens", true);
        b.logitBias = logitBias(f.raw("logit_bias"), vocabSize);
        b.constraint = StructuredOutput.parse(f).constraint(tok);

        b.useBeamSearch = f.bool("use_beam_search", false);
        b.lengthPenalty = f.number("length_penalty", 1.0f);
        JsonNode es = f.raw("early_stopping");
        if (es != null && !es.isBoolean() && !(es.isTextual() && es.asText().equals("never")))
            throw ApiException.badRequest("early_stopping must be true, false or \"never\".", "early_stopping");
        b.earlyStopping = es == null ? "false" : es.asText().toLowerCase(java.util.Locale.ROOT);
        return b;
    }

    /**
     * allowed_token_ids and bad_words (vLLM) around the request's final constraint (structured output or tool calls):
     * called once that constraint is set. return_tokens_as_token_ids is refused when true (not implemented) rather
     * than ignored.
     */
    static void tokenFilter(Fields f, dev.jllm.tokenizer.Tokenizer tok, SamplingParams.Builder b, int vocabSize) {
        if (f.bool("return_tokens_as_token_ids", false))
            throw ApiException.badRequest("return_tokens_as_token_ids is not supported.", "return_tokens_as_token_ids");
        int[] allowed = null;
        if (f.has("allowed_token_ids")) {
            java.util.List<Integer> ids = f.intList("allowed_token_ids");
            if (ids.isEmpty()) throw ApiException.badRequest("allowed_token_ids must not be empty.", "allowed_token_ids");
            for (int id : ids)
                if (id < 0 || id >= vocabSize) throw ApiException.badRequest("allowed_token_ids contains " + id + ", outside the vocabulary (0.." + (vocabSize - 1) + ").", "allowed_token_ids");
            allowed = TokenFilter.mask(ids, (vocabSize + 31) / 32);
        }
        java.util.List<int[]> bad = TokenFilter.badWords(f.stringOrList("bad_words"), tok);
        if (allowed != null || !bad.isEmpty()) b.constraint = new TokenFilter(b.constraint, allowed, bad);
    }

    private static Map<Integer, Float> logitBias(JsonNode n, int vocabSize) {
        Map<Integer, Float> out = new HashMap<>();
        if (n == null) return out;
        if (!n.isObject()) throw ApiException.badRequest("logit_bias must be an object mapping token ids to biases.", "logit_bias");
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException x) {
                throw ApiException.badRequest("logit_bias key '" + e.getKey() + "' is not a token id.", "logit_bias");
            }
            if (id < 0 || id >= vocabSize)
                throw ApiException.badRequest("logit_bias token id " + id + " is outside the vocabulary (0.." + (vocabSize - 1) + ").", "logit_bias");
            if (!e.getValue().isNumber()) throw ApiException.badRequest("logit_bias values must be numbers.", "logit_bias");
            out.put(id, (float) Math.max(-100, Math.min(100, e.getValue().asDouble())));
        }
        return out;
    }

    /** The most sequences (n × prompts) one request may ask for: one rule for every endpoint. */
    static final int MAX_SEQUENCES = 1024;

    /** The completion length asked for: max_completion_tokens, else max_tokens, else fallback (null: fill the context). */
    static Integer requestedMaxTokens(Fields f, Integer fallback) {
        Integer mt = f.integer("max_completion_tokens", null);
        return mt != null ? mt : f.integer("max_tokens", fallback);
    }

    /**
     * The completion length against the context; requested null means "fill the context". what: "messages" or
     * "prompt", as the 400 names it.
     */
    static int maxTokens(Integer requested, int promptLen, int maxModelLen, String what) {
        if (requested == null) {
            if (promptLen >= maxModelLen)
                throw ApiException.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However, your " + what + " has " + promptLen + " tokens. Please reduce the length of the " + what + ".");
            return maxModelLen - promptLen;
        }
        Fields.atLeastOne(requested, "max_tokens");
        if ((long) promptLen + requested > maxModelLen)
            throw ApiException.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However, you requested "
                    + (promptLen + requested) + " tokens (" + promptLen + " in the " + what + ", " + requested + " in the completion). Please reduce the length of the " + what + " or completion.");
        return requested;
    }

    /**
     * The one validation of sampling parameters, for every endpoint: SamplingParams' ranges (a 400 naming the
     * field), then the cap on sequences, n × prompts ≤ MAX_SEQUENCES (best_of's own limit is the engine's
     * --max-num-seqs, checked at admission). Checked after the ranges so that n = 0 or best_of < n get their own
     * message first, on chat and completions alike.
     */
    static SamplingParams validate(SamplingParams.Builder b, int prompts, int maxLogprobs) {
        SamplingParams p = b.build();
        try {
            p.validate(maxLogprobs);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidSampling(e);
        }
        long sequences = (long) prompts * p.n();
        if (sequences > MAX_SEQUENCES)
            throw ApiException.badRequest("n = " + p.n() + (prompts > 1 ? " x " + prompts + " prompts = " + sequences : "")
                    + " exceeds " + MAX_SEQUENCES + " sequences per request.", "n");
        return p;
    }
}
