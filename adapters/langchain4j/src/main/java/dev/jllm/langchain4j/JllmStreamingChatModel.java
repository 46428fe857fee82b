package dev.jllm.langchain4j;

import dev.jllm.api.CompletionStream;
import dev.jllm.api.Jllm;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.Set;

/**
 * LangChain4j's {@link StreamingChatModel} over an in-process {@link Jllm}: {@link JllmChatModel#streaming()}, with
 * that model's defaults and its handling of messages, parameters, tools and response formats. Each request runs
 * on a virtual thread: a partial response per engine step, then onCompleteResponse with the finish reason (STOP,
 * LENGTH, TOOL_EXECUTION) and token usage. A required tool call's JSON is not shown as partial responses (the call
 * comes as onCompleteToolCall); with AUTO, text that may be hermes tool-call markup is held back until it is known.
 * The {@link StreamingHandle} in the partial responses' context cancels the request: its KV blocks are freed and
 * no further callbacks come.
 */
public final class JllmStreamingChatModel implements StreamingChatModel {
    private final Jllm llm;
    private final ChatRequestParameters defaults;
    private final Long seed;
    private final List<ChatModelListener> listeners;

    JllmStreamingChatModel(Jllm llm, ChatRequestParameters defaults, Long seed, List<ChatModelListener> listeners) {
        this.llm = llm;
        this.defaults = defaults;
        this.seed = seed;
        this.listeners = listeners;
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
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Turn t;
        CompletionStream s;
        try {
            t = Turn.plan(llm, request, seed);
            s = llm.stream(t.promptIds(), t.params());
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        Thread.ofVirtual().name("jllm-langchain4j-" + s.requestId()).start(() -> pump(t, s, handler));
    }

    /** Reads the stream on its own thread: partial responses, then the complete response (or the error). */
    private void pump(Turn t, CompletionStream s, StreamingChatResponseHandler handler) {
        Cancel cancel = new Cancel(s);
        StringBuilder text = new StringBuilder();
        int shown = 0, outputTokens = 0;
        String finish = null;
        try (s) {
            // 1. deltas: show text as it comes (not a required call's JSON, nor what may be hermes markup)
            while (s.hasNext()) {
                CompletionStream.Delta d = s.next();
                text.setLength(Math.min(text.length(), d.textOffset()));
                text.append(d.text());
                outputTokens = d.outputTokens();
                if (d.finishReason() != null) finish = d.finishReason();
                int showable = t.mode() == Turn.Mode.REQUIRED ? 0 : t.mode() == Turn.Mode.AUTO ? dev.jllm.api.ToolCalling.showable(text) : text.length();
                if (showable > shown) {
                    handler.onPartialResponse(new PartialResponse(text.substring(shown, showable)), new PartialResponseContext(cancel));
                    shown = showable;
                }
                if (cancel.isCancelled()) return;
            }
            // 2. the complete response; held-back text that held no tool call is shown first
            ChatResponse r = t.response(text.toString(), finish, s.promptTokens(), outputTokens, s.requestId(), defaults.modelName());
            if (r.aiMessage().hasToolExecutionRequests()) {
                for (int i = 0; i < r.aiMessage().toolExecutionRequests().size(); i++)
                    handler.onCompleteToolCall(new CompleteToolCall(i, r.aiMessage().toolExecutionRequests().get(i)));
            } else if (t.mode() != Turn.Mode.TEXT && text.length() > shown) {
                handler.onPartialResponse(new PartialResponse(text.substring(shown)), new PartialResponseContext(cancel));
            }
            handler.onCompleteResponse(r);
        } catch (RuntimeException e) {
            if (!cancel.isCancelled()) handler.onError(e);
        }
    }

    /** Cancels a stream: the request is aborted and its KV blocks freed. */
    private static final class Cancel implements StreamingHandle {
        private final CompletionStream stream;
        private volatile boolean cancelled;

        Cancel(CompletionStream stream) {
            this.stream = stream;
        }

        @Override
        public void cancel() {
            cancelled = true;
            stream.close();
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }
}
