package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** EBNF grammars (Lark and GBNF dialects) recognised by the Earley parser, including recursion no regex can do. */
class GrammarTest {
    static boolean accepts(String grammar, String text) {
        Earley e = new Earley(Grammar.parse(grammar));
        Earley.Chart c = e.start();
        for (int i = 0; i < text.length() && c != null; ) {
            int cp = text.codePointAt(i);
            c = e.scan(c, cp);
            i += Character.charCount(cp);
        }
        return c != null && e.accepts(c);
    }

    static final String ARITH = """
            ?start: expr
            ?expr: term (("+" | "-") term)*
            ?term: factor (("*" | "/") factor)*
            ?factor: NUMBER | "-" factor | "(" expr ")"
            %import common.NUMBER
            %import common.WS
            %ignore WS
            """;

    @Test
    void larkArithmeticWithIgnoredWhitespace() {
        for (String ok : new String[] {"1", "1+2", "(1+2)*3", " -4 * ( 2 + 3.5 ) ", "((((7))))"}) assertEquals(true, accepts(ARITH, ok), ok);
        for (String bad : new String[] {"", "1+", "((1)", "1 2", "*3", "(1))"}) assertEquals(false, accepts(ARITH, bad), bad);
    }

    /** %ignore text may stand before, between and after tokens, around optional parts too, and nowhere inside one. */
    @Test
    void ignoredWhitespaceAroundOptionalParts() {
        String sql = MaskSpeed.LARK_SQL;
        for (String ok : new String[] {"SELECT * FROM t", "  SELECT  a ,b.c AS d\nFROM t  WHERE a = 1 ORDER BY a ;  ", "SELECT a FROM t;"})
            assertEquals(true, accepts(sql, ok), ok);
        for (String bad : new String[] {"SEL ECT * FROM t", "SELECT * FROM t WHERE", "SELECT a b FROM t", "SELECT * FROM t ; ;"})
            assertEquals(false, accepts(sql, bad), bad);
    }

    @Test
    void balancedParenthesesNeedAPushdownAutomaton() {
        String g = "start: \"(\" start \")\" start | \"\"\n";
        for (String ok : new String[] {"", "()", "(())()", "((()))(())"}) assertEquals(true, accepts(g, ok), ok);
        for (String bad : new String[] {"(", ")(", "(()", "())"}) assertEquals(false, accepts(g, bad), bad);
    }

    @Test
    void gbnfClassesOptionalsAndRepetition() {
        String g = "root ::= \"[\" item (\",\" item)* \"]\"\nitem ::= [a-z]+ | \"null\" | num\nnum ::= \"-\"? [0-9]+\n";
        for (String ok : new String[] {"[a]", "[a,bc,null]", "[-12,x]"}) assertEquals(true, accepts(g, ok), ok);
        for (String bad : new String[] {"[]", "[a,]", "[A]", "a"}) assertEquals(false, accepts(g, bad), bad);
        String lark = "start: greeting NAME? \"!\"\ngreeting: \"hi\" | \"hello\"\nNAME: \" \" /[A-Z][a-z]+/\n";
        for (String ok : new String[] {"hi!", "hello Bob!"}) assertEquals(true, accepts(lark, ok), ok);
        assertEquals(false, accepts(lark, "hello bob!"));
    }

    @Test
    void jsonObjectNestsWithoutLimit() {
        String g = Constraints.jsonObjectGrammar(null);
        String deep = "{\"a\": ".repeat(12) + "[1, -2.5e3, \"x\\\"y\", true, null, {}]" + "}".repeat(12);
        for (String ok : new String[] {"{}", "{\"a\":1}", "{ \"a\" : [ ] }", deep, "{\"k\":{\"l\":[[[[{}]]]]}}"})
            assertEquals(true, accepts(g, ok), ok);
        for (String bad : new String[] {"[]", "1", "{\"a\"}", "{a:1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":\"\n\"}", deep + "}"})
            assertEquals(false, accepts(g, bad), bad);
        assertEquals(true, accepts(Constraints.jsonObjectGrammar("[ \\n]*"), "{\n  \"a\": 1\n}"));
    }

    @Test
    void badGrammarsAreRefusedWithAReason() {
        assertThrows(IllegalArgumentException.class, () -> Grammar.parse("start: undefined_rule\n"));
        assertThrows(IllegalArgumentException.class, () -> Grammar.parse("start: \"a\n"));
        assertThrows(IllegalArgumentException.class, () -> Grammar.parse("%import common.NOPE\nstart: NOPE\n"));
        assertThrows(IllegalArgumentException.class, () -> Grammar.parse(""));
    }
}
