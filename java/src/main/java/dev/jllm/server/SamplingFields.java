package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.engine.SamplingParams;
import java.util.HashMap;
import java.util.List;
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
            "guided_whitespace_pattern", "structured_outputs", "add_special_tokens", "logprobs");

    static SamplingParams.Builder read(Fields f, dev.jllm.tokenizer.Tokenizer tok, SamplingDefaults d) {
        int vocabSize = tok.vocabSize();
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
        b.constraint = structuredOutput(f, tok);

        b.useBeamSearch = f.bool("use_beam_search", false);
        b.lengthPenalty = f.number("length_penalty", 1.0f);
        JsonNode es = f.raw("early_stopping");
        if (es != null && !es.isBoolean() && !(es.isTextual() && es.asText().equals("never")))
            throw ApiException.badRequest("early_stopping must be true, false or \"never\".", "early_stopping");
        b.earlyStopping = es == null ? "false" : es.asText().toLowerCase(java.util.Locale.ROOT);
        return b;
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

    private static final java.util.Set<String> BACKENDS = java.util.Set.of("outlines", "lm-format-enforcer", "xgrammar", "guidance", "auto");

    /**
     * The structured-output constraint of a request, or null: guided_choice / guided_regex / guided_json,
     * response_format json_object / json_schema, or the newer structured_outputs object. Two kinds at once, an
     * invalid schema or regex, and context-free grammars (not supported yet) are 400s that say why.
     */
    static dev.jllm.engine.TokenConstraint structuredOutput(Fields f, dev.jllm.tokenizer.Tokenizer tok) {
        JsonNode so = f.raw("structured_outputs");
        JsonNode rf = f.raw("response_format");
        String backend = f.string("guided_decoding_backend", null);
        if (backend != null && !BACKENDS.contains(backend))
            throw ApiException.badRequest("guided_decoding_backend must be one of " + BACKENDS + ", got '" + backend + "'.", "guided_decoding_backend");
        String ws = f.string("guided_whitespace_pattern", null);
        JsonNode choice = f.raw("guided_choice"), regex = f.raw("guided_regex"), json = f.raw("guided_json"), grammar = f.raw("guided_grammar");
        boolean jsonObject = false;
        if (so != null) {
            if (!so.isObject()) throw ApiException.badRequest("structured_outputs must be an object.", "structured_outputs");
            if (choice == null) choice = so.get("choice");
            if (regex == null) regex = so.get("regex");
            if (json == null) json = so.get("json");
            if (grammar == null) grammar = so.get("grammar");
            if (so.path("json_object").asBoolean(false)) jsonObject = true;
            if (ws == null && so.path("whitespace_pattern").isTextual()) ws = so.get("whitespace_pattern").asText();
        }
        if (rf != null) {
            if (!rf.isObject() || !rf.path("type").isTextual())
                throw ApiException.badRequest("response_format must be an object with a 'type'.", "response_format");
            switch (rf.path("type").asText()) {
                case "text" -> { }
                case "json_object" -> jsonObject = true;
                case "json_schema" -> {
                    JsonNode js = rf.path("json_schema");
                    if (!js.isObject() || !js.has("schema"))
                        throw ApiException.badRequest("response_format json_schema needs {\"json_schema\": {\"name\", \"schema\"}}.", "response_format");
                    if (json != null) throw ApiException.badRequest("response_format json_schema and guided_json cannot be combined.", "response_format");
                    json = js.get("schema");
                }
                default -> throw ApiException.badRequest("response_format type must be text, json_object or json_schema, got '" + rf.path("type").asText() + "'.", "response_format");
            }
        }
        int kinds = (choice != null ? 1 : 0) + (regex != null ? 1 : 0) + (json != null ? 1 : 0) + (grammar != null ? 1 : 0) + (jsonObject ? 1 : 0);
        if (kinds == 0) return null;
        if (kinds > 1)
            throw ApiException.badRequest("Only one kind of structured output can be used at a time (guided_json, guided_regex, guided_choice, guided_grammar, response_format json).", "guided_json");
        dev.jllm.structured.Constraints c = dev.jllm.structured.Constraints.of(tok);
        try {
            if (ws != null) dev.jllm.structured.Regex.compile(ws);
            if (choice != null) {
                if (!choice.isArray() || choice.isEmpty()) throw ApiException.badRequest("guided_choice must be a non-empty list of strings.", "guided_choice");
                List<String> choices = new java.util.ArrayList<>();
                for (JsonNode x : choice) {
                    if (!x.isTextual()) throw ApiException.badRequest("guided_choice must be a list of strings.", "guided_choice");
                    choices.add(x.asText());
                }
                return c.choice(choices);
            }
            if (grammar != null) {
                if (!grammar.isTextual()) throw ApiException.badRequest("guided_grammar must be a string.", "guided_grammar");
                return c.grammar(grammar.asText());
            }
            if (regex != null) {
                if (!regex.isTextual()) throw ApiException.badRequest("guided_regex must be a string.", "guided_regex");
                return c.regex(regex.asText());
            }
            if (json != null) {
                JsonNode schema = json;
                if (json.isTextual()) schema = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.asText());
                return c.jsonSchema(schema, ws);
            }
            return c.jsonObject(ws);
        } catch (ApiException e) {
            throw e;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("guided_json is not valid JSON: " + e.getOriginalMessage(), "guided_json");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("Invalid structured-output constraint: " + e.getMessage(),
                    choice != null ? "guided_choice" : regex != null ? "guided_regex" : grammar != null ? "guided_grammar" : "guided_json");
        }
    }

    /** The most sequences (n × prompts) one request may ask for: one rule for every endpoint. */
    static final int MAX_SEQUENCES = 1024;

    /** The completion length asked for: max_completion_tokens, else max_tokens, else fallback (null: fill the context). */
    static Integer requestedMaxTokens(Fields f, Integer fallback) {
        Integer mt = f.integer("max_completion_tokens", null);
        return mt != null ? mt : f.integer("max_tokens", fallback);
    }

    /** A length field (max_tokens, max_output_tokens) that must be at least 1; null (absent) passes. */
    static Integer atLeastOne(Integer value, String param) {
        if (value != null && value < 1) throw ApiException.badRequest(param + " must be at least 1, got " + value + ".", param);
        return value;
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
        atLeastOne(requested, "max_tokens");
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
