package dev.jllm.springai;

import dev.jllm.api.Completion;
import dev.jllm.api.CompletionStream;
import dev.jllm.api.Jllm;
import java.util.List;
import java.util.Objects;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Spring AI's {@link ChatModel} over an in-process {@link Jllm}, which the application loads and closes (one Jllm
 * serves any number of these, batching their requests together).
 *
 * <pre>{@code
 * ChatModel model = new JllmChatModel(llm, JllmChatOptions.builder().temperature(0.0).maxTokens(256).build());
 * ChatClient chat = ChatClient.builder(model).defaultAdvisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT).build();
 * Pet pet = chat.prompt().user("Describe a pet.").call().entity(Pet.class);
 * }</pre>
 *
 * Messages (system, user text, assistant with tool calls, tool responses) are rendered with the model's chat
 * template, tools included; {@link JllmChatOptions} (the prompt's options over this model's defaults) become the
 * sampling parameters, maxTokens defaulting to the rest of the context. An output schema (native structured
 * output: {@code AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT} or {@code entity(type,
 * spec -> spec.useProviderStructuredOutput())}) constrains the output to it, every property required as in
 * OpenAI's strict mode. Tool choice "required" constrains the output to one call's JSON ({"name", "arguments"})
 * unless the conversation already ends with tool responses (then the model answers, so ChatClient's tool loop
 * ends); "auto" (default) reads hermes markup ({@code <tool_call>{...}</tool_call>}) as tool calls. Responses
 * carry usage (prompt and completion tokens) and a finish reason: STOP, LENGTH or TOOL_CALLS.
 * <p>
 * {@link #stream} emits a ChatResponse per engine step (text deltas; the last one with the finish reason, usage and
 * any tool calls); cancelling the subscription cancels the request and frees its KV blocks.
 */
public final class JllmChatModel implements ChatModel {
    private final Jllm llm;
    private final JllmChatOptions defaults;

    /**
     * A model with no default options (jllm's sampling defaults: temperature 1.0).
     *
     * @param llm the model; the application closes it
     */
    public JllmChatModel(Jllm llm) {
        this(llm, JllmChatOptions.builder().build());
    }

    /**
     * A model with default options, which a prompt's options override.
     *
     * @param llm      the model; the application closes it
     * @param defaults the defaults
     */
    public JllmChatModel(Jllm llm, JllmChatOptions defaults) {
        this.llm = Objects.requireNonNull(llm, "llm");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    @Override
    public JllmChatOptions getOptions() {
        return defaults;
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        Turn t = Turn.plan(llm, prompt.getInstructions(), options(prompt));
        Completion c = llm.generate(t.promptIds(), t.params());
        return t.response(c.text(), c.finishReason(), c.promptTokens(), c.completionTokens(), c.requestId());
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return Flux.create(sink -> {
            Turn t;
            CompletionStream s;
            try {
                t = Turn.plan(llm, prompt.getInstructions(), options(prompt));
                s = llm.stream(t.promptIds(), t.params());
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            sink.onDispose(s::close);
            Thread.ofVirtual().name("jllm-spring-ai-" + s.requestId()).start(() -> pump(t, s, sink));
        });
    }

    /** The prompt's options over this model's defaults; the prompt's tools, if any, replace the default tools. */
    JllmChatOptions options(Prompt prompt) {
        ChatOptions o = prompt.getOptions();
        if (o == null) return defaults;
        JllmChatOptions.Builder b = defaults.mutate().combineWith(o.mutate());
        if (o instanceof StructuredOutputChatOptions so && so.getOutputSchema() != null) b.outputSchema(so.getOutputSchema());
        if (o instanceof ToolCallingChatOptions t) {
            // ChatClient's options already hold the defaults' tools: combining would list them twice
            b.toolCallbacks(ToolCallingChatOptions.mergeToolCallbacks(t.getToolCallbacks(), defaults.getToolCallbacks()));
            b.toolContext(null).toolContext(ToolCallingChatOptions.mergeToolContext(t.getToolContext(), defaults.getToolContext()));
        }
        return b.build();
    }

    /** Reads the stream on its own thread: a response per delta, the last with finish reason and usage. */
    private static void pump(Turn t, CompletionStream s, FluxSink<ChatResponse> sink) {
        StringBuilder text = new StringBuilder();
        int shown = 0, outputTokens = 0;
        String finish = null;
        try (s) {
            // 1. deltas: text as it comes (not a required call's JSON, nor what may be hermes markup)
            while (!sink.isCancelled() && s.hasNext()) {
                CompletionStream.Delta d = s.next();
                text.setLength(Math.min(text.length(), d.textOffset()));
                text.append(d.text());
                outputTokens = d.outputTokens();
                if (d.finishReason() != null) finish = d.finishReason();
                int showable = t.mode() == Turn.Mode.REQUIRED ? 0 : t.mode() == Turn.Mode.AUTO ? dev.jllm.api.ToolCalling.showable(text) : text.length();
                if (showable > shown && d.finishReason() == null) {
                    sink.next(delta(text.substring(shown, showable), t.model(), s.requestId()));
                    shown = showable;
                }
            }
            if (sink.isCancelled()) return;
            // 2. the last response: the rest of the text (or the tool calls), finish reason and usage
            ChatResponse whole = t.response(text.toString(), finish, s.promptTokens(), outputTokens, s.requestId());
            AssistantMessage out = whole.getResult().getOutput();
            String rest = out.hasToolCalls() ? "" : text.substring(shown);
            AssistantMessage last = AssistantMessage.builder().content(rest).toolCalls(out.getToolCalls()).build();
            sink.next(new ChatResponse(List.of(new Generation(last, whole.getResult().getMetadata())), whole.getMetadata()));
            sink.complete();
        } catch (RuntimeException e) {
            if (!sink.isCancelled()) sink.error(e);
        }
    }

    private static ChatResponse delta(String text, String model, String id) {
        return new ChatResponse(List.of(new Generation(new AssistantMessage(text), ChatGenerationMetadata.NULL)),
                ChatResponseMetadata.builder().id(id).model(model).build());
    }
}
