package dev.jllm.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a chat template wants message content (vLLM's --chat-template-content-format): STRING, one text (a request's
 * list of text parts joined with "\n"), or OPENAI, a list of parts [{"type": "text", "text": ...}] (Gemma 3, Llama 4:
 * templates that loop over a message's content).
 *
 * <p>Detection reads the template's tags as vLLM reads its AST: the names bound to `messages` (by `set`, also through
 * filters and slices), the loop variables over them (messages), and then any loop over a message's `content` (or over
 * a variable named `content`) makes the format OPENAI.
 */
public enum ContentFormat {
    STRING, OPENAI;

    /** --chat-template-content-format: "string", "openai", or "auto" (null: detect from the template). */
    public static ContentFormat option(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "string" -> STRING;
            case "openai" -> OPENAI;
            default -> throw new IllegalArgumentException("--chat-template-content-format must be auto, string or openai, got '" + value + "'");
        };
    }

    /** One {% set name = expr %} or {% for target in expr %} of the template. */
    private record Tag(boolean loop, String target, String expr) {}

    public static ContentFormat detect(String template) {
        if (template == null) return STRING;
        List<Tag> tags = tags(template);
        // 1. names bound to messages, breadth first through `set` (also `set x = messages[1:]`, `messages|list`)
        Set<String> messages = new LinkedHashSet<>(List.of("messages"));
        List<String> queue = new ArrayList<>(messages);
        for (int q = 0; q < queue.size(); q++)
            for (Tag t : tags)
                if (!t.loop() && access(t.expr(), queue.get(q), null) && messages.add(t.target())) queue.add(t.target());
        // 2. loop variables over them: the messages
        Set<String> message = new LinkedHashSet<>();
        for (Tag t : tags)
            if (t.loop()) for (String m : messages) if (access(t.expr(), m, null)) message.add(t.target());
        // 3. a loop over a message's content, or over a variable named content
        for (Tag t : tags) {
            if (!t.loop()) continue;
            if (access(t.expr(), "content", null)) return OPENAI;
            for (String m : message) if (access(t.expr(), m, "content")) return OPENAI;
        }
        return STRING;
    }

    /**
     * Whether expr reads variable `var` (key null) or its item `key` (var['key'], var["key"], var.key), through
     * any filters (x|f), tests (x is t) and slices (x[a:b]) applied to it.
     */
    static boolean access(String expr, String var, String key) {
        String e = expr.strip();
        while (true) {
            int bar = topLevel(e, "|");
            if (bar >= 0) { e = e.substring(0, bar).strip(); continue; }
            int is = topLevel(e, " is ");
            if (is >= 0) { e = e.substring(0, is).strip(); continue; }
            if (e.endsWith("]")) {
                int open = matchingOpen(e);
                if (open > 0 && topLevel(e.substring(open + 1, e.length() - 1), ":") >= 0) { e = e.substring(0, open).strip(); continue; }
            }
            break;
        }
        if (key == null) return e.equals(var);
        return e.equals(var + "['" + key + "']") || e.equals(var + "[\"" + key + "\"]") || e.equals(var + "." + key);
    }

    /** The `set` and `for` tags of a template, in order; comments and other tags skipped. */
    private static List<Tag> tags(String src) {
        List<Tag> out = new ArrayList<>();
        int i = 0;
        while ((i = src.indexOf("{%", i)) >= 0) {
            int close = src.indexOf("%}", i + 2);
            if (close < 0) break;
            String body = src.substring(i + 2, close);
            i = close + 2;
            if (body.startsWith("-") || body.startsWith("+")) body = body.substring(1);
            if (body.endsWith("-") || body.endsWith("+")) body = body.substring(0, body.length() - 1);
            body = body.strip();
            if (body.startsWith("set ")) {
                int eq = topLevel(body, "=");
                String target = eq < 0 ? "" : body.substring(4, eq).strip();
                if (target.matches("[A-Za-z_]\\w*")) out.add(new Tag(false, target, body.substring(eq + 1)));
            } else if (body.startsWith("for ")) {
                int in = topLevel(body, " in ");
                if (in < 0) continue;
                String target = body.substring(4, in).strip(), expr = body.substring(in + 4).strip();
                if (expr.endsWith(" recursive")) expr = expr.substring(0, expr.length() - " recursive".length());
                int cond = topLevel(expr, " if ");
                if (cond >= 0) expr = expr.substring(0, cond);
                if (target.matches("[A-Za-z_]\\w*")) out.add(new Tag(true, target, expr));
            }
        }
        return out;
    }

    /** Index of `token` in s outside strings and brackets (and not part of a longer ==, <=, >=, != for "="), or -1. */
    private static int topLevel(String s, String token) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
                continue;
            }
            if (c == '\'' || c == '"') quote = c;
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (depth == 0 && s.startsWith(token, i)) {
                if (token.equals("=") && ((i > 0 && "=!<>".indexOf(s.charAt(i - 1)) >= 0) || (i + 1 < s.length() && s.charAt(i + 1) == '='))) continue;
                return i;
            }
        }
        return -1;
    }

    /** Index of the '[' matching the final ']' of s, or -1. */
    private static int matchingOpen(String s) {
        int depth = 0;
        for (int i = s.length() - 1; i >= 0; i--) {
            char c = s.charAt(i);
            if (c == ']' || c == ')' || c == '}') depth++;
            else if (c == '[' || c == '(' || c == '{') {
                if (--depth == 0) return c == '[' ? i : -1;
            }
        }
        return -1;
    }
}
