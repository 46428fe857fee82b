package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/** Typed, range-checked reads of request fields; every failure is a 400 that names the field. */
final class Fields {
    private static final Logger LOG = Logger.getLogger(Fields.class.getName());
    private final JsonNode body;

    Fields(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.badRequest("The request body must be a JSON object.");
        this.body = body;
    }

    JsonNode raw(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String name) {
        return raw(name) != null;
    }

    static final LogText.Limiter UNKNOWN_WARNINGS = new LogText.Limiter(10);

    /**
     * Logs (does not reject) fields this endpoint does not know: one line per request naming at most 10 of them
     * (escaped, 64 characters each), at most 10 such lines a second.
     */
    void logUnknown(Set<String> known, String endpoint) {
        List<String> unknown = new ArrayList<>();
        int count = 0;
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (known.contains(f)) continue;
            if (count++ < 10) unknown.add("'" + LogText.escape(f, 64) + "'");
        }
        if (count == 0) return;
        long dropped = UNKNOWN_WARNINGS.admit();
        if (dropped < 0) return;
        LOG.warning(endpoint + ": ignoring " + count + " unknown request field" + (count == 1 ? "" : "s") + ": " + String.join(", ", unknown)
                + (count > unknown.size() ? ", ..." : "") + (dropped > 0 ? " (" + dropped + " similar lines suppressed)" : ""));
    }

    String string(String name, String fallback) {
        JsonNode n = raw(name);
        if (n == null) return fallback;
        if (!n.isTextual()) throw ApiException.badRequest("'" + name + "' must be a string.", name);
        return n.asText();
    }

    boolean bool(String name, boolean fallback) {
        JsonNode n = raw(name);
        if (n == null) return fallback;
        if (!n.isBoolean()) throw ApiException.badRequest("'" + name + "' must be a boolean.", name);
        return n.asBoolean();
    }

    /**
     * An integer; a number with no fraction (2.0) counts as one, as pydantic's lax mode takes it (2.5 does not). One
     * outside the 32-bit range is a 400 that says so.
     */
    Integer integer(String name, Integer fallback) {
        JsonNode n = raw(name);
        if (n == null) return fallback;
        java.math.BigInteger v = integral(n);
        if (v == null) throw ApiException.badRequest("'" + name + "' must be an integer, got " + LogText.escape(n.toString(), 80) + ".", name);
        if (v.bitLength() > 31)
            throw ApiException.badRequest("'" + name + "' is out of range: " + v + " is not within " + Integer.MIN_VALUE + ".." + Integer.MAX_VALUE + ".", name);
        return v.intValue();
    }

    /** The value of an integer, or of a finite number with no fraction; null for anything else. */
    private static java.math.BigInteger integral(JsonNode n) {
        if (n.isIntegralNumber()) return n.bigIntegerValue();
        if (!n.isNumber() || (n.isDouble() || n.isFloat()) && !Double.isFinite(n.doubleValue())) return null;
        java.math.BigDecimal d = n.decimalValue().stripTrailingZeros();
        return d.scale() <= 0 ? d.toBigIntegerExact() : null;
    }

    /** A count that must be at least 1 (max_tokens, max_output_tokens, truncate_prompt_tokens); null (absent) passes. */
    static Integer atLeastOne(Integer value, String param) {
        if (value != null && value < 1) throw ApiException.badRequest(param + " must be at least 1, got " + value + ".", param);
        return value;
    }

    Long longValue(String name) {
        JsonNode n = raw(name);
        if (n == null) return null;
        java.math.BigInteger v = integral(n);
        if (v == null || v.bitLength() > 63)
            throw ApiException.badRequest("'" + name + "' must be an integer in the int64 range, got " + LogText.escape(n.toString(), 80) + ".", name);
        return v.longValue();
    }

    /** A finite number (1e400 overflows to Infinity: a 400 that says it is not finite, not a range message about Infinity). */
    Float number(String name, Float fallback) {
        JsonNode n = raw(name);
        if (n == null) return fallback;
        if (!n.isNumber()) throw ApiException.badRequest("'" + name + "' must be a number, got " + LogText.escape(n.toString(), 80) + ".", name);
        double v = n.asDouble();
        if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE)
            throw ApiException.badRequest("'" + name + "' must be a finite number, got " + LogText.escape(n.toString(), 80) + ".", name);
        return (float) v;
    }

    /** A string or a list of strings. */
    List<String> stringOrList(String name) {
        JsonNode n = raw(name);
        List<String> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isTextual()) {
            out.add(n.asText());
            return out;
        }
        if (!n.isArray()) throw ApiException.badRequest("'" + name + "' must be a string or a list of strings.", name);
        for (JsonNode x : n) {
            if (!x.isTextual()) throw ApiException.badRequest("'" + name + "' must contain only strings.", name);
            out.add(x.asText());
        }
        return out;
    }

    List<Integer> intList(String name) {
        JsonNode n = raw(name);
        List<Integer> out = new ArrayList<>();
        if (n == null) return out;
        if (!n.isArray()) throw ApiException.badRequest("'" + name + "' must be a list of integers.", name);
        for (JsonNode x : n) {
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw ApiException.badRequest("'" + name + "' must contain only integers.", name);
            out.add(x.asInt());
        }
        return out;
    }
}
