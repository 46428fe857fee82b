package dev.jllm.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema as a regular expression over the JSON text (the approach of outlines, which vLLM uses): objects
 * emit their declared properties in order (required ones always, optional ones optionally), arrays honour
 * items/prefixItems/minItems/maxItems, strings minLength/maxLength/pattern/format (date, time, date-time, duration,
 * uuid, email, hostname, ipv4, ipv6, uri),
 * integers and numbers with their bounds ({@link NumberRegex}), booleans, null, enum, const, anyOf/oneOf, and $ref into $defs/definitions (recursion up
 * to a fixed depth). Unsupported keywords are refused with their name rather than ignored.
 */
public final class JsonSchemaRegex {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STRING_CHAR = "(?:[^\"\\\\\\x00-\\x1F\\x7F]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4})";
    static final String STRING = "\"" + STRING_CHAR + "*\"";
    static final String INTEGER = "-?(?:0|[1-9][0-9]*)";
    static final String NUMBER = INTEGER + "(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?";
    static final String BOOLEAN = "(?:true|false)";
    static final String NULL = "null";
    static final int MAX_DEPTH = 6;
    static final String FORMATS = "date, time, date-time, duration, uuid, email, hostname, ipv4, ipv6, uri";
    private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    static final String IPV4 = OCTET + "(?:\\." + OCTET + "){3}";
    private static final String H16 = "[0-9a-fA-F]{1,4}";
    /** RFC 3339 appendix A: P then weeks, or date and/or time parts, each run of units consecutive and non-empty. */
    static final String DURATION = "P(?:[0-9]+W|(?:[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)(?:T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))?"
            + "|T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))";
    private static final String LS32 = "(?:" + H16 + ":" + H16 + "|" + IPV4 + ")";
    /** RFC 3986's IPv6address: eight groups, or fewer around one "::", the last two possibly an IPv4 address. */
    static final String IPV6 = ipv6();

    private static String ipv6() {
        List<String> alts = new ArrayList<>();
        alts.add("(?:" + H16 + ":){6}" + LS32);
        alts.add("::(?:" + H16 + ":){5}" + LS32);
        for (int before = 0; before <= 6; before++) {  // [ *before( h16 ":" ) h16 ] "::" then what fits after
            String head = "(?:" + (before == 0 ? "" : "(?:" + H16 + ":){0," + before + "}") + H16 + ")?::";
            int after = 4 - before;  // h16 ":" groups before ls32
            if (after >= 0) alts.add(head + (after == 0 ? "" : "(?:" + H16 + ":){" + after + "}") + LS32);
            else if (before == 5) alts.add(head + H16);
            else alts.add(head);
        }
        return "(?:" + String.join("|", alts) + ")";
    }

    /**
     * Keywords that constrain values in ways one regular expression over the text cannot enforce: refused by name
     * (an output that breaks the schema would be worse). Annotations (title, description, default, examples …)
     * are ignored as JSON Schema says they may be.
     */
    static final java.util.Set<String> UNENFORCEABLE = java.util.Set.of("not", "if", "then", "else", "contains", "minContains",
            "maxContains", "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
            "unevaluatedProperties", "unevaluatedItems", "contentSchema");

    private final JsonNode root;
    private final String ws;

    private JsonSchemaRegex(JsonNode root, String whitespace) {
        this.root = root;
        this.ws = whitespace == null ? "[ ]?" : "(?:" + whitespace + ")";
    }

    /** whitespacePattern: guided_whitespace_pattern, or null for the default (at most one space). */
    public static String toRegex(JsonNode schema, String whitespacePattern) {
        if (schema == null || !(schema.isObject() || schema.isBoolean())) throw new IllegalArgumentException("the JSON schema must be an object");
        return new JsonSchemaRegex(schema, whitespacePattern).value(schema, 0);
    }

    private String genericValue(int depth) {
        String scalars = STRING + "|" + NUMBER + "|" + BOOLEAN + "|" + NULL;
        if (depth <= 0) return "(?:" + scalars + ")";
        return "(?:" + scalars + "|" + genericObject(depth - 1) + "|" + genericArray(depth - 1) + ")";
    }

