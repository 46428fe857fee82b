package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's OpenAI client (langchain4j-open-ai) against the running server over HTTP (issue 12): an AiServices
 * interface whose @Tool method is called, its result sent back in a second request; and a streamed chat.
 */
class LangChain4jOverHttpTest {
    enum Unit { CELSIUS, FAHRENHEIT }

    /** The tool: records each call. */
    static final class Weather {
        final List<Unit> calls = new ArrayList<>();

        @Tool("The current temperature in Paris")
        String temperature(@P("the unit") Unit unit) {
            calls.add(unit);
            return "21 degrees " + unit.name().toLowerCase();
        }
    }

    interface Assistant {
        String chat(String message);
    }

    interface StreamingAssistant {
        dev.langchain4j.service.TokenStream chat(String message);
    }

    /** tool_choice required while the conversation has no tool result, none once it has (see ToolThenAnswer). */
    static ChatRequest toolThenAnswer(ChatRequest r) {
        boolean answered = r.messages().get(r.messages().size() - 1) instanceof ToolExecutionResultMessage;
        return r.toBuilder().parameters(r.parameters().overrideWith(
                ChatRequestParameters.builder().toolChoice(answered ? ToolChoice.NONE : ToolChoice.REQUIRED).build())).build();
    }

    /**
     * stories260K does not choose tools by itself: this model asks for a call (tool_choice required) while the
     * conversation has no tool result, and for text (none) once it has, so the round trip is deterministic.
     */
    static final class ToolThenAnswer implements ChatModel {
        final ChatModel http;
        final List<ChatRequest> requests = new ArrayList<>();
        final List<ChatResponse> responses = new ArrayList<>();

        ToolThenAnswer(ChatModel http) {
            this.http = http;
        }

        @Override
        public ChatResponse chat(ChatRequest r, ChatRequestOptions options) {
            ChatRequest req = toolThenAnswer(r);
            requests.add(req);
            ChatResponse resp = http.chat(req, options);
            responses.add(resp);
            return resp;
        }
    }

    @Test
    void anAiServiceCallsItsToolAndSendsTheResultBack() throws Exception {
        ServerFixture f = ServerFixture.get();
        ChatModel http = OpenAiChatModel.builder().baseUrl(f.base + "/v1").apiKey(ServerFixture.KEY).modelName("stories")
                .temperature(0.0).maxTokens(200).strictTools(true).build();
        ToolThenAnswer model = new ToolThenAnswer(http);
        Weather weather = new Weather();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(weather).maxSequentialToolsInvocations(3).build();

        String answer = assistant.chat("What is the temperature in Paris?");

        // 1. the first request asked for a call and got one, which LangChain4j ran
        assertEquals(2, model.requests.size(), "a call, then the answer: " + model.responses);
        AiMessage call = model.responses.get(0).aiMessage();
        assertTrue(call.hasToolExecutionRequests(), call.toString());
        assertEquals("temperature", call.toolExecutionRequests().get(0).name());
        assertEquals(FinishReason.TOOL_EXECUTION, model.responses.get(0).finishReason(), call.toString());
        assertEquals(1, weather.calls.size(), "the @Tool method ran once");
        // 2. the second request carried the call and its result back (an assistant message with tool_calls, a tool message)
        List<dev.langchain4j.data.message.ChatMessage> second = model.requests.get(1).messages();
        assertInstanceOf(UserMessage.class, second.get(0));
        assertInstanceOf(AiMessage.class, second.get(1));
        ToolExecutionResultMessage result = assertInstanceOf(ToolExecutionResultMessage.class, second.get(2));
        assertEquals(call.toolExecutionRequests().get(0).id(), result.id());
        assertEquals("21 degrees " + weather.calls.get(0).name().toLowerCase(), result.text());
        // 3. and was answered (200: LangChain4j throws on any error status) with text
        AiMessage last = model.responses.get(1).aiMessage();
        assertFalse(last.hasToolExecutionRequests(), last.toString());
        assertNotNull(answer);
        assertFalse(answer.isBlank(), "the model's text after the tool result");
        assertEquals(last.text(), answer);
    }

    /** The same round trip streamed (OpenAiStreamingChatModel): the call arrives as tool_calls deltas LangChain4j puts together. */
    @Test
    void aStreamingAiServiceCallsItsToolAndSendsTheResultBack() throws Exception {
        ServerFixture f = ServerFixture.get();
        OpenAiStreamingChatModel http = OpenAiStreamingChatModel.builder().baseUrl(f.base + "/v1").apiKey(ServerFixture.KEY)
                .modelName("stories").temperature(0.0).maxTokens(200).strictTools(true).build();
        List<ChatRequest> requests = java.util.Collections.synchronizedList(new ArrayList<>());
        dev.langchain4j.model.chat.StreamingChatModel model = new dev.langchain4j.model.chat.StreamingChatModel() {
            @Override
            public void chat(ChatRequest r, ChatRequestOptions options, StreamingChatResponseHandler handler) {
                ChatRequest req = toolThenAnswer(r);
                requests.add(req);
                http.chat(req, options, handler);
            }
        };
        Weather weather = new Weather();
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model).tools(weather)
                .maxSequentialToolsInvocations(3).build();
        List<dev.langchain4j.service.tool.ToolExecution> executed = java.util.Collections.synchronizedList(new ArrayList<>());
        StringBuilder text = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("What is the temperature in Paris?").onPartialResponse(text::append).onToolExecuted(executed::add)
                .onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(1, weather.calls.size(), "the @Tool method ran once");
        assertEquals(1, executed.size());
        assertEquals("temperature", executed.get(0).request().name());
        assertEquals("21 degrees " + weather.calls.get(0).name().toLowerCase(), executed.get(0).result());
        assertEquals(2, requests.size(), "a call, then the answer");
        ToolExecutionResultMessage result = assertInstanceOf(ToolExecutionResultMessage.class, requests.get(1).messages().get(2));
        assertEquals(executed.get(0).request().id(), result.id());
        assertFalse(r.aiMessage().hasToolExecutionRequests(), r.toString());
        assertFalse(text.toString().isBlank(), "the model's streamed text after the tool result");
        assertEquals(r.aiMessage().text(), text.toString());
    }

    @Test
    void aStreamedChatAddsUpToTheWholeReply() throws Exception {
        ServerFixture f = ServerFixture.get();
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(f.base + "/v1").apiKey(ServerFixture.KEY)
                .modelName("stories").temperature(0.0).maxTokens(24).build();
        StringBuilder partial = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Tell me a story", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String s) {
                pieces.add(s);
                partial.append(s);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertTrue(pieces.size() > 3, "streamed in pieces: " + pieces);
        assertEquals(partial.toString(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(24, r.tokenUsage().outputTokenCount());
        // the same request unstreamed: greedy, the same text
        String whole = OpenAiChatModel.builder().baseUrl(f.base + "/v1").apiKey(ServerFixture.KEY).modelName("stories")
                .temperature(0.0).maxTokens(24).build().chat("Tell me a story");
        assertEquals(whole, partial.toString());
    }
}
