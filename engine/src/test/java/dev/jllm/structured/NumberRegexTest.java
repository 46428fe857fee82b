package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * JSON-schema numeric bounds through the whole constraint path (schema → regex → our DFA) against the bounds'
 * arithmetic meaning, on random bounds and random JSON numbers.
 */
class NumberRegexTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static boolean accepts(String schema, String text) throws Exception {
        Dfa dfa = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(schema), null)));
        int st = dfa.walk(dfa.start, text);
        return st != Dfa.DEAD && dfa.isAccepting(st);
    }

    /** A random JSON number text: integers, fractions (sometimes with trailing zeros), occasionally an exponent. */
    static String randomNumber(Random rnd, boolean integer) {
        long mag = switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(10);
            case 1 -> rnd.nextInt(200);
            case 2 -> rnd.nextInt(100_000);
            default -> Math.abs(rnd.nextLong() % 10_000_000_000L);
        };
        String s = (rnd.nextInt(3) == 0 && mag != 0 ? "-" : "") + mag;
        if (!integer && rnd.nextBoolean()) s += "." + (rnd.nextInt(4) == 0 ? "0".repeat(1 + rnd.nextInt(3)) : String.valueOf(rnd.nextInt(1000)));
        if (!integer && rnd.nextInt(20) == 0) s += "e" + rnd.nextInt(3);
        return s;
    }

    @Test
    void boundsMeanWhatTheySayOnRandomCases() throws Exception {
        long seed = Long.getLong("jllm.test.seed", System.nanoTime());
        System.out.println("NumberRegexTest seed " + seed + " (-Djllm.test.seed to reproduce)");
        Random rnd = new Random(seed);
        int checked = 0, accepted = 0;
        for (int round = 0; round < 120; round++) {
            boolean integer = rnd.nextBoolean();
            Long lo = rnd.nextInt(4) == 0 ? null : (long) (rnd.nextInt(2000) - 1000);
            Long hi = rnd.nextInt(4) == 0 ? null : (lo == null ? 0 : lo) + rnd.nextInt(3000) - 200;
            if (lo != null && hi != null && hi < lo) hi = lo + rnd.nextInt(50);
            boolean loEx = rnd.nextInt(3) == 0, hiEx = rnd.nextInt(3) == 0;
            if (lo != null && hi != null && lo.equals(hi)) loEx = hiEx = false;
            StringBuilder schema = new StringBuilder("{\"type\":\"" + (integer ? "integer" : "number") + "\"");
            if (lo != null) schema.append(loEx ? ",\"exclusiveMinimum\":" : ",\"minimum\":").append(lo);
            if (hi != null) schema.append(hiEx ? ",\"exclusiveMaximum\":" : ",\"maximum\":").append(hi);
            schema.append('}');
            Dfa dfa = new Dfa(Regex.compile(JsonSchemaRegex.toRegex(JSON.readTree(schema.toString()), null)));
            for (int i = 0; i < 400; i++) {
                String text = i % 3 == 0 && lo != null ? String.valueOf(lo + rnd.nextInt(5) - 2)
                        : i % 3 == 1 && hi != null ? hi + rnd.nextInt(5) - 2 + (rnd.nextBoolean() ? ".0" : ".5") : randomNumber(rnd, integer);
                if (integer && text.contains(".")) text = text.substring(0, text.indexOf('.'));
                if (text.equals("-0")) continue;  // JSON allows it; the constraint does not emit it, which is fine either way
                int st = dfa.walk(dfa.start, text);
                boolean ours = st != Dfa.DEAD && dfa.isAccepting(st);
                BigDecimal v = new BigDecimal(text);
                boolean want = !text.contains("e")
                        && (lo == null || (loEx ? v.compareTo(BigDecimal.valueOf(lo)) > 0 : v.compareTo(BigDecimal.valueOf(lo)) >= 0))
                        && (hi == null || (hiEx ? v.compareTo(BigDecimal.valueOf(hi)) < 0 : v.compareTo(BigDecimal.valueOf(hi)) <= 0));
                if (lo == null && hi == null) want = !text.contains("e") || !integer;  // unbounded: any JSON number of the type
                assertEquals(want, ours, schema + " on " + text + " (seed " + seed + ")");
                checked++;
                if (ours) accepted++;
            }
        }
        assertTrue(checked > 30_000 && accepted > 3_000, checked + " checked, " + accepted + " accepted");
    }

    @Test
    void theIssueCaseAndDraft4Flags() throws Exception {
        String legs = "{\"type\":\"integer\",\"minimum\":0}";
        assertTrue(accepts(legs, "0") && accepts(legs, "4") && accepts(legs, "123456789012"));
        assertTrue(!accepts(legs, "-30") && !accepts(legs, "-1") && !accepts(legs, "04"));
        String d4 = "{\"type\":\"integer\",\"minimum\":5,\"exclusiveMinimum\":true,\"maximum\":10,\"exclusiveMaximum\":true}";
        assertTrue(!accepts(d4, "5") && accepts(d4, "6") && accepts(d4, "9") && !accepts(d4, "10"));
        String positive = "{\"type\":\"number\",\"exclusiveMinimum\":0}";
        assertTrue(accepts(positive, "0.5") && accepts(positive, "3") && !accepts(positive, "0") && !accepts(positive, "0.000")
                && !accepts(positive, "-0.5"));
        String mult = "{\"type\":\"integer\",\"minimum\":-20,\"maximum\":20,\"multipleOf\":5}";
        for (int v = -25; v <= 25; v++) assertEquals(v >= -20 && v <= 20 && v % 5 == 0, accepts(mult, String.valueOf(v)), "multipleOf 5: " + v);
    }

    @Test
    void whatARegularLanguageCannotSayIsRefusedByName() {
        for (String[] bad : new String[][] {
                {"{\"type\":\"number\",\"minimum\":1e-40}", "fraction digits"},
                {"{\"type\":\"integer\",\"multipleOf\":3}", "multipleOf 3"},
                {"{\"type\":\"integer\",\"minimum\":0,\"maximum\":100000,\"multipleOf\":7}", "at most 1000"},
                {"{\"type\":\"number\",\"multipleOf\":0.5}", "integers only"},
                {"{\"type\":\"integer\",\"minimum\":10,\"maximum\":5}", "no integer"}}) {
            JsonNode schema;
            try {
                schema = JSON.readTree(bad[0]);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonSchemaRegex.toRegex(schema, null), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
