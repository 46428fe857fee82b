package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.jllm.TestModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every response object and stream chunk the server sends, checked against OpenAI's published schemas in
 * ../shared/openai/openapi.yaml (required fields, nullability, types, enums), through a small validator for the
 * subset of JSON Schema that file uses ($ref, allOf/anyOf/oneOf, type incl. "null", nullable, required,
 * properties, items, enum).
 */
class OpenApiShapesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static JsonNode schemas;
    static String base;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void load() throws Exception {
        schemas = new ObjectMapper(new YAMLFactory()).readTree(TestModels.shared().resolve("openai/openapi.yaml").toFile())
                .path("components").path("schemas");
        base = ServerFixture.get().base;
    }

    static void validate(JsonNode v, JsonNode schema, String path, List<String> errors) {
        if (schema == null || schema.isMissingNode()) return;
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            validate(v, schemas.path(ref.substring(ref.lastIndexOf('/') + 1)), path, errors);
            return;
        }
        if (v.isNull() && schema.path("nullable").asBoolean(false)) return;
        for (JsonNode s : schema.path("allOf")) validate(v, s, path, errors);
        for (String key : new String[] {"anyOf", "oneOf"}) {
            if (!schema.has(key)) continue;
            boolean any = false;
            List<String> all = new ArrayList<>();
            for (JsonNode s : schema.get(key)) {
                List<String> e = new ArrayList<>();
                validate(v, s, path, e);
                if (e.isEmpty()) { any = true; break; }
                all.addAll(e);
            }
            if (!any) errors.add(path + ": matches no " + key + " branch (" + String.join("; ", all.subList(0, Math.min(3, all.size()))) + ")");
        }
        String type = schema.path("type").asText("");
        boolean ok = switch (type) {
            case "" -> true;
            case "null" -> v.isNull();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            default -> true;
        };
        if (!ok) {
            errors.add(path + ": expected " + type + ", got " + (v.isNull() ? "null" : v.getNodeType()));
            return;
        }
        if (schema.has("enum") && v.isValueNode()) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) found |= e.equals(v);
            if (!found) errors.add(path + ": " + v + " not in " + schema.get("enum"));
        }
        if (v.isObject()) {
            for (JsonNode r : schema.path("required"))
                if (!v.has(r.asText())) errors.add(path + ": missing required field '" + r.asText() + "'");
            Iterator<String> names = schema.path("properties").fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                if (v.has(n)) validate(v.get(n), schema.path("properties").get(n), path + "." + n, errors);
            }
        }
        if (v.isArray() && schema.has("items"))
            for (int i = 0; i < v.size(); i++) validate(v.get(i), schema.get("items"), path + "[" + i + "]", errors);
    }

    static void assertShape(JsonNode v, String schemaName) {
        List<String> errors = new ArrayList<>();
        assertTrue(schemas.has(schemaName), schemaName);
        validate(v, schemas.get(schemaName), schemaName, errors);
        assertTrue(errors.isEmpty(), String.join("\n", errors) + "\nin " + v);
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static List<JsonNode> stream(String path, String body) throws Exception {
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        List<JsonNode> chunks = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null)
                if (line.startsWith("data: ") && !line.equals("data: [DONE]")) chunks.add(JSON.readTree(line.substring(6)));
        }
        return chunks;
    }

    @Test
    void completionResponsesMatchTheSchema() throws Exception {
        assertShape(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":5}"), "CreateCompletionResponse");
        assertShape(post("/v1/completions", "{\"model\":\"stories\",\"prompt\":[\"Once\",\"The dog\"],\"n\":2,\"max_tokens\":4,\"logprobs\":3}"), "CreateCompletionResponse");
        // With echo, the first prompt token has no logprob: null, as vLLM documents (OpenAI's schema says number).
        JsonNode echo = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon\",\"max_tokens\":2,\"logprobs\":1,\"echo\":true}");
        JsonNode lp = echo.path("choices").get(0).path("logprobs");
        assertTrue(lp.path("token_logprobs").get(0).isNull() && lp.path("top_logprobs").get(0).isNull());
        ((com.fasterxml.jackson.databind.node.ArrayNode) lp.path("token_logprobs")).set(0, 0.0);
        ((com.fasterxml.jackson.databind.node.ArrayNode) lp.path("top_logprobs")).set(0, JSON.createObjectNode());
        assertShape(echo, "CreateCompletionResponse");
        for (JsonNode chunk : stream("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":4,\"stream\":true,\"logprobs\":1,\"stream_options\":{\"include_usage\":true}}")) {
            // OpenAI streams finish_reason null until a choice's last chunk; its schema (written for whole responses) says string
            for (JsonNode c : chunk.path("choices"))
                if (c.path("finish_reason").isNull()) ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("finish_reason", "stop");
            if (chunk.path("choices").isEmpty()) continue;  // the usage chunk
            assertShape(chunk, "CreateCompletionResponse");
        }
    }

    @Test
    void chatResponsesAndChunksMatchTheSchema() throws Exception {
        assertShape(post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}"), "CreateChatCompletionResponse");
        assertShape(post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5,\"n\":2,\"logprobs\":true,\"top_logprobs\":3}"), "CreateChatCompletionResponse");
        List<JsonNode> chunks = stream("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5,\"stream\":true,\"logprobs\":true,\"top_logprobs\":1,\"stream_options\":{\"include_usage\":true}}");
        assertTrue(chunks.size() > 3);
        for (JsonNode c : chunks) assertShape(c, "CreateChatCompletionStreamResponse");
    }

    @Test
    void modelListMatchesTheSchema() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).header("Authorization", "Bearer " + ServerFixture.KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        assertShape(JSON.readTree(r.body()), "ListModelsResponse");
    }
}
