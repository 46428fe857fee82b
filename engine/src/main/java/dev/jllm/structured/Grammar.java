package dev.jllm.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A context-free grammar in the EBNF dialects guided_grammar requests use: Lark (`start: a "x" B`, `?rule`,
 * terminals `NAME: ...`, strings "…"/'…', regexes /…/, `"a".."z"` ranges, `%import common.X`, `%ignore X`,
 * operators | * + ? ( ) [ ]) and llama.cpp's GBNF (`root ::= ...`, read by {@link Gbnf}). Rules are flattened to
 * BNF productions whose symbols are nonterminals or terminals; each terminal is a {@link Dfa} over code points.
 */
public final class Grammar {
    /** A production lhs → symbols; a symbol ≥ 0 is a nonterminal id, < 0 is terminal -(id + 1). */
    record Production(int lhs, int[] rhs) {}

    final List<String> nonterminals = new ArrayList<>();
    final List<Production> productions = new ArrayList<>();
    final List<Dfa> terminals = new ArrayList<>();
    final Map<Integer, List<Integer>> byLhs = new HashMap<>();
    int start;
    private final Map<TokenVocabulary, GrammarMasks> masks = new java.util.WeakHashMap<>();

    /** The mask parts every request of this grammar on this vocabulary shares. */
    synchronized GrammarMasks masks(TokenVocabulary vocab) {
        return masks.computeIfAbsent(vocab, v -> new GrammarMasks(this, v));
    }

    private final Map<String, Integer> ntIds = new HashMap<>();
    private final Map<String, String> terminalDefs = new LinkedHashMap<>();  // NAME -> regex
    private final Map<String, Integer> terminalIds = new HashMap<>();
    private final Map<String, String> terminalBodies = new HashMap<>();
    private String ignore;  // regex of one ignored token (the %ignore operands as alternatives), or null
    private final List<String> ignores = new ArrayList<>();  // %ignore operands as written
    int fresh;  // counter for generated nonterminal names

