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
            refuseConcatenation("can only concatenate str (not \"dict\") to str");
            return repr(this);
        }
    }

    /** A list whose str() is Python's repr. */
    static final class PList extends ArrayList<Object> {
        @Override
        public String toString() {
            refuseConcatenation("can only concatenate str (not \"list\") to str");
            return repr(this);
        }
    }

    /**
     * Python refuses `"text" + [..]` ("can only concatenate str (not "list") to str") where Jinjava would join the
     * two; a chat template relying on that fails in transformers, so it fails here too.
     */
    static void refuseConcatenation(String pythonError) {
        boolean inAddition = StackWalker.getInstance().walk(frames -> frames.limit(12)
                .anyMatch(f -> f.getClassName().endsWith("AdditionOperator")));
        if (inAddition) {
            ChatTemplate.noteError(pythonError);
            throw new IllegalStateException(pythonError);
        }
    }

    /**
     * Python's None inside template data: false in tests of truth, "None" when printed, `is none` (the none test
     * is overridden to know it), and an error where Python raises one — concatenated with a string, or iterated.
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
            refuseConcatenation("unsupported operand type(s) for +: 'NoneType' and 'str'");
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
            refuseConcatenation(hint);
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

    /** Python's repr() of a JSON-like value. */
    static String repr(Object v) {
        if (v == null || v instanceof PyNone) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof String s) return reprString(s);
        if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d)) return "nan";
            if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
            if (d == Math.rint(d) && Math.abs(d) < 1e16) return String.valueOf((long) d) + ".0";
            return String.valueOf(d);
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
