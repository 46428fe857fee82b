package dev.jllm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Schema numeric bounds as regular expressions over the JSON number text: `minimum`, `maximum`,
 * `exclusiveMinimum`, `exclusiveMaximum` (draft 6+ numbers, or draft 4 booleans beside minimum/maximum) and
 * `multipleOf` (integers with a finite range of at most {@link #MAX_MULTIPLES} values).
 * Integers are exact. Numbers are exact (the integer part decides, the fraction digits only at a bound's integer
 * part) and carry no exponent; bounds have at most {@link #MAX_FRACTION_DIGITS} fraction digits.
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
            if (b != null && (Math.abs(b.value()) > LIMIT || fraction(dec(b.value())).length() > MAX_FRACTION_DIGITS))
                throw new IllegalArgumentException("number bounds must lie within ±1e18 with at most " + MAX_FRACTION_DIGITS
                        + " fraction digits (got " + b.value() + ")");
        if (lo != null && hi != null && (lo.value() > hi.value() || (lo.value() == hi.value() && (lo.exclusive() || hi.exclusive()))))
            throw new IllegalArgumentException("no number satisfies the bounds (" + describe(lo, hi) + ")");
        List<String> alts = new ArrayList<>();
        // x >= 0 part: x in [max(lo, 0), hi]
        if (hi == null || hi.value() > 0 || (hi.value() == 0 && !hi.exclusive())) {
            boolean fromZero = lo == null || lo.value() < 0;
            alts.add(nonNegative(fromZero ? BigDecimal.ZERO : dec(lo.value()), !fromZero && lo.exclusive(),
                    hi == null ? null : dec(hi.value()), hi != null && hi.exclusive()));
        }
        // x < 0 part: x = -y with y in (max(0, -hi), -lo]
        if (lo == null || lo.value() < 0) {
            boolean fromZero = hi == null || hi.value() >= 0;
            alts.add("-" + nonNegative(fromZero ? BigDecimal.ZERO : dec(-hi.value()), fromZero || hi.exclusive(),
                    lo == null ? null : dec(-lo.value()), lo != null && lo.exclusive()));
        }
        return alts.size() == 1 ? alts.get(0) : "(?:" + String.join("|", alts) + ")";
    }

    /** Fraction digits a bound may have (the regex grows with them). */
    static final int MAX_FRACTION_DIGITS = 30;

    private static BigDecimal dec(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros();
    }

    /** The fraction digits of a non-negative decimal, trailing zeros dropped ("" for a whole number). */
    private static String fraction(BigDecimal v) {
        String t = v.abs().stripTrailingZeros().toPlainString();
        int dot = t.indexOf('.');
        return dot < 0 ? "" : t.substring(dot + 1);
    }

    /**
     * Non-negative decimals y (integer part, then optionally '.' and digits; no exponent) with L < y (or <=) and
     * y < H (or <=); H null = unbounded. The integer part decides except at a bound's own integer part, where the
     * fraction digits are compared as digit strings (a regular language: {@link Digits}).
     */
    static String nonNegative(BigDecimal l, boolean lExcl, BigDecimal h, boolean hExcl) {
        long li = l.toBigInteger().longValueExact();
        String lf = fraction(l);
        if (h == null) {
            return "(?:" + li + Digits.ge(lf, lExcl).afterDot() + "|" + natural(li + 1, null) + FRACTION + ")";
        }
        long hi = h.toBigInteger().longValueExact();
        String hf = fraction(h);
        if (li == hi) {
            String f = Digits.between(lf, lExcl, hf, hExcl).afterDot();
            if (f == null) throw new IllegalArgumentException("the number bounds admit no value");
            return li + f;
        }
        List<String> alts = new ArrayList<>();
        String low = Digits.ge(lf, lExcl).afterDot(), high = Digits.le(hf, hExcl).afterDot();
        alts.add(li + low);                                                   // integer part == L's
        if (hi - 1 >= li + 1) alts.add(natural(li + 1, hi - 1) + FRACTION);   // between
        if (high != null) alts.add(hi + high);                                // integer part == H's
        return "(?:" + String.join("|", alts) + ")";
    }

    /**
     * Sets of fraction digit strings by value (0.F compared as decimals): `some` a regex of the non-empty strings in
     * the set (null: none), `empty` whether no fraction at all (value 0) is in it.
     */
    record Digits(String some, boolean empty) {
        /** The text after the integer part: "" , ".F" or either; null when the set is empty. */
        String afterDot() {
            if (some == null) return empty ? "" : null;
            return "(?:\\.(?:" + some + "))" + (empty ? "?" : "");
        }

        /** This set's strings after a literal prefix, as a regex; null when the set is empty. */
        String after(String prefix) {
            if (some == null) return empty ? prefix : null;
            return prefix + "(?:" + some + ")" + (empty ? "?" : "");
        }

        /** 0.F >= 0.a (> when excl); a without trailing zeros. */
        static Digits ge(String a, boolean excl) {
            if (a.isEmpty()) return new Digits(excl ? "[0-9]*[1-9][0-9]*" : "[0-9]+", !excl);
            List<String> alts = new ArrayList<>();
            for (int k = 0; k < a.length(); k++)
                if (a.charAt(k) < '9') alts.add(a.substring(0, k) + digits((char) (a.charAt(k) + 1), '9') + "[0-9]*");
            alts.add(a + (excl ? "[0-9]*[1-9][0-9]*" : "[0-9]*"));
            return new Digits(String.join("|", alts), false);
        }

        /** 0.F <= 0.b (< when excl); b without trailing zeros. */
        static Digits le(String b, boolean excl) {
            if (b.isEmpty()) return new Digits(excl ? null : "0+", !excl);
            List<String> alts = new ArrayList<>();
            for (int k = 0; k < b.length(); k++)
                if (b.charAt(k) > '0') alts.add(b.substring(0, k) + digits('0', (char) (b.charAt(k) - 1)) + "[0-9]*");
            for (int j = 1; j < b.length(); j++) alts.add(b.substring(0, j));  // proper prefixes: smaller
            if (!excl) alts.add(b + "0*");
            return new Digits(String.join("|", alts), true);
        }

        /** 0.a <= 0.F <= 0.b (each bound exclusive or not); a and b without trailing zeros. */
        static Digits between(String a, boolean aExcl, String b, boolean bExcl) {
            int n = Math.max(a.length(), b.length()) + 1;
            String ap = a + "0".repeat(n - a.length()), bp = b + "0".repeat(n - b.length());
            int k = 0;
            while (k < n && ap.charAt(k) == bp.charAt(k)) k++;
            if (k == n) return aExcl || bExcl ? new Digits(null, false) : new Digits(a.isEmpty() ? "0+" : a + "0*", a.isEmpty());  // a == b
            List<String> alts = new ArrayList<>();
            // 1. F a prefix of the common part c = b[0..k): equal to a only when a ends within it
            for (int j = 1; j <= k; j++) if (a.length() <= j && !aExcl) alts.add(bp.substring(0, j));
            // 2. F = c x...: x == a[k] then >= a's rest; a[k] < x < b[k] then anything; x == b[k] then <= b's rest
            String c = bp.substring(0, k);
            String aRest = a.length() > k + 1 ? a.substring(k + 1) : "", bRest = b.length() > k + 1 ? b.substring(k + 1) : "";
            String low = ge(aRest, aExcl).after(c + ap.charAt(k));
            if (low != null) alts.add(low);
            if (bp.charAt(k) - ap.charAt(k) > 1) alts.add(c + digits((char) (ap.charAt(k) + 1), (char) (bp.charAt(k) - 1)) + "[0-9]*");
            String high = le(bRest, bExcl).after(c + bp.charAt(k));
            if (high != null) alts.add(high);
            return new Digits(alts.isEmpty() ? null : String.join("|", alts), a.isEmpty() && !aExcl);
        }
    }

    private static String describe(Bound lo, Bound hi) {
        return (lo == null ? "" : (lo.exclusive() ? "> " : ">= ") + lo.value()) + (lo != null && hi != null ? ", " : "")
                + (hi == null ? "" : (hi.exclusive() ? "< " : "<= ") + hi.value());
    }
}