    static final Map<String, String> COMMON = Map.ofEntries(
            Map.entry("DIGIT", "[0-9]"), Map.entry("HEXDIGIT", "[0-9a-fA-F]"), Map.entry("INT", "[0-9]+"),
            Map.entry("SIGNED_INT", "[+-]?[0-9]+"), Map.entry("DECIMAL", "[0-9]+\\.[0-9]*|\\.[0-9]+"),
            Map.entry("NUMBER", "(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),
            Map.entry("SIGNED_NUMBER", "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),
            Map.entry("LETTER", "[A-Za-z]"), Map.entry("LCASE_LETTER", "[a-z]"), Map.entry("UCASE_LETTER", "[A-Z]"),
            Map.entry("WORD", "[A-Za-z]+"), Map.entry("CNAME", "[A-Za-z_][A-Za-z0-9_]*"),
            Map.entry("ESCAPED_STRING", "\"(?:[^\"\\\\]|\\\\.)*\""), Map.entry("WS", "[ \\t\\f\\r\\n]+"),
            Map.entry("WS_INLINE", "[ \\t]+"), Map.entry("NEWLINE", "(?:\\r?\\n)+"), Map.entry("CR", "\\r"), Map.entry("LF", "\\n"));

    public static Grammar parse(String text) {
        Grammar g = new Grammar();
        if (Gbnf.isGbnf(text)) Gbnf.load(g, text);
        else g.load(text);
        return g;
    }

    // ---- parsing the grammar text -------------------------------------------------------------------------------

    private record Def(String name, String body) {}

    private void load(String text) {
        List<Def> rules = new ArrayList<>();
        StringBuilder cur = null;
        String curName = null;
        for (String raw : text.split("\n")) {
            String line = stripComment(raw);
            if (line.isBlank()) continue;
            String t = line.strip();
            if (t.startsWith("%import")) {
                String what = t.substring(7).strip();
                String name = what.substring(what.lastIndexOf('.') + 1).split("\\s")[0];
                if (!COMMON.containsKey(name)) throw new IllegalArgumentException("%import of unknown terminal " + what);
                terminalDefs.put(name, COMMON.get(name));
                continue;
            }
            if (t.startsWith("%ignore")) {  // resolved once the terminals are known
                ignores.add(t.substring(7).strip());
                continue;
            }
            if (t.startsWith("%")) throw new IllegalArgumentException("unsupported directive " + t.split("\\s")[0]);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([?!]?[A-Za-z_][A-Za-z0-9_.-]*)(\\.[0-9]+)?\\s*(::=|:)(.*)$").matcher(t);
            if (m.matches() && (raw.length() == 0 || !Character.isWhitespace(raw.charAt(0)) || curName == null)) {
                if (curName != null) rules.add(new Def(curName, cur.toString()));
                curName = m.group(1).replaceFirst("^[?!]", "");
                cur = new StringBuilder(m.group(4));
            } else if (curName != null) {
                cur.append(' ').append(t);  // a continuation line (Lark's leading |)
            } else {
                throw new IllegalArgumentException("grammar line outside a rule: " + t);
            }
        }
        if (curName != null) rules.add(new Def(curName, cur.toString()));
        if (rules.isEmpty()) throw new IllegalArgumentException("the grammar defines no rules");
        // terminals (UPPERCASE names) become regexes; the rest are nonterminals
        for (Def d : rules) if (isTerminalName(d.name())) terminalBodies.put(d.name(), d.body());
        for (Def d : rules) if (isTerminalName(d.name())) terminalDefs.put(d.name(), terminalRegex(d.name(), 0));
        for (String what : ignores) {
            String re = ignoredRegex(what);
            ignore = ignore == null ? re : ignore + "|" + re;
        }
        String first = null;
        for (Def d : rules) {
            if (isTerminalName(d.name())) continue;
            if (first == null) first = d.name();
            nt(d.name());
        }
        if (first == null) throw new IllegalArgumentException("the grammar has no nonterminal rules");
        String startName = ntIds.containsKey("start") ? "start" : ntIds.containsKey("root") ? "root" : first;
        for (Def d : rules) if (!isTerminalName(d.name())) define(nt(d.name()), d.body());
        finish(startName);
    }

    /** Checks every rule used is defined, then adds __start → startName (with optional ignored text before it). */
    void finish(String startName) {
        for (int i = 0; i < nonterminals.size(); i++)
            if (!byLhs.containsKey(i)) throw new IllegalArgumentException("rule '" + nonterminals.get(i) + "' is used but not defined");
        int s = nt("__start");
        int inner = nt(startName);
        if (ignore != null) addProduction(s, new int[] {ignoreSym(), inner});  // each terminal takes the ignored text after it
        else addProduction(s, new int[] {inner});
        start = s;
        if (!productive().get(s))
            throw new IllegalArgumentException("the grammar matches no text: every alternative of rule '" + startName
                    + "' refers to a rule that never ends (e.g. root ::= root)");
    }

    /** The nonterminals that derive some text (a fixpoint: a production counts once all its nonterminals do). */
    private java.util.BitSet productive() {
        java.util.BitSet done = new java.util.BitSet();
        for (boolean grew = true; grew;) {
            grew = false;
            for (Production p : productions) {
                if (done.get(p.lhs())) continue;
                boolean all = true;
                for (int sym : p.rhs()) all &= sym < 0 || done.get(sym);
                if (all) {
                    done.set(p.lhs());
                    grew = true;
                }
            }
        }
        return done;
    }

    /** An %ignore operand (a terminal name, "literal", /regex/, or an expression of them) as a regex. */
    private String ignoredRegex(String what) {
        if (what.isEmpty()) throw new IllegalArgumentException("%ignore needs a terminal or a literal");
        if (COMMON.containsKey(what) && !terminalDefs.containsKey(what)) return "(?:" + COMMON.get(what) + ")";
        src = what;
        pos = 0;
        try {
            String re = regexAlternatives(0);
            skipWs();
            if (pos != src.length()) throw new IllegalArgumentException("unexpected '" + src.charAt(pos) + "'");
            Regex.compile(re);
            return "(?:" + re + ")";
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("%ignore " + what + ": takes a terminal (NAME) or a literal (\"…\", /…/): " + e.getMessage());
        }
    }

    private static boolean isTerminalName(String n) {
        return n.equals(n.toUpperCase()) && Character.isLetter(n.replace("_", "").isEmpty() ? 'x' : n.replace("_", "").charAt(0));
    }

    private static String stripComment(String line) {
        boolean inStr = false, inRe = false, inCls = false;
        char q = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\') { i++; continue; }
            if (inStr) { if (c == q) inStr = false; continue; }
            if (inCls) { if (c == ']') inCls = false; continue; }
            if (inRe) { if (c == '/') inRe = false; continue; }
            if (c == '"' || c == '\'') { inStr = true; q = c; }
            else if (c == '[') inCls = true;
            else if (c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/') return line.substring(0, i);
            else if (c == '/') inRe = true;
            else if (c == '#') return line.substring(0, i);
        }
        return line;
    }

    int nt(String name) {
        Integer id = ntIds.get(name);
        if (id != null) return id;
        nonterminals.add(name);
        ntIds.put(name, nonterminals.size() - 1);
        return nonterminals.size() - 1;
    }

    /**
     * A terminal symbol for a regex. Under %ignore each terminal also takes the ignored text after it: ignored text
     * may stand between any two tokens, and every such place follows some terminal (or starts the text: __start
     * takes it there), so the language is the same as with an ignore symbol between the items of each sequence, but
     * without its ambiguity (two ignore symbols side by side around an empty rule could split one run of spaces in
     * many ways, each a separate parse the token masks would follow).
     */
    int terminal(String regex) {
        return ignore == null ? rawTerminal(regex) : rawTerminal("(?:" + regex + ")(?:" + ignore + ")*");
    }

    private int rawTerminal(String regex) {
        Integer id = terminalIds.get(regex);
        if (id != null) return -(id + 1);
        Dfa d = new Dfa(Regex.compile(regex));
        terminals.add(d);
        terminalIds.put(regex, terminals.size() - 1);
        return -terminals.size();
    }

    private int ignoreSymbol = Integer.MIN_VALUE;

    /** A nonterminal for the ignored text before the first token: IGN → (ignore-regex)*. */
    private int ignoreSym() {
        if (ignoreSymbol != Integer.MIN_VALUE) return ignoreSymbol;
        int n = nt("__ignore");
        addProduction(n, new int[] {rawTerminal("(?:" + ignore + ")*")});  // any number of ignored tokens, or none
        ignoreSymbol = n;
        return n;
    }

    void addProduction(int lhs, int[] rhs) {
        productions.add(new Production(lhs, rhs));
        byLhs.computeIfAbsent(lhs, k -> new ArrayList<>()).add(productions.size() - 1);
    }

    // ---- rule bodies: a tiny recursive-descent parser over the EBNF expression --------------------------------

    private String src;
    private int pos;

    private void define(int lhs, String body) {
        src = body;
        pos = 0;
        List<List<Integer>> alts = alternatives(false);
        skipWs();
        if (pos != src.length()) throw new IllegalArgumentException("unexpected '" + src.charAt(pos) + "' in rule " + nonterminals.get(lhs));
        for (List<Integer> a : alts) addProduction(lhs, asRhs(a));
    }

    /** A sequence as a production's symbols (ignored text between them is taken by each terminal: {@link #terminal}). */
    private static int[] asRhs(List<Integer> seq) {
        return seq.stream().mapToInt(Integer::intValue).toArray();
    }

    private void skipWs() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
    }

    private List<List<Integer>> alternatives(boolean nested) {
        List<List<Integer>> alts = new ArrayList<>();
        alts.add(sequence());
        skipWs();
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            alts.add(sequence());
            skipWs();
        }
        return alts;
    }

