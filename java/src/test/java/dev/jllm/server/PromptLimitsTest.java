package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.tokenizer.Tokenizer;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prompts from hostile requests (issue 10, items 3, 4 and 11): request templates need --trust-request-chat-template,
 * every route that renders a template is cut off by the render limits, and text far over the context is refused
 * with the numbers before the tokenizer sees it.
 */
class PromptLimitsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String LOOP = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}";
    static final HttpClient http = HttpClient.newHttpClient();
    static ServerFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = ServerFixture.get();
    }

    static ObjectNode chat(String content) {
        ObjectNode b = JSON.createObjectNode().put("model", "stories");
        b.putArray("messages").addObject().put("role", "user").put("content", content);
        return b;
    }

    /** The fixture's context with a default-option server (untrusted templates) over the given tokenizer. */
    static ServerContext defaults(Tokenizer tok) {
        ServerContext c = f.ctx;
        return new ServerContext(c.engine(), tok, c.servedNames(), "assistant", 20, c.chatTemplate(), c.apiKeys(), 0, false, 0,
                null, SamplingDefaults.NONE, "", null);
    }

    static ApiException refusal(ServerContext c, JsonNode body) {
        return assertThrows(ApiException.class, () -> new ChatHandler(c).render(new Fields(body)));
    }

    @Test
    void requestTemplatesAreRefusedUnlessTrusted() {
        ServerContext untrusted = defaults(f.tok);
        ApiException e = refusal(untrusted, chat("hi").put("chat_template", "{{ messages[0]['content'] }}"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("--trust-request-chat-template is not set"), e.getMessage());
        ObjectNode viaKwargs = chat("hi");
        viaKwargs.putObject("chat_template_kwargs").put("chat_template", "{{ messages[0]['content'] }}");
        assertTrue(refusal(untrusted, viaKwargs).getMessage().contains("--trust-request-chat-template"));
        // the fixture trusts request templates: the same template renders, and the kwargs one wins as in vLLM
        assertEquals("hi", new ChatHandler(f.ctx).render(new Fields(chat("hi").put("chat_template", "{{ messages[0]['content'] }}"))).text());
        viaKwargs.put("chat_template", "ignored");
        assertEquals("hi", new ChatHandler(f.ctx).render(new Fields(viaKwargs)).text());
    }

    @Test
    void aHugeMessageIsRefusedBeforeTokenizing() {
        AtomicLong longest = new AtomicLong();
        Tokenizer counting = (Tokenizer) Proxy.newProxyInstance(Tokenizer.class.getClassLoader(), new Class<?>[] {Tokenizer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("encode")) longest.accumulateAndGet(((String) args[0]).length(), Math::max);
                    try {
                        return method.invoke(f.tok, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ServerContext c = defaults(counting);
        ApiException e = refusal(c, chat("word ".repeat(3_000_000)));  // 15 MB, under a 16 MiB body limit
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("maximum context length is " + c.maxModelLen() + " tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("characters"), e.getMessage());
        assertTrue(e.getMessage().contains("your messages have "), e.getMessage());  // grammar: "messages" is plural
        assertEquals(0, longest.get(), "the tokenizer was handed " + longest.get() + " chars");
        // a prompt that fits is tokenized as before
        assertTrue(new ChatHandler(c).render(new Fields(chat("hello"))).ids().length > 1);
        assertTrue(longest.get() > 0 && longest.get() < 100);
    }

    static JsonNode post(String path, JsonNode body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(f.base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + ServerFixture.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode err = JSON.readTree(r.body()).path("error");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(400, err.path("code").asInt(), r.body());
        return err;
    }

    @Test
    void everyRouteThatRendersIsCutOff() throws Exception {
        for (String path : new String[] {"/v1/chat/completions", "/tokenize"}) {
            JsonNode err = post(path, chat("hi").put("chat_template", LOOP).put("max_tokens", 4));
            assertTrue(err.path("message").asText().contains("longer than 2000 ms"), path + ": " + err);
            err = post(path, chat("hi").put("chat_template", "{{ 'ab '.repeat(20000000) }}").put("max_tokens", 4));
            assertTrue(err.path("message").asText().contains("has no attribute 'repeat'"), path + ": " + err);
        }
        // the server is fine afterwards
        JsonNode ok = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(f.base + "/tokenize")).header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hello\"}")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertTrue(ok.path("count").asInt() > 0, ok.toString());
    }

    @Test
    void promptTextFarOverTheContextIsRefusedWithTheNumbers() throws Exception {
        String big = "word ".repeat(180_000);  // 900 KB, under the fixture's 1 MiB body limit
        for (String path : new String[] {"/v1/completions", "/tokenize"}) {
            JsonNode err = post(path, JSON.createObjectNode().put("model", "stories").put("prompt", big).put("max_tokens", 4));
            String m = err.path("message").asText();
            assertTrue(m.contains("maximum context length is " + f.ctx.maxModelLen() + " tokens") && m.contains("characters"), path + ": " + m);
            assertTrue(m.contains("your prompt has "), path + ": " + m);
        }
    }
}
