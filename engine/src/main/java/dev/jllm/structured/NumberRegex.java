package dev.jllm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Schema numeric bounds as regular expressions over the JSON number text: `minimum`, `maximum`,
 * `exclusiveMinimum`, `exclusiveMaximum` (draft 6+ numbers, or draft 4 booleans beside minimum/maximum) and
 * `multipleOf` (integers with a finite range of at most {@link #MAX_MULTIPLES} values).
 * Integers are exact. Numbers are exact for whole-number bounds (the integer part decides, the fraction only at
 * a bound) and then carry no exponent; fractional bounds on numbers are refused with a message, not ignored.
 */
final class NumberRegex {
    static final int MAX_MULTIPLES = 1000;
    /** Bounds beyond ±10^18 are treated as absent (they exceed what a long holds with room to spare). */
    static final long LIMIT = 1_000_000_000_000_000_000L;
    static final String FRACTION = "(?:\\.[0-9]+)?";
    static final String NONZERO_FRACTION = "\\.[0-9]*[1-9][0-9]*";
    static final String ZERO_FRACTION = "(?:\\.0+)?";

    private NumberRegex() {}

    /** A bound read from the schema: value plus whether it is exclusive; null when absent. */
    record Bound(double value, boolean exclusive) {}

    static boolean bounded(JsonNode s) {
        return s.has("minimum") || s.has("maximum") || s.has("exclusiveMinimum") || s.has("exclusiveMaximum") || s.has("multipleOf");
    }

    static Bound lower(JsonNode s) {
        return bound(s, "minimum", "exclusiveMinimum");
    }

    static Bound upper(JsonNode s) {
        return bound(s, "maximum", "exclusiveMaximum");
    }

    private static Bound bound(JsonNode s, String inclusive, String exclusive) {
        JsonNode inc = s.get(inclusive), exc = s.get(exclusive);
        if (inc != null && !inc.isNumber()) throw new IllegalArgumentException(inclusive + " must be a number");
        if (exc != null && exc.isBoolean()) {  // draft 4: a flag on minimum/maximum
            if (inc == null) throw new IllegalArgumentException(exclusive + ": true needs " + inclusive);
            return new Bound(inc.asDouble(), exc.asBoolean());
        }
        if (exc != null && !exc.isNumber()) throw new IllegalArgumentException(exclusive + " must be a number");
        if (inc != null && exc != null) {  // both: the tighter one wins
            boolean lowerSide = inclusive.equals("minimum");
            double i = inc.asDouble(), e = exc.asDouble();
            boolean excTighter = lowerSide ? e >= i : e <= i;
            return excTighter ? new Bound(e, true) : new Bound(i, false);
        }
        if (inc != null) return new Bound(inc.asDouble(), false);
        if (exc != null) return new Bound(exc.asDouble(), true);
        return null;
    }

    // ---- integers -------------------------------------------------------------------------------------------------

    static String integer(JsonNode s) {
        Bound lo = lower(s), hi = upper(s);
        Long min = lo == null || lo.value() < -LIMIT ? null : (long) (lo.exclusive() ? Math.floor(lo.value()) + 1 : Math.ceil(lo.value()));
        Long max = hi == null || hi.value() > LIMIT ? null : (long) (hi.exclusive() ? Math.ceil(hi.value()) - 1 : Math.floor(hi.value()));
        if (min != null && max != null && min > max)
            throw new IllegalArgumentException("no integer satisfies the bounds (" + describe(lo, hi) + ")");
        if (s.has("multipleOf")) return multiples(s.get("multipleOf"), min, max);
        return integerRange(min, max);
    }

    private static String multiples(JsonNode m, Long min, Long max) {
        if (!m.isIntegralNumber() || m.asLong() <= 0)
            throw new IllegalArgumentException("multipleOf must be a positive integer for integers, got " + m);
        long k = m.asLong();
        if (k == 1) return integerRange(min, max);
        if (min == null || max == null)
            throw new IllegalArgumentException("multipleOf " + k + " is supported with both minimum and maximum (a finite set of values)");
        long first = Math.floorDiv(min + k - 1, k) * k;
        if (first > max) throw new IllegalArgumentException("no multiple of " + k + " lies in [" + min + ", " + max + "]");
        long count = (max - first) / k + 1;
        if (count > MAX_MULTIPLES)
            throw new IllegalArgumentException("multipleOf " + k + " allows " + count + " values in [" + min + ", " + max
                    + "]; at most " + MAX_MULTIPLES + " are supported");
        List<String> alts = new ArrayList<>();
        for (long v = first; v <= max; v += k) alts.add(v < 0 ? "-" + v * -1 : String.valueOf(v));
        return "(?:" + String.join("|", alts) + ")";
    }

    /** Decimal integers (JSON: no leading zeros, "-" only before a non-zero value) in [min, max]; null = unbounded. */
    static String integerRange(Long min, Long max) {
        List<String> alts = new ArrayList<>();
        if (min == null || min < 0) {  // negatives: -y with y in [max(1, -max), -min]
            long yLo = max == null || max >= 0 ? 1 : -max;
            Long yHi = min == null ? null : -min;
            alts.add("-" + natural(yLo, yHi));
        }
        if (max == null || max >= 0) alts.add(natural(min == null ? 0 : Math.max(0, min), max));
        return alts.size() == 1 ? alts.get(0) : "(?:" + String.join("|", alts) + ")";
    }

    /** Naturals in [a, b] (b null = unbounded), a >= 0, written without leading zeros. */
    static String natural(long a, Long b) {
        List<String> alts = new ArrayList<>();
        String as = String.valueOf(a);
        if (b == null) {
            long top = 1;
            for (int i = 0; i < as.length(); i++) top *= 10;
            alts.add(sameLength(as, String.valueOf(top - 1)));
            alts.add("[1-9][0-9]{" + as.length() + ",}");
        } else {
            String bs = String.valueOf(b);
            for (int len = as.length(); len <= bs.length(); len++) {
                String lo = len == as.length() ? as : "1" + "0".repeat(len - 1);
                String hi = len == bs.length() ? bs : "9".repeat(len);
                alts.add(sameLength(lo, hi));
            }
        }
        return alts.size() == 1 ? alts.get(0) : "(?:" + String.join("|", alts) + ")";
    }

    /** Decimal strings of one length between lo and hi inclusive (digit by digit). */
    static String sameLength(String lo, String hi) {
        if (lo.isEmpty()) return "";
        char l = lo.charAt(0), h = hi.charAt(0);
        String lr = lo.substring(1), hr = hi.substring(1);
        int n = lr.length();
        if (l == h) return l + sameLength(lr, hr);
        if (lr.equals("0".repeat(n)) && hr.equals("9".repeat(n))) return digits(l, h) + any(n);
        List<String> alts = new ArrayList<>();
        alts.add(l + sameLength(lr, "9".repeat(n)));
        if (h - l > 1) alts.add(digits((char) (l + 1), (char) (h - 1)) + any(n));
        alts.add(h + sameLength("0".repeat(n), hr));
        return "(?:" + String.join("|", alts) + ")";
    }

    private static String digits(char a, char b) {
        return a == b ? String.valueOf(a) : "[" + a + "-" + b + "]";
    }

    private static String any(int n) {
        return n == 0 ? "" : n == 1 ? "[0-9]" : "[0-9]{" + n + "}";
    }

    // ---- numbers ---------------------------------------------------------------------------------------------------

    static String number(JsonNode s) {
        if (s.has("multipleOf")) throw new IllegalArgumentException("multipleOf is supported for integers only, not for 'number'");
        Bound lo = lower(s), hi = upper(s);
        for (Bound b : new Bound[] {lo, hi})
            if (b != null && (b.value() != Math.rint(b.value()) || Math.abs(b.value()) > LIMIT))
                throw new IllegalArgumentException("number bounds must be whole numbers within ±1e18 (got " + b.value()
                        + "); use 'integer', or whole-number bounds");
        if (lo != null && hi != null && (lo.value() > hi.value() || (lo.value() == hi.value() && (lo.exclusive() || hi.exclusive()))))
            throw new IllegalArgumentException("no number satisfies the bounds (" + describe(lo, hi) + ")");
        List<String> alts = new ArrayList<>();
        // x >= 0 part: x in [max(lo, 0), hi]
        if (hi == null || hi.value() > 0 || (hi.value() == 0 && !hi.exclusive())) {
            boolean fromZero = lo == null || lo.value() < 0;
            alts.add(nonNegative(fromZero ? 0 : (long) lo.value(), !fromZero && lo.exclusive(),
                    hi == null ? null : (long) hi.value(), hi != null && hi.exclusive()));
        }
        // x < 0 part: x = -y with y in (max(0, -hi), -lo]
        if (lo == null || lo.value() < 0) {
            boolean fromZero = hi == null || hi.value() >= 0;
            alts.add("-" + nonNegative(fromZero ? 0 : (long) -hi.value(), fromZero || hi.exclusive(),
                    lo == null ? null : (long) -lo.value(), lo != null && lo.exclusive()));
        }
        return alts.size() == 1 ? alts.get(0) : "(?:" + String.join("|", alts) + ")";
    }

    /** Non-negative decimals y with L < y (or <=) and y < H (or <=); H null = unbounded; no exponent. */
    static String nonNegative(long l, boolean lExcl, Long h, boolean hExcl) {
        if (h != null && l == h) {
            if (lExcl || hExcl) throw new IllegalArgumentException("the number bounds admit no value (an exclusive bound equal to the other bound)");
            return l + ZERO_FRACTION;
        }
        List<String> alts = new ArrayList<>();
        alts.add(l + (lExcl ? NONZERO_FRACTION : FRACTION));                  // integer part == L
        if (h == null) alts.add(natural(l + 1, null) + FRACTION);             // integer part > L
        else {
            if (h - 1 >= l + 1) alts.add(natural(l + 1, h - 1) + FRACTION);  // L < integer part < H
            if (!hExcl) alts.add(h + ZERO_FRACTION);                           // exactly H
        }
        return "(?:" + String.join("|", alts) + ")";
    }

    private static String describe(Bound lo, Bound hi) {
        return (lo == null ? "" : (lo.exclusive() ? "> " : ">= ") + lo.value()) + (lo != null && hi != null ? ", " : "")
                + (hi == null ? "" : (hi.exclusive() ? "< " : "<= ") + hi.value());
    }
}
