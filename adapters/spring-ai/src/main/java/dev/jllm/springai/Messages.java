package dev.jllm.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;

/** Spring AI messages and tools as the OpenAI-shaped maps {@code Jllm.chat} renders with the chat template. */
final class Messages {
    static final ObjectMapper JSON = new ObjectMapper();

    private Messages() {}

    static List<Map<String, Object>> toMaps(List<Message> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : messages) {
            switch (m) {
                case SystemMessage s -> out.add(message("system", s.getText()));
                case UserMessage u -> {
                    if (!u.getMedia().isEmpty())
                        throw new IllegalArgumentException("jllm's models read text only, not " + u.getMedia().getFirst().getMimeType() + " media");
                    out.add(message("user", u.getText()));
                }
                case AssistantMessage a -> {
                    Map<String, Object> map = message("assistant", a.getText() == null ? "" : a.getText());
                    if (a.hasToolCalls()) {
                        List<Map<String, Object>> calls = new ArrayList<>();
                        for (AssistantMessage.ToolCall c : a.getToolCalls())
                            calls.add(Map.of("id", c.id(), "type", "function", "function", Map.of("name", c.name(), "arguments", c.arguments())));
                        map.put("tool_calls", calls);
                    }
                    out.add(map);
                }
                case ToolResponseMessage t -> {
                    for (ToolResponseMessage.ToolResponse r : t.getResponses()) {
                        Map<String, Object> map = message("tool", r.responseData());
                        map.put("tool_call_id", r.id());
                        map.put("name", r.name());
                        out.add(map);
                    }
                }
                default -> throw new IllegalArgumentException("jllm cannot render a " + m.getMessageType() + " message");
            }
        }
        return out;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", role);
        map.put("content", content == null ? "" : content);
        return map;
    }

    /** OpenAI function tools: {"type":"function","function":{"name","description","parameters"}}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> tools(List<ToolCallback> callbacks) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolCallback cb : callbacks) {
            ToolDefinition d = cb.getToolDefinition();
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", d.name());
            if (d.description() != null) fn.put("description", d.description());
            fn.put("parameters", JSON.convertValue(parameters(d), Map.class));
            out.add(Map.of("type", "function", "function", fn));
        }
        return out;
    }

    /** A tool's input schema (JSON text in Spring AI) as JSON; "$schema" dropped. */
    static ObjectNode parameters(ToolDefinition d) {
        JsonNode n = schema(d.inputSchema());
        ObjectNode o = n.isObject() ? ((ObjectNode) n).deepCopy() : JSON.createObjectNode().put("type", "object");
        o.remove("$schema");
        return o;
    }

    static JsonNode schema(String text) {
        try {
            return JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("a JSON schema is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
