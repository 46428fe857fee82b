package dev.jllm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Streaming text from tokens one at a time: multi-byte characters split over byte-fallback tokens come out whole. */
class IncrementalDetokenizerTest {
    @Test
    void deltasConcatenateToTheTextAndNeverSplitACharacter() throws Exception {
        for (java.nio.file.Path model : new java.nio.file.Path[] {TestModels.hf(), TestModels.gguf()}) {
            try (Tokenizer tok = Tokenizers.load(model, null)) {
                int[] prompt = tok.encode("Once upon a time", true, false);
                String generated = " there was é, € and 🙂 — \"quoted\"\nnew line";
                int[] out = tok.encode(generated, false, false);
                // the multi-byte characters really are split over several byte tokens
                assertTrue(Arrays.stream(out).filter(id -> tok.tokenText(id).contains("\uFFFD") || tok.tokenText(id).isEmpty()).count() > 0
                        || out.length > generated.length() / 2);
                int[] all = new int[prompt.length + out.length];
                System.arraycopy(prompt, 0, all, 0, prompt.length);
                System.arraycopy(out, 0, all, prompt.length, out.length);
                IncrementalDetokenizer.State st = new IncrementalDetokenizer.State(prompt.length);
                StringBuilder text = new StringBuilder();
                int held = 0;
                for (int n = prompt.length + 1; n <= all.length; n++) {
                    String d = IncrementalDetokenizer.next(tok, all, n, st, true);
                    assertFalse(d.contains("\uFFFD"), "a delta carried half a character: " + d);
                    if (d.isEmpty()) held++;
                    text.append(d);
                }
                String whole = tok.decode(all, 0, all.length, true), head = tok.decode(prompt, 0, prompt.length, true);
                assertEquals(whole.substring(head.length()), text.toString(), model.toString());
                assertTrue(text.toString().contains("é, € and 🙂 — \"quoted\"\nnew line"));
                assertTrue(held > 0, "some tokens were held back until their character completed");
            }
        }
    }
}
