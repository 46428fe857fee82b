package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Our regex automaton against java.util.regex on random strings. */
class RegexTest {
    static final String[] PATTERNS = {
        "abc", "a|b|cd", "(ab)*c", "a+b?c*", "[a-c]{2,4}", "[^ab]x", "\\d{3}-\\d{2}", "(?:a|b){3}", "a.c",
        "[\\w]+@[a-z]+\\.com", "\\s*x\\s*", "(a|ab)(c|bcd)", "x{0,2}y{2}z{1,}", "[a\\-c]+", "\\[a\\]", "é+ü?",
        "(?:[0-9]|[a-f]){2}", "a{3}", "(a*)*b", "\\u00e9|\\x41", "[😀-😂]+",
        // {n,} with n >= 2: every copy of the atom is taken before the copies are chained
        "a{2,}", "(?:ab|c){3,}", "(?:x|yz){2,}b", "[0-9]{4,}"};
    static final String ALPHABET = "abcdxyz0129-@.é ü[]AéB😀😁";

    @Test
    void agreesWithJavaRegexOnRandomStrings() {
        Random rnd = new Random(42);
        int checked = 0;
        for (String p : PATTERNS) {
            Dfa dfa = new Dfa(Regex.compile(p));
            Pattern ref = Pattern.compile(p);
            for (int i = 0; i < 3000; i++) {
                StringBuilder s = new StringBuilder();
                int len = rnd.nextInt(8);
                for (int k = 0; k < len; k++) s.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, rnd.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
                String str = s.toString();
                int st = dfa.walk(dfa.start, str);
                boolean ours = st != Dfa.DEAD && dfa.isAccepting(st);
                assertEquals(ref.matcher(str).matches(), ours, "pattern " + p + " on '" + str + "'");
                checked++;
            }
        }
        assertTrue(checked > 50_000);
    }

    @Test
    void quotingMakesLiterals() {
        String lit = "a.b*c(d)[e]{f}|g\\h?+^$";
        Dfa dfa = new Dfa(Regex.compile(Regex.quote(lit)));
        assertTrue(dfa.isAccepting(dfa.walk(dfa.start, lit)));
        assertEquals(Dfa.DEAD, dfa.walk(dfa.start, "aXb"));
    }

    @Test
    void badPatternsAreRefusedWithThePosition() {
        for (String bad : new String[] {"(ab", "a)", "[abc", "*a", "a{5,2}", "\\q"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Regex.compile(bad), bad);
            assertTrue(e.getMessage().contains("position"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Regex.compile("(a{1000}){1000}"));
    }
}
