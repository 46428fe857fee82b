package dev.jllm.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * llama.cpp's GBNF dialect (grammars/README.md there), read into a {@link Grammar}: rules `name ::= alternatives`
 * (names are words with dashes), string literals "…", character classes [a-z] [^"\\] with ranges, `.` (any code
 * point), escapes x/u/U + 2/4/8 hex digits, \t \r \n \\ \" \[ \] (and other punctuation as itself), grouping ( ),
 * alternation |, repetition * + ? {m} {m,} {m,n}, comments #. As in llama.cpp a rule ends at a newline, except
 * inside parentheses and after '|'. Sub-expressions made only of characters become one regex terminal (a DFA);
 * the rest become BNF productions for the Earley parser.
 */
final class Gbnf {
    private static final Pattern RULE_HEAD = Pattern.compile("(?m)^[ \\t]*[A-Za-z0-9_-]+[ \\t]*::=");
    static final int MAX_REPEAT = 10_000;

    /** Whether the text is GBNF (some line starts a `name ::=` rule) rather than Lark. */
    static boolean isGbnf(String text) {
        return RULE_HEAD.matcher(text).find();
    }

    /** An expression: a regex (characters only), a rule reference, or a composite of them. */
    private sealed interface Node permits Re, Ref, Seq, Alt, Rep {}
    private record Re(String regex) implements Node {}
    private record Ref(int nt) implements Node {}
    private record Seq(List<Node> items) implements Node {}
    private record Alt(List<Node> alts) implements Node {}
    private record Rep(Node x, int min, int max) implements Node {}  // max -1: unbounded

    private final Grammar g;
    private final String src;
    private int pos;

    private Gbnf(Grammar g, String src) {
        this.g = g;
        this.src = src;
    }

    static void load(Grammar g, String text) {
        new Gbnf(g, text).rules();
    }

    // ---- 1. parsing: text -> one Node per rule ------------------------------------------------------------------

    private void rules() {
        Map<String, Node> bodies = new HashMap<>();
        List<String> order = new ArrayList<>();
        space(true);
        while (pos < src.length()) {
            int at = pos;
            String name = name();
            if (name.isEmpty()) throw error("expected a rule name");
            space(false);
            if (!src.startsWith("::=", pos)) throw error("expected '::=' after rule name '" + name + "'");
            pos += 3;
            space(true);
            g.nt(name);
            Node body = alternatives(false);
            if (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r')
                throw error("unexpected '" + src.charAt(pos) + "' in rule '" + name + "'");
            if (bodies.put(name, body) != null) { pos = at; throw error("rule '" + name + "' is defined twice"); }
            order.add(name);
            space(true);
        }
        if (order.isEmpty()) throw new IllegalArgumentException("the grammar defines no rules");
        inlineRegularRules(bodies, order);
        for (String name : order) define(g.nt(name), bodies.get(name));
        g.finish(bodies.containsKey("root") ? "root" : order.get(0));
    }

    private IllegalArgumentException error(String what) {
        int line = 1, col = 1;
        for (int i = 0; i < Math.min(pos, src.length()); i++) {
            if (src.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return new IllegalArgumentException("GBNF grammar: " + what + " (line " + line + ", column " + col + ")");
    }

    /** Skips blanks and # comments; newlines too when newlineOk (inside parentheses, after '::=' or '|'). */
    private void space(boolean newlineOk) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t' || (newlineOk && (c == '\n' || c == '\r'))) pos++;
            else if (c == '#') { while (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') pos++; }
            else return;
        }
    }

    private static boolean isWordChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private String name() {
        int st = pos;
        while (pos < src.length() && isWordChar(src.charAt(pos))) pos++;
        return src.substring(st, pos);
    }

    private Node alternatives(boolean nested) {
        List<Node> alts = new ArrayList<>();
        alts.add(sequence(nested));
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            space(true);
            alts.add(sequence(nested));
        }
        return alts.size() == 1 ? alts.get(0) : new Alt(alts);
    }

    private Node sequence(boolean nested) {
        List<Node> items = new ArrayList<>();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            Node atom;
            if (c == '"') atom = new Re(literal());
            else if (c == '[') atom = new Re(charClass());
            else if (c == '.') { pos++; atom = new Re(classRegex(List.of(new int[] {0, Character.MAX_CODE_POINT}))); }
            else if (c == '(') {
                pos++;
                space(true);
                atom = alternatives(true);
                if (pos >= src.length() || src.charAt(pos) != ')') throw error("missing ')'");
                pos++;
            } else if (isWordChar(c)) atom = new Ref(g.nt(name()));
            else break;  // '|', ')', end of line: the caller decides
            space(nested);
            while (pos < src.length() && "*+?{".indexOf(src.charAt(pos)) >= 0) {
                atom = repetition(atom);
                space(nested);
            }
            items.add(atom);
        }
        return items.size() == 1 ? items.get(0) : new Seq(items);
    }

    /** x* x+ x? x{m} x{m,} x{m,n} */
    private Node repetition(Node x) {
        char op = src.charAt(pos++);
        if (op == '*') return new Rep(x, 0, -1);
        if (op == '+') return new Rep(x, 1, -1);
        if (op == '?') return new Rep(x, 0, 1);
        space(false);
        int min = count(), max = min;
        space(false);
        if (pos < src.length() && src.charAt(pos) == ',') {
            pos++;
            space(false);
            max = pos < src.length() && Character.isDigit(src.charAt(pos)) ? count() : -1;
            space(false);
        }
        if (pos >= src.length() || src.charAt(pos) != '}') throw error("expected '}' to close a {m,n} repetition");
        pos++;
        if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "} has max < min");
        return new Rep(x, min, max);
    }

