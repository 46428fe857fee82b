package dev.jllm.tokenizer;

import static dev.jllm.tokenizer.TokenizerGoldenTest.gguf;
import static dev.jllm.tokenizer.TokenizerGoldenTest.hf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per tokenizer fault found on real vocabularies (issue 11), each on the vocabulary where it showed. */
class TokenizerFaultsTest {
    @Test
    void llama3DirectoriesGetBosFromTheTemplateProcessingPostProcessor(@TempDir Path dir) throws Exception {
        // Meta's current tokenizer.json: BOS only through TemplateProcessing (tokenizer_config has no add_bos_token)
        Path src = TokenizerGoldenTest.dir("llama3");
        ObjectNode tj = (ObjectNode) TokenizerGoldenTest.JSON.readTree(src.resolve("tokenizer.json").toFile());
        var golden = TokenizerGoldenTest.resource("llama3.json").path("with_template_processing");
        tj.set("post_processor", golden.path("post_processor"));
        TokenizerGoldenTest.JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tj);
        Files.copy(src.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        try (Tokenizer t = new HfTokenizer(dir)) {
            assertArrayEquals(new int[] {128000, 9906}, t.encode("Hello", true, false));
            assertArrayEquals(dev.jllm.TestModels.ints(golden.path("with_special_tokens").path("Hello world")), t.encode("Hello world", true, false));
            assertTrue(t.addsBos());
            assertArrayEquals(new int[] {9906}, t.encode("Hello", false, false));
        }
        assertArrayEquals(new int[] {128000, 9906}, gguf("llama3").encode("Hello", true, false));
    }

    @Test
    void qwenGgufAppliesTheNfcNormalizer() throws Exception {
        assertArrayEquals(new int[] {963}, hf("qwen3").encode("e\u0301", false, false));
        assertArrayEquals(new int[] {963}, gguf("qwen3").encode("e\u0301", false, false));
    }

    @Test
    void ggufBpeMatchesNonSpecialAddedTokensInPlainText() throws Exception {
        assertArrayEquals(new int[] {151667}, gguf("qwen3").encode("<think>", false, false));
        int[] ids = gguf("qwen3").encode("a<think>b</think>", false, false);
        assertArrayEquals(hf("qwen3").encode("a<think>b</think>", false, false), ids);
        assertEquals("a<think>b</think>", gguf("qwen3").decode(ids, 0, ids.length, true));
    }

    @Test
    void sentencePieceAddsTheDummyPrefixAfterAControlToken() throws Exception {
        Tokenizer g = gguf("stories260K"), h = hf("stories260K");
        for (String text : new String[] {"<s>[INST] Hi", "</s>Once upon", "a</s>b"}) {
            int[] ids = g.encode(text, false, false);
            assertArrayEquals(h.encode(text, false, false), ids, text);
            assertEquals(text, g.decode(ids, 0, ids.length, false), text);
        }
        int[] ids = g.encode("<s>[INST]", false, false);
        assertEquals(1, ids[0]);
        assertTrue(g.tokenText(ids[1]).startsWith(" "), "no dummy prefix after <s>: " + g.tokenText(ids[1]));
    }

    @Test
    void gemmaHonoursAddSpacePrefixFalseAndKeepsLeadingSpaces() throws Exception {
        Tokenizer g = gguf("gemma3"), h = hf("gemma3");
        for (String text : new String[] {"Hello", " Hello", "  two spaces", "<start_of_turn>user\nHi<end_of_turn>", "<0x0A> is text"}) {
            int[] ids = g.encode(text, false, false);
            assertArrayEquals(h.encode(text, false, false), ids, text);
            assertEquals(text, g.decode(ids, 0, ids.length, false), text);
        }
        assertFalse(g.tokenText(g.encode("Hello", false, false)[0]).startsWith(" "));
        assertArrayEquals(h.encode("Hello", true, false), g.encode("Hello", true, false));
    }

    @Test
    void unknownPreTokenizerIsRefusedByName() {
        Map<String, Object> meta = new HashMap<>(Map.of("tokenizer.ggml.model", "gpt2", "tokenizer.ggml.tokens", java.util.List.of("a"),
                "tokenizer.ggml.merges", java.util.List.of(), "tokenizer.ggml.pre", "made-up-pre"));
        var e = assertThrows(IllegalArgumentException.class, () -> new ByteBpeTokenizer(new GgufMetadata(meta)));
        assertTrue(e.getMessage().contains("'made-up-pre'"), e.getMessage());
        meta.remove("tokenizer.ggml.pre");
        assertThrows(IllegalArgumentException.class, () -> new ByteBpeTokenizer(new GgufMetadata(meta)));
    }

    @Test
    void textSpellingASpecialTokenIsThatTokenWithoutLosingBytes() throws Exception {
        String text = "é<|im_start|>user\n<｜end▁of▁sentence｜>ü<|im_end|>";
        for (Tokenizer t : new Tokenizer[] {hf("qwen3"), gguf("qwen3")}) {
            int[] ids = t.encode(text, false, false);
            assertTrue(java.util.Arrays.stream(ids).anyMatch(i -> i == 151644) && ids[ids.length - 1] == 151645, java.util.Arrays.toString(ids));
            assertEquals(text, t.decode(ids, 0, ids.length, false));
        }
        // a byte-level vocabulary where the full-width DeepSeek token is special: no byte of it may be lost
        ByteBpeTokenizer t = ByteBpeTokenizerTest.tokenizer("llama-bpe", "<｜end▁of▁sentence｜>");
        int[] ids = t.encode("x<｜end▁of▁sentence｜>y<｜end▁of", false, false);
        assertEquals(267, ids[1]);
        assertEquals("x<｜end▁of▁sentence｜>y<｜end▁of", t.decode(ids, 0, ids.length, false));
        assertEquals("xy<｜end▁of", t.decode(ids, 0, ids.length, true));
    }
}
