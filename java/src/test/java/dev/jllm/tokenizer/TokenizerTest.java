package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void specialTokenTextTypedByUsersStaysText() throws Exception {
        try (Tokenizer hf = Tokenizers.load(TestModels.hf(), null); Tokenizer gguf = Tokenizers.load(TestModels.gguf(), null)) {
            for (Tokenizer t : new Tokenizer[] {hf, gguf}) {
                int[] plain = t.encode("a</s>b", false, false);
                assertFalse(Arrays.stream(plain).anyMatch(id -> id == 2), "</s> became EOS: " + Arrays.toString(plain));
                assertTrue(t.decode(plain, 0, plain.length, true).contains("</s>"));
                int[] parsed = t.encode("a</s>b", false, true);
                assertTrue(Arrays.stream(parsed).anyMatch(id -> id == 2), "parseSpecial should give EOS");
            }
            assertEquals(2, hf.eosId());
            assertEquals(1, hf.bosId());
            assertEquals(" was", hf.tokenText(hf.encode("was", false, false)[0]));
        }
    }
}