    private int count() {
        int st = pos;
        while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
        if (st == pos) throw error("expected a number in a {m,n} repetition");
        if (pos - st > 5 || Integer.parseInt(src.substring(st, pos)) > MAX_REPEAT) throw error("repetition count over " + MAX_REPEAT);
        return Integer.parseInt(src.substring(st, pos));
    }

    /** "…" as a regex matching exactly its characters. */
    private String literal() {
        pos++;  // "
        StringBuilder b = new StringBuilder();
        while (pos < src.length() && src.charAt(pos) != '"') {
            if (src.charAt(pos) == '\n' || src.charAt(pos) == '\r') throw error("unterminated string literal");
            b.appendCodePoint(character());
        }
        if (pos >= src.length()) throw error("unterminated string literal");
        pos++;
        StringBuilder re = new StringBuilder();
        b.codePoints().forEach(cp -> re.append(regexChar(cp)));
        return re.toString();
    }

    /** [ … ] or [^ … ] as a regex class over code point ranges. */
    private String charClass() {
        pos++;  // [
        boolean negated = pos < src.length() && src.charAt(pos) == '^';
        if (negated) pos++;
        List<int[]> ranges = new ArrayList<>();
        while (pos < src.length() && src.charAt(pos) != ']') {
            if (src.charAt(pos) == '\n' || src.charAt(pos) == '\r') throw error("unterminated character class");
            int lo = character(), hi = lo;
            if (pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                pos++;
                hi = character();
                if (hi < lo) throw error("character range is backwards");
            }
            ranges.add(new int[] {lo, hi});
        }
        if (pos >= src.length()) throw error("unterminated character class");
        pos++;
        return classRegex(negated ? Regex.negate(ranges) : ranges);
    }