    private List<Integer> sequence() {
        List<Integer> seq = new ArrayList<>();
        while (true) {
            skipWs();
            if (pos >= src.length() || "|)]".indexOf(src.charAt(pos)) >= 0) return seq;
            if (src.startsWith("->", pos)) {  // Lark alias: ignore the name
                pos += 2;
                skipWs();
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                continue;
            }
            int sym = atom();
            skipWs();
            if (pos < src.length() && "*+?".indexOf(src.charAt(pos)) >= 0) sym = repeat(sym, src.charAt(pos++));
            seq.add(sym);
        }
    }

    /** x* / x+ / x? as a fresh nonterminal. */
    private int repeat(int sym, char op) {
        int n = nt("__rep" + fresh++);
        switch (op) {
            case '?' -> { addProduction(n, new int[0]); addProduction(n, new int[] {sym}); }
            case '*' -> { addProduction(n, new int[0]); addProduction(n, asRhs(List.of(n, sym))); }
            default -> { addProduction(n, new int[] {sym}); addProduction(n, asRhs(List.of(n, sym))); }
        }
        return n;
    }

    private int atom() {
        char c = src.charAt(pos);
        if (c == '(' || c == '[' && isOptionalBracket()) {
            char close = c == '(' ? ')' : ']';
            pos++;
            List<List<Integer>> alts = alternatives(true);
            skipWs();
            if (pos >= src.length() || src.charAt(pos) != close) throw new IllegalArgumentException("missing '" + close + "' in grammar");
            pos++;
            int n = nt("__grp" + fresh++);
            for (List<Integer> a : alts) addProduction(n, asRhs(a));
            if (close == ']') addProduction(n, new int[0]);
            return n;
        }
        if (c == '"' || c == '\'' || c == '/' || c == '[') return terminal(terminalAtom());
        int start = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_' || src.charAt(pos) == '-' || src.charAt(pos) == '.')) pos++;
        if (start == pos) throw new IllegalArgumentException("unexpected '" + c + "' in grammar");
        String name = src.substring(start, pos);
        if (terminalDefs.containsKey(name)) {
            String re = terminalDefs.get(name);
            if (re == null) throw new IllegalArgumentException("terminal " + name + " refers to itself");
            return terminal(re);
        }
        if (isTerminalName(name)) throw new IllegalArgumentException("undefined terminal " + name);
        return nt(name);
    }

