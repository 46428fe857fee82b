package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ToolChoiceFunction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official Java SDK's client.responses() against the real server, with strict response validation. */
class ResponsesJavaSdkTest {
    static OpenAIClient client;

    @BeforeAll
    static void connect() throws Exception {
        client = OpenAIOkHttpClient.builder().baseUrl(ServerFixture.get().base + "/v1").apiKey(ServerFixture.KEY)
                .responseValidation(true).maxRetries(0).build();
    }

    static ResponseCreateParams.Builder story() {
        return ResponseCreateParams.builder().model("stories").input("Tell me a story").maxOutputTokens(12).temperature(0.0)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));
    }

    static String text(Response r) {
        return r.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text();
    }

    @Test
    void createStreamRetrieveAndDelete() {
        Response r = client.responses().create(story().build());
        assertEquals(ResponseStatus.INCOMPLETE, r.status().orElseThrow());
        assertEquals(12, r.usage().orElseThrow().outputTokens());
        String text = text(r);
        assertTrue(!text.isEmpty());

        StringBuilder deltas = new StringBuilder();
        Response last = null;
        try (StreamResponse<ResponseStreamEvent> s = client.responses().createStreaming(story().build())) {
            for (ResponseStreamEvent e : (Iterable<ResponseStreamEvent>) s.stream()::iterator) {
                e.validate();
                e.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
                if (e.incomplete().isPresent()) last = e.incomplete().get().response();
            }
        }
        assertEquals(text, deltas.toString(), "greedy: the stream's deltas are the whole response's text");
        assertEquals(text, text(last));

        assertEquals(text, text(client.responses().retrieve(r.id())));
        client.responses().delete(r.id());
        assertThrows(NotFoundException.class, () -> client.responses().retrieve(r.id()));
        assertThrows(BadRequestException.class, () -> client.responses().create(story().background(true).build()));
    }

    @Test
    void aForcedFunctionCallHasJsonArguments() throws Exception {
        FunctionTool weather = FunctionTool.builder().name("get_weather").strict(true).parameters(FunctionTool.Parameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string", "maxLength", 12))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city"))).build()).build();
        Response r = client.responses().create(ResponseCreateParams.builder().model("stories").input("Weather in Paris?").maxOutputTokens(60)
                .addTool(weather).toolChoice(ToolChoiceFunction.builder().name("get_weather").build()).build());
        ResponseFunctionToolCall call = r.output().get(0).functionCall().orElseThrow();
        assertEquals("get_weather", call.name());
        JsonNode args = new ObjectMapper().readTree(call.arguments());
        assertTrue(args.path("city").isTextual(), args.toString());
    }
}
