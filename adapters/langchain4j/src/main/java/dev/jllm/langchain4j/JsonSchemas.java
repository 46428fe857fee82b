package dev.jllm.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.List;

/** LangChain4j's JsonSchemaElement tree as a JSON Schema document (what jllm's JSON-schema constraint reads). */
final class JsonSchemas {
    static final ObjectMapper JSON = new ObjectMapper();

    private JsonSchemas() {}

    /** The schema of one element; $ref points into the root's "$defs", as LangChain4j writes them. */
    static ObjectNode toJson(JsonSchemaElement e) {
        return toJson(e, false);
    }

    /**
     * As {@link #toJson(JsonSchemaElement)}; strict makes every property of every object required, as OpenAI's
     * strict structured outputs do (LangChain4j's schemas of Java classes list none as required, and a small model
     * would then often leave them all out).
     */
    static ObjectNode toJson(JsonSchemaElement e, boolean strict) {
        ObjectNode s = JSON.createObjectNode();
        switch (e) {
            case JsonObjectSchema o -> {
                s.put("type", "object");
                ObjectNode props = s.putObject("properties");
                if (o.properties() != null) o.properties().forEach((name, p) -> props.set(name, toJson(p, strict)));
                List<String> required = strict && o.properties() != null ? List.copyOf(o.properties().keySet()) : o.required();
                if (required != null && !required.isEmpty()) required.forEach(s.putArray("required")::add);
                if (o.additionalProperties() != null) s.put("additionalProperties", o.additionalProperties());
                if (o.definitions() != null && !o.definitions().isEmpty()) {
                    ObjectNode defs = s.putObject("$defs");
                    o.definitions().forEach((name, d) -> defs.set(name, toJson(d, strict)));
                }
            }
            case JsonStringSchema ignored -> s.put("type", "string");
            case JsonIntegerSchema ignored -> s.put("type", "integer");
            case JsonNumberSchema ignored -> s.put("type", "number");
            case JsonBooleanSchema ignored -> s.put("type", "boolean");
            case JsonNullSchema ignored -> s.put("type", "null");
            case JsonEnumSchema en -> {
                s.put("type", "string");
                en.enumValues().forEach(s.putArray("enum")::add);
            }
            case JsonArraySchema a -> {
                s.put("type", "array");
                if (a.items() != null) s.set("items", toJson(a.items(), strict));
            }
            case JsonAnyOfSchema any -> any.anyOf().forEach(x -> s.withArray("anyOf").add(toJson(x, strict)));
            case JsonReferenceSchema r -> s.put("$ref", "#/$defs/" + r.reference());
            case JsonRawSchema raw -> {
                try {
                    JsonNode parsed = JSON.readTree(raw.schema());
                    if (!parsed.isObject()) throw new IllegalArgumentException("a raw JSON schema must be an object: " + raw.schema());
                    return (ObjectNode) parsed;
                } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
                    throw new IllegalArgumentException("a raw JSON schema is not JSON: " + x.getOriginalMessage(), x);
                }
            }
            default -> throw new IllegalArgumentException("unsupported JSON schema element " + e.getClass().getName());
        }
        if (e.description() != null) s.put("description", e.description());
        return s;
    }
}
