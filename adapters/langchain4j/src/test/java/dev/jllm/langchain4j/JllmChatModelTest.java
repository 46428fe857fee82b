package dev.jllm.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.api.Completion;
import dev.jllm.api.Jllm;
import dev.jllm.api.ModelOptions;
import dev.jllm.engine.SamplingParams;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** JllmChatModel on stories260K: greedy equality with Jllm.chat, streaming, cancellation, tool calls, JSON output. */
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
        return JllmChatModel.builder(llm).temperature(0.0).maxTokens(maxTokens).build();
    }

    static SamplingParams greedyParams(int maxTokens) {
        SamplingParams.Builder b = SamplingParams.builder();
        b.temperature = 0;
        b.maxTokens = maxTokens;
        return b.build();
    }

    /** Collects a stream's callbacks; cancels after `cancelAfter` partial responses when positive. */
    static final class Collector implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        final int cancelAfter;

        Collector(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            partials.add(partial.text());
            if (partials.size() == cancelAfter) context.streamingHandle().cancel();
        }

        @Override
        public void onCompleteResponse(ChatResponse r) {
            done.complete(r);
        }

        @Override
        public void onError(Throwable e) {
            done.completeExceptionally(e);
        }
    }

    @Test
    void chatEqualsJllmChatGreedy() {
        ChatResponse r = greedy(24).chat(ChatRequest.builder()
                .messages(SystemMessage.from("You tell stories."), UserMessage.from("Tell me a story about a dog.")).build());
        Completion expected = llm.chat(List.of(Map.of("role", "system", "content", "You tell stories."),
                Map.of("role", "user", "content", "Tell me a story about a dog.")), null, greedyParams(24));
        assertEquals(expected.text(), r.aiMessage().text());
        assertFalse(expected.text().isBlank());
        assertEquals(expected.promptTokens(), r.tokenUsage().inputTokenCount());
        assertEquals(expected.completionTokens(), r.tokenUsage().outputTokenCount());
        assertEquals("length".equals(expected.finishReason()) ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        assertEquals("jllm", r.modelName());
    }

    @Test
    void requestParametersOverrideTheDefaults() {
        // a request's own maxOutputTokens and stop sequences win over the builder's
        ChatResponse full = greedy(40).chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build());
        ChatResponse short4 = greedy(40).chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).maxOutputTokens(4).build());
        assertEquals(4, short4.tokenUsage().outputTokenCount());
        assertTrue(full.aiMessage().text().startsWith(short4.aiMessage().text()), short4.aiMessage().text());
        String text = full.aiMessage().text();
        String stop = text.substring(6, 9);
        ChatResponse stopped = greedy(40).chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).stopSequences(List.of(stop)).build());
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.aiMessage().text());
        assertEquals(FinishReason.STOP, stopped.finishReason());
    }

    @Test
    void streamedPartialsConcatenateToTheResponse() throws Exception {
        ChatRequest req = ChatRequest.builder().messages(UserMessage.from("The little dog")).build();
        Collector c = new Collector(0);
        greedy(30).streaming().chat(req, c);
        ChatResponse r = c.done.get(60, TimeUnit.SECONDS);
        assertTrue(c.partials.size() > 1, "one partial per step: " + c.partials);
        assertEquals(r.aiMessage().text(), String.join("", c.partials));
        assertEquals(greedy(30).chat(req).aiMessage().text(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(30, r.tokenUsage().outputTokenCount());
    }

    @Test
    void theStreamingHandleCancelsTheRequest() throws Exception {
        AtomicLong aborted = llm.engine().stats().finishedByReason.computeIfAbsent("abort", k -> new AtomicLong());
        long before = aborted.get();
        Collector c = new Collector(2);
        greedy(400).streaming().chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build(), c);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (aborted.get() == before && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(before + 1, aborted.get(), "the request was not aborted");
        assertEquals(2, c.partials.size());
        assertFalse(c.done.isDone(), "no complete response after a cancel");
    }

    static ToolSpecification weatherTool() {
        return ToolSpecification.builder().name("get_weather").description("The weather in a city")
                .parameters(JsonObjectSchema.builder()
                        .addProperty("city", JsonEnumSchema.builder().enumValues("Paris", "London", "Rome").build())
                        .addProperty("days", JsonRawSchema.from("{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}"))
                        .required("city", "days").build())
                .build();
    }

    @Test
    void requiredToolChoiceReturnsACallMatchingTheToolsSchema() throws Exception {
        ToolSpecification clock = ToolSpecification.builder().name("get_time").description("The time now").build();
        ChatResponse r = greedy(200).chat(ChatRequest.builder().messages(UserMessage.from("What is the weather in Paris?"))
                .toolSpecifications(weatherTool(), clock).toolChoice(ToolChoice.REQUIRED).build());
        assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason(), r.aiMessage().toString());
        assertEquals(1, r.aiMessage().toolExecutionRequests().size());
        ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().getFirst();
        assertTrue(call.id().startsWith("call_"), call.id());
        JsonNode args = JSON.readTree(call.arguments());
        if (call.name().equals("get_weather")) {
            assertTrue(List.of("Paris", "London", "Rome").contains(args.path("city").asText()), call.arguments());
            assertTrue(args.path("days").isInt() && args.get("days").asInt() >= 1 && args.get("days").asInt() <= 7, call.arguments());
        } else {
            assertEquals("get_time", call.name());
            assertEquals("{}", call.arguments());
        }
        // streamed: no JSON text as partials, the call as the complete response
        Collector c = new Collector(0);
        greedy(200).streaming().chat(ChatRequest.builder().messages(UserMessage.from("What is the weather in Paris?"))
                .toolSpecifications(weatherTool(), clock).toolChoice(ToolChoice.REQUIRED).build(), c);
        ChatResponse streamed = c.done.get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), c.partials);
        assertEquals(call.name(), streamed.aiMessage().toolExecutionRequests().getFirst().name());
        assertEquals(call.arguments(), streamed.aiMessage().toolExecutionRequests().getFirst().arguments());
        assertEquals(FinishReason.TOOL_EXECUTION, streamed.finishReason());
    }

    @Test
    void toolMessagesReachTheTemplateInOpenAiShape() {
        ToolExecutionRequest req = ToolExecutionRequest.builder().id("call_1").name("get_weather").arguments("{\"city\":\"Paris\"}").build();
        List<ChatMessage> msgs = List.of(UserMessage.from("Weather?"), AiMessage.from(req), ToolExecutionResultMessage.from(req, "sunny"));
        List<Map<String, Object>> maps = Messages.toMaps(msgs);
        assertEquals(Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Paris\"}")))), maps.get(1));
        assertEquals(Map.of("role", "tool", "tool_call_id", "call_1", "name", "get_weather", "content", "sunny"), maps.get(2));
        // after tool results REQUIRED gives way to an answer: the same text Jllm.chat generates for that conversation
        ChatResponse r = greedy(20).chat(ChatRequest.builder().messages(msgs).toolSpecifications(weatherTool()).toolChoice(ToolChoice.REQUIRED).build());
        assertFalse(r.aiMessage().hasToolExecutionRequests());
        assertEquals(llm.chat(maps, Messages.tools(List.of(weatherTool())), greedyParams(20)).text(), r.aiMessage().text());
    }

    @Test
    void hermesMarkupIsReadAsToolCallsWithAutoChoice() throws Exception {
        dev.jllm.api.ToolCalling.Parsed p = dev.jllm.api.ToolCalling.hermes("Let me look.\n<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}</tool_call>");
        assertEquals(1, p.calls().size());
        assertEquals("get_weather", p.calls().getFirst().name());
        assertEquals("{\"city\":\"Rome\"}", p.calls().getFirst().arguments());
        assertEquals("Let me look.", p.content());
        assertEquals("plain text", dev.jllm.api.ToolCalling.hermes("plain text").content());
        assertEquals(3, dev.jllm.api.ToolCalling.showable("abc<tool"));
        assertEquals(5, dev.jllm.api.ToolCalling.showable("hello"));
        assertEquals(2, dev.jllm.api.ToolCalling.showable("ab<tool_call>{"));
    }

    enum City { PARIS, LONDON }

    static final class WeatherTools {
        final List<City> calls = new CopyOnWriteArrayList<>();

        @Tool("The weather in a city")
        String weather(@P("the city") City city) {
            calls.add(city);
            return "sunny in " + city;
        }
    }

    interface Assistant {
        String chat(String message);
    }

    @Test
    void aiServicesToolRoundTrip() {
        List<ChatRequest> requests = new CopyOnWriteArrayList<>();
        ChatModelListener spy = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext ctx) {
                requests.add(ctx.chatRequest());
            }
        };
        JllmChatModel model = JllmChatModel.builder(llm).temperature(0.0).maxTokens(200).toolChoice(ToolChoice.REQUIRED)
                .listeners(List.of(spy)).build();
        WeatherTools tools = new WeatherTools();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools).build();
        String answer = assistant.chat("What is the weather in Paris?");
        // the tool ran once, its result went back, and the model answered
        assertEquals(1, tools.calls.size(), "tool calls: " + tools.calls);
        assertEquals(2, requests.size());
        ChatMessage last = requests.get(1).messages().getLast();
        ToolExecutionResultMessage result = assertInstanceOf(ToolExecutionResultMessage.class, last);
        assertEquals("sunny in " + tools.calls.getFirst(), result.text());
        assertNotNull(answer);
        assertEquals(greedy(200).chat(ChatRequest.builder().messages(requests.get(1).messages())
                .toolSpecifications(requests.get(1).toolSpecifications()).build()).aiMessage().text(), answer);
    }

    enum Mood { HAPPY, SAD, ANGRY }

    record Verdict(Mood mood, boolean happyEnding) {}

    interface Critic {
        Verdict judge(String story);
    }

    @Test
    void aiServicesStructuredOutputParsesIntoARecord() {
        List<ChatRequest> requests = new CopyOnWriteArrayList<>();
        ChatModelListener spy = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext ctx) {
                requests.add(ctx.chatRequest());
            }
        };
        JllmChatModel model = JllmChatModel.builder(llm).temperature(0.0).maxTokens(200).listeners(List.of(spy)).build();
        Critic critic = AiServices.create(Critic.class, model);
        Verdict v = critic.judge("Lily found a ball and played with her friend.");
        assertNotNull(v.mood(), v + " from " + requests.getFirst().responseFormat() + " " + JsonSchemas.toJson(requests.getFirst().responseFormat().jsonSchema().rootElement()));
        assertEquals(ResponseFormatType.JSON, requests.getFirst().responseFormat().type(), "the schema went as a response format");
    }

    record Pet(String name, int age) {}

    @Test
    void jsonSchemaResponseFormatConstrainsTheOutput() throws Exception {
        JsonSchema schema = JsonSchema.builder().name("pet").rootElement(JsonRawSchema.from("""
                {"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer","minimum":0,"maximum":20}},
                 "required":["name","age"],"additionalProperties":false}""")).build();
        ChatResponse r = greedy(60).chat(ChatRequest.builder().messages(UserMessage.from("Describe a pet."))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build()).build());
        Pet pet = JSON.readValue(r.aiMessage().text(), Pet.class);
        assertTrue(pet.name().length() <= 8 && pet.age() >= 0 && pet.age() <= 20, r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void langchain4jSchemaElementsBecomeJsonSchema() {
        JsonObjectSchema s = JsonObjectSchema.builder()
                .addStringProperty("name", "the name")
                .addProperty("mood", JsonEnumSchema.builder().enumValues("A", "B").build())
                .addProperty("tags", dev.langchain4j.model.chat.request.json.JsonArraySchema.builder()
                        .items(new dev.langchain4j.model.chat.request.json.JsonIntegerSchema()).build())
                .addProperty("next", dev.langchain4j.model.chat.request.json.JsonReferenceSchema.builder().reference("Node").build())
                .required("name").additionalProperties(false)
                .definitions(Map.of("Node", JsonObjectSchema.builder().addBooleanProperty("leaf").build()))
                .build();
        assertEquals("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"description\":\"the name\"},"
                + "\"mood\":{\"type\":\"string\",\"enum\":[\"A\",\"B\"]},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
                + "\"next\":{\"$ref\":\"#/$defs/Node\"}},\"required\":[\"name\"],\"additionalProperties\":false,"
                + "\"$defs\":{\"Node\":{\"type\":\"object\",\"properties\":{\"leaf\":{\"type\":\"boolean\"}}}}}", JsonSchemas.toJson(s).toString());
    }

    @Test
    void imagesAreRefusedWithAClearMessage() {
        UserMessage img = UserMessage.from(dev.langchain4j.data.message.ImageContent.from("https://example.invalid/a.png"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> greedy(4).chat(ChatRequest.builder().messages(img).build()));
        assertTrue(e.getMessage().contains("text only"), e.getMessage());
    }
}
