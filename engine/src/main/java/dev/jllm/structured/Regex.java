package dev.jllm.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression compiled to a Thompson NFA over Unicode code points: literals, escapes (backslash d w s
 * D W S n t r f v, xHH, u followed by four hex digits, and escaped metacharacters), classes [a-z] [^...], '.', groups (...) (?:...),
 * alternation, and the quantifiers * + ? {n} {n,} {n,m} (lazy forms accepted, same language). The whole input
 * must match (as guided decoding requires), so ^ and $ at the ends are accepted and ignored. A group (?J:...) (jllm's
 * own) keeps only the characters a JSON string may hold unescaped, so a JSON schema's pattern never emits a raw '"'.
 */
public final class Regex {
    /** NFA: state i has epsilon edges eps[i] and at most one range edge lo[i]..hi[i] → to[i]. */
    final List<int[]> eps = new ArrayList<>();
    final List<Integer> lo = new ArrayList<>(), hi = new ArrayList<>(), to = new ArrayList<>();
    final int start, accept;
    static final int MAX_STATES = 200_000;

    private final String src;
    private int pos;

    private record Frag(int start, int end) {}

    public static Regex compile(String pattern) {
        try {
            return new Regex(pattern);
        } catch (StackOverflowError e) {  // the parser recurses once per nested group
            throw new IllegalArgumentException("the regular expression nests too deeply");
        }
    }

    private Regex(String pattern) {
        this.src = pattern;
        int s = pattern.startsWith("^") ? 1 : 0;
        pos = s;
        Frag f = alternation();
        if (pos < src.length() && src.charAt(pos) == '$' && pos == src.length() - 1) pos++;
        if (pos != src.length()) throw error("unexpected '" + src.charAt(pos) + "'");
        start = f.start();
        accept = f.end();
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("invalid regular expression at position " + pos + ": " + what);
    }

    int newState() {
        if (eps.size() >= MAX_STATES) throw new IllegalArgumentException("the constraint is too large (over " + MAX_STATES + " automaton states)");
        eps.add(new int[0]);
        lo.add(-1);
        hi.add(-1);
        to.add(-1);
        return eps.size() - 1;
    }

    void epsilon(int from, int target) {
        int[] e = eps.get(from);
        int[] n = java.util.Arrays.copyOf(e, e.length + 1);
        n[e.length] = target;
        eps.set(from, n);
    }

    /** Inside (?J:...): code points that a JSON string holds only escaped (controls, '"', backslash, DEL). */
    private static final List<int[]> JSON_RAW = negate(List.of(new int[] {0, 0x1F}, new int[] {'"', '"'}, new int[] {'\\', '\\'}, new int[] {0x7F, 0x7F}));
    private int jsonString;  // depth of (?J:...) groups around the parser's position

    /** The code points in both range lists. */
    static List<int[]> intersect(List<int[]> a, List<int[]> b) {
        List<int[]> out = new ArrayList<>();
        for (int[] x : a)
            for (int[] y : b) {
                int lo = Math.max(x[0], y[0]), hi = Math.min(x[1], y[1]);
                if (lo <= hi) out.add(new int[] {lo, hi});
            }
        return out;
    }

    private Frag range(List<int[]> ranges) {
        if (jsonString > 0) ranges = intersect(ranges, JSON_RAW);
        int s = newState(), e = newState();
        for (int[] r : ranges) {
            int m = newState();
            epsilon(s, m);
            lo.set(m, r[0]);
            hi.set(m, r[1]);
            to.set(m, e);
        }
        return new Frag(s, e);
    }

