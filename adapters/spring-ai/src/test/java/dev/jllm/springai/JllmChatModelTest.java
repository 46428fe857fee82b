package dev.jllm.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.api.Completion;
import dev.jllm.api.Jllm;
import dev.jllm.api.ModelOptions;
import dev.jllm.engine.SamplingParams;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.AdvisorParams;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;

/** Spring AI's ChatModel on stories260K: greedy equality with Jllm.chat, streaming, cancellation, tools, entity(). */
class JllmChatModelTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Jllm llm;

    @BeforeAll
    static void load() throws Exception {
        llm = Jllm.load(ModelOptions.builder(TestModels.gguf()).tokenizer(TestModels.hf()).maxNumSeqs(8).maxNumBatchedTokens(512)
                .seed(7).chatTemplate("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")
                .build());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    static JllmChatModel greedy(int maxTokens) {
        return new JllmChatModel(llm, JllmChatOptions.builder().temperature(0.0).maxTokens(maxTokens).build());
    }

    static SamplingParams greedyParams(int maxTokens) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = maxTokens;
        return b.build();
    }

    @Test
    void callEqualsJllmChatGreedyWithUsageAndFinishReason() {
        ChatResponse r = greedy(24).call(new Prompt(List.of(new SystemMessage("You tell stories."), new UserMessage("Tell me a story about a dog."))));
        Completion expected = llm.chat(List.of(Map.of("role", "system", "content", "You tell stories."),
                Map.of("role", "user", "content", "Tell me a story about a dog.")), null, greedyParams(24));
        assertEquals(expected.text(), r.getResult().getOutput().getText());
        assertFalse(expected.text().isBlank());
        assertEquals(expected.promptTokens(), r.getMetadata().getUsage().getPromptTokens());
        assertEquals(expected.completionTokens(), r.getMetadata().getUsage().getCompletionTokens());
        assertEquals("length".equals(expected.finishReason()) ? "LENGTH" : "STOP", r.getResult().getMetadata().getFinishReason());
        assertEquals("jllm", r.getMetadata().getModel());
    }

    @Test
    void promptOptionsOverrideTheModelsDefaults() {
        ChatResponse r = greedy(40).call(new Prompt("Once upon a time", ChatOptions.builder().maxTokens(4).build()));
        assertEquals(4, r.getMetadata().getUsage().getCompletionTokens());
        assertTrue(greedy(40).call(new Prompt("Once upon a time")).getResult().getOutput().getText()
                .startsWith(r.getResult().getOutput().getText()));
    }

    @Test
    void streamedTextConcatenatesToTheCallsText() {
        Prompt p = new Prompt("The little dog");
        List<ChatResponse> chunks = greedy(30).stream(p).collectList().block(Duration.ofSeconds(60));
        assertNotNull(chunks);
        assertTrue(chunks.size() > 2, "a response per step: " + chunks.size());
        StringBuilder text = new StringBuilder();
        for (ChatResponse c : chunks) text.append(c.getResult().getOutput().getText());
        assertEquals(greedy(30).call(p).getResult().getOutput().getText(), text.toString());
        ChatResponse last = chunks.getLast();
        assertEquals("LENGTH", last.getResult().getMetadata().getFinishReason());
        assertEquals(30, last.getMetadata().getUsage().getCompletionTokens());
    }

    @Test
    void cancellingTheSubscriptionCancelsTheRequest() throws Exception {
        AtomicLong aborted = llm.engine().stats().finishedByReason.computeIfAbsent("abort", k -> new AtomicLong());
        long before = aborted.get();
        List<ChatResponse> got = greedy(400).stream(new Prompt("Once upon a time")).take(2).collectList().block(Duration.ofSeconds(60));
        assertEquals(2, got.size());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (aborted.get() == before && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(before + 1, aborted.get(), "the request was not aborted");
    }

    enum City { PARIS, LONDON }

    static final class WeatherTools {
        final List<City> calls = new CopyOnWriteArrayList<>();

        @Tool(description = "The weather in a city")
        String weather(@ToolParam(description = "the city") City city) {
            calls.add(city);
            return "sunny in " + city;
        }
    }

    @Test
    void requiredToolChoiceReturnsACallMatchingTheToolsSchema() throws Exception {
        JllmChatOptions o = JllmChatOptions.builder().temperature(0.0).maxTokens(200).toolChoice("required")
                .toolCallbacks(ToolCallbacks.from(new WeatherTools())).build();
        ChatResponse r = new JllmChatModel(llm).call(new Prompt("What is the weather in Paris?", o));
        assertTrue(r.hasToolCalls(), r.toString());
        AssistantMessage.ToolCall call = r.getResult().getOutput().getToolCalls().getFirst();
        assertEquals("weather", call.name());
        JsonNode args = JSON.readTree(call.arguments());
        assertTrue(List.of("PARIS", "LONDON").contains(args.path("city").asText()), call.arguments());
        assertEquals("TOOL_CALLS", r.getResult().getMetadata().getFinishReason());
        // streamed: no JSON text on the way, the call in the last response
        List<ChatResponse> chunks = new JllmChatModel(llm).stream(new Prompt("What is the weather in Paris?", o)).collectList().block(Duration.ofSeconds(60));
        assertEquals(1, chunks.size());
        assertEquals(call.arguments(), chunks.getFirst().getResult().getOutput().getToolCalls().getFirst().arguments());
    }

    @Test
    void toolMessagesReachTheTemplateInOpenAiShape() {
        AssistantMessage.ToolCall call = new AssistantMessage.ToolCall("call_1", "function", "weather", "{\"city\":\"PARIS\"}");
        List<Message> msgs = List.of(new UserMessage("Weather?"), AssistantMessage.builder().content("").toolCalls(List.of(call)).build(),
                ToolResponseMessage.builder().responses(List.of(new ToolResponseMessage.ToolResponse("call_1", "weather", "sunny"))).build());
        List<Map<String, Object>> maps = Messages.toMaps(msgs);
        assertEquals(Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                "function", Map.of("name", "weather", "arguments", "{\"city\":\"PARIS\"}")))), maps.get(1));
        assertEquals(Map.of("role", "tool", "tool_call_id", "call_1", "name", "weather", "content", "sunny"), maps.get(2));
    }

    @Test
    void chatClientToolRoundTrip() {
        JllmChatModel model = new JllmChatModel(llm, JllmChatOptions.builder().temperature(0.0).maxTokens(200).toolChoice("required").build());
        WeatherTools tools = new WeatherTools();
        ChatResponse r = ChatClient.builder(model).build().prompt().user("What is the weather in Paris?").tools(tools).call().chatResponse();
        // the tool ran once, its result went back, and the model answered
        assertEquals(1, tools.calls.size(), "tool calls: " + tools.calls);
        assertNotNull(r);
        assertFalse(r.hasToolCalls());
        String answer = r.getResult().getOutput().getText();
        assertNotNull(answer);
        assertTrue(List.of("STOP", "LENGTH").contains(r.getResult().getMetadata().getFinishReason()), r.toString());
    }

    @Test
    void defaultToolsAreNotListedTwiceThroughChatClient() {
        WeatherTools tools = new WeatherTools();
        JllmChatModel model = new JllmChatModel(llm, JllmChatOptions.builder().temperature(0.0).maxTokens(200).toolChoice("required")
                .toolCallbacks(ToolCallbacks.from(tools)).build());
        // ChatClient starts from the model's options (tools included) and passes them back in the prompt
        assertEquals(1, model.options(new Prompt("hi", model.getOptions().mutate().build())).getToolCallbacks().size());
        assertEquals(1, model.options(new Prompt("hi", ChatOptions.builder().maxTokens(3).build())).getToolCallbacks().size());
        assertEquals(3, model.options(new Prompt("hi", ChatOptions.builder().maxTokens(3).build())).getMaxTokens());
        ChatClient.builder(model).build().prompt().user("What is the weather in Paris?").call().content();
        assertEquals(1, tools.calls.size(), "tool calls: " + tools.calls);
    }

    enum Mood { HAPPY, SAD, ANGRY }

    record Verdict(Mood mood, boolean happyEnding) {}

    record Pet(String name, int age) {}

    @Test
    void chatClientEntityWithNativeStructuredOutput() throws Exception {
        ChatClient chat = ChatClient.builder(greedy(200)).defaultAdvisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT).build();
        Verdict v = chat.prompt().user("Lily found a ball and played with her friend.").call().entity(Verdict.class);
        assertNotNull(v);
        assertNotNull(v.mood(), v.toString());
        // the schema reaches the model as an option: the output is JSON of it, not prose
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":20}},\"required\":[\"name\",\"age\"]}";
        ChatResponse r = greedy(200).call(new Prompt("Describe a pet.", JllmChatOptions.builder().outputSchema(schema).build()));
        Pet pet = JSON.readValue(r.getResult().getOutput().getText(), Pet.class);
        assertTrue(pet.name().length() <= 8 && pet.age() >= 0 && pet.age() <= 20, r.getResult().getOutput().getText());
        assertEquals("STOP", r.getResult().getMetadata().getFinishReason());
    }

    @Test
    void strictSchemasRequireEveryProperty() {
        JsonNode s = Turn.strict(Messages.schema("{\"$schema\":\"x\",\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\","
                + "\"properties\":{\"b\":{\"type\":\"integer\"}}},\"c\":{\"type\":\"string\"}}}"));
        assertEquals("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"integer\"}},"
                + "\"required\":[\"b\"]},\"c\":{\"type\":\"string\"}},\"required\":[\"a\",\"c\"]}", s.toString());
    }
}
