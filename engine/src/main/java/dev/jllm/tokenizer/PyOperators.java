package dev.jllm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import java.util.List;
import java.util.Map;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Parser.ExtensionHandler;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ExpressionFactory;

/**
 * Python's meaning of `==`, `!=`, `*` and `%`, which Jinjava gives EL's (numeric coercion: "1" == 1 is true there,
 * "ab" * 3 and "%s" % x fail, -7 % 3 is -1): a Jinjava whose expression parser builds these operators instead.
 * Every other operator and all parsing stay Jinjava's.
 */
final class PyOperators {
    private PyOperators() {}

    /** A Jinjava whose expressions are parsed by {@link PyParser}. */
    static final class PyJinjava extends Jinjava {
        private final ExpressionFactory factory = new ExpressionFactoryImpl(new TreeStore(new PyTreeBuilder(), null), new PyTypeConverter());

        PyJinjava(JinjavaConfig config) {
            super(config);
        }

        @Override
        public ExpressionFactory getExpressionFactory() {
            return factory;
        }
    }

    /** Jinjava's conversions, but a float or bool becomes text as Python's str() makes it (`'x' ~ 1e-05`, `'a' ~ true`). */
    static final class PyTypeConverter extends TruthyTypeConverter {
        @Override
        protected String coerceToString(Object v) {
            if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal || v instanceof Boolean) return PyValues.repr(v);
            return super.coerceToString(v);
        }
    }

    /** Jinjava's builder with the features its default expression factory turns on (EL 2.2: method calls, varargs). */
    static final class PyTreeBuilder extends ExtendedSyntaxBuilder {
        PyTreeBuilder() {
            super(jinjava.de.odysseus.el.tree.impl.Builder.Feature.METHOD_INVOCATIONS, jinjava.de.odysseus.el.tree.impl.Builder.Feature.VARARGS);
        }

        @Override
        protected Parser createParser(String expression) {
            return new PyParser(this, expression);
        }
    }

    static final class PyParser extends ExtendedParser {
        PyParser(PyTreeBuilder builder, String input) {
            super(builder, input);
            // `in` / `not in` are parser extensions that build their node directly: replace them with Python's
            putExtensionHandler(com.hubspot.jinjava.el.ext.CollectionMembershipOperator.TOKEN, binary(
                    com.hubspot.jinjava.el.ext.CollectionMembershipOperator.HANDLER, IN));
            putExtensionHandler(com.hubspot.jinjava.el.ext.CollectionNonMembershipOperator.TOKEN, binary(
                    com.hubspot.jinjava.el.ext.CollectionNonMembershipOperator.HANDLER, NOT_IN));
        }

        private static ExtensionHandler binary(ExtensionHandler original, AstBinary.Operator operator) {
            return new ExtensionHandler(original.getExtensionPoint()) {
                @Override
                public AstNode createAstNode(AstNode... children) {
                    return new AstBinary(children[0], children[1], operator);
                }
            };
        }

        @Override
        protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
            AstBinary.Operator py = operator == AstBinary.EQ ? EQ : operator == AstBinary.NE ? NE
                    : operator == AstBinary.MUL ? MUL : operator == AstBinary.MOD ? MOD
                    : operator == AstBinary.ADD || operator == com.hubspot.jinjava.el.ext.AdditionOperator.OP ? ADD
                    : operator == com.hubspot.jinjava.el.ext.CollectionMembershipOperator.OP || operator == com.hubspot.jinjava.el.ext.CollectionNonMembershipOperator.IN_OP ? IN
                    : operator == com.hubspot.jinjava.el.ext.CollectionNonMembershipOperator.NOT_IN_OP ? NOT_IN : operator;
            return super.createAstBinary(left, right, py);
        }
    }

    /** An EL binary operator from its Python meaning (converter: Jinjava's type coercions). */
    interface Apply {
        Object apply(TypeConverter converter, Object a, Object b);
    }

    private static AstBinary.Operator operator(String symbol, Apply f) {
        return new AstBinary.SimpleOperator() {
            @Override
            public Object apply(TypeConverter converter, Object a, Object b) {
                return f.apply(converter, a, b);
            }

            @Override
            public String toString() {
                return symbol;
            }
        };
    }

    private static boolean isStr(Object v) {
        return v instanceof String || v instanceof com.hubspot.jinjava.objects.SafeString;
    }

    private static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
    }

    /** Python ==: a str equals only a str (no coercion of "1" to 1 or of None to "None"); the rest as EL compares. */
    static boolean pyEquals(TypeConverter converter, Object a, Object b) {
        if (isStr(a) != isStr(b) && a != null && b != null) return false;
        if (isStr(a) && isStr(b)) return a.toString().equals(b.toString());
        return jinjava.de.odysseus.el.misc.BooleanOperations.eq(converter, a, b);
    }

    static final AstBinary.Operator EQ = operator("==", (converter, a, b) -> pyEquals(converter, a, b));

    static final AstBinary.Operator NE = operator("!=", (converter, a, b) -> !pyEquals(converter, a, b));

    private static boolean isNumeric(Object v) {
        return v instanceof Number || v instanceof Boolean;
    }

    /** Python's bool is an int: True + 1 == 2. */
    private static Object asNumber(Object v) {
        return v instanceof Boolean x ? (Object) (x ? 1L : 0L) : v;
    }

    /**
     * Python +: str + str, list + list, numbers; anything else raises as Python does ("can only concatenate list
     * (not "str") to list", None + str, dict + dict), where Jinjava would append, join or merge.
     */
    static final AstBinary.Operator ADD = operator("+", (converter, a, b) -> {
        if (a instanceof PyValues.PyUndefined u) throw u.fail();
        if (b instanceof PyValues.PyUndefined u) throw u.fail();
        if (isStr(a) && isStr(b)) {
            String s = a.toString() + b;
            if (s.length() > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(s.length());
            return s;
        }
        if (a instanceof List<?> x && b instanceof List<?> y && PyValues.isTuple(a) == PyValues.isTuple(b)) {
            PyValues.PList out = new PyValues.PList();
            out.addAll(x);
            out.addAll(y);
            return PyValues.isTuple(a) ? new com.hubspot.jinjava.objects.collections.PyList(java.util.Collections.unmodifiableList(out)) : out;
        }
        if (isNumeric(a) && isNumeric(b)) return jinjava.de.odysseus.el.misc.NumberOperations.add(converter, asNumber(a), asNumber(b));
        String ta = PyValues.isTuple(a) ? "tuple" : TemplateSandbox.pyType(a), tb = PyValues.isTuple(b) ? "tuple" : TemplateSandbox.pyType(b);
        if (ta.equals("str") || ta.equals("list") || ta.equals("tuple"))
            throw TemplateSandbox.fail("can only concatenate " + ta + " (not \"" + tb + "\") to " + ta);
        throw TemplateSandbox.fail("unsupported operand type(s) for +: '" + ta + "' and '" + tb + "'");
    });

    /** Python `in`: membership as Jinjava tests it, but `x in None` raises ("argument of type 'NoneType' is not iterable"). */
    static boolean contains(TypeConverter converter, Object a, Object b) {
        if (b instanceof PyValues.PyNone) throw TemplateSandbox.fail("argument of type 'NoneType' is not iterable");
        if (b instanceof PyValues.PyUndefined) return false;  // Undefined iterates as empty
        return Boolean.TRUE.equals(com.hubspot.jinjava.el.ext.CollectionMembershipOperator.OP.apply(converter, a, b));
    }

    static final AstBinary.Operator IN = operator("in", (converter, a, b) -> contains(converter, a, b));

    static final AstBinary.Operator NOT_IN = operator("not in", (converter, a, b) -> !contains(converter, a, b));

    /** Python *: a str or list repeated n times (bounded by the output limit), else numeric multiplication. */
    static final AstBinary.Operator MUL = operator("*", (converter, a, b) -> {
        if ((isStr(a) || a instanceof List<?>) && isInt(b)) return repeat(a, ((Number) b).longValue());
        if (isInt(a) && (isStr(b) || b instanceof List<?>)) return repeat(b, ((Number) a).longValue());
        return jinjava.de.odysseus.el.misc.NumberOperations.mul(converter, a, b);
    });

    private static Object repeat(Object seq, long n) {
        long size = seq instanceof List<?> l ? l.size() : seq.toString().length();
        if (size * Math.max(n, 0) > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(size * n);
        if (seq instanceof List<?> l) {
            PyValues.PList out = new PyValues.PList();
            for (long i = 0; i < n; i++) out.addAll(l);
            return out;
        }
        return seq.toString().repeat((int) Math.max(n, 0));
    }

    /** Python %: printf-style formatting of a str; on numbers, a remainder with the divisor's sign (-7 % 3 == 2). */
    static final AstBinary.Operator MOD = operator("%", (converter, a, b) -> {
        if (isStr(a)) return PyFormat.percent(a.toString(), b);
        if (isInt(a) && isInt(b)) {
            if (((Number) b).longValue() == 0) throw TemplateSandbox.fail("integer modulo by zero");
            return Math.floorMod(((Number) a).longValue(), ((Number) b).longValue());
        }
        if (a instanceof Number x && b instanceof Number y) {
            double d = y.doubleValue();
            if (d == 0) throw TemplateSandbox.fail("float modulo");
            double r = x.doubleValue() % d;
            return r != 0 && (r < 0) != (d < 0) ? r + d : r;
        }
        return jinjava.de.odysseus.el.misc.NumberOperations.mod(converter, a, b);
    });

    /** Python's printf-style `str % args`. */
    static final class PyFormat {
        private PyFormat() {}

        static String percent(String format, Object args) {
            List<?> positional = PyValues.isTuple(args) ? (List<?>) args : List.of(args == null ? PyValues.PyNone.INSTANCE : args);
            Map<?, ?> named = args instanceof Map<?, ?> m ? m : null;
            StringBuilder b = new StringBuilder();
            int next = 0, i = 0, n = format.length();
            while (i < n) {
                char c = format.charAt(i++);
                if (c != '%') { b.append(c); continue; }
                if (i >= n) throw TemplateSandbox.fail("incomplete format");
                // %[(key)][flags][width][.precision]type
                Object value = null;
                boolean keyed = false;
                if (format.charAt(i) == '(') {
                    int close = format.indexOf(')', i);
                    if (close < 0 || named == null) throw TemplateSandbox.fail("format requires a mapping");
                    value = named.get(format.substring(i + 1, close));
                    keyed = true;
                    i = close + 1;
                }
                int specStart = i;
                while (i < n && "-+ #0".indexOf(format.charAt(i)) >= 0) i++;
                while (i < n && (Character.isDigit(format.charAt(i)) || format.charAt(i) == '.')) i++;
                if (i >= n) throw TemplateSandbox.fail("incomplete format");
                String flags = format.substring(specStart, i);
                char type = format.charAt(i++);
                if (type == '%') { b.append('%'); continue; }
                if (!keyed) {
                    if (next >= positional.size()) throw TemplateSandbox.fail("not enough arguments for format string");
                    value = positional.get(next++);
                }
                b.append(one(flags, type, value));
                if (b.length() > TemplateSandbox.maxChars()) throw TemplateSandbox.outputBreach(b.length());
            }
            if (named == null && next < positional.size()) throw TemplateSandbox.fail("not all arguments converted during string formatting");
            return b.toString();
        }

        private static final java.util.regex.Pattern SPEC = java.util.regex.Pattern.compile("([-+ #0]*)(\\d{0,6})(?:\\.(\\d{1,6}))?");

        private static String one(String spec, char type, Object v) {
            java.util.regex.Matcher m = SPEC.matcher(spec);
            if (!m.matches()) throw TemplateSandbox.fail("unsupported format width in '%" + spec + type + "'");
            String flags = m.group(1);
            int width = m.group(2).isEmpty() ? 0 : Integer.parseInt(m.group(2));
            Integer precision = m.group(3) == null ? null : Integer.parseInt(m.group(3));
            String body = switch (type) {
                case 's' -> PyValues.str(v);
                case 'r', 'a' -> PyValues.repr(v);
                case 'd', 'i', 'u' -> {
                    if (!(v instanceof Number num)) throw TemplateSandbox.fail("%" + type + " format: a real number is required, not " + TemplateSandbox.pyType(v));
                    String s = Long.toString(num.longValue());
                    yield flags.contains("+") && num.longValue() >= 0 ? "+" + s : s;
                }
                case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                    if (!(v instanceof Number num)) throw TemplateSandbox.fail("must be real number, not " + TemplateSandbox.pyType(v));
                    String s = String.format(java.util.Locale.ROOT, "%" + (flags.contains("+") ? "+" : "") + "." + (precision == null ? 6 : precision) + type, num.doubleValue());
                    yield s;
                }
                case 'x', 'X', 'o' -> {
                    if (!isInt(v)) throw TemplateSandbox.fail("%" + type + " format: an integer is required, not " + TemplateSandbox.pyType(v));
                    long x = ((Number) v).longValue();
                    String s = type == 'o' ? Long.toOctalString(Math.abs(x)) : Long.toHexString(Math.abs(x));
                    yield (x < 0 ? "-" : "") + (type == 'X' ? s.toUpperCase(java.util.Locale.ROOT) : s);
                }
                case 'c' -> v instanceof Number num ? new String(Character.toChars(num.intValue())) : PyValues.str(v);
                default -> throw TemplateSandbox.fail("unsupported format character '" + type + "'");
            };
            if (type == 's' && precision != null && body.length() > precision) body = body.substring(0, precision);
            if (body.length() >= width) return body;
            String pad = (flags.contains("0") && !flags.contains("-") && "sr".indexOf(type) < 0 ? "0" : " ").repeat(width - body.length());
            if (flags.contains("-")) return body + " ".repeat(width - body.length());
            if (pad.startsWith("0") && (body.startsWith("-") || body.startsWith("+"))) return body.charAt(0) + pad + body.substring(1);
            return pad + body;
        }
    }
}
