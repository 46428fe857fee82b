package dev.jllm.tokenizer;

import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.beans.FeatureDescriptor;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * What a chat template may do, as transformers' ImmutableSandboxedEnvironment allows it and no more: jinja2's
 * filters and globals, Python's str methods and the read-only dict methods; no Java method calls or bean getters
 * on template values, no include/import/extends (jllm renders only the one template it was given), and the
 * {@link RenderLimits} of the rendering in progress, checked before every template node, filter and method call.
 *
 * <p>Java cannot stop a running thread, so the limits are cooperative: every check point throws once the deadline has
 * passed or a value outgrew the output bound, and the first breach is remembered per thread, so a rendering that
 * Jinjava carries on after an error still fails with the limit's message.
 */
final class TemplateSandbox {
    private TemplateSandbox() {}

    /** jinja2's built-in filters that Jinjava implements (with jinja2's meaning), plus jllm's own. */
    static final Set<String> FILTERS = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "forceescape", "format", "groupby", "indent", "int", "join", "last",
            "length", "list", "lower", "map", "random", "reject", "rejectattr", "replace", "reverse", "round", "safe",
            "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim", "truncate",
            "unique", "upper", "urlencode", "wordcount", "wordwrap", "xmlattr", "jllm_str");

    /** Jinjava's extra filters and functions: template re-rendering, YAML/JSON parsing, regexes (unbounded time), dates. */
    /** Nested macro calls allowed (Python's default recursion limit stops jinja2 at a few hundred). */
    static final int MAX_MACRO_DEPTH = 200;

    static final Set<String> DISABLED_FILTERS = Set.of("render", "fromyaml", "fromjson", "toyaml", "regex_replace", "pprint",
            "split", "md5", "b64decode", "b64encode", "escape_jinjava", "datetimeformat", "date", "format_date",
            "format_datetime", "format_time", "strtodate", "strtotime", "unixtimestamp", "between_times", "plus_time",
            "minus_time", "ipaddr", "ipv4", "ipv6", "truncatehtml", "urlize", "urldecode", "unescape_html", "closehtml",
            "root", "log", "shuffle", "filesizeformat", "format_number", "cut", "escapejs", "escapejson", "bool",
            "add", "divide", "divisible", "multiply", "difference", "intersect", "symmetric_difference", "union",
            "allow_snake_case", "tojson_legacy");
    static final Set<String> DISABLED_FUNCTIONS = Set.of("datetimeformat", "format_date", "format_datetime", "format_time",
            "strtodate", "strtotime", "today", "truncate", "type", "unixtimestamp", "super");
    /** jinja2 has no include/import/extends source here (transformers' environment has no loader). */
    static final Set<String> DISABLED_TAGS = Set.of("include", "import", "from", "extends", "block");

    /** Items in any list or map a template builds (Jinjava's bound; input data is bounded by the request size). */
    static final int MAX_ITEMS = 100_000;

    /** The rendering in progress on this thread. */
    private static final class Render {
        final long deadline;  // System.nanoTime()
        final RenderLimits limits;
        RenderLimits.Exceeded breach;

        Render(RenderLimits limits) {
            this.limits = limits;
            this.deadline = System.nanoTime() + limits.timeout().toNanos();
        }
    }

    private static final ThreadLocal<Render> CURRENT = new ThreadLocal<>();

    /** The Jinjava settings that bound a rendering: output, list/map sizes, range(), nesting depth. */
    static JinjavaConfig.Builder configure(JinjavaConfig.Builder b, RenderLimits limits) {
        return b.withMaxOutputSize(limits.maxOutputChars()).withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(MAX_ITEMS).withMaxMapSize(MAX_ITEMS).withRangeLimit(MAX_ITEMS)
                // jinja2 macros may call themselves (gpt-oss renders nested tool schemas so); the depth stays bounded
                .withEnableRecursiveMacroCalls(true).withMaxMacroRecursionDepth(MAX_MACRO_DEPTH)
                .withDisabled(Map.of(Context.Library.FILTER, DISABLED_FILTERS, Context.Library.FUNCTION, DISABLED_FUNCTIONS,
                        Context.Library.TAG, DISABLED_TAGS))
                .withProcessors(com.hubspot.jinjava.el.JinjavaProcessors.newBuilder()
                        .withNodePreProcessor((node, interpreter) -> check()).build());
    }

    /** Installs the guards on a Jinjava: filters wrapped with argument and result bounds, no template loading. */
    static void install(com.hubspot.jinjava.Jinjava jinjava) {
        Context global = jinjava.getGlobalContext();
        for (Filter f : java.util.List.copyOf(global.getAllFilters()))
            if (FILTERS.contains(f.getName())) global.registerFilter(new GuardedFilter(f));
        jinjava.setResourceLocator((name, charset, interpreter) -> {
            fail("chat templates cannot include, import or extend other templates ('" + name + "')");
            throw new java.io.IOException("template loading is disabled");
        });
    }

    static void begin(RenderLimits limits) {
        CURRENT.set(new Render(limits));
    }

    /** Ends the rendering on this thread; returns the limit it broke, or null. */
    static RenderLimits.Exceeded end() {
        Render r = CURRENT.get();
        CURRENT.remove();
        return r == null ? null : r.breach;
    }

    /** Throws (and remembers) a breach when the deadline has passed; a no-op outside a rendering. */
    static void check() {
        Render r = CURRENT.get();
        if (r == null) return;
        if (r.breach != null) throw r.breach;
        if (System.nanoTime() > r.deadline)
            throw breach(r, "The chat template took longer than " + r.limits.timeout().toMillis() + " ms to render (the server's"
                    + " --chat-template-timeout); rendering was stopped.", false);
    }

    /** Throws (and remembers) a breach when a string, list or map a template holds is over the bounds. */
    static Object checkSize(Object v) {
        Render r = CURRENT.get();
        if (r == null || v == null) return v;
        int max = r.limits.maxOutputChars();
        if (v instanceof CharSequence s && s.length() > max) throw outputBreach(r, s.length());
        if (v instanceof Collection<?> c && c.size() > Math.max(MAX_ITEMS, max / 2))
            throw breach(r, "The chat template built a list of " + c.size() + " items (at most " + MAX_ITEMS + "); rendering was stopped.", false);
        if (v instanceof Map<?, ?> m && m.size() > Math.max(MAX_ITEMS, max / 2))
            throw breach(r, "The chat template built a map of " + m.size() + " items (at most " + MAX_ITEMS + "); rendering was stopped.", false);
        return v;
    }

    /** The output bound of the rendering in progress (the configured one when none is). */
    static int maxChars() {
        Render r = CURRENT.get();
        return r == null ? RenderLimits.DEFAULT.maxOutputChars() : r.limits.maxOutputChars();
    }

    static RenderLimits.Exceeded outputBreach(long chars) {
        Render r = CURRENT.get();
        if (r == null) return outputBreach(RenderLimits.DEFAULT, chars, "at least " + chars + " characters");
        return outputBreach(r, chars);
    }

    private static RenderLimits.Exceeded outputBreach(Render r, long chars) {
        if (r.breach == null) r.breach = outputBreach(r.limits, chars, "at least " + chars + " characters");
        return r.breach;
    }

    /** The chat template's output (or a string it built) went over the output bound; detail says by how much. */
    static RenderLimits.Exceeded outputBreach(RenderLimits limits, long chars, String detail) {
        return new RenderLimits.Exceeded("The chat template output would be longer than " + limits.maxOutputChars()
                + " characters (" + detail + "); rendering was stopped.", true, chars);
    }

    private static RenderLimits.Exceeded breach(Render r, String message, boolean output) {
        if (r.breach == null) r.breach = new RenderLimits.Exceeded(message, output, output ? r.limits.maxOutputChars() + 1L : 0);
        return r.breach;
    }

    /**
     * The breach a Jinjava error stands for (its own output or collection bound, also when wrapped in another
     * exception), or null for other errors.
     */
    static RenderLimits.Exceeded sizeBreach(com.hubspot.jinjava.interpret.TemplateError e, RenderLimits limits, int jinjavaMaxChars) {
        boolean output = e.getReason() == com.hubspot.jinjava.interpret.TemplateError.ErrorReason.OUTPUT_TOO_BIG;
        boolean collection = e.getReason() == com.hubspot.jinjava.interpret.TemplateError.ErrorReason.COLLECTION_TOO_BIG;
        for (Throwable t = e.getException(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            output |= t instanceof com.hubspot.jinjava.interpret.OutputTooBigException;
            collection |= t instanceof com.hubspot.jinjava.interpret.CollectionTooBigException;
        }
        if (collection)
            return new RenderLimits.Exceeded("The chat template built a list or map of more than " + MAX_ITEMS + " items; rendering was stopped.", false, 0);
        return output ? outputBreach(limits, jinjavaMaxChars + 1L, "more than " + jinjavaMaxChars + " characters") : null;
    }

    /** A template error (jinja2 would raise here): recorded as the rendering's first failure, then thrown. */
    static IllegalStateException fail(String message) {
        ChatTemplate.noteError(message);
        return new IllegalStateException(message);
    }

    /** Python's type name of a template value, for error messages. */
    static String pyType(Object v) {
        if (v == null) return "Undefined";
        if (v instanceof CharSequence) return "str";
        if (v instanceof Map<?, ?>) return "dict";
        if (v instanceof Collection<?>) return "list";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long || v instanceof Integer) return "int";
        if (v instanceof Number) return "float";
        if (v instanceof PyValues.PyNone) return "NoneType";
        return "object";
    }

    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");

    /**
     * Resolves names and attributes through Jinjava's resolver, but calls only Python's str methods
     * ({@link PyStringMethods}) and the read-only dict methods; every other method call fails as jinja2's sandbox
     * fails it. Attributes of strings, numbers and None are undefined (no Java getters). Every value read is size-checked.
     */
    static final class Resolver extends ELResolver {
        private final ELResolver delegate = com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE;

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            check();
            String name = String.valueOf(method);
            if (base instanceof PyValues.PyUndefined u) throw u.fail();
            if (base instanceof String s) {
                Object result = PyStringMethods.call(s, name, params == null ? new Object[0] : params);
                if (result == PyStringMethods.NOT_HANDLED) throw fail("'str object' has no attribute '" + name + "'");
                context.setPropertyResolved(true);
                return checkSize(result);
            }
            // filters, tests and Jinjava's own template objects (loop, macros) are called as methods too
            boolean allowed = base instanceof Map<?, ?> ? DICT_METHODS.contains(name)
                    : base instanceof com.hubspot.jinjava.lib.Importable
                    || (base != null && !(base instanceof Collection<?>) && base.getClass().getName().startsWith("com.hubspot.jinjava."));
            if (!allowed) throw fail(base == null ? "cannot call '" + name + "' on an undefined value"
                    : "'" + pyType(base) + " object' has no attribute '" + name + "' (chat templates may call only Python's str and dict methods)");
            return checkSize(delegate.invoke(context, base, method, paramTypes, params));
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            check();
            if (base instanceof PyValues.PyUndefined u) throw u.fail();
            if (base instanceof Map<?, ?> m && property instanceof String && !m.containsKey(property)) {
                context.setPropertyResolved(true);  // jinja2: a key a dict lacks is Undefined, not None
                return new PyValues.PyUndefined("'dict object' has no attribute '" + property + "'");
            }
            if (property instanceof String && (base instanceof CharSequence || base instanceof Number || base instanceof Boolean
                    || base instanceof PyValues.PyNone)) {
                context.setPropertyResolved(true);  // jinja2: an attribute these types lack is undefined
                return null;
            }
            return checkSize(delegate.getValue(context, base, property));
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return delegate.getType(context, base, property);
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
            check();
            delegate.setValue(context, base, property, checkSize(value));
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return delegate.isReadOnly(context, base, property);
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return delegate.getFeatureDescriptors(context, base);
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return delegate.getCommonPropertyType(context, base);
        }
    }

    /** Filters whose numeric arguments size their output (a width, an indent, a batch or slice count). */
    private static final Set<String> WIDTH_FILTERS = Set.of("center", "indent", "wordwrap", "truncate", "batch", "slice");

    /** A printf width or precision in a `format` filter pattern ("%10000000d"). */
    private static final Pattern PRINTF_WIDTH = Pattern.compile("%[-#+ 0,(<]*(\\d+)?(?:\\.(\\d+))?");

    /**
     * A filter under the limits: a width-like argument (a width, an indent, a count) is at most the output bound, the
     * output `indent` and `format` would make is bounded before it is built, and the result is size-checked.
     */
    static final class GuardedFilter implements Filter {
        private final Filter f;

        GuardedFilter(Filter f) {
            this.f = f;
        }

        @Override
        public String getName() {
            return f.getName();
        }

        @Override
        public boolean preserveSafeString() {
            return f.preserveSafeString();
        }

        private void guard(Object var, Object[] args, Map<String, Object> kwargs) {
            check();
            if (!WIDTH_FILTERS.contains(getName()) && !getName().equals("format")) return;
            long max = maxChars(), biggest = 0;
            for (Object a : args == null ? new Object[0] : args) biggest = Math.max(biggest, number(a));
            if (kwargs != null) for (Object a : kwargs.values()) biggest = Math.max(biggest, number(a));
            if (biggest > max && WIDTH_FILTERS.contains(getName())) throw outputBreach(biggest);
            String text = var == null ? "" : var.toString();
            if (getName().equals("indent")) {  // width × lines extra characters
                long lines = text.chars().filter(c -> c == '\n').count() + 1;
                long extra = Math.max(biggest, 4) * lines;
                if (text.length() + extra > max) throw outputBreach(text.length() + extra);
            }
            if (getName().equals("format")) {
                Matcher m = PRINTF_WIDTH.matcher(text);
                while (m.find())
                    for (int g = 1; g <= 2; g++)
                        if (m.group(g) != null && (m.group(g).length() > 9 || Long.parseLong(m.group(g)) > max))
                            throw outputBreach(Long.parseLong(m.group(g).substring(0, Math.min(18, m.group(g).length()))));
            }
        }

        private static long number(Object a) {
            if (a instanceof Number n) return Math.abs(n.longValue());
            if (a instanceof String s && s.matches("-?\\d{1,18}")) return Math.abs(Long.parseLong(s));
            if (a instanceof String s && s.matches("-?\\d{19,}")) return Long.MAX_VALUE;
            return 0;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            guard(var, args, null);
            return checkSize(f.filter(var, interpreter, args));
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            guard(var, args, kwargs);
            return checkSize(f.filter(var, interpreter, args, kwargs));
        }

        @Override
        public Object filter(com.hubspot.jinjava.objects.SafeString var, JinjavaInterpreter interpreter, String... args) {
            guard(var, args, null);
            return checkSize(f.filter(var, interpreter, args));
        }
    }
}
