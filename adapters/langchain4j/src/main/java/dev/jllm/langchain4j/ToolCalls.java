package dev.jllm.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.api.ToolCalling;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link ToolCalling} in LangChain4j's types. */
final class ToolCalls {
    private ToolCalls() {}

    /** The schema of exactly one call of one of these tools. */
    static ObjectNode requiredSchema(List<ToolSpecification> tools) {
        Map<String, JsonNode> params = new LinkedHashMap<>();
        for (ToolSpecification t : tools) params.put(t.name(), Messages.parameters(t));
        return ToolCalling.requiredSchema(params);
    }

    static List<ToolExecutionRequest> requests(List<ToolCalling.ToolCall> calls) {
        return calls.stream().map(c -> ToolExecutionRequest.builder().id(c.id()).name(c.name()).arguments(c.arguments()).build()).toList();
    }
}
