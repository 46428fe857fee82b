package dev.jllm.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.api.Jllm;
import dev.jllm.api.ToolCalling;
import dev.jllm.engine.SamplingParams;
import java.util.List;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.tool.ToolCallback;

/**
 * One prompt planned for the engine: the prompt's token ids (messages and tools through the chat template),
 * sampling parameters, and how tool calls are read from the output.
 *
 * @param promptIds the rendered prompt
 * @param params    sampling parameters (with a constraint for a required tool call or an output schema)
 * @param mode      TEXT (no tools), AUTO (hermes markup parsed), REQUIRED (the output is one call's JSON)
 * @param model     the model name responses carry
 */
record Turn(int[] promptIds, SamplingParams params, Mode mode, String model) {
    enum Mode { TEXT, AUTO, REQUIRED }

    static Turn plan(Jllm llm, List<Message> messages, JllmChatOptions o) {
        List<ToolCallback> tools = o.getToolCallbacks() == null ? List.of() : o.getToolCallbacks();
        // 1. tool mode: "required" forces a call unless the conversation ends with tool results (then the model
        //    answers, so ChatClient's tool loop ends); "none" shows the tools only
        String choice = o.getToolChoice() == null ? "auto" : o.getToolChoice();
        boolean afterResults = !messages.isEmpty() && messages.getLast() instanceof ToolResponseMessage;
        Mode mode = tools.isEmpty() || choice.equals("none") ? Mode.TEXT
                : choice.equals("required") && !afterResults ? Mode.REQUIRED : Mode.AUTO;
        // 2. the prompt
        int[] ids = llm.chatPrompt(Messages.toMaps(messages), tools.isEmpty() ? null : Messages.tools(tools));
        // 3. sampling parameters; max tokens defaults to the rest of the context
        SamplingParams.Builder b = SamplingParams.builder();
        if (o.getTemperature() != null) b.temperature = o.getTemperature().floatValue();
        if (o.getTopP() != null) b.topP = o.getTopP().floatValue();
        if (o.getTopK() != null) b.topK = o.getTopK();
        if (o.getFrequencyPenalty() != null) b.frequencyPenalty = o.getFrequencyPenalty().floatValue();
        if (o.getPresencePenalty() != null) b.presencePenalty = o.getPresencePenalty().floatValue();
        if (o.getStopSequences() != null) b.stop = List.copyOf(o.getStopSequences());
        b.maxTokens = o.getMaxTokens() != null ? o.getMaxTokens() : Math.max(1, llm.info().maxModelLen() - ids.length);
        b.seed = o.getSeed();
        // 4. constraints: a tool call's JSON, else the output schema (it shapes answers, not tool-call turns)
        try {
            if (mode == Mode.REQUIRED) b.constraint = llm.constraints().jsonSchema(ToolCalls.requiredSchema(tools), null);
            else if (o.getOutputSchema() != null) b.constraint = llm.constraints().jsonSchema(strict(Messages.schema(o.getOutputSchema())), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("jllm cannot constrain to this JSON schema: " + e.getMessage(), e);
        }
        return new Turn(ids, b.build(), mode, o.getModel() == null ? "jllm" : o.getModel());
    }

    /**
     * Every property of every object required, as OpenAI's strict structured outputs (a small model would often
     * leave optional ones out); "$schema" dropped.
     */
    static JsonNode strict(JsonNode schema) {
        JsonNode copy = schema.deepCopy();
        require(copy);
        if (copy instanceof ObjectNode o) o.remove("$schema");
        return copy;
    }

    private static void require(JsonNode n) {
        if (n instanceof ObjectNode o && o.get("properties") instanceof ObjectNode props && !props.isEmpty()) {
            var req = o.putArray("required");
            props.fieldNames().forEachRemaining(req::add);
        }
        for (JsonNode child : n) require(child);
    }

    /** The finished output as Spring AI's response: tool calls read as this turn's mode says. */
    ChatResponse response(String text, String finishReason, int promptTokens, int completionTokens, String id) {
        ToolCalling.Parsed parsed = mode == Mode.TEXT ? new ToolCalling.Parsed(List.of(), text) : ToolCalling.read(mode == Mode.REQUIRED, text);
        List<AssistantMessage.ToolCall> calls = ToolCalls.toolCalls(parsed.calls());
        String content = parsed.content();
        String finish = !calls.isEmpty() ? "TOOL_CALLS" : "length".equals(finishReason) ? "LENGTH" : "STOP";
        AssistantMessage message = AssistantMessage.builder().content(content).toolCalls(calls).build();
        return new ChatResponse(List.of(new Generation(message, ChatGenerationMetadata.builder().finishReason(finish).build())),
                ChatResponseMetadata.builder().id(id).model(model).usage(new DefaultUsage(promptTokens, completionTokens)).build());
    }
}
