package dev.jllm.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** LangChain4j messages and tools as the OpenAI-shaped maps {@code Jllm.chat} renders with the chat template. */
final class Messages {
    private Messages() {}

    static List<Map<String, Object>> toMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            switch (m) {
                case SystemMessage s -> {
                    map.put("role", "system");
                    map.put("content", s.text());
                }
                case UserMessage u -> {
                    map.put("role", "user");
                    map.put("content", text(u.contents()));
                }
                case AiMessage a -> {
                    map.put("role", "assistant");
                    map.put("content", a.text() == null ? "" : a.text());
                    if (a.hasToolExecutionRequests()) {
                        List<Map<String, Object>> calls = new ArrayList<>();
                        for (ToolExecutionRequest r : a.toolExecutionRequests())
                            calls.add(Map.of("id", r.id() == null ? "" : r.id(), "type", "function",
                                    "function", Map.of("name", r.name(), "arguments", r.arguments() == null ? "{}" : r.arguments())));
                        map.put("tool_calls", calls);
                    }
                }
                case ToolExecutionResultMessage t -> {
                    map.put("role", "tool");
                    if (t.id() != null) map.put("tool_call_id", t.id());
                    if (t.toolName() != null) map.put("name", t.toolName());
                    map.put("content", t.text());
                }
                default -> throw new IllegalArgumentException("jllm cannot render a " + m.type() + " message");
            }
            out.add(map);
        }
        return out;
    }

    /** The text parts of a user message; jllm's models read text only. */
    private static String text(List<Content> contents) {
        StringBuilder b = new StringBuilder();
        for (Content c : contents) {
            if (!(c instanceof TextContent t))
                throw new IllegalArgumentException("jllm's models read text only, not " + c.type() + " content");
            if (!b.isEmpty()) b.append('\n');
            b.append(t.text());
        }
        return b.toString();
    }

    /** OpenAI function tools: {"type":"function","function":{"name","description","parameters"}}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> tools(List<ToolSpecification> specs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolSpecification s : specs) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", s.name());
            if (s.description() != null) fn.put("description", s.description());
            fn.put("parameters", JsonSchemas.JSON.convertValue(parameters(s), Map.class));
            out.add(Map.of("type", "function", "function", fn));
        }
        return out;
    }

    /** A tool's parameters schema; a tool without parameters takes an empty object. */
    static com.fasterxml.jackson.databind.node.ObjectNode parameters(ToolSpecification s) {
        if (s.parameters() == null) {
            var empty = JsonSchemas.JSON.createObjectNode().put("type", "object");
            empty.putObject("properties");
            return empty;
        }
        return JsonSchemas.toJson(s.parameters());
    }
}
