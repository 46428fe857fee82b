package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The object a JSON text cut short (a tool call's arguments stopped by max_tokens) spells so far, for Anthropic's
 * tool_use blocks, whose `input` must be an object. Complete members are kept; a string cut in its middle keeps what
 * was written (as Anthropic's SDKs read a stream's partial_json); a member whose key is cut, whose value has not begun,
 * or whose number or literal may be cut (nothing after it yet) is left out; open arrays and objects end where the
 * text does. Text that does not parse past some point is read up to it.
 */
final class PartialJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String s;
    private int i;
    /** Set once the text ended or stopped making sense: every open value returns what it has. */
    private boolean cut;

    private PartialJson(String s) {
        this.s = s;
    }

    /** The object `text` spells, or the part of it written so far; {} when it is not (the start of) a JSON object. */
    static ObjectNode object(String text) {
        try {
            JsonNode whole = JSON.readTree(text);
            if (whole instanceof ObjectNode o) return o;
        } catch (IOException partial) {
            // read it by hand below
        }
        PartialJson p = new PartialJson(text);
        p.ws();
        if (p.i >= text.length() || text.charAt(p.i) != '{') return JSON.createObjectNode();
        p.i++;
        return p.object();
    }

    /** A value starting at i; null when none could be read whole (or, for a string, in part). */
    private JsonNode value() {
        ws();
        if (i >= s.length()) return stop();
        char c = s.charAt(i);
        if (c == '{') {
            i++;
            return object();
        }
        if (c == '[') {
            i++;
            return array();
        }
        if (c == '"') {
            i++;
            String str = string();
            return str == null ? null : NODES.textNode(str);
        }
        return scalar();
    }

    /** After '{': members until '}' or the cut. */
    private ObjectNode object() {
        ObjectNode o = NODES.objectNode();
        while (!cut) {
            ws();
            if (i >= s.length()) return stopWith(o);
            char c = s.charAt(i);
            if (c == '}') {
                i++;
                return o;
            }
            if (c == ',' && !o.isEmpty()) {
                i++;
                continue;
            }
            if (c != '"') return stopWith(o);
            i++;
            String key = string();
            if (cut || key == null) return stopWith(o);  // a cut key: the member is left out
            ws();
            if (i >= s.length() || s.charAt(i) != ':') return stopWith(o);
            i++;
            JsonNode v = value();
            if (v != null) o.set(key, v);
        }
        return o;
    }

    /** After '[': elements until ']' or the cut. */
    private ArrayNode array() {
        ArrayNode a = NODES.arrayNode();
        while (!cut) {
            ws();
            if (i >= s.length()) return stopWith(a);
            char c = s.charAt(i);
            if (c == ']') {
                i++;
                return a;
            }
            if (c == ',' && !a.isEmpty()) {
                i++;
                continue;
            }
            JsonNode v = value();
            if (v != null) a.add(v);
        }
        return a;
    }

    /** After the opening quote: the string's text, to its closing quote or, cut, as far as it goes (a cut escape left out). */
    private String string() {
        StringBuilder b = new StringBuilder();
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) break;
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        i = s.length();
                        return stopWith(b.toString());
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException bad) {
                        return stopWith(b.toString());
                    }
                    i += 4;
                }
                default -> {
                    return stopWith(b.toString());
                }
            }
        }
        return stopWith(b.toString());
    }

    /** A number, true, false or null: kept only when something follows it (at the very end it may be cut). */
    private JsonNode scalar() {
        int start = i;
        while (i < s.length() && "{}[],: \t\r\n\"".indexOf(s.charAt(i)) < 0) i++;
        if (i >= s.length()) return stop();
        try {
            JsonNode n = JSON.readTree(s.substring(start, i));
            if (n != null && n.isValueNode()) return n;
        } catch (IOException bad) {
            // not a JSON scalar
        }
        return stop();
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private JsonNode stop() {
        cut = true;
        return null;
    }

    private <T> T stopWith(T partial) {
        cut = true;
        return partial;
    }
}
