package dev.jllm.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.tool.ToolCallback;

/**
 * Tool calls in the model's output: a JSON schema that forces one call ({"name", "arguments"} of any one tool, as
 * vLLM's tool_choice "required"), and the hermes markup {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}
 * that tool-trained models (Qwen, Hermes) write on their own.
 */
final class ToolCalls {
    static final String OPEN = "<tool_call>";
    private static final Pattern HERMES = Pattern.compile("<tool_call>\\s*(\\{.*?\\})\\s*</tool_call>", Pattern.DOTALL);
    private static final SecureRandom RANDOM = new SecureRandom();

    private ToolCalls() {}

    /** The calls found and the text left as the answer (null when none). */
    record Parsed(List<AssistantMessage.ToolCall> calls, String content) {}

    /** anyOf per tool: {"name": its name, "arguments": its parameters}; a tool without parameters takes {}. */
    static ObjectNode requiredSchema(List<ToolCallback> tools) {
        ObjectNode schema = Messages.JSON.createObjectNode();
        ArrayNode any = schema.putArray("anyOf");
        for (ToolCallback t : tools) {
            ObjectNode o = any.addObject().put("type", "object");
            ObjectNode props = o.putObject("properties");
            props.putObject("name").put("const", t.getToolDefinition().name());
            ObjectNode params = Messages.parameters(t.getToolDefinition());
            props.set("arguments", params.path("properties").isEmpty() ? Messages.JSON.createObjectNode().set("const", Messages.JSON.createObjectNode()) : params);
            o.putArray("required").add("name").add("arguments");
        }
        return schema;
    }

    /** The one call of a constrained output, or null when it was cut off (max tokens) before the JSON closed. */
    static AssistantMessage.ToolCall required(String text) {
        try {
            JsonNode o = Messages.JSON.readTree(text);
            return call(o.path("name").asText(), Messages.JSON.writeValueAsString(o.path("arguments")));
        } catch (Exception e) {
            return null;
        }
    }

    /** Hermes markup anywhere in the text; the rest is the answer. */
    static Parsed hermes(String text) {
        List<AssistantMessage.ToolCall> calls = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        Matcher m = HERMES.matcher(text);
        int last = 0;
        while (m.find()) {
            try {
                JsonNode o = Messages.JSON.readTree(m.group(1));
                if (!o.path("name").isTextual()) continue;
                JsonNode args = o.has("arguments") ? o.get("arguments") : Messages.JSON.createObjectNode();
                calls.add(call(o.get("name").asText(), Messages.JSON.writeValueAsString(args)));
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

    /** How much of a streamed text can be shown: all of it up to where hermes markup starts or may start. */
    static int showable(CharSequence text) {
        String s = text.toString();
        int open = s.indexOf(OPEN);
        if (open >= 0) return open;
        for (int k = Math.min(OPEN.length() - 1, s.length()); k > 0; k--)
            if (s.endsWith(OPEN.substring(0, k))) return s.length() - k;
        return s.length();
    }

    private static AssistantMessage.ToolCall call(String name, String arguments) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) id.append(chars.charAt(RANDOM.nextInt(chars.length())));
        return new AssistantMessage.ToolCall(id.toString(), "function", name, arguments);
    }
}