    private Frag alternation() {
        List<Frag> alts = new ArrayList<>();
        alts.add(concat());
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            alts.add(concat());
        }
        if (alts.size() == 1) return alts.get(0);
        int s = newState(), e = newState();
        for (Frag f : alts) {
            epsilon(s, f.start());
            epsilon(f.end(), e);
        }
        return new Frag(s, e);
    }

    private Frag concat() {
        int s = newState(), cur = s;
        while (pos < src.length() && src.charAt(pos) != '|' && src.charAt(pos) != ')') {
            if (src.charAt(pos) == '$' && pos == src.length() - 1) break;
            Frag f = repeat();
            epsilon(cur, f.start());
            cur = f.end();
        }
        return new Frag(s, cur);
    }

    /** Copies the sub-automaton of an atom (states [from, to)) so it can be repeated. */
    private Frag copy(Frag f, int from, int until) {
        int offset = eps.size() - from;
        for (int i = from; i < until; i++) newState();
        for (int i = from; i < until; i++) {
            int ni = i + offset;
            int[] e = eps.get(i).clone();
            for (int k = 0; k < e.length; k++) e[k] += offset;
            eps.set(ni, e);
            lo.set(ni, lo.get(i));
            hi.set(ni, hi.get(i));
            to.set(ni, to.get(i) < 0 ? -1 : to.get(i) + offset);
        }
        return new Frag(f.start() + offset, f.end() + offset);
    }

    private Frag repeat() {
        int before = eps.size();
        Frag atom = atom();
        int after = eps.size();
        if (pos >= src.length()) return atom;
        char c = src.charAt(pos);
        int min, max;
        if (c == '*') { min = 0; max = -1; pos++; }
        else if (c == '+') { min = 1; max = -1; pos++; }
        else if (c == '?') { min = 0; max = 1; pos++; }
        else if (c == '{' && src.indexOf('}', pos) > 0 && src.substring(pos + 1, src.indexOf('}', pos)).matches("\\d+(,\\d*)?")) {
            String body = src.substring(pos + 1, src.indexOf('}', pos));
            pos = src.indexOf('}', pos) + 1;
            String[] parts = body.split(",", -1);
            min = Integer.parseInt(parts[0]);
            max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : Integer.parseInt(parts[1]);
            if (max >= 0 && max < min) throw error("bad repetition {" + body + "}");
            if (Math.max(min, max) > 10_000) throw error("repetition count too large");
        } else {
            return atom;
        }
        if (pos < src.length() && (src.charAt(pos) == '?' || src.charAt(pos) == '+')) pos++;  // lazy/possessive: same language
        int s = newState(), cur = s;
        int copies = Math.max(min, max < 0 ? min : max);
        // every copy is taken before any edge is added: wiring adds edges to the atom's own states, which a later
        // copy would carry along (shifted into nowhere)
        List<Frag> parts = new ArrayList<>();
        for (int i = 0; i < Math.max(copies, 1); i++) parts.add(i == 0 ? atom : copy(atom, before, after));
        Frag loop = max >= 0 ? null : min > 0 ? copy(atom, before, after) : parts.get(0);
        if (copies == 0) {  // x{0} or x? handled below; {0,0} matches empty
            if (max == 0) return new Frag(s, s);
        }
        for (int i = 0; i < min; i++) {
            epsilon(cur, parts.get(i).start());
            cur = parts.get(i).end();
        }
        int e = newState();
        if (max < 0) {  // then a loop on one more copy
            epsilon(cur, loop.start());
            epsilon(loop.end(), loop.start());
            epsilon(loop.end(), e);
            epsilon(cur, e);
        } else {
            for (int i = min; i < max; i++) {
                epsilon(cur, e);
                epsilon(cur, parts.get(i).start());
                cur = parts.get(i).end();
            }
            epsilon(cur, e);
        }
        return new Frag(s, e);
    }

    private Frag atom() {
        if (pos >= src.length()) throw error("unexpected end");
        int c = src.codePointAt(pos);
        if (src.startsWith("(?!)", pos)) {  // the empty language: a branch nothing can take (a cut recursion)
            pos += 4;
            return new Frag(newState(), newState());
        }
        if (src.startsWith("(?=", pos) || src.startsWith("(?!", pos) || src.startsWith("(?<=", pos) || src.startsWith("(?<!", pos))
            throw error("lookahead and lookbehind are not supported");
        if (src.startsWith("(?>", pos) || (src.startsWith("(?", pos) && pos + 2 < src.length() && Character.isLetter(src.charAt(pos + 2))
                && !src.startsWith("(?P<", pos) && !src.startsWith("(?J:", pos)))
            throw error("atomic groups and inline flags are not supported");
        if (c == '(') {
            pos++;
            boolean json = src.startsWith("?J:", pos);  // jllm's own: a pattern placed inside a JSON string
            if (json) { pos += 3; jsonString++; }
            else if (src.startsWith("?:", pos)) pos += 2;
            else if (src.startsWith("?P<", pos) || src.startsWith("?<", pos)) pos = src.indexOf('>', pos) + 1;
            Frag f = alternation();
            if (pos >= src.length() || src.charAt(pos) != ')') throw error("missing ')'");
            pos++;
            if (json) jsonString--;
            return f;
        }
        if (c == '[') return range(charClass());
        if (c == '.') {
            pos++;
            return range(List.of(new int[] {0, '\n' - 1}, new int[] {'\n' + 1, 0x10FFFF}));
        }
        if (c == '\\') return range(escape(false));
        if (c == '*' || c == '+' || c == '?' || c == ')') throw error("nothing to repeat");
        pos += Character.charCount(c);
        return range(List.of(new int[] {c, c}));
    }

    private static final List<int[]> DIGIT = List.of(new int[] {'0', '9'});
    private static final List<int[]> WORD = List.of(new int[] {'0', '9'}, new int[] {'A', 'Z'}, new int[] {'_', '_'}, new int[] {'a', 'z'});
    private static final List<int[]> SPACE = List.of(new int[] {'\t', '\r'}, new int[] {' ', ' '});

    static List<int[]> negate(List<int[]> ranges) {
        List<int[]> sorted = new ArrayList<>(ranges);
        sorted.sort((x, y) -> Integer.compare(x[0], y[0]));
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int[] r : sorted) {
            if (r[0] > next) out.add(new int[] {next, r[0] - 1});
            next = Math.max(next, r[1] + 1);
        }
        if (next <= 0x10FFFF) out.add(new int[] {next, 0x10FFFF});
        return out;
    }

    private List<int[]> escape(boolean inClass) {
        pos++;  // backslash
        if (pos >= src.length()) throw error("trailing backslash");
        char e = src.charAt(pos++);
        switch (e) {
            case 'd': return DIGIT;
            case 'D': return negate(DIGIT);
            case 'w': return WORD;
            case 'W': return negate(WORD);
            case 's': return SPACE;
            case 'S': return negate(SPACE);
            case 'n': return List.of(new int[] {'\n', '\n'});
            case 't': return List.of(new int[] {'\t', '\t'});
            case 'r': return List.of(new int[] {'\r', '\r'});
            case 'f': return List.of(new int[] {'\f', '\f'});
            case 'v': return List.of(new int[] {0x0B, 0x0B});
            case 'x': case 'u': {
                int n = e == 'x' ? 2 : 4;
                if (pos + n > src.length()) throw error("short \\" + e + " escape");
                int v = Integer.parseInt(src.substring(pos, pos + n), 16);
                pos += n;
                return List.of(new int[] {v, v});
            }
            default:
                if (Character.isLetterOrDigit(e)) throw error("unsupported escape \\" + e);
                return List.of(new int[] {e, e});
        }
    }

    private List<int[]> charClass() {
        pos++;  // [
        boolean neg = pos < src.length() && src.charAt(pos) == '^';
        if (neg) pos++;
        List<int[]> ranges = new ArrayList<>();
        boolean first = true;
        while (pos < src.length() && (src.charAt(pos) != ']' || first)) {
            first = false;
            List<int[]> item;
            int single = -1;
            if (src.charAt(pos) == '\\') {
                item = escape(true);
                if (item.size() == 1 && item.get(0)[0] == item.get(0)[1]) single = item.get(0)[0];
            } else {
                single = src.codePointAt(pos);
                pos += Character.charCount(single);
                item = List.of(new int[] {single, single});
            }
            if (single >= 0 && pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                pos++;
                int hiC;
                if (src.charAt(pos) == '\\') {
                    List<int[]> h = escape(true);
                    hiC = h.get(0)[0];
                } else {
                    hiC = src.codePointAt(pos);
                    pos += Character.charCount(hiC);
                }
                if (hiC < single) throw error("bad range");
                item = List.of(new int[] {single, hiC});
            }
            ranges.addAll(item);
        }
        if (pos >= src.length()) throw error("missing ']'");
        pos++;
        return neg ? negate(ranges) : ranges;
    }

    /** A literal string as a regex (every metacharacter escaped). */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if ("\\^$.|?*+()[]{}/-".indexOf(cp) >= 0) b.append('\\');
            if (cp == '\n') b.append("\\n");
            else if (cp == '\t') b.append("\\t");
            else if (cp == '\r') b.append("\\r");
            else b.appendCodePoint(cp);
        });
        return b.toString();
    }
}