    private String genericObject(int depth) {
        return members(STRING + ws + ":" + ws + genericValue(depth));
    }

    /** An object of any number of `member`s. */
    private String members(String member) {
        return enclose("\\{", member + "(?:" + ws + "," + ws + member + ")*", true, "\\}");
    }

    private String genericArray(int depth) {
        String v = genericValue(depth);
        return "\\[" + ws + "(?:" + v + "(?:" + ws + "," + ws + v + ")*" + ws + ")?\\]";
    }

    private JsonNode resolve(String ref) {
        if (ref.equals("#")) return root;
        if (!ref.startsWith("#/")) throw new IllegalArgumentException("only local $ref (# or #/...) is supported, got " + ref);
        JsonNode n = root;
        for (String part : ref.substring(2).split("/")) n = n.path(part.replace("~1", "/").replace("~0", "~"));
        if (n.isMissingNode()) throw new IllegalArgumentException("$ref " + ref + " points nowhere");
        return n;
    }

    private String literal(JsonNode v) {
        try {
            return Regex.quote(JSON.writeValueAsString(v));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    String value(JsonNode s, int depth) {
        if (depth > MAX_DEPTH * 4) throw new IllegalArgumentException("the JSON schema nests too deeply (more than " + MAX_DEPTH * 4 + " levels)");
        if (s.isBoolean()) {
            if (!s.asBoolean()) throw new IllegalArgumentException("the JSON schema `false` matches nothing");
            return genericValue(2);
        }
        // past the recursion bound a $ref matches nothing: the output takes a branch that ends (an empty array, an
        // optional property left out) and a schema with no such branch is refused as matching no text
        if (s.has("$ref")) return depth > MAX_DEPTH * 3 ? "(?!)" : value(resolve(s.get("$ref").asText()), depth + 1);
        for (String k : UNENFORCEABLE) if (s.has(k)) throw new IllegalArgumentException("the JSON schema keyword '" + k + "' is not supported");
        if (s.has("const")) return literal(s.get("const"));
        if (s.has("enum")) {
            List<String> alts = new ArrayList<>();
            for (JsonNode e : s.get("enum")) alts.add(literal(e));
            return "(?:" + String.join("|", alts) + ")";
        }
        for (String key : new String[] {"anyOf", "oneOf"}) {
            if (s.has(key)) {
                List<String> alts = new ArrayList<>();
                for (JsonNode sub : s.get(key)) alts.add(value(sub, depth + 1));
                return "(?:" + String.join("|", alts) + ")";
            }
        }
        if (s.has("allOf")) {
            if (s.get("allOf").size() == 1) return value(s.get("allOf").get(0), depth + 1);
            throw new IllegalArgumentException("allOf with more than one schema is not supported");
        }
        JsonNode type = s.get("type");
        if (type != null && type.isArray()) {
            List<String> alts = new ArrayList<>();
            for (JsonNode t : type) {
                com.fasterxml.jackson.databind.node.ObjectNode copy = ((com.fasterxml.jackson.databind.node.ObjectNode) s).deepCopy();
                copy.put("type", t.asText());
                alts.add(value(copy, depth + 1));
            }
            return "(?:" + String.join("|", alts) + ")";
        }
        String t = type == null ? (s.has("properties") ? "object" : s.has("items") ? "array" : "") : type.asText();
        return switch (t) {
            case "string" -> string(s);
            case "integer" -> NumberRegex.bounded(s) ? NumberRegex.integer(s) : INTEGER;
            case "number" -> NumberRegex.bounded(s) ? NumberRegex.number(s) : NUMBER;
            case "boolean" -> BOOLEAN;
            case "null" -> NULL;
            case "array" -> array(s, depth);
            case "object" -> object(s, depth);
            case "" -> genericValue(2);
            default -> throw new IllegalArgumentException("unsupported JSON schema type '" + t + "'");
        };
    }

    private String string(JsonNode s) {
        if ((s.has("pattern") || s.has("format")) && (s.has("minLength") || s.has("maxLength")))
            throw new IllegalArgumentException("minLength/maxLength together with " + (s.has("pattern") ? "pattern" : "format")
                    + " is not supported (one regular expression cannot bound both)");
        if (s.has("pattern")) {
            String p = s.get("pattern").asText();
            if (p.startsWith("^")) p = p.substring(1);
            if (p.endsWith("$") && !p.endsWith("\\$")) p = p.substring(0, p.length() - 1);
            Regex.compile(p);  // validates it
            // (?J:...): only characters a JSON string holds unescaped, so a pattern such as .* never emits a raw quote
            return "\"(?J:" + p + ")\"";
        }
        if (s.has("format")) {
            String f = s.get("format").asText();
            String body = switch (f) {
                case "date" -> "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])";
                case "time" -> "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?";
                case "date-time" -> "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
                case "uuid" -> "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
                case "email" -> "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}";
                case "ipv4" -> IPV4;
                case "ipv6" -> IPV6;
                case "hostname" -> "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*";
                case "duration" -> DURATION;
                case "uri" -> "[a-zA-Z][a-zA-Z0-9+.-]*:[!#$&-;=?-\\[\\]_a-z~%]+";
                default -> throw new IllegalArgumentException("unsupported string format '" + f + "' (supported: " + FORMATS + ")");
            };
            return "\"" + body + "\"";
        }
        int min = s.path("minLength").asInt(0);
        int max = s.has("maxLength") ? s.get("maxLength").asInt() : -1;
        if (min == 0 && max < 0) return STRING;
        if (max >= 0 && max < min) throw new IllegalArgumentException("maxLength " + max + " < minLength " + min);
        return "\"" + STRING_CHAR + "{" + min + "," + (max < 0 ? "" : max) + "}\"";
    }

    private String array(JsonNode s, int depth) {
        int min = s.path("minItems").asInt(0);
        int max = s.has("maxItems") ? s.get("maxItems").asInt() : -1;
        if (max >= 0 && max < min) throw new IllegalArgumentException("maxItems " + max + " < minItems " + min);
        if (s.path("uniqueItems").asBoolean(false) && !(max >= 0 && max <= 1))
            throw new IllegalArgumentException("uniqueItems is not supported (except with maxItems <= 1)");
        if (s.has("prefixItems")) return tuple(s, depth, min, max);
        if (s.path("items").isBoolean() && !s.get("items").asBoolean()) {  // items false: no items at all
            if (min > 0) throw new IllegalArgumentException("minItems " + min + " with items false matches nothing");
            max = 0;
        }
        if (max == 0) return "\\[" + ws + "\\]";
        String item = s.has("items") ? value(s.get("items"), depth + 1) : genericValue(1);
        String more = "(?:" + ws + "," + ws + item + ")";
        return enclose("\\[", item + more + "{" + Math.max(0, min - 1) + "," + (max < 0 ? "" : String.valueOf(max - 1)) + "}", min == 0, "\\]");
    }

    /**
     * open, the (non-empty) body, close, with one ws after open and one before close; when the body may be left
     * out, only one ws in all (`[ ]`, never `[  ]`: at most one space by default).
     */
    private String enclose(String open, String body, boolean mayBeEmpty, String close) {
        if (body.isEmpty()) return open + ws + close;
        return mayBeEmpty ? open + ws + "(?:" + body + ws + ")?" + close : open + ws + body + ws + close;
    }

    /**
     * prefixItems (Pydantic's tuple[...]): the listed items in order, then further `items` unless items is false;
     * minItems/maxItems bound the whole array.
     */
    private String tuple(JsonNode s, int depth, int min, int max) {
        List<String> prefix = new ArrayList<>();
        for (JsonNode p : s.get("prefixItems")) prefix.add(value(p, depth + 1));
        JsonNode items = s.get("items");
        boolean closed = items != null && items.isBoolean() && !items.asBoolean();
        int n = prefix.size(), hi = closed ? (max < 0 ? n : Math.min(max, n)) : max;  // hi < 0: unbounded
        if (min > n && closed) throw new IllegalArgumentException("minItems " + min + " exceeds the " + n + " prefixItems of a closed tuple");
        String sep = ws + "," + ws;
        // 1. the extra items after the prefix: between max(0, min - n) and hi - n of them
        String extras = "";
        int lo = Math.max(0, min - n);
        if (hi < 0 || hi > n) {
            String item = items == null || items.isBoolean() ? genericValue(1) : value(items, depth + 1);
            String upper = hi < 0 ? "" : String.valueOf(hi - n - 1);
            if (n == 0) extras = item + "(?:" + sep + item + "){" + Math.max(0, lo - 1) + "," + upper + "}";  // optional when lo == 0 (enclose)
            else extras = "(?:" + sep + item + "){" + lo + "," + (hi < 0 ? "" : String.valueOf(hi - n)) + "}";
        }
        // 2. the prefix items from the last back: element i may be left out (with all after it) once min are written;
        //    the first one's optionality is enclose's (so that an empty tuple holds one ws)
        int written = Math.min(n, hi < 0 ? n : hi);
        if (written == 0) return enclose("\\[", extras, lo == 0, "\\]");
        String tail = extras;
        for (int i = written - 1; i >= 1; i--) {
            String elem = sep + prefix.get(i) + tail;
            tail = i >= min ? "(?:" + elem + ")?" : elem;
        }
        return enclose("\\[", prefix.get(0) + tail, min == 0, "\\]");
    }

    private String object(JsonNode s, int depth) {
        int minProps = s.path("minProperties").asInt(0);
        int maxProps = s.has("maxProperties") ? s.get("maxProperties").asInt() : -1;
        if (minProps > 0 || maxProps >= 0) {
            int required = s.path("required").size(), declared = s.path("properties").size();
            boolean open = !s.has("properties") || s.path("properties").isEmpty();
            if (open || required < minProps || (maxProps >= 0 && declared > maxProps))
                throw new IllegalArgumentException("minProperties/maxProperties are supported only when the required and declared properties already satisfy them");
        }
        JsonNode props = s.get("properties");
        if (props == null || props.isEmpty()) {
            JsonNode ap = s.get("additionalProperties");
            if (ap != null && ap.isObject()) {  // a map: string keys to values of one schema
                return members(STRING + ws + ":" + ws + value(ap, depth + 1));
            }
            return genericObject(2);
        }
        java.util.Set<String> required = new java.util.LinkedHashSet<>();
        for (JsonNode r : s.path("required")) required.add(r.asText());
        List<String> names = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = props.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            names.add(e.getKey());
            parts.add(Regex.quote("\"" + e.getKey().replace("\\", "\\\\").replace("\"", "\\\"") + "\"") + ws + ":" + ws + value(e.getValue(), depth + 1));
        }
        // a required property the schema does not declare: any JSON value (as xgrammar), after the declared ones
        for (String r : required) {
            if (props.has(r)) continue;
            names.add(r);
            parts.add(Regex.quote("\"" + r.replace("\\", "\\\\").replace("\"", "\\\"") + "\"") + ws + ":" + ws + genericValue(2));
        }
        String sep = ws + "," + ws;
        int firstRequired = -1;
        for (int i = 0; i < names.size(); i++) if (required.contains(names.get(i))) { firstRequired = i; break; }
        StringBuilder body = new StringBuilder();
        if (firstRequired >= 0) {
            for (int i = 0; i < firstRequired; i++) body.append("(?:").append(parts.get(i)).append(sep).append(")?");
            body.append(parts.get(firstRequired));
            for (int i = firstRequired + 1; i < names.size(); i++) {
                if (required.contains(names.get(i))) body.append(sep).append(parts.get(i));
                else body.append("(?:").append(sep).append(parts.get(i)).append(")?");
            }
        } else {  // all optional: whichever comes first, then any of the later ones
            List<String> alts = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                StringBuilder a = new StringBuilder(parts.get(i));
                for (int j = i + 1; j < names.size(); j++) a.append("(?:").append(sep).append(parts.get(j)).append(")?");
                alts.add(a.toString());
            }
            return enclose("\\{", "(?:" + String.join("|", alts) + ")", true, "\\}");
        }
        return enclose("\\{", body.toString(), false, "\\}");
    }
}
