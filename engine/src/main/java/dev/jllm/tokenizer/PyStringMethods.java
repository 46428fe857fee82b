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
            case "startswith": return affix(p, s::startsWith);
            case "endswith": return affix(p, s::endsWith);
            case "strip": return strip(s, arg(p, 0), true, true);
            case "lstrip": return strip(s, arg(p, 0), true, false);
            case "rstrip": return strip(s, arg(p, 0), false, true);
            case "upper": return s.toUpperCase(Locale.ROOT);
            case "lower": return s.toLowerCase(Locale.ROOT);
            case "capitalize": return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "title": return title(s);
            case "replace": return replace(s, arg(p, 0), arg(p, 1));
            case "split": return split(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "rsplit": return rsplit(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "splitlines": return splitlines(s);
            case "center": return center(s, ((Number) p[0]).intValue(), p.length > 1 ? arg(p, 1) : " ");
            case "join": return join(s, p.length > 0 ? p[0] : null);
            case "find": return (long) codePointIndex(s, s.indexOf(arg(p, 0)));
            case "rfind": return (long) codePointIndex(s, s.lastIndexOf(arg(p, 0)));
            case "index", "rindex": {
                int at = name.equals("index") ? s.indexOf(arg(p, 0)) : s.lastIndexOf(arg(p, 0));
                if (at < 0) throw TemplateSandbox.fail("substring not found");
                return (long) codePointIndex(s, at);
            }
            case "count": return (long) count(s, arg(p, 0));
            case "isdigit": return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "format": return format(s, p);
            case "isspace": return !s.isEmpty() && s.chars().allMatch(PyValues::isPySpace);
            default: return NOT_HANDLED;
        }
    }

    /** startswith / endswith: the argument is one string or a tuple of them (true when any matches). */
    private static boolean affix(Object[] p, java.util.function.Predicate<String> test) {
        if (p.length > 0 && p[0] instanceof java.util.Collection<?> options) {
            for (Object o : options) if (test.test(String.valueOf(o))) return true;
            return false;
        }
        return test.test(arg(p, 0));
    }

    /** A UTF-16 index (or -1) as Python's code-point index. */
    private static int codePointIndex(String s, int at) {
        return at < 0 ? at : s.codePointCount(0, at);
    }

    /** str.rsplit: as split, but the at most maxsplit splits are taken from the right. */
    static PyValues.PList rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0 || sep == null && maxsplit == 0) return split(s, sep, maxsplit);
        PyValues.PList out = new PyValues.PList();
        if (sep == null) {  // runs of whitespace from the right
            int end = s.length(), splits = 0;
            while (end > 0) {
                while (end > 0 && PyValues.isPySpace(s.charAt(end - 1))) end--;
                if (end == 0) break;
                if (splits == maxsplit) { out.add(0, s.substring(0, end)); return out; }  // the rest keeps its leading spaces
                int start = end;
                while (start > 0 && !PyValues.isPySpace(s.charAt(start - 1))) start--;
                out.add(0, s.substring(start, end));
                splits++;
                end = start;
            }
            return out;
        }
        if (sep.isEmpty()) throw TemplateSandbox.fail("empty separator");
        int to = s.length(), splits = 0, at;
        while (splits < maxsplit && (at = s.lastIndexOf(sep, to - sep.length())) >= 0) {
            out.add(0, s.substring(at + sep.length(), to));
            to = at;
            splits++;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    /** str.splitlines(): split at \n, \r, \r\n and Python's other line boundaries, without the ends. */
    static PyValues.PList splitlines(String s) {
        PyValues.PList out = new PyValues.PList();
        int start = 0, i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            boolean boundary = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                    || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (!boundary) { i++; continue; }
            out.add(s.substring(start, i));
            i += c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n' ? 2 : 1;
            start = i;
        }
        if (start < n) out.add(s.substring(start));
        return out;
    }

    /** str.center(width, fill): Python puts the odd extra fill on the right only when the string's length is odd. */
    static String center(String s, int width, String fill) {
        int len = s.codePointCount(0, s.length());
        if (width > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(width);
        if (width <= len) return s;
        int pad = width - len, left = pad / 2 + (pad & width & 1);
        return fill.repeat(left) + s + fill.repeat(pad - left);
    }

    /** sep.join(iterable): every item must be a str (Python's TypeError otherwise). */
    static String join(String sep, Object items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object x : PyFilters.items(items)) {
            if (!(x instanceof CharSequence)) throw TemplateSandbox.fail("sequence item: expected str instance, " + TemplateSandbox.pyType(x) + " found");
            if (!first) b.append(sep);
            first = false;
            b.append(x);
            if (b.length() > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(b.length());
        }
        return b.toString();
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
