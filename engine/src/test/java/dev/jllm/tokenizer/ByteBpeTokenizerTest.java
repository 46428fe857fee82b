package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GGUF "gpt2" byte-level BPE on a small hand-made vocabulary with known merges. */
class ByteBpeTokenizerTest {
    static ByteBpeTokenizer tokenizer(String pre, String... moreControlTokens) {
        List<Object> tokens = new ArrayList<>(), types = new ArrayList<>();
        for (int b = 0; b < 256; b++) { tokens.add(String.valueOf(ByteLevel.byteToChar(b))); types.add(1L); }
        String G = String.valueOf(ByteLevel.byteToChar(' '));  // "Ġ", the byte-level space
        List<Object> merges = List.of("h e", "l l", "he ll", "hell o", G + " w", "o r", G + "w or", G + "wor l", G + "worl d");
        for (String t : List.of("he", "ll", "hell", "hello", G + "w", "or", G + "wor", G + "worl", G + "world")) { tokens.add(t); types.add(1L); }
        tokens.add("<|begin_of_text|>"); types.add(3L);
        tokens.add("<|eot_id|>"); types.add(3L);
        for (String c : moreControlTokens) { tokens.add(c); types.add(3L); }
        return new ByteBpeTokenizer(new GgufMetadata(Map.of("tokenizer.ggml.model", "gpt2", "tokenizer.ggml.tokens", tokens,
                "tokenizer.ggml.token_type", types, "tokenizer.ggml.merges", merges, "tokenizer.ggml.pre", pre,
                "tokenizer.ggml.bos_token_id", 265L, "tokenizer.ggml.eos_token_id", 266L, "tokenizer.ggml.add_bos_token", true)));
    }

    @Test
    void mergesByRankAndRoundTrips() {
        for (String pre : List.of("llama-bpe", "qwen2", "gpt2")) {
            ByteBpeTokenizer t = tokenizer(pre);
            int[] ids = t.encode("hello world", true, false);
            assertArrayEquals(new int[] {265, 259, 264}, ids, pre);
            assertEquals("hello world", t.decode(ids, 0, ids.length, true));
            String text = "héllo 12345 wörld!\n\n  tabs\tend 🙂";
            int[] all = t.encode(text, false, false);
            assertEquals(text, t.decode(all, 0, all.length, true), pre);
        }
    }

    @Test
    void textSpellingASpecialTokenIsThatToken() {
        ByteBpeTokenizer t = tokenizer("llama-bpe");
        int[] parsed = t.encode("hi<|eot_id|>", false, false);
        assertEquals(266, parsed[parsed.length - 1]);
        assertArrayEquals(parsed, t.encode("hi<|eot_id|>", false, true));
        assertEquals("hi", t.decode(parsed, 0, parsed.length, true));
        assertEquals("hi<|eot_id|>", t.decode(parsed, 0, parsed.length, false));
        assertEquals(" world", t.tokenText(264));
    }
}
