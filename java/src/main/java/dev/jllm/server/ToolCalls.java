package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.structured.Constraints;
import dev.jllm.tokenizer.Tokenizer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calling for chat: tool_choice "none" (tools only reach the template), a named function (the output is
 * constrained to its parameters schema), "required" (constrained to {"name", "arguments"} of any one tool), and
 * "auto" (the model's own text parsed by --tool-call-parser: hermes or llama3_json).
 */
final class ToolCalls {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    enum Mode { NONE, NAMED, REQUIRED, AUTO }

    record Plan(Mode mode, String name, TokenConstraint constraint) {}

    record Call(String id, String name, String arguments) {}

    /** Reads tools and tool_choice; a constraint for NAMED and REQUIRED. */
    static Plan plan(Fields f, ServerContext ctx, Tokenizer tok, boolean otherConstraint) {
        JsonNode tools = f.raw("tools"), choice = f.raw("tool_choice");
        List<JsonNode> functions = new ArrayList<>();
        if (tools != null) {
            if (!tools.isArray()) throw ApiException.badRequest("tools must be a list.", "tools");
            for (JsonNode t : tools) {
                if (!"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual())
                    throw ApiException.badRequest("Each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}.", "tools");
                functions.add(t.get("function"));
            }
        }
        if (choice == null) return new Plan(tools != null && ctx.toolParser() != null ? Mode.AUTO : Mode.NONE, null, null);
        if (choice.isTextual() && choice.asText().equals("none")) return new Plan(Mode.NONE, null, null);
        if (tools == null) throw ApiException.badRequest("When using `tool_choice`, `tools` must be set.", "tool_choice");
        if (otherConstraint) throw ApiException.badRequest("Structured output (guided_*, response_format) cannot be combined with tool_choice.", "tool_choice");
        Constraints c = Constraints.of(tok);
        try {
            if (choice.isTextual() && choice.asText().equals("auto")) {
                if (ctx.toolParser() == null)
                    throw ApiException.badRequest("\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set.", "tool_choice");
                return new Plan(Mode.AUTO, null, null);
            }
            if (choice.isTextual() && choice.asText().equals("required")) {
                ArrayNode any = JSON.createArrayNode();
                for (JsonNode fn : functions) {
                    ObjectNode o = any.addObject();
                    o.put("type", "object");
                    ObjectNode props = o.putObject("properties");
                    props.putObject("name").put("const", fn.get("name").asText());
                    props.set("arguments", parameters(fn));
                    o.putArray("required").add("name").add("arguments");
                }
                ObjectNode schema = JSON.createObjectNode();
                schema.set("anyOf", any);
                return new Plan(Mode.REQUIRED, null, c.jsonSchema(schema, null));
            }
            if (choice.isObject() && "function".equals(choice.path("type").asText()) && choice.path("function").path("name").isTextual()) {
                String name = choice.path("function").path("name").asText();
                for (JsonNode fn : functions)
                    if (fn.get("name").asText().equals(name)) return new Plan(Mode.NAMED, name, c.jsonSchema(parameters(fn), null));
                throw ApiException.badRequest("Tool '" + name + "' has not been passed in `tools`.", "tool_choice");
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("Invalid tool parameters schema: " + e.getMessage(), "tools");
        }
        throw ApiException.badRequest("tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice");
    }

    private static JsonNode parameters(JsonNode fn) {
        JsonNode p = fn.get("parameters");
        return p == null || p.isNull() ? JSON.createObjectNode().put("type", "object") : p;
    }

    static String newId() {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        return b.toString();
    }

    /** The calls in a finished output, and what text remains as content (null when none). */
    record Parsed(List<Call> calls, String content) {}

    static Parsed parse(Plan plan, String text, String parser) {
        List<Call> calls = new ArrayList<>();
        switch (plan.mode()) {
            case NAMED -> calls.add(new Call(newId(), plan.name(), text));
            case REQUIRED -> {
                try {
                    JsonNode o = JSON.readTree(text);
                    calls.add(new Call(newId(), o.path("name").asText(), JSON.writeValueAsString(o.path("arguments"))));
                } catch (Exception e) {
                    return new Parsed(calls, text);  // cut off by max_tokens: no complete call
                }
            }
            case AUTO -> {
                return "hermes".equals(parser) ? hermes(text) : llama3Json(text);
            }
            default -> {
                return new Parsed(calls, text);
            }
        }
        return new Parsed(calls, null);
    }

    private static final Pattern HERMES = Pattern.compile("<tool_call>\\s*(\\{.*?\\})\\s*</tool_call>", Pattern.DOTALL);

    /** Hermes / Qwen style: <tool_call>{"name": ..., "arguments": {...}}</tool_call>, anywhere in the text. */
    static Parsed hermes(String text) {
        List<Call> calls = new ArrayList<>();
        Matcher m = HERMES.matcher(text);
        StringBuilder rest = new StringBuilder();
        int last = 0;
        while (m.find()) {
            try {
                JsonNode o = JSON.readTree(m.group(1));
                if (!o.path("name").isTextual()) continue;
                calls.add(new Call(newId(), o.get("name").asText(), JSON.writeValueAsString(o.has("arguments") ? o.get("arguments") : JSON.createObjectNode())));
                rest.append(text, last, m.start());
                last = m.end();
            } catch (Exception ignored) {
                // not a JSON call: leave it in the content
            }
        }
        rest.append(text.substring(last));
        String content = rest.toString().strip();
        return new Parsed(calls, calls.isEmpty() ? text : content.isEmpty() ? null : content);
    }

    /** Llama 3.x JSON style: the whole reply is {"name": ..., "parameters": {...}} (several separated by ';'). */
    static Parsed llama3Json(String text) {
        List<Call> calls = new ArrayList<>();
        String t = text.strip();
        if (t.startsWith("<|python_tag|>")) t = t.substring("<|python_tag|>".length()).strip();
        if (!t.startsWith("{")) return new Parsed(calls, text);
        for (String part : t.split(";(?=\\s*\\{)")) {
            try {
                JsonNode o = JSON.readTree(part);
                JsonNode args = o.has("parameters") ? o.get("parameters") : o.get("arguments");
                if (!o.path("name").isTextual() || args == null) return new Parsed(List.of(), text);
                calls.add(new Call(newId(), o.get("name").asText(), JSON.writeValueAsString(args)));
            } catch (Exception e) {
                return new Parsed(List.of(), text);
            }
        }
        return new Parsed(calls, null);
    }

    static ArrayNode toJson(List<Call> calls, boolean withIndex) {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            ObjectNode o = a.addObject();
            if (withIndex) o.put("index", i);
            o.put("id", c.id()).put("type", "function");
            o.putObject("function").put("name", c.name()).put("arguments", c.arguments());
        }
        return a;
    }
}
