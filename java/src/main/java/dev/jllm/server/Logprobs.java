package dev.jllm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.TokenLogprob;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** OpenAI's two logprob shapes (§6.4): completions' parallel lists and chat's content entries. */
final class Logprobs {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private Logprobs() {}

    static double clamp(float lp) {
        return Float.isInfinite(lp) || Float.isNaN(lp) ? -9999.0 : lp;
    }

    /** Accumulates completions logprobs {tokens, token_logprobs, top_logprobs, text_offset}. */
    static final class Completion {
        final ObjectNode node = F.objectNode();
        final ArrayNode tokens = node.putArray("tokens");
        final ArrayNode tokenLogprobs = node.putArray("token_logprobs");
        final ArrayNode top = node.putArray("top_logprobs");
        final ArrayNode offsets = node.putArray("text_offset");

        void addNull(Tokenizer tok, int tokenId, int offset) {
            tokens.add(tok.tokenText(tokenId));
            tokenLogprobs.addNull();
            top.addNull();
            offsets.add(offset);
        }

        void add(Tokenizer tok, TokenLogprob lp, int offset) {
            String text = tok.tokenText(lp.tokenId());
            tokens.add(text);
            tokenLogprobs.add(clamp(lp.logprob()));
            ObjectNode t = F.objectNode();
            for (int i = 0; i < lp.topIds().length; i++) {
                String s = tok.tokenText(lp.topIds()[i]);
                if (!t.has(s)) t.put(s, clamp(lp.topLogprobs()[i]));
            }
            if (!t.has(text)) t.put(text, clamp(lp.logprob()));
            top.add(t);
            offsets.add(offset);
        }

        /** A new object holding only entries from index `from` on (for stream chunks). */
        ObjectNode since(int from) {
            ObjectNode o = F.objectNode();
            ArrayNode a = o.putArray("tokens"), b = o.putArray("token_logprobs"), c = o.putArray("top_logprobs"), d = o.putArray("text_offset");
            for (int i = from; i < tokens.size(); i++) {
                a.add(tokens.get(i));
                b.add(tokenLogprobs.get(i));
                c.add(top.get(i));
                d.add(offsets.get(i));
            }
            return o;
        }

        int size() {
            return tokens.size();
        }
    }

    /**
     * vLLM's prompt_logprobs: null for the first prompt token (nothing before it), then per prompt token
     * {token_id: {logprob, rank, decoded_token}} for the token itself and the `top` likeliest. lps[i] scores
     * prompt[i + 1]. rank is 1-based; the prompt token's rank is known when it is among the returned likeliest,
     * else null (the native step returns the top entries, not the whole ranking).
     */
    static ArrayNode prompt(Tokenizer tok, int[] prompt, List<TokenLogprob> lps, int top) {
        ArrayNode out = F.arrayNode();
        out.addNull();
        for (int i = 0; i < lps.size() && i + 1 < prompt.length; i++) {
            TokenLogprob lp = lps.get(i);
            ObjectNode entry = out.addObject();
            Integer rank = null;
            int k = Math.min(top, lp.topIds().length);
            for (int j = 0; j < k; j++) if (lp.topIds()[j] == lp.tokenId()) rank = j + 1;
            promptEntry(entry, tok, lp.tokenId(), lp.logprob(), rank);
            for (int j = 0; j < k; j++) if (!entry.has(Integer.toString(lp.topIds()[j]))) promptEntry(entry, tok, lp.topIds()[j], lp.topLogprobs()[j], j + 1);
        }
        return out;
    }

    private static void promptEntry(ObjectNode entry, Tokenizer tok, int id, float logprob, Integer rank) {
        ObjectNode e = entry.putObject(Integer.toString(id));
        e.put("logprob", clamp(logprob));
        if (rank == null) e.putNull("rank");
        else e.put("rank", rank);
        e.put("decoded_token", tok.tokenText(id));
    }

    private static ObjectNode chatEntry(Tokenizer tok, int id, float lp) {
        ObjectNode e = F.objectNode();
        String text = tok.tokenText(id);
        e.put("token", text);
        e.put("logprob", clamp(lp));
        // the token's own bytes (a piece of a multi-byte character stays that piece), so that joining the bytes of
        // consecutive entries gives the UTF-8 text; special tokens have no bytes in the text, so their spelling
        byte[] raw = tok.tokenBytes(id);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : raw != null ? raw : text.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        return e;
    }

    /** Chat content entries for some tokens: {token, logprob, bytes, top_logprobs: exactly `top` entries}. */
    static ArrayNode chat(Tokenizer tok, List<TokenLogprob> lps, int top) {
        ArrayNode content = F.arrayNode();
        for (TokenLogprob lp : lps) {
            ObjectNode e = chatEntry(tok, lp.tokenId(), lp.logprob());
            ArrayNode t = e.putArray("top_logprobs");
            for (int i = 0; i < Math.min(top, lp.topIds().length); i++) t.add(chatEntry(tok, lp.topIds()[i], lp.topLogprobs()[i]));
            content.add(e);
        }
        return content;
    }
}
