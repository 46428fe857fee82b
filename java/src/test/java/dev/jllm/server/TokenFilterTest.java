package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.engine.TokenConstraint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** vLLM's allowed_token_ids and bad_words change what is sampled (they used to be logged as unknown and ignored). */
class TokenFilterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();

    static boolean allowed(int[] mask, int id) {
        return (mask[id >> 5] & (1 << (id & 31))) != 0;
    }

    @Test
    void aBadWordsLastTokenIsBannedAfterItsPrefix() {
        TokenFilter f = new TokenFilter(null, null, List.of(new int[] {7}, new int[] {3, 4, 5}));
        int[] m = new int[2];
        f.fillAllowed(m);
        assertFalse(allowed(m, 7), "a one-token word is banned always");
        assertTrue(allowed(m, 5) && allowed(m, 40));
        f.accept(3);
        f.accept(4);
        TokenConstraint other = f.fork();
        m = new int[2];
        f.fillAllowed(m);
        assertFalse(allowed(m, 5), "after 3 4, the word's last token 5 is banned");
        f.accept(9);
        m = new int[2];
        f.fillAllowed(m);
        assertTrue(allowed(m, 5), "not after 3 4 9");
        m = new int[2];
        other.fillAllowed(m);
        assertFalse(allowed(m, 5), "a fork keeps the output it saw");
    }

    @Test
    void allowedIdsIntersectTheInnerConstraint() {
        TokenConstraint inner = new TokenConstraint() {
            public void fillAllowed(int[] mask) { mask[0] = 0b1110; }
            public void accept(int tokenId) {}
            public boolean isComplete() { return false; }
            public TokenConstraint fork() { return this; }
        };
        int[] m = new int[2];
        new TokenFilter(inner, TokenFilter.mask(List.of(2, 3, 33), 2), List.of()).fillAllowed(m);
        assertEquals(0b1100, m[0]);
        assertEquals(0, m[1], "33 is allowed by the list but not by the inner constraint");
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ServerFixture.get().base + path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + ServerFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = JSON.readTree(r.body());
        ((com.fasterxml.jackson.databind.node.ObjectNode) j).put("_status", r.statusCode());
        return j;
    }

    static List<String> tokens(JsonNode completion) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : completion.path("choices").path(0).path("logprobs").path("tokens")) out.add(t.asText());
        return out;
    }

    @Test
    void allowedTokenIdsAreTheOnlyTokensSampled() throws Exception {
        var tok = ServerFixture.get().tok;
        List<Integer> ids = List.of(tok.encode(" the", false, false)[0], tok.encode(" cat", false, false)[0], tok.encode(" sat", false, false)[0]);
        Set<String> texts = new HashSet<>();
        for (int id : ids) texts.add(tok.tokenText(id));
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            String body = path.contains("chat")
                    ? "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],\"max_tokens\":12,\"seed\":3,\"allowed_token_ids\":" + ids + ",\"logprobs\":true}"
                    : "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"seed\":3,\"allowed_token_ids\":" + ids + ",\"logprobs\":0}";
            JsonNode r = post(path, body);
            assertEquals(200, r.path("_status").asInt(), r.toString());
            List<String> got = new ArrayList<>();
            if (path.contains("chat")) for (JsonNode e : r.path("choices").path(0).path("logprobs").path("content")) got.add(e.path("token").asText());
            else got = tokens(r);
            assertEquals(12, got.size(), "EOS is not among the allowed ids: " + r);
            for (String t : got) assertTrue(texts.contains(t), path + ": " + t + " is not an allowed token: " + got);
        }
        assertEquals(400, post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"a\",\"allowed_token_ids\":[]}").path("_status").asInt());
        JsonNode out = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"a\",\"allowed_token_ids\":[99999]}");
        assertEquals("allowed_token_ids", out.path("error").path("param").asText(), out.toString());
    }

    @Test
    void badWordsAreNotGenerated() throws Exception {
        var tok = ServerFixture.get().tok;
        String base = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0,\"logprobs\":0";
        List<String> greedy = tokens(post("/v1/completions", base + "}"));
        // ban the greedy reply's second word (its tokens as the reply wrote them, with and without a leading space)
        String word = String.join("", greedy).trim().split("\\s+")[1];
        JsonNode r = post("/v1/completions", base + ",\"bad_words\":[\"" + word + "\"]}");
        assertEquals(200, r.path("_status").asInt(), r.toString());
        List<String> banned = tokens(r);
        assertNotEquals(greedy, banned);
        for (int[] w : TokenFilter.badWords(List.of(word), tok)) {
            List<String> seq = new ArrayList<>();
            for (int id : w) seq.add(tok.tokenText(id));
            assertEquals(-1, java.util.Collections.indexOfSubList(banned, seq), word + " as " + seq + " in " + banned);
        }
    }

    @Test
    void returnTokensAsTokenIdsIsRefusedNotIgnored() throws Exception {
        JsonNode r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"a\",\"max_tokens\":2,\"return_tokens_as_token_ids\":true}");
        assertEquals(400, r.path("_status").asInt());
        assertEquals("return_tokens_as_token_ids", r.path("error").path("param").asText());
        assertEquals(200, post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"a\",\"max_tokens\":2,\"return_tokens_as_token_ids\":false}").path("_status").asInt());
    }
}
