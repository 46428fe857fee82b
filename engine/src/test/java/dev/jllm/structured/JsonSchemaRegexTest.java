package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** JSON schemas as regular expressions: valid documents match, invalid ones do not. */
class JsonSchemaRegexTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static boolean matches(String schema, String doc) throws Exception {
        Dfa d = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(schema), null)));
        int s = d.walk(d.start, doc);
        return s != Dfa.DEAD && d.isAccepting(s);
    }

    static void yes(String schema, String... docs) throws Exception {
        for (String doc : docs) assertEquals(true, matches(schema, doc), doc + " should match " + schema);
    }

    static void no(String schema, String... docs) throws Exception {
        for (String doc : docs) assertEquals(false, matches(schema, doc), doc + " should not match " + schema);
    }

    @Test
    void scalarsEnumsAndConst() throws Exception {
        yes("{\"type\":\"integer\"}", "0", "-12", "345");
        no("{\"type\":\"integer\"}", "01", "1.5", "\"1\"");
        yes("{\"type\":\"number\"}", "1.5", "-0.25e10", "7");
        yes("{\"type\":\"boolean\"}", "true", "false");
        yes("{\"type\":\"null\"}", "null");
        yes("{\"enum\":[\"red\",1,null]}", "\"red\"", "1", "null");
        no("{\"enum\":[\"red\",1,null]}", "\"blue\"", "2");
        yes("{\"const\":\"x\"}", "\"x\"");
        yes("{\"type\":[\"string\",\"null\"]}", "\"a\"", "null");
    }

    @Test
    void stringsWithLengthsPatternsAndFormats() throws Exception {
        yes("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", "\"ab\"", "\"abc\"", "\"a\\\"\"");
        no("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", "\"a\"", "\"abcd\"");
        yes("{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}[0-9]+$\"}", "\"AB12\"");
        no("{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}[0-9]+$\"}", "\"ab12\"");
        yes("{\"type\":\"string\",\"format\":\"date\"}", "\"2024-07-26\"");
        no("{\"type\":\"string\",\"format\":\"date\"}", "\"2024-13-01\"");
        yes("{\"type\":\"string\",\"format\":\"date-time\"}", "\"2024-07-26T10:00:00Z\"");
        yes("{\"type\":\"string\",\"format\":\"time\"}", "\"23:59:01\"");
        yes("{\"type\":\"string\",\"format\":\"uuid\"}", "\"123e4567-e89b-12d3-a456-426614174000\"");
        yes("{\"type\":\"string\",\"format\":\"email\"}", "\"ada@example.org\"");
        no("{\"type\":\"string\",\"format\":\"email\"}", "\"ada.example.org\"");
    }

    @Test
    void objectsWithRequiredAndOptionalProperties() throws Exception {
        String s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"},\"c\":{\"type\":\"boolean\"}},\"required\":[\"b\"]}";
        yes(s, "{\"b\":\"x\"}", "{\"a\":1,\"b\":\"x\"}", "{\"a\":1, \"b\":\"x\", \"c\":true}", "{ \"b\" : \"x\" , \"c\" : false }");
        no(s, "{}", "{\"a\":1}", "{\"b\":\"x\",\"a\":1}", "{\"b\":1}");
        String opt = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"}}}";
        yes(opt, "{}", "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}");
        no(opt, "{\"b\":2,\"a\":1}", "{,}");
    }

    @Test
    void arraysNestingAnyOfAndRefs() throws Exception {
        String arr = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}";
        yes(arr, "[1]", "[1,2,3]", "[ 1 , 2 ]");
        no(arr, "[]", "[1,2,3,4]", "[\"a\"]");
        String refs = "{\"$defs\":{\"pt\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"}},\"required\":[\"x\"]}},"
                + "\"type\":\"object\",\"properties\":{\"p\":{\"$ref\":\"#/$defs/pt\"},\"q\":{\"anyOf\":[{\"type\":\"null\"},{\"$ref\":\"#/$defs/pt\"}]}},\"required\":[\"p\",\"q\"]}";
        yes(refs, "{\"p\":{\"x\":1},\"q\":null}", "{\"p\":{\"x\":1},\"q\":{\"x\":2.5}}");
        no(refs, "{\"p\":{},\"q\":null}");
        yes("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "{}", "{\"k\":1,\"j\":2}");
    }

    @Test
    void unsupportedOrInvalidSchemasAreRefusedByName() {
        assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree("{\"type\":\"tuple\"}"), null));
        assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree("{\"type\":\"string\",\"format\":\"ipv9\"}"), null));
        assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree("{\"$ref\":\"#/$defs/missing\"}"), null));
        assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree("{\"type\":\"array\",\"minItems\":3,\"maxItems\":1}"), null));
    }
}
