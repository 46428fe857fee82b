package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.TestModels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TokenizerTest {
    @Test
    void hfAndGgufTokenizersMatchTheReferencePromptIds() throws Exception {
        try (Tokenizer hf = Tokenizers.load(TestModels.hf(), null); Tokenizer gguf = Tokenizers.load(TestModels.gguf(), null)) {
            for (JsonNode c : TestModels.greedyReference().path("cases")) {
                int[] want = TestModels.ints(c.path("prompt_token_ids"));
                assertArrayEquals(want, hf.encode(c.path("prompt").asText(), true, false), "HF: " + c.path("prompt"));
                assertArrayEquals(want, gguf.encode(c.path("prompt").asText(), true, false), "GGUF: " + c.path("prompt"));
            }
            String text = "Héllo wörld, 你好 🙂\n\ttabs  and  spaces";
            assertArrayEquals(hf.encode(text, true, false), gguf.encode(text, true, false));
            int[] ids = hf.encode(text, false, false);
            assertEquals(text, hf.decode(ids, 0, ids.length, true));
            assertEquals(text, gguf.decode(ids, 0, ids.length, true));
        }
    }

    @Test
    void longInputsAreNotTruncated() throws Exception {
        try (Tokenizer hf = Tokenizers.load(TestModels.hf(), null)) {
            String text = "word ".repeat(700);
            assertTrue(hf.encode(text, true, false).length > 700);
        }
    }

    @Test
    void textSpellingASpecialTokenIsThatToken() throws Exception {
        // transformers' default (what vLLM users get): "</s>" typed in text is EOS, on both paths
        try (Tokenizer hf = Tokenizers.load(TestModels.hf(), null); Tokenizer gguf = Tokenizers.load(TestModels.gguf(), null)) {
            for (Tokenizer t : new Tokenizer[] {hf, gguf}) {
                int[] ids = t.encode("a</s>b", false, false);
                assertTrue(Arrays.stream(ids).anyMatch(id -> id == 2), "</s> should be EOS: " + Arrays.toString(ids));
                assertArrayEquals(ids, t.encode("a</s>b", false, true));
                assertEquals("a</s>b", t.decode(ids, 0, ids.length, false));
                assertEquals("ab", t.decode(ids, 0, ids.length, true));
            }
            assertEquals(2, hf.eosId());
            assertEquals(1, hf.bosId());
            assertEquals(" was", hf.tokenText(hf.encode("was", false, false)[0]));
        }
    }
}
