package dev.jllm.structured;

import static dev.jllm.structured.JsonSchemaRegexTest.no;
import static dev.jllm.structured.JsonSchemaRegexTest.yes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Schema edge cases a fresh-user review found: each once broke the schema or gave a confusing message. */
class SchemaEdgeCasesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A required property the schema does not declare is emitted with any JSON value (as xgrammar), never left out. */
    @Test
    void anUndeclaredRequiredPropertyIsEmittedWithAnyValue() throws Exception {
        String s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"b\"]}";
        yes(s, "{\"b\": 1}", "{\"a\": 2, \"b\": \"x\"}", "{\"b\": {\"c\": [true]}}");
        no(s, "{}", "{ }", "{\"a\": 2}");
    }

    @Test
    void theSchemaFalseIsRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree("false"), null));
        assertEquals("the JSON schema `false` matches nothing", e.getMessage());
    }

    /** Between `{` and `}` (and `[` `]`) at most one whitespace by default, never "{  }". */
    @Test
    void emptyObjectsAndArraysHoldAtMostOneSpace() throws Exception {
        for (String s : new String[] {"{\"type\":\"object\"}", "{\"type\":\"object\",\"properties\":{\"a\":{}}}",
                "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "true"}) {
            yes(s, "{}", "{ }");
            no(s, "{  }");
        }
        for (String s : new String[] {"{\"type\":\"array\"}", "{\"type\":\"array\",\"maxItems\":0}", "{\"type\":\"array\",\"items\":false}",
                "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"}]}", "{\"type\":\"array\",\"prefixItems\":[],\"items\":{\"type\":\"integer\"}}"}) {
            yes(s, "[]", "[ ]");
            no(s, "[  ]");
        }
        yes("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "[1]", "[ 1, \"a\" ]", "[1,\"a\",null]");
        yes("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1}", "[ 1 ]", "[1, 2]");
        no("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1}", "[]", "[ ]");
        no("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\"}}}", "{\"a\": [  ]}");
        String g = Constraints.jsonObjectGrammar(null);
        assertTrue(GrammarTest.accepts(g, "{ }") && GrammarTest.accepts(g, "{\"a\": [ ]}"));
        assertEquals(false, GrammarTest.accepts(g, "{  }"));
        assertEquals(false, GrammarTest.accepts(g, "{\"a\": [  ]}"));
    }

    /** Number bounds with fractions (README says number bounds work): exact, on random bounds and numbers. */
    @Test
    void fractionalNumberBoundsAreExact() throws Exception {
        yes("{\"type\":\"number\",\"minimum\":1.5,\"maximum\":2.5}", "1.5", "2", "2.0", "2.25", "2.5", "2.500", "1.50001");
        no("{\"type\":\"number\",\"minimum\":1.5,\"maximum\":2.5}", "1.49", "1", "2.51", "3", "2.5001", "-2");
        long seed = Long.getLong("jllm.test.seed", System.nanoTime());
        System.out.println("SchemaEdgeCasesTest seed " + seed + " (-Djllm.test.seed to reproduce)");
        java.util.Random rnd = new java.util.Random(seed);
        for (int round = 0; round < 150; round++) {
            java.math.BigDecimal lo = rnd.nextInt(5) == 0 ? null : randomDecimal(rnd), hi = rnd.nextInt(5) == 0 ? null : randomDecimal(rnd);
            if (lo != null && hi != null && lo.compareTo(hi) > 0) { var t = lo; lo = hi; hi = t; }
            boolean loEx = rnd.nextInt(3) == 0, hiEx = rnd.nextInt(3) == 0;
            if (lo != null && hi != null && lo.compareTo(hi) == 0) loEx = hiEx = false;
            StringBuilder schema = new StringBuilder("{\"type\":\"number\"");
            if (lo != null) schema.append(loEx ? ",\"exclusiveMinimum\":" : ",\"minimum\":").append(lo.toPlainString());
            if (hi != null) schema.append(hiEx ? ",\"exclusiveMaximum\":" : ",\"maximum\":").append(hi.toPlainString());
            schema.append('}');
            Dfa dfa = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(schema.toString()), null)));
            for (int i = 0; i < 300; i++) {
                java.math.BigDecimal base = i % 3 == 0 && lo != null ? lo : i % 3 == 1 && hi != null ? hi : randomDecimal(rnd);
                String text = base.add(new java.math.BigDecimal(rnd.nextInt(7) - 3).movePointLeft(rnd.nextInt(4))).toPlainString();
                if (rnd.nextInt(4) == 0 && text.contains(".")) text += "0";
                if (text.equals("-0") || text.startsWith("-0") && new java.math.BigDecimal(text).signum() == 0) continue;
                java.math.BigDecimal v = new java.math.BigDecimal(text);
                int st = dfa.walk(dfa.start, text);
                boolean ours = st != Dfa.DEAD && dfa.isAccepting(st);
                boolean want = (lo == null || (loEx ? v.compareTo(lo) > 0 : v.compareTo(lo) >= 0))
                        && (hi == null || (hiEx ? v.compareTo(hi) < 0 : v.compareTo(hi) <= 0));
                assertEquals(want, ours, schema + " on " + text + " (seed " + seed + ")");
            }
        }
    }

    /** A decimal in about [-30, 30] with 0 to 3 fraction digits. */
    static java.math.BigDecimal randomDecimal(java.util.Random rnd) {
        return new java.math.BigDecimal(rnd.nextInt(60001) - 30000).movePointLeft(3).setScale(rnd.nextInt(4), java.math.RoundingMode.DOWN);
    }
}
