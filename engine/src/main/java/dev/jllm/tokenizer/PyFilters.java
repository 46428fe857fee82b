package dev.jllm.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * jinja2 filters that Jinjava lacks (max, min) or gives Java meanings (length of a string in UTF-16 units, list of a
 * string as Java characters, join of floats as 1.0E-5); each does what jinja2's does on Python values.
 */
final class PyFilters {
    private PyFilters() {}

    /** Registers them on a Jinjava's global context (before TemplateSandbox.install wraps the filters). */
    static void register(com.hubspot.jinjava.interpret.Context global) {
        global.registerFilter(new Length("length"));
        global.registerFilter(new Length("count"));
        global.registerFilter(new ListFilter());
        global.registerFilter(new Join());
        global.registerFilter(new Format());
        global.registerFilter(new Extreme("max", true));
        global.registerFilter(new Extreme("min", false));
    }

    /** Python's iteration of a value: a str by code point, a dict by key, a list by item. */
    static List<Object> items(Object v) {
        PyValues.PList out = new PyValues.PList();
        if (PyValues.isUndefined(v)) return out;  // jinja2's Undefined iterates as empty
        if (v instanceof CharSequence s) s.toString().codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        else if (v instanceof Map<?, ?> m) out.addAll(m.keySet());
        else if (v instanceof Iterable<?> it) it.forEach(out::add);  // PyNone throws "'NoneType' object is not iterable"
        else throw TemplateSandbox.fail("'" + TemplateSandbox.pyType(v) + "' object is not iterable");
        return out;
    }

    /** jinja2's length / count: len(value); a str counts code points ("😀"|length is 1). */
    static final class Length extends ChatTemplate.NamedFilter {
        Length(String name) {
            super(name);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (PyValues.isUndefined(var)) return 0L;
            if (var instanceof CharSequence s) return (long) s.toString().codePointCount(0, s.length());
            if (var instanceof Collection<?> c) return (long) c.size();
            if (var instanceof Map<?, ?> m) return (long) m.size();
            throw TemplateSandbox.fail("object of type '" + TemplateSandbox.pyType(var) + "' has no len()");
        }
    }

    /** jinja2's list: list(value) — a str's characters, a dict's keys, a list's items. */
    static final class ListFilter extends ChatTemplate.NamedFilter {
        ListFilter() {
            super("list");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return items(var);
        }
    }

    /** jinja2's join(value, d='', attribute=None): str() of every item (or of its attribute), joined by d. */
    static final class Join extends ChatTemplate.KwargsFilter {
        Join() {
            super("join");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object d = kwargs.containsKey("d") ? kwargs.get("d") : args.length > 0 ? args[0] : "";
            Object attribute = kwargs.containsKey("attribute") ? kwargs.get("attribute") : args.length > 1 ? args[1] : null;
            StringBuilder b = new StringBuilder();
            boolean first = true;
            for (Object x : items(var)) {
                if (!first) b.append(PyValues.str(d));
                first = false;
                b.append(PyValues.str(attribute == null ? x : x instanceof Map<?, ?> m ? m.get(String.valueOf(attribute)) : null));
                if (b.length() > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(b.length());
            }
            return b.toString();
        }
    }

    /** jinja2's format(value, *args, **kwargs): `value % args`, or `value % kwargs` with %(name)s fields. */
    static final class Format extends ChatTemplate.KwargsFilter {
        Format() {
            super("format");
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (args.length > 0 && !kwargs.isEmpty()) throw TemplateSandbox.fail("can't handle positional and keyword arguments at the same time");
            Object values = !kwargs.isEmpty() ? kwargs
                    : new com.hubspot.jinjava.objects.collections.PyList(java.util.Collections.unmodifiableList(java.util.Arrays.asList(args)));
            return PyOperators.PyFormat.percent(PyValues.str(var), values);
        }
    }

    /**
     * jinja2's max / min(value, case_sensitive=False, attribute=None): the first greatest (smallest) item; strings
     * compare case-insensitively unless case_sensitive; an empty sequence gives Undefined.
     */
    static final class Extreme extends ChatTemplate.KwargsFilter {
        private final boolean max;

        Extreme(String name, boolean max) {
            super(name);
            this.max = max;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object cs = kwargs.containsKey("case_sensitive") ? kwargs.get("case_sensitive") : args.length > 0 ? args[0] : false;
            boolean caseSensitive = Boolean.TRUE.equals(cs) || "true".equalsIgnoreCase(String.valueOf(cs));
            Object attribute = kwargs.containsKey("attribute") ? kwargs.get("attribute") : args.length > 1 ? args[1] : null;
            Object best = null, bestKey = null;
            for (Object x : items(var)) {
                Object key = attribute == null ? x : x instanceof Map<?, ?> m ? m.get(String.valueOf(attribute)) : null;
                if (key instanceof String s && !caseSensitive) key = s.toLowerCase(java.util.Locale.ROOT);
                if (best == null || (max ? compare(key, bestKey) > 0 : compare(key, bestKey) < 0)) { best = x; bestKey = key; }
            }
            return best;  // null: jinja2's Undefined for an empty sequence
        }
    }

    /** Python's ordering of two values of comparable types (numbers, strings, bools); TypeError otherwise. */
    static int compare(Object a, Object b) {
        if (a instanceof Boolean x) a = x ? 1L : 0L;
        if (b instanceof Boolean x) b = x ? 1L : 0L;
        if (a instanceof Number x && b instanceof Number y) {
            if ((x instanceof Long || x instanceof Integer) && (y instanceof Long || y instanceof Integer)) return Long.compare(x.longValue(), y.longValue());
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) return comparePy(x, y);
        throw TemplateSandbox.fail("'<' not supported between instances of '" + TemplateSandbox.pyType(a) + "' and '" + TemplateSandbox.pyType(b) + "'");
    }

    /** Python's str ordering: by code point (Java's compareTo orders by UTF-16 unit). */
    static int comparePy(String x, String y) {
        int i = 0, j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i), b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }
}
