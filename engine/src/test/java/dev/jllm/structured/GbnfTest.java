package dev.jllm.structured;

import static dev.jllm.structured.GrammarTest.accepts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

/** llama.cpp's GBNF syntax (grammars/README.md there): grammars written from that spec parse and constrain. */
class GbnfTest {
    /** JSON as llama.cpp's grammars/json.gbnf writes it: multi-line rules, comments, negated classes, {m,n}. */
    static final String JSON = """
            root   ::= object
            value  ::= object | array | string | number | ("true" | "false" | "null") ws

            object ::=
              "{" ws (
                        string ":" ws value
                ("," ws string ":" ws value)*
              )? "}" ws

            array  ::=
              "[" ws (
                        value
                ("," ws value)*
              )? "]" ws

            string ::=
              "\\"" (
                [^"\\\\\\x7F\\x00-\\x1F] |
                "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
              )* "\\"" ws

            number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

            # optional space: after literal chars where allowed
            ws ::= | " " | "\\n" [ \\t]{0,20}
            """;

    @Test
    void llamaCppJsonGrammar() {
        for (String ok : new String[] {"{}", "{\"a\":1}", "{ \"a\": [1, -2.5e3, \"x\\\"y\\u00e9\", true, null, {}]}",
                "{\n  \"k\": {\"l\": [[[]]]}\n}", "{\"s\":\"ünïcode 😀\"}"})
            assertTrue(accepts(JSON, ok), ok);
        for (String bad : new String[] {"[]", "{\"a\"}", "{a:1}", "{\"a\":1,}", "{\"a\":\"\n\"}", "{\"a\":\"\\q\"}",
                "{\"a\":\"\\u12\"}", "{  }", "{\"a\":01}"})
            assertEquals(false, accepts(JSON, bad), bad);
    }

    /** On stories260K's vocabulary: each token of a valid document is allowed, EOS only at its end, a bad token never. */
    @Test
    void jsonGrammarMasksTokens() throws Exception {
        try (Tokenizer tok = Tokenizers.load(TestModels.hf(), null)) {
            TokenConstraint c = Constraints.of(tok).grammar(JSON);
            int eos = tok.eosIds().iterator().next();
            int[] mask = new int[(tok.vocabSize() + 31) / 32];
            int[] ids = spell(tok, "{\"name\": [1, \"a b\"]}");
            int quote = spell(tok, "\"")[0];
            for (int i = 0; i < ids.length; i++) {
                java.util.Arrays.fill(mask, 0);
                c.fillAllowed(mask);
                assertTrue(allowed(mask, ids[i]), "token " + i + " of the document");
                assertEquals(false, allowed(mask, eos), "EOS before the end, at token " + i);
                if (i == 0) assertEquals(false, allowed(mask, quote), "a JSON object cannot start with '\"'");
                c.accept(ids[i]);
            }
            java.util.Arrays.fill(mask, 0);
            c.fillAllowed(mask);
            assertTrue(allowed(mask, eos), "EOS after the closing brace");
            assertTrue(c.isComplete());
        }
    }

