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

    @Test
    void fractionalNumberBoundsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonSchemaRegex.toRegex(JSON.readTree("{\"type\":\"number\",\"minimum\":1.5,\"maximum\":2.5}"), null));
        assertTrue(e.getMessage().contains("whole numbers"), e.getMessage());
    }
}