    /** One (possibly escaped) code point of a literal or class. */
    private int character() {
        int c = src.codePointAt(pos);
        pos += Character.charCount(c);
        if (c != '\\') return c;
        if (pos >= src.length()) throw error("trailing backslash");
        char e = src.charAt(pos++);
        int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (hex > 0) {
            if (pos + hex > src.length() || !src.substring(pos, pos + hex).matches("[0-9a-fA-F]+")) throw error("\\" + e + " needs " + hex + " hex digits");
            long v = Long.parseLong(src.substring(pos, pos + hex), 16);
            if (v > Character.MAX_CODE_POINT) throw error("\\" + e + " escape is beyond U+10FFFF");
            pos += hex;
            return (int) v;
        }
        return switch (e) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            default -> {
                if (Character.isLetterOrDigit(e) || Character.isWhitespace(e)) { pos -= 2; throw error("unknown escape \\" + e); }
                yield e;  // \\ \" \[ \] \- \^ ...
            }
        };
    }

    /** A code point as regex text {@link Regex} reads back exactly (BMP as \\uHHHH, others literally). */
    private static String regexChar(int cp) {
        return cp <= 0xFFFF ? String.format("\\u%04x", cp) : Character.toString(cp);
    }

    /** Ranges as a regex class; an empty set becomes a class that matches nothing. */
    private static String classRegex(List<int[]> ranges) {
        if (ranges.isEmpty()) return "[^" + regexChar(0) + "-" + regexChar(Character.MAX_CODE_POINT) + "]";
        StringBuilder b = new StringBuilder("[");
        for (int[] r : ranges) {
            b.append(regexChar(r[0]));
            if (r[1] > r[0]) b.append('-').append(regexChar(r[1]));
        }
        return b.append(']').toString();
    }

    // ---- 2. lowering: Node -> terminals and productions --------------------------------------------------------

    /** Rule id -> its regex, for rules that are regular (characters and other regular rules, no recursion). */
    private final Map<Integer, String> inlined = new HashMap<>();
    static final int MAX_INLINED = 10_000;  // regex characters; a longer rule stays a rule

    /**
     * Finds the rules whose language is regular on its face (built from characters and rules already found, so no
     * recursion) and lets references to them be pure: `string ::= "\"" char* "\"" space` with a per-character rule
     * becomes one DFA terminal, as if written with a class, instead of one Earley step per character.
     */
    private void inlineRegularRules(Map<String, Node> bodies, List<String> order) {
        for (boolean changed = true; changed; ) {
            changed = false;
            for (String name : order) {
                int id = g.nt(name);
                if (inlined.containsKey(id) || !pure(bodies.get(name))) continue;
                String re = regex(bodies.get(name));
                if (re.length() > MAX_INLINED) continue;
                inlined.put(id, re);
                changed = true;
            }
        }
    }

    private boolean pure(Node n) {
        return switch (n) {
            case Re r -> true;
            case Ref r -> inlined.containsKey(r.nt());
            case Seq s -> s.items().stream().allMatch(this::pure);
            case Alt a -> a.alts().stream().allMatch(this::pure);
            case Rep r -> pure(r.x());
        };
    }

    /** A pure node as one regex. */
    private String regex(Node n) {
        return switch (n) {
            case Re r -> r.regex();
            case Seq s -> String.join("", s.items().stream().map(x -> "(?:" + regex(x) + ")").toList());
            case Alt a -> "(?:" + String.join("|", a.alts().stream().map(this::regex).toList()) + ")";
            case Rep r -> "(?:" + regex(r.x()) + ")" + (r.max() < 0 ? "{" + r.min() + ",}" : "{" + r.min() + "," + r.max() + "}");
            case Ref r -> "(?:" + inlined.get(r.nt()) + ")";
        };
    }

    /** lhs → body: one production per top-level alternative. */
    private void define(int lhs, Node body) {
        if (body instanceof Alt a && !pure(a)) for (Node alt : a.alts()) g.addProduction(lhs, symbols(alt));
        else g.addProduction(lhs, symbols(body));
    }

    /**
     * A sequence as symbols; each run of adjacent pure items becomes one terminal ("\"" [^"]* "\"" is one DFA that
     * accepts only after the closing quote, rather than a class that may end anywhere: the token-mask split in
     * {@link GrammarMasks} then finds most tokens inside the terminal). The same language either way.
     */
    private int[] symbols(Node n) {
        if (!(n instanceof Seq s) || pure(s)) return new int[] {symbol(n)};
        List<Integer> out = new ArrayList<>();
        List<Node> run = new ArrayList<>();
        for (Node x : s.items()) {
            if (pure(x)) { run.add(x); continue; }
            if (!run.isEmpty()) out.add(symbol(run.size() == 1 ? run.get(0) : new Seq(List.copyOf(run))));
            run.clear();
            out.add(symbol(x));
        }
        if (!run.isEmpty()) out.add(symbol(run.size() == 1 ? run.get(0) : new Seq(List.copyOf(run))));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A node as one grammar symbol: a terminal when pure, else a rule (given or generated). */
    private int symbol(Node n) {
        if (pure(n)) return g.terminal(regex(n));
        if (n instanceof Ref r) return r.nt();
        int fresh = g.nt("__gbnf" + g.fresh++);
        if (n instanceof Rep r) repeat(fresh, symbol(r.x()), r.min(), r.max());
        else define(fresh, n);
        return fresh;
    }

    /** lhs → x{min,max}: min copies, then either x* (a left-recursive rule) or max-min nested optionals. */
    private void repeat(int lhs, int x, int min, int max) {
        int[] rhs = new int[min + (max == min ? 0 : 1)];
        java.util.Arrays.fill(rhs, 0, min, x);
        if (max != min) {
            int tail = g.nt("__gbnf" + g.fresh++);
            rhs[min] = tail;
            if (max < 0) {  // tail → ε | tail x
                g.addProduction(tail, new int[0]);
                g.addProduction(tail, new int[] {tail, x});
            } else {  // tail_k → ε | x tail_{k+1}, the last one ε | x
                for (int k = min; k < max; k++) {
                    int next = k + 1 < max ? g.nt("__gbnf" + g.fresh++) : -1;
                    g.addProduction(tail, new int[0]);
                    g.addProduction(tail, next < 0 ? new int[] {x} : new int[] {x, next});
                    tail = next;
                }
            }
        }
        g.addProduction(lhs, rhs);
    }
}
