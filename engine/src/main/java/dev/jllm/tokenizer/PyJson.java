package dev.jllm.tokenizer;

import java.util.Collection;
import java.util.Map;

/**
 * Python's json.dumps as transformers' tojson filter calls it: ensure_ascii=False, separators (", ", ": ") or
 * (",", ": ") with indent, key order as given, optional sort_keys.
 */
final class PyJson {
    private PyJson() {}

    static String dumps(Object v, Integer indent, boolean sortKeys) {
        StringBuilder b = new StringBuilder();
        write(b, v, indent, sortKeys, 0);
        return b.toString();
    }

    private static void newline(StringBuilder b, Integer indent, int depth) {
        b.append('\n');
        b.append(" ".repeat(indent * depth));
    }

    private static void write(StringBuilder b, Object v, Integer indent, boolean sortKeys, int depth) {
        if (v instanceof PyValues.PyUndefined u) throw u.fail();  // json.dumps(Undefined) raises in Python
        if (v == null || v instanceof PyValues.PyNone) b.append("null");
        else if (v instanceof Boolean x) b.append(x ? "true" : "false");
        else if (v instanceof String s) string(b, s);
        else if (v instanceof Number n) number(b, n);
        else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) { b.append("{}"); return; }
            b.append('{');
            var entries = new java.util.ArrayList<Map.Entry<?, ?>>(m.entrySet());
            if (sortKeys) entries.sort((p, q) -> String.valueOf(p.getKey()).compareTo(String.valueOf(q.getKey())));
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) b.append(indent == null ? ", " : ",");
                first = false;
                if (indent != null) newline(b, indent, depth + 1);
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), indent, sortKeys, depth + 1);
            }
            if (indent != null) newline(b, indent, depth);
            b.append('}');
        } else if (v instanceof Collection<?> c) {
            if (c.isEmpty()) { b.append("[]"); return; }
            b.append('[');
            boolean first = true;
            for (Object x : c) {
                if (!first) b.append(indent == null ? ", " : ",");
                first = false;
                if (indent != null) newline(b, indent, depth + 1);
                write(b, x, indent, sortKeys, depth + 1);
            }
            if (indent != null) newline(b, indent, depth);
            b.append(']');
        } else string(b, String.valueOf(v));
    }

    private static void number(StringBuilder b, Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) b.append("NaN");
            else if (Double.isInfinite(d)) b.append(d > 0 ? "Infinity" : "-Infinity");
            else b.append(PyValues.repr(d));
        } else b.append(n);
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
