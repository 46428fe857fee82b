package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One validation per shared field: each bad value of a sampling field gets the same 400 (status, `param`, message)
 * from /v1/chat/completions and /v1/completions, and from /v1/responses and /v1/messages where the field exists there
 * (under its own name: max_output_tokens, Anthropic's max_tokens). Table-driven: a row is a field, a bad value, and
 * the endpoints that take it.
 */
class SharedValidationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static String base;

    @BeforeAll
    static void start() throws Exception {
        base = ServerFixture.get().base;
    }

    /** The endpoints a row goes to besides chat and completions: responses (the same name) and messages. */
    enum Also { NONE, RESPONSES, BOTH }

    /** A bad value of one field; extra: other fields it needs (JSON object text). */
    record Row(String field, String value, Also also, String extra) {
        Row(String field, String value, Also also) {
            this(field, value, also, "{}");
        }
    }

    static final List<Row> ROWS = List.of(
            new Row("n", "0", Also.NONE), new Row("n", "-3", Also.NONE), new Row("n", "2.5", Also.NONE),
            new Row("n", "\"two\"", Also.NONE), new Row("n", "1025", Also.NONE),
            new Row("n", "2000", Also.NONE, "{\"best_of\":1}"),
            new Row("best_of", "0", Also.NONE), new Row("best_of", "2", Also.NONE, "{\"temperature\":0}"),
            new Row("temperature", "-1", Also.BOTH), new Row("temperature", "\"hot\"", Also.BOTH),
            new Row("top_p", "0", Also.BOTH), new Row("top_p", "1.5", Also.BOTH), new Row("top_p", "-1", Also.BOTH),
            new Row("top_k", "-5", Also.BOTH), new Row("top_k", "1.5", Also.BOTH), new Row("top_k", "1e10", Also.BOTH),
            new Row("min_p", "-0.1", Also.RESPONSES), new Row("min_p", "2", Also.RESPONSES),
            new Row("presence_penalty", "3", Also.RESPONSES), new Row("frequency_penalty", "-3", Also.RESPONSES),
            new Row("repetition_penalty", "0", Also.RESPONSES), new Row("repetition_penalty", "3", Also.RESPONSES),
            new Row("seed", "1e300", Also.RESPONSES), new Row("seed", "18446744073709551616", Also.RESPONSES),
            new Row("seed", "\"s\"", Also.RESPONSES),
            new Row("stop", "5", Also.RESPONSES), new Row("stop", "[1]", Also.RESPONSES), new Row("stop", "[\"\"]", Also.RESPONSES),
            new Row("stop_token_ids", "[-1]", Also.RESPONSES), new Row("stop_token_ids", "[100000]", Also.RESPONSES),
            new Row("stop_token_ids", "\"x\"", Also.RESPONSES),
            new Row("logit_bias", "[]", Also.RESPONSES), new Row("logit_bias", "{\"abc\":1}", Also.RESPONSES),
            new Row("logit_bias", "{\"99999\":1}", Also.RESPONSES), new Row("logit_bias", "{\"1\":\"x\"}", Also.RESPONSES),
            new Row("min_tokens", "-1", Also.RESPONSES), new Row("min_tokens", "10", Also.RESPONSES),
            new Row("ignore_eos", "\"yes\"", Also.RESPONSES), new Row("include_stop_str_in_output", "1", Also.RESPONSES),
            new Row("skip_special_tokens", "\"no\"", Also.RESPONSES),
            new Row("spaces_between_special_tokens", "0", Also.RESPONSES),
            new Row("max_tokens", "0", Also.BOTH), new Row("max_tokens", "-1", Also.BOTH), new Row("max_tokens", "\"x\"", Also.BOTH),
            new Row("max_tokens", "100000", Also.RESPONSES), new Row("max_completion_tokens", "0", Also.NONE),
            new Row("use_beam_search", "\"x\"", Also.NONE), new Row("length_penalty", "2", Also.NONE),
            new Row("early_stopping", "\"sometimes\"", Also.NONE), new Row("early_stopping", "true", Also.NONE),
            new Row("response_format", "\"json\"", Also.NONE), new Row("response_format", "{\"type\":\"xml\"}", Also.NONE),
            new Row("guided_regex", "5", Also.RESPONSES), new Row("guided_choice", "[]", Also.RESPONSES),
            new Row("guided_regex", "\"(\"", Also.RESPONSES), new Row("guided_json", "\"{\"", Also.RESPONSES),
            new Row("guided_decoding_backend", "\"foo\"", Also.RESPONSES),
            new Row("guided_json", "{\"type\":\"object\"}", Also.RESPONSES, "{\"guided_regex\":\"a\"}"),
            new Row("structured_outputs", "1", Also.RESPONSES),
            new Row("stream_options", "{\"include_usage\":true}", Also.NONE),
            new Row("max_tokens", "1000000000000", Also.BOTH), new Row("max_tokens", "2.5", Also.BOTH));

    record Error(int status, String param, String message) {}

    static Error post(String path, ObjectNode body) throws Exception {
        return post(path, body.toString());
    }

    static Error post(String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ServerFixture.KEY).header("x-api-key", ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode e = JSON.readTree(r.body()).path("error");
        return new Error(r.statusCode(), e.path("param").isTextual() ? e.path("param").asText() : null, e.path("message").asText(r.body()));
    }

    static ObjectNode body(String base, Row row, String name) throws Exception {
        ObjectNode b = (ObjectNode) JSON.readTree(base);
        b.setAll((ObjectNode) JSON.readTree(row.extra()));
        b.set(name, JSON.readTree(row.value()));
        return b;
    }

    static final String CONTEXT = "This model's maximum context length is ";
    static final String CHAT = "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    static final String COMPLETION = "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":\"Once\"}";
    static final String RESPONSE = "{\"model\":\"stories\",\"max_output_tokens\":4,\"input\":\"Hi\"}";

    @Test
    void everySharedFieldIsRefusedAlikeByEveryEndpoint() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Row row : ROWS) {
            String what = row.field() + "=" + row.value() + (row.extra().equals("{}") ? "" : " with " + row.extra());
            Error chat = post("/v1/chat/completions", body(CHAT, row, row.field()));
            Error completion = post("/v1/completions", body(COMPLETION, row, row.field()));
            if (chat.status() != 400) failures.add(what + ": chat answered " + chat);
            // over the context: the same 400, worded for the request's kind of prompt ("2 in the prompt", "41 in the messages")
            boolean context = chat.message().startsWith(CONTEXT) && completion.message().startsWith(CONTEXT) && chat.param() == null;
            if (context ? completion.status() != 400 || completion.param() != null : !chat.equals(completion)) failures.add(what + ": chat " + chat + " but completions " + completion);
            if (row.also() == Also.NONE) continue;
            // /v1/responses: the same field, except max_tokens, which is its max_output_tokens
            String rname = row.field().equals("max_tokens") ? "max_output_tokens" : row.field();
            Error response = post("/v1/responses", body(RESPONSE, row, rname));
            Error expected = rename(chat, "max_tokens", rname);
            if (!expected.equals(response)) failures.add(what + ": chat " + chat + " but responses " + response);
            if (row.also() != Also.BOTH) continue;
            // /v1/messages: Anthropic's errors carry no param, only the status and message
            Error message = post("/v1/messages", body(CHAT, row, row.field()));
            if (message.status() != chat.status() || !message.message().equals(chat.message()))
                failures.add(what + ": chat " + chat + " but messages " + message);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + ROWS.size() + " rows disagree:\n" + String.join("\n", failures));
    }

    /** The error as an endpoint that calls the field by another name gives it (a context-length 400 names none). */
    private static Error rename(Error e, String from, String to) {
        if (!from.equals(e.param())) return e;
        return new Error(e.status(), e.param().replace(from, to), e.message().replace(from, to));
    }

    /** Greedy with several choices names the field the client set: n (best_of defaults to it), or best_of. */
    @Test
    void greedyWithSeveralChoicesNamesTheFieldSet() throws Exception {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            String base = path.contains("chat") ? CHAT : COMPLETION;
            Row n = new Row("temperature", "0", Also.NONE, "{\"n\":2}");
            assertEquals(new Error(400, "n", "n must be 1 when using greedy sampling, got 2."), post(path, body(base, n, "temperature")));
            Row bestOf = new Row("temperature", "0", Also.NONE, "{\"best_of\":3}");
            assertEquals(new Error(400, "best_of", "best_of must be 1 when using greedy sampling."),
                    post(path, body(base, bestOf, "temperature")));
        }
    }

    /**
     * The n cap is one rule (n × prompts ≤ 1024, checked after the ranges): chat and completions used to differ, chat
     * checking n alone after validation and completions n × prompts before it.
     */
    @Test
    void nIsCappedByOneRule() throws Exception {
        for (Map.Entry<String, String> c : Map.of("{\"n\":1025}", "n = 1025 exceeds 1024 sequences per request.",
                "{\"n\":2000,\"best_of\":1}", "best_of must be greater than or equal to n, got n=2000 and best_of=1.").entrySet()) {
            Row row = new Row("stream", "false", Also.NONE, c.getKey());
            Error chat = post("/v1/chat/completions", body(CHAT, row, "stream"));
            Error completion = post("/v1/completions", body(COMPLETION, row, "stream"));
            assertEquals(400, chat.status(), c.getKey());
            assertEquals(c.getValue(), chat.message(), c.getKey());
            assertEquals(chat, completion, c.getKey());
        }
        ObjectNode two = (ObjectNode) JSON.readTree("{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":[\"Once\",\"Upon\"],\"n\":600}");
        assertEquals(new Error(400, "n", "n = 600 x 2 prompts = 1200 exceeds 1024 sequences per request."), post("/v1/completions", two));
    }

    /** Messages say what is wrong: an integer out of range is not "must be an integer", 1e400 is not finite; 2.0 is the integer 2. */
    @Test
    void messagesSayWhatIsWrong() throws Exception {
        for (String f : List.of("max_tokens", "n", "top_logprobs", "min_tokens", "best_of", "top_k")) {
            Error e = post("/v1/chat/completions", body(CHAT, new Row(f, "1000000000000", Also.NONE), f));
            assertEquals(400, e.status(), f);
            assertEquals(f, e.param(), f);
            assertTrue(e.message().contains("out of range") && !e.message().contains("must be an integer"), f + ": " + e.message());
        }
        // sent as the text 1e400 (a JsonNode would hold Infinity and write it as a string)
        Error t = post("/v1/chat/completions", CHAT.replace("{\"model\"", "{\"temperature\":1e400,\"model\""));
        assertEquals(400, t.status(), t.toString());
        assertEquals("temperature", t.param());
        assertTrue(t.message().startsWith("'temperature' must be a finite number"), t.message());
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            Error ok = post(path, body(path.contains("chat") ? CHAT : COMPLETION, new Row("max_tokens", "2.0", Also.NONE), "max_tokens"));
            assertEquals(200, ok.status(), path + ": " + ok);
        }
        Error frac = post("/v1/chat/completions", body(CHAT, new Row("max_tokens", "2.5", Also.NONE), "max_tokens"));
        assertEquals(new Error(400, "max_tokens", "'max_tokens' must be an integer, got 2.5."), frac);
    }
}
