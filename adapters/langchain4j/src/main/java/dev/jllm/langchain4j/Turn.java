package dev.jllm.langchain4j;

import dev.jllm.api.Jllm;
import dev.jllm.api.ToolCalling;
import dev.jllm.engine.SamplingParams;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.List;

/**
 * One chat request planned for the engine: the prompt's token ids (messages and tools through the chat template),
 * sampling parameters, and how tool calls are read from the output.
 *
 * @param promptIds the rendered prompt
 * @param params    sampling parameters (with a constraint for a required tool call or a JSON response format)
 * @param mode      TEXT (no tools), AUTO (hermes markup parsed), REQUIRED (the output is one call's JSON)
 */
record Turn(int[] promptIds, SamplingParams params, Mode mode) {
    enum Mode { TEXT, AUTO, REQUIRED }

    static Turn plan(Jllm llm, ChatRequest r, Long seed) {
        ChatRequestParameters p = r.parameters();
        List<ToolSpecification> tools = p.toolSpecifications() == null ? List.of() : p.toolSpecifications();
        // 1. tool mode: REQUIRED forces a call unless the conversation ends with tool results (then the model answers,
        //    so AiServices' tool loop ends, as the OpenAI Agents SDK resets tool_choice); NONE shows the tools only
        boolean afterResults = !r.messages().isEmpty() && r.messages().getLast() instanceof ToolExecutionResultMessage;
        Mode mode = tools.isEmpty() || p.toolChoice() == ToolChoice.NONE ? Mode.TEXT
                : p.toolChoice() == ToolChoice.REQUIRED && !afterResults ? Mode.REQUIRED : Mode.AUTO;
        // 2. the prompt
        int[] ids = llm.chatPrompt(Messages.toMaps(r.messages()), tools.isEmpty() ? null : Messages.tools(tools));
        // 3. sampling parameters; max tokens defaults to the rest of the context
        SamplingParams.Builder b = SamplingParams.builder();
        if (p.temperature() != null) b.temperature = p.temperature().floatValue();
        if (p.topP() != null) b.topP = p.topP().floatValue();
        if (p.topK() != null) b.topK = p.topK();
        if (p.frequencyPenalty() != null) b.frequencyPenalty = p.frequencyPenalty().floatValue();
        if (p.presencePenalty() != null) b.presencePenalty = p.presencePenalty().floatValue();
        if (p.stopSequences() != null) b.stop = List.copyOf(p.stopSequences());
        b.maxTokens = p.maxOutputTokens() != null ? p.maxOutputTokens() : Math.max(1, llm.info().maxModelLen() - ids.length);
        b.seed = seed;
        // 4. constraints: a tool call's JSON, else the response format (it shapes answers, not tool-call turns)
        ResponseFormat format = p.responseFormat();
        try {
            if (mode == Mode.REQUIRED) b.constraint = llm.constraints().jsonSchema(ToolCalls.requiredSchema(tools), null);
            else if (format != null && format.type() == ResponseFormatType.JSON)
                b.constraint = format.jsonSchema() == null ? llm.constraints().jsonObject(null)
                        : llm.constraints().jsonSchema(JsonSchemas.toJson(format.jsonSchema().rootElement(), true), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("jllm cannot constrain to this JSON schema: " + e.getMessage(), e);
        }
        return new Turn(ids, b.build(), mode);
    }

    /** The finished output as LangChain4j's response: tool calls read as this turn's mode says. */
    ChatResponse response(String text, String finishReason, int promptTokens, int completionTokens, String id, String modelName) {
        ToolCalling.Parsed parsed = mode == Mode.TEXT ? new ToolCalling.Parsed(List.of(), text) : ToolCalling.read(mode == Mode.REQUIRED, text);
        List<ToolExecutionRequest> calls = ToolCalls.requests(parsed.calls());
        String content = parsed.content();
        FinishReason finish = !calls.isEmpty() ? FinishReason.TOOL_EXECUTION
                : "length".equals(finishReason) ? FinishReason.LENGTH : FinishReason.STOP;
        AiMessage message = calls.isEmpty() ? AiMessage.from(content) : AiMessage.from(content, calls);
        return ChatResponse.builder().aiMessage(message).id(id).modelName(modelName)
                .tokenUsage(new TokenUsage(promptTokens, completionTokens)).finishReason(finish).build();
    }
}
