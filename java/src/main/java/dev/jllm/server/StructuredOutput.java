package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.structured.Constraints;
import dev.jllm.structured.Regex;
import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A request's structured output, from whichever fields spell it: vLLM's guided_choice / guided_regex / guided_json /
 * guided_grammar, OpenAI's response_format (json_object, json_schema; /v1/responses' text.format arrives as it), or
 * vLLM's newer structured_outputs object; at most one kind (null fields: not asked).
 *
 * @param jsonObject  any JSON object (response_format json_object, structured_outputs.json_object)
 * @param whitespace  guided_whitespace_pattern: the regex JSON whitespace must match; null: the default
 */
record StructuredOutput(JsonNode choice, JsonNode regex, JsonNode json, JsonNode grammar, boolean jsonObject, String whitespace) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> BACKENDS = Set.of("outlines", "lm-format-enforcer", "xgrammar", "guidance", "auto");

    /** Reads the fields; two kinds at once, or a malformed response_format / structured_outputs, is a 400. */
    static StructuredOutput parse(Fields f) {
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
        if (kinds > 1)
            throw ApiException.badRequest("Only one kind of structured output can be used at a time (guided_json, guided_regex, guided_choice, guided_grammar, response_format json).", "guided_json");
        return new StructuredOutput(choice, regex, json, grammar, jsonObject, ws);
    }

    /**
     * The constraint, or null when none was asked for; an invalid choice list, schema or regex, and context-free
     * grammars (not supported yet) are 400s that say why.
     */
    TokenConstraint constraint(Tokenizer tok) {
        if (choice == null && regex == null && json == null && grammar == null && !jsonObject) return null;
        Constraints c = Constraints.of(tok);
        try {
            if (whitespace != null) Regex.compile(whitespace);
            if (choice != null) {
                if (!choice.isArray() || choice.isEmpty()) throw ApiException.badRequest("guided_choice must be a non-empty list of strings.", "guided_choice");
                List<String> choices = new ArrayList<>();
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
            if (json != null) return c.jsonSchema(json.isTextual() ? JSON.readTree(json.asText()) : json, whitespace);
            return c.jsonObject(whitespace);
        } catch (ApiException e) {
            throw e;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("guided_json is not valid JSON: " + e.getOriginalMessage(), "guided_json");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("Invalid structured-output constraint: " + e.getMessage(),
                    choice != null ? "guided_choice" : regex != null ? "guided_regex" : grammar != null ? "guided_grammar" : "guided_json");
        }
    }
}
