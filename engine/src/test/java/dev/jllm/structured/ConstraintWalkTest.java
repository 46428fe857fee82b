package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random walks through JSON-schema constraints on stories260K's vocabulary (byte-fallback tokens, so a character
 * may be spelled byte by byte): every prefix a mask allows must leave some token allowed until the output is
 * complete — no dead end (such as a UTF-8 lead byte that can only become a surrogate), no exception.
 */
class ConstraintWalkTest {
    static final String[] SCHEMAS = {
        "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\",\"minLength\":3}},\"required\":[\"answer\"]}",
        "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"string\",\"minLength\":2}]},\"minItems\":3}",
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":-5,\"maximum\":300},\"s\":{\"type\":\"string\"}}}",
        "{\"enum\":[\"ü\",\"😀 smile\",\"with \\\"quote\\\"\"]}",
    };

    @Test
    void randomWalksNeverReachADeadEnd() throws Exception {
        long seed = Long.getLong("jllm.test.seed", 1L);
        System.out.println("ConstraintWalkTest seed " + seed);
        Random rnd = new Random(seed);
        try (Tokenizer tok = Tokenizers.load(TestModels.hf(), null)) {
            int[] mask = new int[(tok.vocabSize() + 31) / 32];
            int walks = 0;
            for (String schema : SCHEMAS) {
                for (int trial = 0; trial < 150; trial++, walks++) {
                    TokenConstraint c = Constraints.of(tok).jsonSchema(new ObjectMapper().readTree(schema), null);
                    List<Integer> taken = new ArrayList<>();
                    for (int step = 0; step < 80 && !c.isComplete(); step++) {
                        java.util.Arrays.fill(mask, 0);
                        c.fillAllowed(mask);
                        List<Integer> allowed = new ArrayList<>();
                        for (int id = 0; id < tok.vocabSize(); id++) if ((mask[id >> 5] >>> (id & 31) & 1) != 0) allowed.add(id);
                        assertFalse(allowed.isEmpty(), "dead end for " + schema + " after tokens " + taken + " (seed " + seed + ")");
                        int t = allowed.get(rnd.nextInt(allowed.size()));
                        taken.add(t);
                        c.accept(t);
                    }
                }
            }
            assertTrue(walks == SCHEMAS.length * 150);
        }
    }
}
