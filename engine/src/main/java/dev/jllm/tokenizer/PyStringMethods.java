package dev.jllm.tokenizer;

import java.util.Locale;

/**
 * Python's str methods for chat templates ({@code content.startswith('<tool_response>')},
 * {@code text.split('</think>')[-1].lstrip('\n')}), which Jinjava does not know; TemplateSandbox.Resolver calls them
 * (and no other method of a string).
 */
final class PyStringMethods {
    private PyStringMethods() {}

    static final Object NOT_HANDLED = new Object();

    private static String arg(Object[] p, int i) {
        return i < p.length && p[i] != null ? p[i].toString() : null;
    }

    static Object call(String s, String name, Object[] p) {
        switch (name) {
            case "startswith": return s.startsWith(arg(p, 0));
            case "endswith": return s.endsWith(arg(p, 0));
            case "strip": return strip(s, arg(p, 0), true, true);
            case "lstrip": return strip(s, arg(p, 0), true, false);
            case "rstrip": return strip(s, arg(p, 0), false, true);
            case "upper": return s.toUpperCase(Locale.ROOT);
            case "lower": return s.toLowerCase(Locale.ROOT);
            case "capitalize": return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "title": return title(s);
            case "replace": return replace(s, arg(p, 0), arg(p, 1));
            case "split": return split(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "find": return (long) s.indexOf(arg(p, 0));
            case "count": return (long) count(s, arg(p, 0));
            case "isdigit": return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "format": return format(s, p);
            case "isspace": return !s.isEmpty() && s.chars().allMatch(PyValues::isPySpace);
            default: return NOT_HANDLED;
        }
    }

    /** str.replace, refused before it is built when its result would be over the rendering's output bound. */
    static String replace(String s, String old, String replacement) {
        long grows = (long) count(s, old) * (replacement.length() - old.length());
        if (s.length() + grows > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(s.length() + grows);
        return s.replace(old, replacement);
    }

    /** str.format with positional fields: {} and {0}, {1}; {{ and }} are literal braces. */
    static String format(String s, Object[] args) {
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') { b.append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') { b.append('}'); i++; continue; }
            if (c != '{') { b.append(c); continue; }
            int end = s.indexOf('}', i);
            if (end < 0) throw new IllegalArgumentException("Single '{' encountered in format string");
            String field = s.substring(i + 1, end);
            int index = field.isEmpty() ? auto++ : Integer.parseInt(field);
            if (index >= args.length) throw new IllegalArgumentException("Replacement index " + index + " out of range for positional args tuple");
            Object v = args[index];
            b.append(v instanceof String str ? str : PyValues.repr(v));
            i = end;
        }
        return b.toString();
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        if (chars == null) return PyValues.strip(s, left, right);
        int a = 0, b = s.length();
        if (left) while (a < b && chars.indexOf(s.charAt(a)) >= 0) a++;
        if (right) while (b > a && chars.indexOf(s.charAt(b - 1)) >= 0) b--;
        return s.substring(a, b);
    }

    static PyValues.PList split(String s, String sep, int maxsplit) {
        PyValues.PList out = new PyValues.PList();
        if (sep == null) {  // runs of whitespace, no empty strings
            int i = 0, n = s.length(), splits = 0;
            while (i < n) {
                while (i < n && PyValues.isPySpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && splits == maxsplit) { out.add(PyValues.strip(s.substring(i), false, true)); return out; }
                int j = i;
                while (j < n && !PyValues.isPySpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                splits++;
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0, splits = 0, at;
        while ((maxsplit < 0 || splits < maxsplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
            splits++;
        }
        out.add(s.substring(from));
        return out;
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0, at = 0;
        while ((at = s.indexOf(sub, at)) >= 0) { n++; at += sub.length(); }
        return n;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean prevCased = false;
        for (char c : s.toCharArray()) {
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }
}
