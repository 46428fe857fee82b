package dev.jllm.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.api.ToolCalling;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.tool.ToolCallback;

/** {@link ToolCalling} in Spring AI's types. */
final class ToolCalls {
    private ToolCalls() {}

    /** The schema of exactly one call of one of these tools. */
    static ObjectNode requiredSchema(List<ToolCallback> tools) {
        Map<String, JsonNode> params = new LinkedHashMap<>();
        for (ToolCallback t : tools) params.put(t.getToolDefinition().name(), Messages.parameters(t.getToolDefinition()));
        return ToolCalling.requiredSchema(params);
    }

    static List<AssistantMessage.ToolCall> toolCalls(List<ToolCalling.ToolCall> calls) {
        return calls.stream().map(c -> new AssistantMessage.ToolCall(c.id(), "function", c.name(), c.arguments())).toList();
    }
}
