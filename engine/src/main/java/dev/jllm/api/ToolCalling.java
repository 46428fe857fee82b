package dev.jllm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calls in generated text, for applications (and the LangChain4j / Spring AI adapters) that call tools through
 * {@link Jllm}: a JSON schema that forces exactly one call (vLLM's tool_choice "required": {"name", "arguments"} of
 * any one tool, for {@link Jllm#constraints()}), and the hermes markup
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} that tool-trained models (Qwen, Hermes) write.
 */
public final class ToolCalling {
    /** Where hermes markup opens. */
    public static final String OPEN = "<tool_call>";
    private static final Pattern HERMES = Pattern.compile("<tool_call>\\s*(\\{.*?\\})\\s*</tool_call>", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ToolCalling() {}

    /**
     * One call.
     *
     * @param id        "call_" and 24 random letters and digits
     * @param name      the tool's name
     * @param arguments the arguments as a JSON object's text
     */
    public record ToolCall(String id, String name, String arguments) {}

    /**
     * What a reply holds.
     *
     * @param calls   the calls found, in order
     * @param content the text outside them, stripped; null when there is none; the whole reply when no call was found
     */
    public record Parsed(List<ToolCall> calls, String content) {}

    /**
     * The schema of exactly one call: anyOf per tool {"name": its name, "arguments": its parameters}; a tool
     * without parameters takes {}.
     *
     * @param parametersByName each tool's name and its JSON schema of parameters (an object schema), in order
     * @return the schema, for {@code Jllm.constraints().jsonSchema(schema, null)}
     */
    public static ObjectNode requiredSchema(Map<String, JsonNode> parametersByName) {
        ObjectNode schema = JSON.createObjectNode();
        ArrayNode any = schema.putArray("anyOf");
        for (var t : parametersByName.entrySet()) {
            ObjectNode o = any.addObject().put("type", "object");
            ObjectNode props = o.putObject("properties");
            props.putObject("name").put("const", t.getKey());
            JsonNode params = t.getValue();
            props.set("arguments", params == null || params.path("properties").isEmpty()
                    ? JSON.createObjectNode().set("const", JSON.createObjectNode()) : params);
            o.putArray("required").add("name").add("arguments");
        }
        return schema;
    }

    /**
     * The one call of an output constrained by {@link #requiredSchema}.
     *
     * @param text the generated text
     * @return the call, or null when the text was cut off (max tokens) before its JSON closed
     */
    public static ToolCall required(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            return call(o.path("name").asText(), JSON.writeValueAsString(o.path("arguments")));
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The calls of a finished reply: with {@code required} the one call of an output constrained by
     * {@link #requiredSchema} (no call and the text as content when it was cut off before its JSON closed), else
     * the hermes markup in it.
     *
     * @param required whether generation was constrained to one call
     * @param text     the generated text
     * @return the calls and the rest
     */
    public static Parsed read(boolean required, String text) {
        if (!required) return hermes(text);
        ToolCall call = required(text);
        return call == null ? new Parsed(List.of(), text) : new Parsed(List.of(call), null);
    }

    /**
     * Hermes markup anywhere in a reply; markup that is not a JSON object with a string "name" stays in the text.
     *
     * @param text the generated text
     * @return the calls and the rest
     */
    public static Parsed hermes(String text) {
        List<ToolCall> calls = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        Matcher m = HERMES.matcher(text);
        int last = 0;
        while (m.find()) {
            try {
                JsonNode o = JSON.readTree(m.group(1));
                if (!o.path("name").isTextual()) continue;
                JsonNode args = o.has("arguments") ? o.get("arguments") : JSON.createObjectNode();
                calls.add(call(o.get("name").asText(), JSON.writeValueAsString(args)));
                rest.append(text, last, m.start());
                last = m.end();
            } catch (Exception notJson) {
                // not a call: it stays in the answer
            }
        }
        if (calls.isEmpty()) return new Parsed(calls, text);
        String content = rest.append(text.substring(last)).toString().strip();
        return new Parsed(calls, content.isEmpty() ? null : content);
    }

    /**
     * How much of a text being streamed can be shown as text: all of it up to where hermes markup starts or may
     * start (a suffix that is a prefix of {@link #OPEN} is held back until the next delta decides).
     *
     * @param text the text generated so far
     * @return the number of leading characters that are text for sure
     */
    public static int showable(CharSequence text) {
        String s = text.toString();
        int open = s.indexOf(OPEN);
        if (open >= 0) return open;
        for (int k = Math.min(OPEN.length() - 1, s.length()); k > 0; k--)
            if (s.endsWith(OPEN.substring(0, k))) return s.length() - k;
        return s.length();
    }

    private static ToolCall call(String name, String arguments) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) id.append(chars.charAt(RANDOM.nextInt(chars.length())));
        return new ToolCall(id.toString(), name, arguments);
    }
}
