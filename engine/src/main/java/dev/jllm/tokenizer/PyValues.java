package dev.jllm.tokenizer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Template values that print as Python prints them: {{ some_list }} in a chat template gives
 * "[{'type': 'text', 'text': 'hi'}]" under jinja2, not Java's "[{type=text, text=hi}]".
 */
final class PyValues {
    private PyValues() {}

    /** A dict whose str() is Python's repr. */
    static final class Dict extends LinkedHashMap<String, Object> {
        @Override
        public String toString() {
            return repr(this);
        }
    }

    /** A list whose str() is Python's repr. */
    static final class PList extends ArrayList<Object> {
        @Override
        public String toString() {
            return repr(this);
        }
    }

    /**
     * Python's None inside template data: false in tests of truth, "None" when printed, `is none` (the none test
     * is overridden to know it), and an error where Python raises one: iterated (`+` and `in` are PyOperators').
     */
    static final class PyNone implements com.hubspot.jinjava.util.HasObjectTruthValue, Iterable<Object> {
        static final PyNone INSTANCE = new PyNone();

        private PyNone() {}

        @Override
        public boolean getObjectTruthValue() {
            return false;
        }

        @Override
        public String toString() {
            return "None";
        }

        @Override
        public java.util.Iterator<Object> iterator() {
            ChatTemplate.noteError("'NoneType' object is not iterable");
            throw new IllegalStateException("'NoneType' object is not iterable");
        }
    }

    /**
     * jinja2's Undefined for a key a dict lacks (`message['content']` of a message without content): prints as "",
     * false in tests of truth, iterates as empty, `is defined` false and `is none` false; reading an attribute of it,
     * calling a method on it, adding it to a string or serialising it fails as jinja2 fails ("'dict object' has no
     * attribute 'content'"). Names a template never defined stay Java null, which Jinjava already treats so.
     */
    static final class PyUndefined implements com.hubspot.jinjava.util.HasObjectTruthValue, Iterable<Object> {
        final String hint;

        PyUndefined(String hint) {
            this.hint = hint;
        }

        /** Records and throws jinja2's UndefinedError for this value. */
        IllegalStateException fail() {
            ChatTemplate.noteError(hint);
            return new IllegalStateException(hint);
        }

        @Override
        public boolean getObjectTruthValue() {
            return false;
        }

        @Override
        public String toString() {
            return "";
        }

        @Override
        public java.util.Iterator<Object> iterator() {
            return java.util.Collections.emptyIterator();
        }
    }

    static boolean isUndefined(Object v) {
        return v == null || v instanceof PyUndefined;
    }

    /** Deep-converts JSON-like values (maps, lists, strings, numbers, booleans, null) into Dict/PList/PyNone. */
    @SuppressWarnings("unchecked")
    static Object convert(Object v) {
        if (v == null) return PyNone.INSTANCE;
        if (v instanceof Map<?, ?> m) {
            Dict d = new Dict();
            for (Map.Entry<?, ?> e : m.entrySet()) d.put(String.valueOf(e.getKey()), convert(e.getValue()));
            return d;
        }
        if (v instanceof Collection<?> c) {
            PList l = new PList();
            for (Object x : c) l.add(convert(x));
            return l;
        }
        if (v instanceof Integer i) return (long) i;
        return v;
    }

    /** Python's str() of a template value (Undefined prints as ""). */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (isUndefined(v)) return "";
        if (v instanceof PyNone) return "None";
        if (v instanceof Boolean || v instanceof Number || v instanceof Map<?, ?> || v instanceof List<?> || v instanceof Map.Entry<?, ?>) return repr(v);
        return v.toString();
    }

    /** Python's repr() of a JSON-like value. */
    static String repr(Object v) {
        if (v == null || v instanceof PyNone) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof String s) return reprString(s);
        if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            return floatRepr(((Number) v).doubleValue());
        }
        if (v instanceof Number n) return n.toString();
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) b.append(", ");
                b.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof Map.Entry<?, ?> e) return "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";  // dictsort's pairs
        if (isTuple(v)) {
            List<?> l = (List<?>) v;
            StringBuilder b = new StringBuilder("(");
            for (Object x : l) {
                if (b.length() > 1) b.append(", ");
                b.append(repr(x));
            }
            return b.append(l.size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : l) {
                if (b.length() > 1) b.append(", ");
                b.append(repr(x));
            }
            return b.append(']').toString();
        }
        return String.valueOf(v);
    }

    /**
     * Python's repr() (and str()) of a float: the shortest digits that read back as the same double (Java's
     * Double.toString gives those since JDK 19, but never fewer than 2), positional when the decimal exponent is in [-4, 16), else scientific
     * with a signed exponent of at least two digits: 0.0001, 123.0, 1e-05, 1e+16, 1.5e+20.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (shortest.precision() == 2) {  // Java prints at least 2 digits (4.9E-324); Python takes 1 when it reads back
            BigDecimal one = shortest.round(new java.math.MathContext(1));
            if (one.doubleValue() == Math.abs(d)) shortest = one.stripTrailingZeros();
        }
        String digits = shortest.unscaledValue().toString();
        int exp = digits.length() - 1 - shortest.scale();  // d = digits[0].digits[1..] × 10^exp
        StringBuilder b = new StringBuilder(d < 0 ? "-" : "");
        if (exp < -4 || exp >= 16) {
            b.append(digits.charAt(0));
            if (digits.length() > 1) b.append('.').append(digits, 1, digits.length());
            b.append('e').append(exp < 0 ? '-' : '+');
            if (Math.abs(exp) < 10) b.append('0');
            return b.append(Math.abs(exp)).toString();
        }
        if (exp < 0) return b.append("0.").append("0".repeat(-exp - 1)).append(digits).toString();
        if (digits.length() <= exp + 1) return b.append(digits).append("0".repeat(exp + 1 - digits.length())).append(".0").toString();
        return b.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length()).toString();
    }

    /** Whether v is a tuple literal's value: Jinjava makes `(1, 'a')` a PyList over an unmodifiable list. */
    static boolean isTuple(Object v) {
        return v instanceof com.hubspot.jinjava.objects.collections.PyList p
                && p.toList().getClass().getName().startsWith("java.util.Collections$Unmodifiable");
    }

    /** Python's repr() of a str: quotes chosen as Python chooses them, non-printable code points escaped. */
    static String reprString(String s) {
        char q = s.contains("'") && !s.contains("\"") ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(q);
        s.codePoints().forEach(c -> {
            if (c == q || c == '\\') b.append('\\').appendCodePoint(c);
            else if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append("\\t");
            else if (isPyPrintable(c)) b.appendCodePoint(c);
            else if (c < 0x100) b.append(String.format("\\x%02x", c));
            else if (c < 0x10000) b.append(String.format("\\u%04x", c));
            else b.append(String.format("\\U%08x", c));
        });
        return b.append(q).toString();
    }

    /**
     * Python's str.isprintable() for one code point: false for the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs
     * other than the ASCII space (so repr shows U+200D ZWJ as \u200d and U+00A0 as \xa0).
     */
    static boolean isPyPrintable(int c) {
        if (c == ' ') return true;
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's str.isspace() for one character (str.strip() with no argument removes these). */
    static boolean isPySpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85 || (c >= 0x1c && c <= 0x1f);
    }

    static String strip(String s, boolean left, boolean right) {
        int a = 0, b = s.length();
        if (left) while (a < b && isPySpace(s.charAt(a))) a++;
        if (right) while (b > a && isPySpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }
}
