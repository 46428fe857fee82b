package dev.jllm.server;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A left-to-right scan of one tool-call object as a model writes it, {"name": "f", "arguments": {...}}, over text that
 * may still be growing. It never looks ahead: every answer depends only on the characters before the scan's end, so
 * the answer for a prefix never contradicts the answer for the whole text (what streaming needs).
 *
 * <p>Arguments are kept as the raw text the model wrote for them (the value of "arguments", or of "parameters" as
 * Llama 3 writes it), so arguments streamed piece by piece concatenate to the arguments of the finished call.
 *
 * @param name      the call's name once its string is complete, else null
 * @param partialName the name's characters so far when its string is not complete (for a call cut by max_tokens)
 * @param argsStart index in the text where the arguments value starts, or -1 before it has started
 * @param argsEnd   index just past what is known of the arguments value (its end once complete)
 * @param argsDone  whether the arguments value is complete
 * @param end       index just past the object's closing brace, or -1 while it is open
 * @param error     index of the first character that cannot belong to a call object, or -1
 */
record CallScan(String name, String partialName, int argsStart, int argsEnd, boolean argsDone, int end, int error) {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int INCOMPLETE = -1;

    boolean complete() {
        return end >= 0;
    }

    /** The arguments as written so far (trailing whitespace of an unfinished value left out); "{}" when absent. */
    String arguments(CharSequence text) {
        if (argsStart < 0) return complete() ? "{}" : "";
        String a = text.subSequence(argsStart, argsEnd).toString();
        return argsDone ? a : a.stripTrailing();
    }

    /** Scans the call object starting (after optional whitespace) at `from`. */
    static CallScan scan(CharSequence s, int from) {
        int n = s.length(), i = skipWs(s, from);
        String name = null, partialName = null;
        int argsStart = -1, argsEnd = -1;
        boolean argsDone = false;
        if (i == n) return new CallScan(null, null, -1, -1, false, -1, -1);
        if (s.charAt(i) != '{') return new CallScan(null, null, -1, -1, false, -1, i);
        i++;
        boolean first = true;
        while (true) {
            // 1. a separator or the closing brace
            i = skipWs(s, i);
            if (i == n) break;
            char c = s.charAt(i);
            if (c == '}') return new CallScan(name, partialName, argsStart, argsEnd, argsDone, i + 1, -1);
            if (!first) {
                if (c != ',') return new CallScan(name, partialName, argsStart, argsEnd, argsDone, -1, i);
                i = skipWs(s, i + 1);
                if (i == n) break;
            }
            first = false;
            // 2. "key" :
            if (s.charAt(i) != '"') return new CallScan(name, partialName, argsStart, argsEnd, argsDone, -1, i);
            int keyEnd = stringEnd(s, i);
            if (keyEnd < 0) break;
            String key = decode(s, i, keyEnd);
            i = skipWs(s, keyEnd);
            if (i == n) break;
            if (s.charAt(i) != ':') return new CallScan(name, partialName, argsStart, argsEnd, argsDone, -1, i);
            i = skipWs(s, i + 1);
            if (i == n) break;
            // 3. the value: the name (a string), the arguments (kept raw), or anything else (skipped)
            if (key.equals("name")) {
                if (s.charAt(i) != '"') return new CallScan(name, partialName, argsStart, argsEnd, argsDone, -1, i);
                int e = stringEnd(s, i);
                if (e < 0) {
                    partialName = lenientDecode(s.subSequence(i + 1, n).toString());
                    break;
                }
                name = decode(s, i, e);
                i = e;
            } else {
                int e = valueEnd(s, i);
                boolean args = (key.equals("arguments") || key.equals("parameters")) && argsStart < 0;
                if (args) argsStart = i;
                if (e == INCOMPLETE) {
                    if (args) argsEnd = n;
                    break;
                }
                if (e < -1) return new CallScan(name, partialName, argsStart, args ? -e - 2 : argsEnd, false, -1, -e - 2);
                if (args) {
                    argsEnd = e;
                    argsDone = true;
                }
                i = e;
            }
        }
        return new CallScan(name, partialName, argsStart, argsEnd, argsDone, -1, -1);
    }

