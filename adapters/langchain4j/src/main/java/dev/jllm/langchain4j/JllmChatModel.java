package dev.jllm.langchain4j;

import dev.jllm.api.Completion;
import dev.jllm.api.Jllm;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * LangChain4j's {@link ChatModel} over an in-process {@link Jllm}, which the application loads and closes (one
 * Jllm serves any number of these, batching their requests together); {@link #streaming()} is the
 * {@link dev.langchain4j.model.chat.StreamingChatModel} with the same defaults.
 *
 * <pre>{@code
 * JllmChatModel model = JllmChatModel.builder(llm).temperature(0.0).maxTokens(256).build();
 * Assistant a = AiServices.builder(Assistant.class).chatModel(model).tools(new Calculator()).build();
 * }</pre>
 *
 * Messages (system, user text, AI with tool execution requests, tool results) are rendered with the model's chat
 * template, tools included. Parameters: temperature, topP, topK, maxOutputTokens (default: the rest of the
 * context), stopSequences, frequency and presence penalty; a seed on the builder. A JSON response format is a
 * constraint on the output (its JSON schema, or any JSON object without one); as in OpenAI's strict structured
 * outputs, every property of its objects is required (AiServices' schemas of Java classes mark none required).
 * <p>
 * Tool choice: REQUIRED constrains the output to one call's JSON ({"name": a tool's name, "arguments": its
 * parameters}) and returns it as a ToolExecutionRequest — except when the conversation already ends with tool
 * results: then the model writes its answer (as AUTO), so AiServices' tool loop ends. AUTO (the default)
 * generates freely and reads hermes markup ({@code <tool_call>{"name":..., "arguments":...}</tool_call>}, what
 * tool-trained models write) as tool calls. NONE shows the tools to the template only.
 */
public final class JllmChatModel implements ChatModel {
    private final Jllm llm;
    private final ChatRequestParameters defaults;
    private final Long seed;
    private final List<ChatModelListener> listeners;

    private JllmChatModel(Builder b) {
        this.llm = Objects.requireNonNull(b.llm, "llm");
        this.defaults = b.parameters.build();
        this.seed = b.seed;
        this.listeners = List.copyOf(b.listeners);
    }

    /**
     * A builder over a loaded model.
     *
     * @param llm the model; the application closes it
     * @return the builder
     */
    public static Builder builder(Jllm llm) {
        return new Builder(llm);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Turn t = Turn.plan(llm, request, seed);
        Completion c = llm.generate(t.promptIds(), t.params());
        return t.response(c.text(), c.finishReason(), c.promptTokens(), c.completionTokens(), c.requestId(), defaults.modelName());
    }

    /**
     * The streaming model with this model's defaults (same Jllm).
     *
     * @return a StreamingChatModel
     */
    public JllmStreamingChatModel streaming() {
        return new JllmStreamingChatModel(llm, defaults, seed, listeners);
    }

    /** Defaults of every request (a request's own parameters override them). */
    public static final class Builder {
        private final Jllm llm;
        private final DefaultChatRequestParameters.Builder<?> parameters = ChatRequestParameters.builder().modelName("jllm");
        private Long seed;
        private List<ChatModelListener> listeners = List.of();

        private Builder(Jllm llm) {
            this.llm = llm;
        }

        /**
         * Default parameters; the builder's other setters then override parts of them.
         *
         * @param p the parameters
         * @return this builder
         */
        public Builder defaultRequestParameters(ChatRequestParameters p) {
            parameters.overrideWith(p);
            return this;
        }

        /**
         * The name responses carry.
         *
         * @param name e.g. the model's file name
         * @return this builder
         */
        public Builder modelName(String name) { parameters.modelName(name); return this; }

        /**
         * Sampling temperature (0 = greedy; jllm's default 1.0).
         *
         * @param t the temperature
         * @return this builder
         */
        public Builder temperature(Double t) { parameters.temperature(t); return this; }

        /**
         * Nucleus sampling.
         *
         * @param p the probability mass kept
         * @return this builder
         */
        public Builder topP(Double p) { parameters.topP(p); return this; }

        /**
         * Top-k sampling.
         *
         * @param k the tokens kept (-1 = all)
         * @return this builder
         */
        public Builder topK(Integer k) { parameters.topK(k); return this; }

        /**
         * Tokens to generate at most (default: the rest of the context).
         *
         * @param n the limit
         * @return this builder
         */
        public Builder maxTokens(Integer n) { parameters.maxOutputTokens(n); return this; }

        /**
         * Strings that end the output (not included in it).
         *
         * @param stop the strings
         * @return this builder
         */
        public Builder stopSequences(List<String> stop) { parameters.stopSequences(stop); return this; }

        /**
         * The default tool choice (AUTO, REQUIRED or NONE; see the class comment).
         *
         * @param choice the choice
         * @return this builder
         */
        public Builder toolChoice(ToolChoice choice) { parameters.toolChoice(choice); return this; }

        /**
         * The seed of every request's generator (reproducible sampling); null for the engine's.
         *
         * @param s the seed
         * @return this builder
         */
        public Builder seed(Long s) { this.seed = s; return this; }

        /**
         * Listeners of requests and responses.
         *
         * @param l the listeners
         * @return this builder
         */
        public Builder listeners(List<ChatModelListener> l) { this.listeners = l; return this; }

        /**
         * The model.
         *
         * @return the chat model (both blocking and streaming)
         */
        public JllmChatModel build() {
            return new JllmChatModel(this);
        }
    }
}