    /** The text as vocabulary tokens, longest match first (the tokenizer's own encode adds a leading space). */
    private static int[] spell(Tokenizer tok, String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int at = 0; at < b.length; ) {
            int best = -1, len = 0;
            for (int id = 0; id < tok.vocabSize(); id++) {
                byte[] t = tok.tokenBytes(id);
                if (t != null && t.length > len && at + t.length <= b.length
                        && java.util.Arrays.equals(t, 0, t.length, b, at, at + t.length)) { best = id; len = t.length; }
            }
            assertTrue(best >= 0, "no token for byte " + at);
            out.add(best);
            at += len;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean allowed(int[] mask, int id) {
        return (mask[id >> 5] >>> (id & 31) & 1) != 0;
    }

    @Test
    void arithmeticAndListGrammars() {
        String arith = """
                root  ::= (expr "=" ws term "\\n")+
                expr  ::= term ([-+*/] term)*
                term  ::= ident | num | "(" ws expr ")" ws
                ident ::= [a-z] [a-z0-9_]* ws
                num   ::= [0-9]+ ws
                ws    ::= [ \\t\\n]*
                """;
        for (String ok : new String[] {"1+2=3\n", "(a1 *2)/x_y = 7\nb=c\n"}) assertTrue(accepts(arith, ok), ok);
        for (String bad : new String[] {"1+2=3", "1+=3\n", "(1=2\n", "A=1\n"}) assertEquals(false, accepts(arith, bad), bad);
        String list = "# a grammar for lists\nroot ::= (\"- \" item)+\nitem ::= [^\\n]+ \"\\n\"\n";
        for (String ok : new String[] {"- milk\n", "- eggs [6]\n- \"quoted\" ]\n"}) assertTrue(accepts(list, ok), ok);
        for (String bad : new String[] {"- \n", "milk\n", "- a\nb\n"}) assertEquals(false, accepts(list, bad), bad);
    }

    @Test
    void characterClassesEscapesAndAnyChar() {
        assertTrue(accepts("root ::= [^\"]+", "abc d'"));                 // negation, a quote inside a class
        assertEquals(false, accepts("root ::= [^\"]+", "a\"b"));
        assertTrue(accepts("root ::= [\"a]+", "a\"a"));
        assertTrue(accepts("root ::= [a-z ]+", "hello world"));            // a space inside a class
        assertEquals(false, accepts("root ::= [a-z ]+", "Hello"));
        assertTrue(accepts("root ::= [\\]\\[\\\\-]+", "][\\-"));           // \] \[ \\ and a trailing '-'
        assertTrue(accepts("root ::= \"\\x41\\u00e9\\U0001F600\\t\" [\\x30-\\x39]", "Aé😀\t7"));
        assertTrue(accepts("root ::= . . .", "a\n😀"));                     // '.' is any one code point
        assertEquals(false, accepts("root ::= . . .", "ab"));
        assertTrue(accepts("root ::= \"say \\\"hi\\\"\" # comment with \"quote\n", "say \"hi\""));
    }

    @Test
    void boundedRepetitionOnClassesAndRules() {
        String three = "root ::= [a-z]{3}";
        assertTrue(accepts(three, "abc"));
        for (String bad : new String[] {"ab", "abcd"}) assertEquals(false, accepts(three, bad), bad);
        String g = "root ::= item{2,4} tail-part{1,}\nitem ::= \"<\" (\"x\" | item) \">\"\ntail-part ::= \"!\"\n";
        for (String ok : new String[] {"<x><x>!", "<x><<x>><x><x>!!!"}) assertTrue(accepts(g, ok), ok);
        for (String bad : new String[] {"<x>!", "<x><x><x><x><x>!", "<x><x>"}) assertEquals(false, accepts(g, bad), bad);
        String atMost = "root ::= (\"ab\" | ws){0,2} \".\"\nws ::= \" \"\n";
        for (String ok : new String[] {".", "ab.", "ab .", "  ."}) assertTrue(accepts(atMost, ok), ok);
        assertEquals(false, accepts(atMost, "abab ."));
    }

    @Test
    void alternativesContinueAfterABarAndEndAtANewline() {
        String g = "root ::= \"a\" |\n  \"b\"\nother ::= \"c\"\n";
        for (String ok : new String[] {"a", "b"}) assertTrue(accepts(g, ok), ok);
        assertEquals(false, accepts(g, "c"));
        assertTrue(accepts("space ::= | \" \"\nroot ::= \"x\" space \"y\"", "x y"));
        assertTrue(accepts("space ::= | \" \"\nroot ::= \"x\" space \"y\"", "xy"));
        // CR LF line ends; capitalised rule names (llama.cpp's JSON-schema converter writes them) are rules, not Lark terminals
        String crlf = "root ::= QAPair+\r\nQAPair ::= \"q\" |\r\n  \"a\"\r\n";
        for (String ok : new String[] {"q", "qaq"}) assertTrue(accepts(crlf, ok), ok);
        assertEquals(false, accepts(crlf, "qx"));
    }

    @Test
    void badGbnfIsRefusedWithItsPlace() {
        String[][] cases = {
            {"root ::= [a-z", "unterminated character class"},
            {"root ::= \"ab", "unterminated string"},
            {"root ::= \"\\q\"", "unknown escape \\q"},
            {"root ::= \"a\"{3,1}", "max < min"},
            {"root ::= \"a\"{2", "expected '}'"},
            {"root ::= missing-rule", "'missing-rule' is used but not defined"},
            {"root ::= \"a\" )", "unexpected ')'"},
            {"root ::= \"a\"\nroot ::= \"b\"", "defined twice"},
            {"root ::= \"a\"\n\"b\"", "expected a rule name"},
            {"root ::= \"\\x4\"", "needs 2 hex digits"},
            {"root ::= root", "matches no text"},
            {"root ::= \"a\" loop\nloop ::= \"b\" loop", "matches no text"},
            {"start: x\nx: \"(\" x \")\"", "matches no text"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grammar.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void larkIgnoresALiteralOrRegexBetweenTokens() {
        String g = "start: \"a\" item+ \"z\"\nitem: \"b\" | \"c\"\n%ignore \" \"\n";
        for (String ok : new String[] {"abz", "a b  c z", "  a b z "}) assertTrue(accepts(g, ok), ok);
        assertEquals(false, accepts(g, "a\tbz"));
        String two = "start: WORD (\",\" WORD)*\nWORD: /[a-z]+/\n%ignore /[\\t]/\n%ignore \" \"\n";
        for (String ok : new String[] {"ab, cd", "ab\t,\t cd"}) assertTrue(accepts(two, ok), ok);
        assertEquals(false, accepts(two, "a b"));  // ignored text separates tokens: "a b" is two WORDs with no comma
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grammar.parse("start: \"a\"\nws: \" \"\n%ignore ws\n"));
        assertTrue(e.getMessage().contains("%ignore ws"), e.getMessage());
    }
}