    /** Mistral's newer form (tokenizer v11+): name[ARGS]{...}, the name bare. */
    static CallScan scanArgsForm(CharSequence s, int from) {
        int n = s.length(), i = from;
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || "_-.".indexOf(s.charAt(i)) >= 0)) i++;
        String name = s.subSequence(from, i).toString(), tag = "[ARGS]";
        int have = Math.min(tag.length(), n - i);
        if ((i == from && have > 0) || !tag.startsWith(s.subSequence(i, i + have).toString())) return new CallScan(null, null, -1, -1, false, -1, i);
        if (have < tag.length()) return new CallScan(null, name, -1, -1, false, -1, -1);
        int a = skipWs(s, i + tag.length());
        if (a == n) return new CallScan(name, null, -1, -1, false, -1, -1);
        int e = valueEnd(s, a);
        if (e == INCOMPLETE) return new CallScan(name, null, a, n, false, -1, -1);
        if (e < -1) return new CallScan(name, null, a, -e - 2, false, -1, -e - 2);
        return new CallScan(name, null, a, e, true, e, -1);
    }

    static int skipWs(CharSequence s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    /** Index past the closing quote of the string at `i`, or -1 while it is open. */
    static int stringEnd(CharSequence s, int i) {
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\\') j++;
            else if (c == '"') return j + 1;
        }
        return -1;
    }

    /**
     * Index past the JSON value at `i`; INCOMPLETE while it may still be growing; -2 - k for a character at k that
     * cannot continue it. Iterative (a bracket stack), so deep nesting cannot overflow the thread's stack. Scalars
     * are taken loosely (a run of number/literal characters); the finished arguments are raw text anyway.
     */
    static int valueEnd(CharSequence s, int i) {
        StringBuilder stack = new StringBuilder();
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || c == ',' || c == ':') {
                if (stack.isEmpty()) return -2 - i;
                i++;
            } else if (c == '"') {
                int e = stringEnd(s, i);
                if (e < 0) return INCOMPLETE;
                i = e;
                if (stack.isEmpty()) return i;
            } else if (c == '{' || c == '[') {
                stack.append(c == '{' ? '}' : ']');
                i++;
            } else if (c == '}' || c == ']') {
                if (stack.isEmpty() || stack.charAt(stack.length() - 1) != c) return -2 - i;
                stack.setLength(stack.length() - 1);
                i++;
                if (stack.isEmpty()) return i;
            } else if (c == '-' || c == '+' || c == '.' || Character.isLetterOrDigit(c)) {
                int j = i;
                while (j < n && (s.charAt(j) == '-' || s.charAt(j) == '+' || s.charAt(j) == '.' || Character.isLetterOrDigit(s.charAt(j)))) j++;
                if (stack.isEmpty()) return j == n ? INCOMPLETE : j;  // a top-level number may still grow
                i = j;
            } else {
                return -2 - i;
            }
        }
        return INCOMPLETE;
    }

    private static String decode(CharSequence s, int start, int end) {
        try {
            return JSON.readValue(s.subSequence(start, end).toString(), String.class);
        } catch (Exception e) {
            return lenientDecode(s.subSequence(start + 1, end - 1).toString());
        }
    }

    /** The characters of an unfinished JSON string body: simple escapes resolved, a dangling backslash dropped. */
    static String lenientDecode(String body) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < body.length(); k++) {
            char c = body.charAt(k);
            if (c != '\\') { b.append(c); continue; }
            if (++k >= body.length()) break;
            char e = body.charAt(k);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'u' -> {
                    if (k + 4 < body.length()) {
                        try {
                            b.append((char) Integer.parseInt(body.substring(k + 1, k + 5), 16));
                        } catch (NumberFormatException bad) {
                            // not hex: dropped
                        }
                    }
                    k += 4;
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }
}
