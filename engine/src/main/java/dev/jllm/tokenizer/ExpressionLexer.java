package dev.jllm.tokenizer;

/**
 * Source rewrites inside `{{ }}` and `{% %}` tags where Jinjava's scanner reads jinja2 syntax differently (text
 * outside tags, comments and `{% raw %}` blocks are left alone):
 * <ol>
 *   <li>a binary `+` directly before a digit gets a space: Jinjava scans `+1` as its unary "abs" token, so
 *       `1+1` and `loop.index0+1` were syntax errors (`1e+5` exponents are left as they are);</li>
 *   <li>Python escapes in string literals that Jinjava lacks (\\uXXXX, \\UXXXXXXXX, \\xXX, octal, \\a \\b \\f \\v,
 *       an unknown escape such as \\d, which Python keeps as backslash + letter) become the characters they stand for.</li>
 * </ol>
 * One linear scan; strings are tracked so that nothing inside them is taken for an operator or a tag end.
 */
final class ExpressionLexer {
    private ExpressionLexer() {}

    /** Words after which a `+` is unary. */
    private static final java.util.Set<String> KEYWORDS = java.util.Set.of("and", "or", "not", "in", "is", "if", "else", "return");

    private static final java.util.regex.Pattern RAW = java.util.regex.Pattern.compile("-?\\s*raw\\s*-?");

    static String rewrite(String src) {
        StringBuilder out = new StringBuilder(src.length() + 16);
        int i = 0, n = src.length();
        while (i < n) {
            // 1. copy text up to the next tag
            int open = nextTag(src, i);
            if (open < 0) { out.append(src, i, n); break; }
            if (src.charAt(open + 1) == '#') {  // a comment: copied through its end, nothing in it is code
                int end = src.indexOf("#}", open + 2);
                int stop = end < 0 ? n : end + 2;
                out.append(src, i, stop);
                i = stop;
                continue;
            }
            out.append(src, i, open + 2);
            boolean statement = src.charAt(open + 1) == '%';
            // 2. {% raw %}: copy through {% endraw %} unchanged
            int close = statement ? src.indexOf("%}", open + 2) : -1;
            if (statement && close > 0 && RAW.matcher(src.substring(open + 2, close)).matches()) {
                int end = src.indexOf("endraw", close);
                int endClose = end < 0 ? -1 : src.indexOf("%}", end);
                int stop = endClose < 0 ? n : endClose + 2;
                out.append(src, open + 2, stop);
                i = stop;
                continue;
            }
            // 3. the tag's expression, up to its closing delimiter outside strings (and brackets, for `}}`)
            i = expression(src, open + 2, statement, out);
        }
        return out.toString();
    }

    /** The next `{{`, `{%` or `{#` at or after from, or -1. */
    private static int nextTag(String src, int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** Copies (rewritten) the expression starting at i; returns the index after its closing delimiter. */
    private static int expression(String src, int i, boolean statement, StringBuilder out) {
        int n = src.length(), depth = 0;
        while (i < n) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') { i = string(src, i, out); continue; }
            if (statement && c == '%' && i + 1 < n && src.charAt(i + 1) == '}') { out.append("%}"); return i + 2; }
            if (!statement && c == '}' && depth == 0 && i + 1 < n && src.charAt(i + 1) == '}') { out.append("}}"); return i + 2; }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
            out.append(c);
            if (c == '+' && i + 1 < n && Character.isDigit(src.charAt(i + 1)) && binaryPosition(out)) out.append(' ');
            i++;
        }
        return n;
    }

    /** Whether the `+` just appended to out follows an operand (so is binary) and is not a number's exponent sign. */
    private static boolean binaryPosition(StringBuilder out) {
        int p = out.length() - 2;
        if (p >= 0 && (out.charAt(p) == 'e' || out.charAt(p) == 'E')) {  // 1e+5, 2.5E+3: part of a float literal
            int q = p - 1;
            boolean digits = false;
            while (q >= 0 && (Character.isDigit(out.charAt(q)) || out.charAt(q) == '.')) { digits |= Character.isDigit(out.charAt(q)); q--; }
            if (digits && (q < 0 || !Character.isJavaIdentifierPart(out.charAt(q)))) return false;
        }
        while (p >= 0 && Character.isWhitespace(out.charAt(p))) p--;
        if (p < 0) return false;
        char prev = out.charAt(p);
        if (Character.isJavaIdentifierPart(prev)) {  // an operand, unless the word is an operator keyword (`else +1`)
            int start = p;
            while (start > 0 && Character.isJavaIdentifierPart(out.charAt(start - 1))) start--;
            return !KEYWORDS.contains(out.substring(start, p + 1));
        }
        return prev == ')' || prev == ']' || prev == '}' || prev == '\'' || prev == '"';
    }

    /** Copies the string literal starting at i (its quote), with Python's escapes Jinjava lacks made literal. */
    private static int string(String src, int i, StringBuilder out) {
        char quote = src.charAt(i);
        out.append(quote);
        int n = src.length();
        i++;
        while (i < n) {
            char c = src.charAt(i);
            if (c == quote) { out.append(c); return i + 1; }
            if (c != '\\' || i + 1 >= n) { out.append(c); i++; continue; }
            char e = src.charAt(i + 1);
            switch (e) {
                case 'n', 't', 'r', '\\', '\'', '"' -> { out.append(c).append(e); i += 2; }
                case 'a' -> { out.append('\u0007'); i += 2; }
                case 'b' -> { out.append('\b'); i += 2; }
                case 'f' -> { out.append('\f'); i += 2; }
                case 'v' -> { out.append('\u000b'); i += 2; }
                case '\n' -> i += 2;  // line continuation
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int cp = hex(src, i + 2, len);
                    if (cp < 0) { out.append("\\\\").append(e); i += 2; }  // jinja2 fails here; keep the text
                    else { literal(out, cp, quote); i += 2 + len; }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i + 1, cp = 0;
                        while (j < n && j < i + 4 && src.charAt(j) >= '0' && src.charAt(j) <= '7') cp = cp * 8 + (src.charAt(j++) - '0');
                        literal(out, cp, quote);
                        i = j;
                    } else { out.append("\\\\"); i++; }  // Python keeps an unknown escape: backslash, then the character
                }
            }
        }
        return n;
    }

    private static void literal(StringBuilder out, int cp, char quote) {
        if (cp == '\\' || cp == quote) out.append('\\');
        out.appendCodePoint(cp);
    }

    private static int hex(String s, int at, int len) {
        if (at + len > s.length()) return -1;
        int v = 0;
        for (int k = at; k < at + len; k++) {
            int d = Character.digit(s.charAt(k), 16);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return Character.isValidCodePoint(v) ? v : -1;
    }
}
