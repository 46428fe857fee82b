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

    @Test
    void aPatternNeverWritesARawQuoteOrControlCharacter() throws Exception {
        // JSON Schema patterns are about the string's value; its JSON text must still be a valid string literal
        String s = "{\"type\":\"string\",\"pattern\":\".*\"}";
        yes(s, "\"ab c\"", "\"\"");
        no(s, "\"a\"b\"", "\"a\\\"", "\"a\nb\"");
        no("{\"type\":\"string\",\"pattern\":\"^[^a]+$\"}", "\"x\"y\"");
    }

    @Test
    void moreFormats() throws Exception {
        yes("{\"type\":\"string\",\"format\":\"ipv4\"}", "\"192.168.0.1\"", "\"0.0.0.0\"", "\"255.255.255.255\"");
        no("{\"type\":\"string\",\"format\":\"ipv4\"}", "\"256.1.1.1\"", "\"1.2.3\"", "\"01.2.3.4\"");
        yes("{\"type\":\"string\",\"format\":\"ipv6\"}", "\"::1\"", "\"::\"", "\"2001:db8::8a2e:370:7334\"", "\"fe80:0:0:0:0:0:0:1\"", "\"::ffff:192.0.2.1\"");
        no("{\"type\":\"string\",\"format\":\"ipv6\"}", "\"1::2::3\"", "\"12345::1\"", "\"1:2:3:4:5:6:7:8:9\"");
        yes("{\"type\":\"string\",\"format\":\"hostname\"}", "\"example.com\"", "\"a-b.c1\"");
        no("{\"type\":\"string\",\"format\":\"hostname\"}", "\"-a.com\"", "\"a..b\"");
        yes("{\"type\":\"string\",\"format\":\"duration\"}", "\"P3Y6M4DT12H30M5S\"", "\"PT5S\"", "\"P2W\"", "\"P1D\"");
        no("{\"type\":\"string\",\"format\":\"duration\"}", "\"P\"", "\"PT\"", "\"P1DT\"");
        yes("{\"type\":\"string\",\"format\":\"uri\"}", "\"https://example.com/a?b=c#d\"", "\"urn:isbn:0451450523\"");
        no("{\"type\":\"string\",\"format\":\"uri\"}", "\"no scheme\"", "\"http://a b\"");
    }

    @Test
    void prefixItemsAreTuples() throws Exception {
        String closed = "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\"}],\"items\":false,\"minItems\":2}";
        yes(closed, "[1, \"a\"]", "[1,\"a\"]");
        no(closed, "[1]", "[1, \"a\", 2]", "[\"a\", 1]", "[]");
        String open = "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\"}],\"items\":{\"type\":\"boolean\"},\"maxItems\":3}";
        yes(open, "[]", "[1]", "[1, \"a\"]", "[1, \"a\", true]");
        no(open, "[1, \"a\", true, false]", "[1, \"a\", 3]", "[\"a\"]");
        String onlyItems = "{\"type\":\"array\",\"prefixItems\":[],\"items\":{\"type\":\"integer\"},\"minItems\":2,\"maxItems\":3}";
        yes(onlyItems, "[1, 2]", "[1, 2, 3]");
        no(onlyItems, "[1]", "[1, 2, 3, 4]", "[]");
    }

    @Test
    void keywordsOneRegexCannotEnforceAreRefusedByName() {
        String[][] cases = {
            {"{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}", "uniqueItems"},
            {"{\"not\":{\"type\":\"string\"}}", "'not'"},
            {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"minProperties\":1}", "minProperties"},
            {"{\"type\":\"object\",\"patternProperties\":{\"^x\":{\"type\":\"integer\"}}}", "'patternProperties'"},
            {"{\"type\":\"string\",\"pattern\":\"^a+$\",\"maxLength\":3}", "minLength/maxLength together with pattern"},
            {"{\"type\":\"string\",\"format\":\"hostname\",\"minLength\":3}", "minLength/maxLength together with format"},
            {"{\"type\":\"string\",\"format\":\"iri\"}", "unsupported string format 'iri'"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(JSON.readTree(c[0]), null), c[0]);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void recursionPastItsBoundTakesABranchThatEnds() throws Exception {
        // a Pydantic tree: beyond the $ref bound only an empty `kids` remains possible — never a null node
        String tree = "{\"$defs\":{\"Node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                + "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/Node\"}}},\"required\":[\"v\",\"kids\"]}},\"$ref\":\"#/$defs/Node\"}";
        yes(tree, "{\"v\":1,\"kids\":[]}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]}]}");
        no(tree, "{\"v\":1,\"kids\":[null]}");
        String deep = "{\"v\":0,\"kids\":[]}";
        for (int i = 0; i < 40; i++) deep = "{\"v\":0,\"kids\":[" + deep + "]}";
        no(tree, deep);  // past the bound
        String nulls = "{\"v\":0,\"kids\":[null]}";
        for (int i = 0; i < 40; i++) nulls = "{\"v\":0,\"kids\":[" + nulls + "]}";
        no(tree, nulls);
        // no state a walk can reach is a dead end: from every prefix of a valid document some continuation remains
        Dfa d = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(tree), null)));
        String doc = "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]}]}";
        for (int k = 0; k <= doc.length(); k++) org.junit.jupiter.api.Assertions.assertTrue(d.isLive(d.walk(d.start, doc.substring(0, k))), doc.substring(0, k));
        // `#` is the root; a recursion that must go on forever matches no text
        yes("{\"type\":\"object\",\"properties\":{\"c\":{\"$ref\":\"#\"}}}", "{\"c\":{}}");
        String endless = "{\"$defs\":{\"N\":{\"type\":\"object\",\"properties\":{\"c\":{\"$ref\":\"#/$defs/N\"}},\"required\":[\"c\"]}},\"$ref\":\"#/$defs/N\"}";
        Dfa e = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(endless), null)));
        org.junit.jupiter.api.Assertions.assertFalse(e.isLive(e.start), "an endless required recursion matches nothing");
    }

    @Test
    void unsupportedRegexSyntaxIsRefusedClearly() {
        String[][] cases = {{"(?<=a)b", "lookahead and lookbehind"}, {"(?!a)b", "lookahead and lookbehind"}, {"(?i)abc", "inline flags"},
            {"(".repeat(20000) + "a" + ")".repeat(20000), "nests too deeply"}};
        for (String[] c : cases) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Regex.compile(c[0]));
            org.junit.jupiter.api.Assertions.assertTrue(ex.getMessage().contains(c[1]), ex.getMessage());
        }
    }
}
