package dev.jllm.springai;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

/**
 * Options of {@link JllmChatModel}: Spring AI's chat options (temperature, topP, topK, maxTokens, stopSequences,
 * frequency and presence penalty), tools (ToolCallingChatOptions), a JSON schema the output must follow
 * (StructuredOutputChatOptions: ChatClient's {@code entity(...)} with native structured output), and jllm's own:
 * a seed and a tool choice ("auto", "required", "none"; see {@link JllmChatModel}).
 */
public class JllmChatOptions extends DefaultToolCallingChatOptions implements StructuredOutputChatOptions {
    private final @Nullable String outputSchema;
    private final @Nullable Long seed;
    private final @Nullable String toolChoice;

    JllmChatOptions(Builder b) {
        super(b.toolCallbacksValue(), b.toolContextValue(), b.modelValue(), b.frequencyPenaltyValue(), b.maxTokensValue(),
                b.presencePenaltyValue(), b.stopSequencesValue(), b.temperatureValue(), b.topKValue(), b.topPValue());
        this.outputSchema = b.outputSchema;
        this.seed = b.seed;
        this.toolChoice = b.toolChoice;
    }

    /**
     * A builder with nothing set.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public @Nullable String getOutputSchema() {
        return outputSchema;
    }

    /**
     * The seed of the request's generator (reproducible sampling), or null for the engine's.
     *
     * @return the seed
     */
    public @Nullable Long getSeed() {
        return seed;
    }

    /**
     * "auto" (default), "required" or "none".
     *
     * @return the tool choice, or null
     */
    public @Nullable String getToolChoice() {
        return toolChoice;
    }

    @Override
    public Builder mutate() {
        return builder().model(getModel()).frequencyPenalty(getFrequencyPenalty()).maxTokens(getMaxTokens())
                .presencePenalty(getPresencePenalty()).stopSequences(getStopSequences()).temperature(getTemperature())
                .topK(getTopK()).topP(getTopP()).toolCallbacks(getToolCallbacks()).toolContext(getToolContext())
                .outputSchema(outputSchema).seed(seed).toolChoice(toolChoice);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return super.equals(o) && o instanceof JllmChatOptions that && Objects.equals(outputSchema, that.outputSchema)
                && Objects.equals(seed, that.seed) && Objects.equals(toolChoice, that.toolChoice);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), outputSchema, seed, toolChoice);
    }

    /** Builder of {@link JllmChatOptions}; {@code combineWith} takes the other builder's non-null values. */
    public static class Builder extends DefaultToolCallingChatOptions.Builder<Builder> implements StructuredOutputChatOptions.Builder<Builder> {
        @Nullable String outputSchema;
        @Nullable Long seed;
        @Nullable String toolChoice;

        /** A builder with nothing set. */
        public Builder() {}

        @Override
        public Builder outputSchema(@Nullable String schema) {
            this.outputSchema = schema;
            return this;
        }

        /**
         * Sets {@link JllmChatOptions#getSeed()}.
         *
         * @param s the seed
         * @return this builder
         */
        public Builder seed(@Nullable Long s) {
            this.seed = s;
            return this;
        }

        /**
         * Sets {@link JllmChatOptions#getToolChoice()}.
         *
         * @param choice "auto", "required" or "none"
         * @return this builder
         */
        public Builder toolChoice(@Nullable String choice) {
            if (choice != null && !List.of("auto", "required", "none").contains(choice))
                throw new IllegalArgumentException("toolChoice must be \"auto\", \"required\" or \"none\", got " + choice);
            this.toolChoice = choice;
            return this;
        }

        @Override
        public Builder clone() {
            Builder copy = super.clone();
            copy.outputSchema = outputSchema;
            copy.seed = seed;
            copy.toolChoice = toolChoice;
            return copy;
        }

        @Override
        public Builder combineWith(ChatOptions.Builder<?> other) {
            super.combineWith(other);
            if (other instanceof Builder that) {
                if (that.outputSchema != null) outputSchema = that.outputSchema;
                if (that.seed != null) seed = that.seed;
                if (that.toolChoice != null) toolChoice = that.toolChoice;
            }
            return this;
        }

        @Override
        public JllmChatOptions build() {
            return new JllmChatOptions(this);
        }

        @Nullable String modelValue() { return model; }
        @Nullable Double frequencyPenaltyValue() { return frequencyPenalty; }
        @Nullable Integer maxTokensValue() { return maxTokens; }
        @Nullable Double presencePenaltyValue() { return presencePenalty; }
        @Nullable List<String> stopSequencesValue() { return stopSequences; }
        @Nullable Double temperatureValue() { return temperature; }
        @Nullable Integer topKValue() { return topK; }
        @Nullable Double topPValue() { return topP; }
        @Nullable List<ToolCallback> toolCallbacksValue() { return toolCallbacks; }
        @Nullable Map<String, Object> toolContextValue() { return toolContext; }
    }
}
