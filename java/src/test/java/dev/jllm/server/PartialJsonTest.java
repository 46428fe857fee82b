package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** PartialJson: the object a cut JSON text spells so far (Anthropic's tool_use input of a call cut by max_tokens). */
class PartialJsonTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static void check(String cut, String expected) throws Exception {
        assertEquals(JSON.readTree(expected), PartialJson.object(cut), cut);
    }

    @Test
    void completeMembersAndCutStringsAreKept() throws Exception {
        check("{\"city\": \"Paris\", \"unit\": \"celsius\"}", "{\"city\": \"Paris\", \"unit\": \"celsius\"}");
        check("{\"city\": \"Pa", "{\"city\": \"Pa\"}");
        check("{\"city\": \"Paris\"", "{\"city\": \"Paris\"}");
        check("{\"city\": \"Paris\",", "{\"city\": \"Paris\"}");
        check("{\"city\": \"Paris\", \"un", "{\"city\": \"Paris\"}");
        check("{\"city\": \"Paris\", \"unit\"", "{\"city\": \"Paris\"}");
        check("{\"city\": \"Paris\", \"unit\":", "{\"city\": \"Paris\"}");
        check("{\"city\": \"Paris\", \"unit\": ", "{\"city\": \"Paris\"}");
        check("{\"a\": {\"b\": [1, 2, {\"c\": \"x", "{\"a\": {\"b\": [1, 2, {\"c\": \"x\"}]}}");
    }

    @Test
    void cutNumbersLiteralsAndEscapesAreLeftOut() throws Exception {
        check("{\"n\": 12", "{}");  // the number may go on
        check("{\"n\": 12,", "{\"n\": 12}");
        check("{\"n\": 12, \"b\": tr", "{\"n\": 12}");
        check("{\"b\": true}", "{\"b\": true}");
        check("{\"b\": [true, nul", "{\"b\": [true]}");
        check("{\"s\": \"a\\\"b\\u00e", "{\"s\": \"a\\\"b\"}");
        check("{\"s\": \"a\\", "{\"s\": \"a\"}");
        check("{\"s\": \"\\u00e9t\\u00e9\"", "{\"s\": \"été\"}");
    }

    @Test
    void nothingOfAnObjectIsEmpty() throws Exception {
        for (String t : new String[] {"", "   ", "{", "{\"", "[1, 2]", "\"text\"", "nonsense", "{\"a\" 1}"}) check(t, "{}");
        check("{\"a\": 1 x", "{\"a\": 1}");  // read up to where it stops making sense
    }
}
