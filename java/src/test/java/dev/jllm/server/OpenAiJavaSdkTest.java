package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official Java SDK (com.openai:openai-java) against the real server, with strict response validation. */
class OpenAiJavaSdkTest {
    static OpenAIClient client;
    static String base;

    @BeforeAll
    static void connect() throws Exception {
        base = ServerFixture.get().base;
        client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(ServerFixture.KEY).responseValidation(true)
                .maxRetries(0).build();
    }

    static CompletionCreateParams.Builder completion() {
        return CompletionCreateParams.builder().model("stories").prompt("Once upon a time").maxTokens(12).temperature(0.0);
    }

    @Test
    void completionsPlainAndStreamedAgree() {
        Completion c = client.completions().create(completion().build());
        String text = c.choices().get(0).text();
        assertTrue(text.startsWith(", there was a little girl named Lily"), text);
        assertEquals(12, c.usage().orElseThrow().completionTokens());
        StringBuilder streamed = new StringBuilder();
        // Completion chunks carry finish_reason null until the last one, as OpenAI's do; the SDK's strict validation
        // (meant for whole responses) would reject that, so the stream is read without it.
        OpenAIClient lenient = client.withOptions(o -> o.responseValidation(false));
        try (StreamResponse<Completion> s = lenient.completions().createStreaming(completion().build())) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertEquals(text, streamed.toString());
    }

    @Test
    void nLogprobsStopSeedAndExtraBody() {
        Completion c = client.completions().create(completion().temperature(1.0).n(2).seed(5).logprobs(2).maxTokens(6)
                .putAdditionalBodyProperty("top_k", JsonValue.from(20)).build());
        assertEquals(2, c.choices().size());
        assertEquals(6, c.choices().get(0).logprobs().orElseThrow().tokens().orElseThrow().size());
        Completion again = client.completions().create(completion().temperature(1.0).n(2).seed(5).logprobs(2).maxTokens(6)
                .putAdditionalBodyProperty("top_k", JsonValue.from(20)).build());
        assertEquals(c.choices().get(1).text(), again.choices().get(1).text(), "seeded output is reproducible");
        Completion stopped = client.completions().create(completion().maxTokens(30).stop("Lily").build());
        assertEquals(", there was a little girl named ", stopped.choices().get(0).text());
        assertEquals(Completion.class, stopped.getClass());
    }

    @Test
    void chatPlainAndStreamed() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("stories").addUserMessage("Tell a story")
                .maxCompletionTokens(8).temperature(0.0).logprobs(true).topLogprobs(2).build();
        ChatCompletion c = client.chat().completions().create(p);
        String text = c.choices().get(0).message().content().orElseThrow();
        assertTrue(!text.isEmpty());
        assertEquals(2, c.choices().get(0).logprobs().orElseThrow().content().orElseThrow().get(0).topLogprobs().size());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(text, streamed.toString());
    }

    @Test
    void errorsMapToTheSdkExceptions() {
        assertThrows(BadRequestException.class, () -> client.completions().create(completion().temperature(-1.0).build()));
        assertThrows(BadRequestException.class, () -> client.completions().create(completion().logprobs(21).build()));
        assertThrows(BadRequestException.class, () -> client.completions().create(completion().maxTokens(600).build()));
        assertThrows(NotFoundException.class, () -> client.completions().create(completion().model("gpt-4").build()));
        OpenAIClient noKey = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("wrong").maxRetries(0).build();
        assertThrows(UnauthorizedException.class, () -> noKey.models().list());
        assertEquals("stories", client.models().list().data().get(0).id());
    }
}
