package dev.jllm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a Hugging Face chat template with Jinjava, configured as transformers configures jinja2
 * (trim_blocks, lstrip_blocks) and with its globals raise_exception and strftime_now.
 */
public final class ChatTemplate {
    /** raise_exception(msg) from a template: the chat request fails with exactly this message. */
    public static final class TemplateRaised extends RuntimeException {
        public TemplateRaised(String message) {
            super(message);
        }
    }

    /** The first failure of a render: raise_exception (raised = true) or a Python type error; jinja2 stops there. */
    private record Failure(boolean raised, String message) {}

    private static final ThreadLocal<Failure> FIRST_FAILURE = new ThreadLocal<>();

    /** Records a Python-style error (TypeError) raised inside template evaluation, unless an earlier one stands. */
    static void noteError(String message) {
        if (FIRST_FAILURE.get() == null) FIRST_FAILURE.set(new Failure(false, message));
    }
    private static final ThreadLocal<java.util.function.Supplier<LocalDateTime>> CLOCK = new ThreadLocal<>();
    private final String source;
    private final String parsed;  // source after normalize()
    private final Jinjava jinjava;
    private final java.util.function.Supplier<LocalDateTime> clock;
    private final RenderLimits limits;
    private final ContentFormat contentFormat;

    public ChatTemplate(String source) {
        this(source, LocalDateTime::now, RenderLimits.DEFAULT);
    }

    public ChatTemplate(String source, RenderLimits limits) {
        this(source, LocalDateTime::now, limits);
    }

    public ChatTemplate(String source, java.util.function.Supplier<LocalDateTime> clock) {
        this(source, clock, RenderLimits.DEFAULT);
    }