    /** In GBNF [a-z] is a class; in Lark [x] is an optional group. A '[' directly followed by a class body is a class. */
    private boolean isOptionalBracket() {
        int close = src.indexOf(']', pos);
        if (close < 0) return true;
        String inner = src.substring(pos + 1, close);
        return inner.contains("\"") || inner.contains("'") || inner.matches(".*\\b[a-z_][a-z0-9_]*\\b.*") && !inner.matches("\\^?[^\\s]*");
    }

    /** A terminal definition (NAME: ...) as one regex; other terminals it names are inlined. */
    private String terminalRegex(String name, int depth) {
        if (terminalDefs.get(name) != null) return terminalDefs.get(name);
        if (depth > 50) throw new IllegalArgumentException("terminal " + name + " is recursive");
        String body = terminalBodies.get(name);
        if (body == null) throw new IllegalArgumentException("undefined terminal " + name);
        String savedSrc = src;
        int savedPos = pos;
        src = body;
        pos = 0;
        String r = regexAlternatives(depth);
        skipWs();
        if (pos != src.length()) throw new IllegalArgumentException("unexpected '" + src.charAt(pos) + "' in terminal " + name);
        src = savedSrc;
        pos = savedPos;
        return r;
    }

    private String regexAlternatives(int depth) {
        List<String> alts = new ArrayList<>();
        alts.add(regexSequence(depth));
        skipWs();
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            alts.add(regexSequence(depth));
            skipWs();
        }
        return alts.size() == 1 ? alts.get(0) : "(?:" + String.join("|", alts) + ")";
    }

    private String regexSequence(int depth) {
        StringBuilder b = new StringBuilder();
        while (true) {
            skipWs();
            if (pos >= src.length() || "|)".indexOf(src.charAt(pos)) >= 0) return b.toString();
            String atom;
            char c = src.charAt(pos);
            if (c == '(') {
                pos++;
                atom = "(?:" + regexAlternatives(depth) + ")";
                skipWs();
                if (pos >= src.length() || src.charAt(pos) != ')') throw new IllegalArgumentException("missing ')' in terminal");
                pos++;
            } else if (c == '"' || c == '\'' || c == '/' || c == '[') {
                atom = "(?:" + terminalAtom() + ")";
            } else {
                int st = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                if (st == pos) throw new IllegalArgumentException("unexpected '" + c + "' in terminal");
                atom = "(?:" + terminalRegex(src.substring(st, pos), depth + 1) + ")";
            }
            if (pos < src.length() && "*+?".indexOf(src.charAt(pos)) >= 0) atom += src.charAt(pos++);
            b.append(atom);
        }
    }

    /** A terminal atom as a regex: "str", 'str', /re/flags, [class], "a".."z". */
    private String terminalAtom() {
        char c = src.charAt(pos);
        if (c == '/') {
            int end = pos + 1;
            while (end < src.length() && src.charAt(end) != '/') end += src.charAt(end) == '\\' ? 2 : 1;
            if (end >= src.length()) throw new IllegalArgumentException("unterminated /regex/ in grammar");
            String re = src.substring(pos + 1, end);
            pos = end + 1;
            while (pos < src.length() && Character.isLetter(src.charAt(pos))) pos++;  // flags (i, x) are not supported beyond syntax
            return "(?:" + re + ")";
        }
        if (c == '[') {
            int end = src.indexOf(']', pos + 1);
            while (end > 0 && src.charAt(end - 1) == '\\') end = src.indexOf(']', end + 1);
            String cls = src.substring(pos, end + 1);
            pos = end + 1;
            return cls;
        }
        String lit = stringLiteral();
        skipWs();
        if (src.startsWith("..", pos)) {
            pos += 2;
            skipWs();
            String hi = stringLiteral();
            return "[" + Regex.quote(lit) + "-" + Regex.quote(hi) + "]";
        }
        if (pos < src.length() && src.charAt(pos) == 'i' && (pos + 1 == src.length() || !Character.isLetterOrDigit(src.charAt(pos + 1)))) pos++;
        return Regex.quote(lit);
    }

    private String stringLiteral() {
        char q = src.charAt(pos);
        if (q != '"' && q != '\'') throw new IllegalArgumentException("expected a string in grammar");
        StringBuilder b = new StringBuilder();
        int i = pos + 1;
        while (i < src.length() && src.charAt(i) != q) {
            char c = src.charAt(i);
            if (c == '\\' && i + 1 < src.length()) {
                char e = src.charAt(++i);
                b.append(switch (e) { case 'n' -> '\n'; case 't' -> '\t'; case 'r' -> '\r'; default -> e; });
            } else {
                b.append(c);
            }
            i++;
        }
        if (i >= src.length()) throw new IllegalArgumentException("unterminated string in grammar");
        pos = i + 1;
        return b.toString();
    }
}