    /** clock: the time strftime_now reports (render-chat --date fixes it); limits: every render's time and output bounds. */
    public ChatTemplate(String source, java.util.function.Supplier<LocalDateTime> clock, RenderLimits limits) {
        this.source = source;
        this.contentFormat = ContentFormat.detect(source);
        this.parsed = normalize(source);
        this.clock = clock;
        this.limits = limits;
        // jinja2's whitespace rules as Jinjava's legacy overrides give them (trim_blocks/lstrip_blocks semantics for
        // expressions, keep_trailing_newline=False), and no re-rendering of output that looks like a template
        // (message content is data). The other differences are handled by normalize() and the registered helpers.
        com.hubspot.jinjava.LegacyOverrides legacy = com.hubspot.jinjava.LegacyOverrides.newBuilder()
                .withUseTrimmingForNotesAndExpressions(true).withDefaultKeepTrailingNewlineBehavior(true).build();
        // TemplateSandbox: what a template may call, and the render limits (checked before every node)
        JinjavaConfig config = TemplateSandbox.configure(JinjavaConfig.newBuilder(), limits).withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(false).withLegacyOverrides(legacy).withElResolver(new TemplateSandbox.Resolver()).build();
        jinjava = new PyOperators.PyJinjava(config);  // Python ==, !=, * and %
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "jllm_slice", ChatTemplate.class, "pySlice", Object.class, Object.class, Object.class, Object.class));
        jinjava.getGlobalContext().registerFilter(new TojsonFilter());
        jinjava.getGlobalContext().registerFilter(new TrimFilter());
        jinjava.getGlobalContext().registerFilter(new PyStrFilter());
        jinjava.getGlobalContext().registerFilter(new PyStrFilter("string"));
        jinjava.getGlobalContext().registerFilter(new DefaultFilter("default"));
        jinjava.getGlobalContext().registerFilter(new DefaultFilter("d"));
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        PyFilters.register(jinjava.getGlobalContext());  // length, count, list, max, min as jinja2 has them
        // jinja2 tests Jinjava lacks or gets wrong: Python bool equality (for rewritten x == true/false), Python's
        // None as `none`, and `iterable`, which jinja2 answers true for strings too (anything iter() accepts)
        registerTest("jllm_pyeq", (v, args) -> args.length > 0 && args[0] instanceof Boolean b && pyEqualsBool(v, b));
        registerTest("none", (v, args) -> v == null || v instanceof PyValues.PyNone);
        registerTest("defined", (v, args) -> !PyValues.isUndefined(v));
        registerTest("undefined", (v, args) -> PyValues.isUndefined(v));
        // (null is jinja2's Undefined, which iterates as empty)
        registerTest("iterable", (v, args) -> PyValues.isUndefined(v) || v instanceof String || (v instanceof Iterable<?> && !(v instanceof PyValues.PyNone))
                || v instanceof Map<?, ?> || v.getClass().isArray());
        TemplateSandbox.install(jinjava);
        warmUp();
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARM = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Once per JVM, one rendering outside any time limit: Jinjava's first rendering loads and compiles its classes,
     * which takes seconds on a busy machine and would otherwise count against the first request's render timeout.
     */
    private static void warmUp() {
        if (!WARM.compareAndSet(false, true)) return;
        String warm = "{% for m in messages %}{% if m['role'] == 'user' %}{{ m['content']|trim ~ '!' }}{% endif %}{% endfor %}"
                + "{{ messages|length }}{{ messages|tojson }}{{ 'a b'.split(' ')|join(',') }}";
        new ChatTemplate(warm, LocalDateTime::now, new RenderLimits(java.time.Duration.ofMinutes(10), 1 << 20))
                .render(List.of(Map.of("role", "user", "content", "hi")), null, null, true, Map.of(), "<s>", "</s>");
    }

    private static final java.util.regex.Pattern NAMESPACE_CALL = java.util.regex.Pattern.compile("namespace\\(([^()]*+(?:\\([^()]*+\\)[^()]*+)*+)\\)");
    private static final java.util.regex.Pattern NAMED_ARG = java.util.regex.Pattern.compile("(?<!\\w)(\\w++)\\s*+=\\s*+([^,=]+?)\\s*(?=,|$)");

    /** x[a:b:c] with a step, which Jinjava's parser lacks; rewritten to jllm_slice(x, a, b, c). */
    private static final java.util.regex.Pattern STEP_SLICE = java.util.regex.Pattern.compile(
            "('[^']*'|\"[^\"]*\"|(?<![\\w.])[A-Za-z_][\\w.]*+(?:\\[[^\\[\\]:]*+\\])*+)\\[([^\\[\\]:]*):([^\\[\\]:]*):([^\\[\\]:]*)\\]");

    /**
     * `{{ e }}` prints Python's str(e) in jinja2 (True, False, [1, 'a'], {'k': None}); Jinjava prints Java forms, so
     * every output expression gets a final `|jllm_str` (the Python conversion; strings pass unchanged).
     */
    static String wrapOutputs(String src) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int open = src.indexOf("{{", i);
            if (open < 0) break;
            // skip {{ inside {% raw %}-free text only: find the matching }} outside strings and brackets
            int j = open + 2, depth = 0;
            char quote = 0;
            int close = -1;
            for (; j < src.length(); j++) {
                char c = src.charAt(j);
                if (quote != 0) {
                    if (c == '\\') j++;
                    else if (c == quote) quote = 0;
                    continue;
                }
                if (c == '\'' || c == '"') quote = c;
                else if (c == '(' || c == '[' || c == '{') depth++;
                else if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
                else if (c == '}' && j + 1 < src.length() && src.charAt(j + 1) == '}') { close = j; break; }
            }
            if (close < 0) break;
            String inner = src.substring(open + 2, close);
            boolean lstrip = inner.startsWith("-"), rstrip = inner.endsWith("-");
            String expr = inner.substring(lstrip ? 1 : 0, inner.length() - (rstrip && inner.length() > (lstrip ? 1 : 0) ? 1 : 0)).strip();
            out.append(src, i, open).append("{{").append(lstrip ? "- " : " ");
            // parenthesise only when an operator sits at the top level: Jinjava reads `({'a': 1, 'b': 2})` as a tuple
            String wrapped = hasTopLevelOperator(expr) ? "(" + expr + ")|jllm_str" : expr + "|jllm_str";
            out.append(expr.isEmpty() ? "" : wrapped).append(rstrip ? " -" : " ").append("}}");
            i = close + 2;
        }
        out.append(src.substring(i));
        return out.toString();
    }

    private static final java.util.regex.Pattern WORD_OPERATOR = java.util.regex.Pattern.compile("\\b(and|or|not|in|is|if|else)\\b");

    /** Whether an operator (binary, ternary, comparison, tuple comma) appears outside strings and brackets. */
    static boolean hasTopLevelOperator(String expr) {
        StringBuilder top = new StringBuilder();
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
                top.append(' ');
                continue;
            }
            if (c == '\'' || c == '"') { quote = c; top.append(' '); continue; }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (depth == 0) { top.append(c); continue; }
            top.append(' ');
        }
        String t = top.toString();
        return t.matches("(?s).*[-+*/%~<>=!,].*") || WORD_OPERATOR.matcher(t).find();
    }

    /** Python's str() of a template value (null, Jinjava's undefined, prints as jinja2's Undefined: ""). */
    /** A filter registered under a name of the caller's choice (one class serving jinja2's aliases). */
    abstract static class NamedFilter implements com.hubspot.jinjava.lib.filter.Filter {
        private final String name;

        NamedFilter(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }
    }

    /** A filter that reads keyword arguments (`x|f(a, key=b)`); called without them, it gets an empty map. */
    abstract static class KwargsFilter extends NamedFilter {
        KwargsFilter(String name) {
            super(name);
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public abstract Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);
    }

    static final class PyStrFilter extends NamedFilter {
        PyStrFilter() {
            this("jllm_str");
        }

        /** Also registered as `string`: jinja2's string filter is str() too (Undefined → "", None → "None"). */
        PyStrFilter(String name) {
            super(name);
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            if (PyValues.isUndefined(var)) return "";
            if (var instanceof String || var instanceof com.hubspot.jinjava.objects.SafeString) return var;
            if (var instanceof PyValues.PyNone) return "None";
            if (var instanceof Boolean b) return b ? "True" : "False";
            if (var instanceof java.util.Map<?, ?> || var instanceof java.util.List<?> || var instanceof Number
                    || var instanceof Map.Entry<?, ?>) return PyValues.repr(var);
            return var.toString();
        }

        @Override
        public boolean preserveSafeString() {
            return true;
        }
    }

    /**
     * {# c #} → {% if false %}{% endif %}, keeping {#- and -#}; a linear scan (a regex with a lazy body is quadratic on
     * a hostile template full of unclosed `{#`). The source rewrites below are all linear for the same reason:
     * identifiers match only from their first character and possessively.
     */
    static String replaceComments(String src) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int open = src.indexOf("{#", i);
            if (open < 0) break;
            boolean lstrip = src.startsWith("-", open + 2);
            int body = open + 2 + (lstrip ? 1 : 0), close = src.indexOf("#}", body);
            if (close < 0) break;
            boolean rstrip = close > body && src.charAt(close - 1) == '-';
            out.append(src, i, open).append("{%").append(lstrip ? "-" : "").append(" if false %}{% endif ").append(rstrip ? "-" : "").append("%}");
            i = close + 2;
        }
        return out.append(src, i, src.length()).toString();
    }

    private static final java.util.regex.Pattern BOOL_COMPARISON = java.util.regex.Pattern.compile(
            "(?<![\\w.])([A-Za-z_][\\w.]*+(?:\\[[^\\[\\]]*+\\])*+)\\s*+(==|!=)\\s*(false|true|False|True)\\b");

    /** Python's == between a value and a bool: True == 1, False == 0, and nothing else equals a bool. */
    static boolean pyEqualsBool(Object v, boolean b) {
        if (v instanceof Boolean x) return x == b;
        if (v instanceof Number n) return n.doubleValue() == (b ? 1 : 0);
        return false;
    }

    private static final java.util.regex.Pattern NOT_COMPARISON = java.util.regex.Pattern.compile(
            "\\bnot\\s++([A-Za-z_][\\w.]*+(?:\\[[^\\[\\]]*+\\])*+(?:\\s*+\\|\\s*+\\w++)++)\\s*+(==|!=|<=|>=|<|>)\\s*([\\w.'\"]+)");

    private static String orNone(String s) {
        return s.isBlank() ? "none" : s.trim();
    }

    /** Python slicing of a list or string, for jllm_slice. */
    public static Object pySlice(Object seq, Object start, Object stop, Object step) {
        java.util.List<Object> items = new java.util.ArrayList<>();
        boolean isString = seq instanceof String;
        if (isString) ((String) seq).codePoints().forEach(cp -> items.add(new String(Character.toChars(cp))));
        else if (seq instanceof java.util.Collection<?> c) items.addAll(c);
        else return seq;
        int n = items.size();
        long st = step == null ? 1 : ((Number) step).longValue();
        if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
        long lo = st > 0 ? 0 : -1, hi = st > 0 ? n : n - 1;
        long a = start == null ? (st > 0 ? 0 : n - 1) : ((Number) start).longValue();
        long b = stop == null ? (st > 0 ? n : -n - 1) : ((Number) stop).longValue();
        if (a < 0) a += n;
        if (b < 0) b += n;
        a = Math.max(lo, Math.min(hi, a));
        b = Math.max(lo, Math.min(hi, b));
        PyValues.PList out = new PyValues.PList();
        for (long i = a; st > 0 ? i < b : i > b; i += st) out.add(items.get((int) i));
        if (isString) return String.join("", out.stream().map(Object::toString).toList());
        return out;
    }

    /**
     * The source rewrites, equivalent under jinja2's grammar: equivalent under jinja2's grammar: keyword arguments of namespace(...) are
     * parenthesised, because Jinjava binds `a=x|f - 1` as `(a=x|f) - 1`.
     */
    static String normalize(String src) {
        src = ExpressionLexer.rewrite(src);  // binary `+1`, Python string escapes
        src = wrapOutputs(src);
        // {# comments #} become an empty if-block: the same trim_blocks / lstrip_blocks / {#- -#} whitespace
        // behaviour in jinja2, which Jinjava gets wrong for comments after a `-%}`
        src = replaceComments(src);
        src = STEP_SLICE.matcher(src).replaceAll(a -> java.util.regex.Matcher.quoteReplacement("jllm_slice(" + a.group(1) + ", "
                + orNone(a.group(2)) + ", " + orNone(a.group(3)) + ", " + orNone(a.group(4)) + ")"));
        // x == false / x != true: Python equality (Jinjava would coerce '' to false); jllm_pyeq implements it exactly
        src = BOOL_COMPARISON.matcher(src).replaceAll(a -> java.util.regex.Matcher.quoteReplacement(
                (a.group(2).equals("!=") ? "not (" : "(") + a.group(1) + " is jllm_pyeq " + a.group(3).toLowerCase() + ")"));
        // `not x|f == y` is `not ((x|f) == y)` in jinja2; Jinjava would apply `not` first
        src = NOT_COMPARISON.matcher(src).replaceAll(a -> java.util.regex.Matcher.quoteReplacement(
                "not (" + a.group(1) + " " + a.group(2) + " " + a.group(3) + ")"));
        java.util.regex.Matcher m = NAMESPACE_CALL.matcher(src);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String args = NAMED_ARG.matcher(m.group(1)).replaceAll(a -> java.util.regex.Matcher.quoteReplacement(a.group(1) + "=(" + a.group(2).trim() + ")"));
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement("namespace(" + args + ")"));
        }
        m.appendTail(out);
        return out.toString();
    }

    private void registerTest(String name, java.util.function.BiPredicate<Object, Object[]> test) {
        jinjava.getGlobalContext().registerExpTest(new com.hubspot.jinjava.lib.exptest.ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object v, com.hubspot.jinjava.interpret.JinjavaInterpreter i, Object... args) {
                return test.test(v, args);
            }
        });
    }

    public String source() {
        return source;
    }

    /** How this template wants message content: a string, or a list of parts (it loops over a message's content). */
    public ContentFormat contentFormat() {
        return contentFormat;
    }

    public static String raiseException(String message) {
        if (FIRST_FAILURE.get() == null) FIRST_FAILURE.set(new Failure(true, message));  // jinja2 stops at the first; Jinjava goes on
        throw new TemplateRaised(message);
    }

    /** Python strftime subset over the local clock. */
    public static String strftimeNow(String format) {
        java.util.function.Supplier<LocalDateTime> clockNow = CLOCK.get();
        LocalDateTime now = clockNow == null ? LocalDateTime.now() : clockNow.get();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) { out.append(c); continue; }
            char f = format.charAt(++i);
            out.append(switch (f) {
                case 'Y' -> String.valueOf(now.getYear());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'B' -> now.format(DateTimeFormatter.ofPattern("MMMM", java.util.Locale.ENGLISH));
                case 'b' -> now.format(DateTimeFormatter.ofPattern("MMM", java.util.Locale.ENGLISH));
                case 'H' -> String.format("%02d", now.getHour());
                case 'M' -> String.format("%02d", now.getMinute());
                case 'S' -> String.format("%02d", now.getSecond());
                case '%' -> "%";
                default -> "%" + f;
            });
        }
        return out.toString();
    }

    public RenderLimits limits() {
        return limits;
    }

    /**
     * Renders the conversation within this template's limits; throws TemplateRaised (raise_exception),
     * RenderLimits.Exceeded (over time or output) or IllegalArgumentException (bad template).
     */
    public String render(List<Map<String, Object>> messages, Object tools, Object documents, boolean addGenerationPrompt,
                         Map<String, Object> kwargs, String bosToken, String eosToken) {
        return render(messages, tools, documents, addGenerationPrompt, kwargs, bosToken, eosToken, limits);
    }

    /** As above, within the given limits (e.g. a smaller output bound: the most characters a prompt may have). */
    public String render(List<Map<String, Object>> messages, Object tools, Object documents, boolean addGenerationPrompt,
                         Map<String, Object> kwargs, String bosToken, String eosToken, RenderLimits limits) {
        Map<String, Object> ctx = new HashMap<>();
        if (bosToken != null) ctx.put("bos_token", bosToken);  // transformers passes only the tokens a tokenizer sets
        if (eosToken != null) ctx.put("eos_token", eosToken);
        if (kwargs != null) for (var e : kwargs.entrySet()) ctx.put(e.getKey(), PyValues.convert(e.getValue()));
        // strftime_now is a global callable in transformers, so `strftime_now is defined` is true there; the
        // function itself is registered with Jinjava, this binding only makes the `defined` test see it
        ctx.putIfAbsent("strftime_now", "<function strftime_now>");
        ctx.put("messages", PyValues.convert(messages));
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("tools", PyValues.convert(tools));
        ctx.put("documents", PyValues.convert(documents));
        FIRST_FAILURE.remove();
        CLOCK.set(clock);
        RenderResult r;
        RenderLimits.Exceeded breach;
        TemplateSandbox.begin(limits);
        try {
            r = jinjava.renderForResult(parsed, ctx);  // Jinjava bounds output at this.limits; the sandbox at limits
        } finally {
            CLOCK.remove();
            breach = TemplateSandbox.end();
        }
        Failure failure = FIRST_FAILURE.get();
        FIRST_FAILURE.remove();
        if (breach != null) throw breach;
        for (TemplateError e : r.getErrors()) {
            RenderLimits.Exceeded size = TemplateSandbox.sizeBreach(e, limits, this.limits.maxOutputChars());
            if (size != null) throw size;
        }
        if (failure != null && failure.raised()) throw new TemplateRaised(failure.message());
        if (failure != null) throw new IllegalArgumentException("chat template error: " + failure.message());
        for (TemplateError e : r.getErrors())
            if (e.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new IllegalArgumentException("chat template error: " + e.getMessage());
        String out = r.getOutput();
        if (out.length() > limits.maxOutputChars()) throw TemplateSandbox.outputBreach(limits, out.length(), out.length() + " characters");
        return out;
    }

    /** tojson as transformers defines it (json.dumps, ensure_ascii=False), with indent and sort_keys. */
    static final class TojsonFilter extends KwargsFilter {
        TojsonFilter() {
            super("tojson");
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
            Integer ind = indent == null ? null : ((Number) (indent instanceof String s ? Long.parseLong(s) : indent)).intValue();
            boolean sort = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            return PyJson.dumps(var, ind, sort);
        }
    }

    /** jinja2's default(value, default_value='', boolean=False): the default for Undefined (or, with boolean, any falsy value). */
    static final class DefaultFilter extends KwargsFilter {
        DefaultFilter(String name) {
            super(name);
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object fallback = kwargs.containsKey("default_value") ? kwargs.get("default_value") : args.length > 0 ? args[0] : "";
            Object bool = kwargs.containsKey("boolean") ? kwargs.get("boolean") : args.length > 1 ? args[1] : false;
            boolean onFalsy = Boolean.TRUE.equals(bool) || "true".equalsIgnoreCase(String.valueOf(bool));
            if (PyValues.isUndefined(var)) return fallback;
            if (onFalsy && !com.hubspot.jinjava.util.ObjectTruthValue.evaluate(var)) return fallback;
            return var;
        }
    }

    /** trim as jinja2 defines it: Python's str.strip(), which also removes Unicode spaces such as U+00A0. */
    static final class TrimFilter implements com.hubspot.jinjava.lib.filter.Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            // jinja2 trims str(value): a None message content becomes "None", an absent one (Undefined) ""
            if (PyValues.isUndefined(var)) return "";
            return var instanceof PyValues.PyNone ? "None" : PyValues.strip(var.toString(), true, true);
        }
    }

    /** transformers' {% generation %}…{% endgeneration %}: marks assistant text for training masks; renders its body. */
    static final class GenerationTag implements com.hubspot.jinjava.lib.tag.Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(com.hubspot.jinjava.tree.TagNode tagNode, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder();
            for (com.hubspot.jinjava.tree.Node child : tagNode.getChildren()) b.append(child.render(interpreter).getValue());
            return b.toString();
        }
    }
}
