package dev.jllm.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Splits a model's reply, as it is generated, into content and tool calls (OpenAI's deltas): text that may be the
 * start of a call's markup is held back until it is known not to be one, and then released as content; a call is
 * announced (id, name) once its name is complete, then its arguments follow piece by piece as the model writes them.
 * With a parser's markup ("auto") a call is held back until it is complete and its arguments parse as JSON (as vLLM's
 * json.loads): a reply that ends inside a call (EOS, stop string, max_tokens) gives that text as content, never a call
 * with arguments that are not JSON.
 *
 * <p>The split does not depend on how the text is cut into deltas: a parse of the whole reply
 * ({@link #parse}) is exactly what the deltas of a stream add up to.
 *
 * <p>Whitespace: content keeps the model's text, but whitespace right before a call's markup and at the very end of
 * a reply that made calls is dropped (content of only whitespace becomes null, as with OpenAI).
 *
 * <p>Unknown functions (tool_choice "auto"): a call naming no function of the request's `tools` is not returned as a
 * call, which the client could not dispatch. A region whose first call names one is not markup: its text stays in
 * the content, as a malformed call's does, so nothing the model wrote is lost (finish_reason "stop", no tool_calls).
 * A later call of a region (Mistral's list, Llama's ';') naming one ends the region's calls: it and the rest of the
 * region are dropped, as after a malformed call. Either is logged. (vLLM's parsers pass such calls through; SGLang
 * drops them; llama.cpp's grammar cannot write them.)
 */
final class ToolCallStream {
    sealed interface Event permits Content, CallStart, CallArgs {}

    record Content(String text) implements Event {}

    /** A new call: its index among the reply's calls (OpenAI's tool_calls[].index), id and name. */
    record CallStart(int index, String id, String name) implements Event {}

    /** More characters of call `index`'s arguments. */
    record CallArgs(int index, String piece) implements Event {}

    /** A finished reply: its calls and content (null when empty and there are calls). */
    record Parsed(List<ToolCalls.Call> calls, String content) {}

    private final ToolParser parser;
    private final int maxCalls;
    private final StringBuilder text = new StringBuilder();
    /** Everything before pos has been emitted as content, dropped, or belongs to the current region. */
    private int pos;
    /** Whitespace of content not yet emitted: emitted before the next content, dropped before a call. */
    private final StringBuilder pendingWs = new StringBuilder();
    private String wsBeforeMarkup = "";
    /** The current call region: where its markup starts (-1: none) and where the calls start after the markup. */
    private int markupStart = -1, regionStart;
    /** Calls of the current region announced so far, and how much of each one's arguments has been sent. */
    private final List<int[]> announced = new ArrayList<>();  // {global index, args chars sent}
    /** After a malformed call: the rest of the region is dropped (hermes: up to </tool_call>; others: to the end). */
    private boolean dropping;
    /** llama3_json: a call may only open the reply; once content has begun, everything is content. */
    private boolean contentOnly;
    private final StringBuilder content = new StringBuilder();
    private final List<String[]> calls = new ArrayList<>();  // {id, name}
    private final List<StringBuilder> args = new ArrayList<>();
    private boolean loggedUnknown;
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ToolCallStream.class.getName());
    private final java.util.function.Supplier<String> ids;
    /** The request's function names; null: any name is a call. */
    private final Set<String> known;
    static final LogText.Limiter UNKNOWN_LOG = new LogText.Limiter(5);

    /** parser: the markup to read (BARE: the whole reply is one call); maxCalls: more are dropped (parallel_tool_calls false). */
    ToolCallStream(ToolParser parser, int maxCalls, java.util.function.Supplier<String> ids) {
        this(parser, maxCalls, ids, null);
    }

    /** known: the function names a call may have (the request's tools); others are not calls (see above); null: any. */
    ToolCallStream(ToolParser parser, int maxCalls, java.util.function.Supplier<String> ids, Set<String> known) {
        this.parser = parser;
        this.maxCalls = maxCalls;
        this.ids = ids;
        this.known = known;
        if (parser == ToolParser.BARE) markupStart = regionStart = 0;
    }

    /** The whole reply at once: the same split a stream of it gives. */
    static Parsed parse(ToolParser parser, int maxCalls, String reply) {
        return parse(parser, maxCalls, reply, ToolCalls::newId);
    }

    static Parsed parse(ToolParser parser, int maxCalls, String reply, java.util.function.Supplier<String> ids) {
        return parse(parser, maxCalls, reply, ids, null);
    }

    static Parsed parse(ToolParser parser, int maxCalls, String reply, java.util.function.Supplier<String> ids, Set<String> known) {
        ToolCallStream s = new ToolCallStream(parser, maxCalls, ids, known);
        s.feed(reply);
        s.finish();
        return s.result();
    }

    boolean hasCalls() {
        return !calls.isEmpty();
    }

    Parsed result() {
        List<ToolCalls.Call> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) out.add(new ToolCalls.Call(calls.get(i)[0], calls.get(i)[1], args.get(i).toString()));
        String c = content.toString();
        return new Parsed(out, out.isEmpty() ? c : c.isEmpty() ? null : c);
    }

    /** The events a new piece of text completes. */
    List<Event> feed(String delta) {
        text.append(delta);
        List<Event> out = new ArrayList<>();
        step(out, false);
        return out;
    }

    /**
     * The end of the reply: held-back text is released; a call the reply ended inside is content ("auto"), or
     * (BARE, tool_choice "required" cut by max_tokens) ends with the arguments written so far once it is named.
     */
    List<Event> finish() {
        List<Event> out = new ArrayList<>();
        step(out, true);
        if (calls.isEmpty() && !pendingWs.isEmpty()) emit(out, pendingWs.toString());
        pendingWs.setLength(0);
        return out;
    }

    /** Advances as far as the text allows (at the end of the reply, all the way). */
    private void step(List<Event> out, boolean end) {
        while (true) {
            if (markupStart >= 0) {
                if (!region(out, end)) return;
            } else if (!contentStep(out, end)) {
                return;
            }
        }
    }

    /** Content up to the next markup; true when a region has opened (go on), false when waiting for more text. */
    private boolean contentStep(List<Event> out, boolean end) {
        String start = parser.start;
        if (parser == ToolParser.LLAMA3_JSON && !contentOnly) {
            // a call must open the reply: after leading whitespace, <|python_tag|> or '{'
            int i = CallScan.skipWs(text, pos);
            String rest = text.substring(i);
            if (rest.startsWith(start)) return open(out, i, i + start.length());
            if (rest.startsWith("{")) return open(out, i, i);
            if (!end && (rest.isEmpty() || start.startsWith(rest))) return false;
            contentOnly = true;
        }
        if (parser == ToolParser.LLAMA3_JSON || start.isEmpty()) {
            emitContent(out, text.substring(pos));
            pos = text.length();
            return false;
        }
        int at = text.indexOf(start, pos);
        if (at >= 0) return open(out, at, at + start.length());
        // hold back a tail that may be the beginning of the markup
        int keep = end ? 0 : heldTail(text, pos, start);
        emitContent(out, text.substring(pos, text.length() - keep));
        pos = text.length() - keep;
        return false;
    }

    /** The length of the longest tail of text[from:] that is a proper prefix of `marker`. */
    static int heldTail(CharSequence text, int from, String marker) {
        for (int k = Math.min(marker.length() - 1, text.length() - from); k > 0; k--)
            if (marker.regionMatches(0, text.subSequence(text.length() - k, text.length()).toString(), 0, k)) return k;
        return 0;
    }

    private boolean open(List<Event> out, int markup, int callsAt) {
        emitContent(out, text.substring(pos, markup));
        wsBeforeMarkup = pendingWs.toString();  // whitespace before a call is not content
        pendingWs.setLength(0);
        markupStart = markup;
        regionStart = callsAt;
        announced.clear();
        dropping = false;
        return true;
    }

    /**
     * The calls of the open region, scanned again from its start (regions are short); announces names and sends
     * arguments. True when the region has closed (go on with content), false when waiting for more text.
     */
    private boolean region(List<Event> out, boolean end) {
        // 1. scan the region's calls: one (hermes, bare), a JSON list or one (mistral), ';'-separated (llama3_json)
        List<CallScan> scans = new ArrayList<>();
        int i = CallScan.skipWs(text, regionStart), closedAt = -1, n = text.length();
        boolean list = parser == ToolParser.MISTRAL && i < n && text.charAt(i) == '[';
        boolean argsForm = parser == ToolParser.MISTRAL && i < n && text.charAt(i) != '[' && text.charAt(i) != '{';
        if (list) i++;
        boolean malformed = false;
        while (!dropping) {
            CallScan c = argsForm ? CallScan.scanArgsForm(text, i) : CallScan.scan(text, i);
            if (scans.size() > 0 && unknown(c.name())) { malformed = true; break; }  // a later call naming no tool: the region ends
            scans.add(c);
            if (c.error() >= 0 || (c.complete() && (c.name() == null || parser != ToolParser.BARE && !ready(c)))) { malformed = true; break; }
            if (!c.complete()) {
                if (end && parser != ToolParser.BARE) malformed = true;  // "auto": a call the reply ended inside is no call
                break;
            }
            i = CallScan.skipWs(text, c.end());
            if (parser == ToolParser.HERMES) {
                int close = text.indexOf("</tool_call>", i);
                if (close >= 0) closedAt = close + "</tool_call>".length();
                else if (end) closedAt = n;
                break;
            }
            if (parser == ToolParser.BARE || (parser == ToolParser.MISTRAL && !list)) { closedAt = argsForm ? c.end() : i; break; }
            if (i == n) { if (end) closedAt = n; break; }
            char sep = text.charAt(i);
            if (list && sep == ']') { closedAt = i + 1; break; }
            if (sep != (list ? ',' : ';')) { malformed = true; break; }
            i++;
        }
        // 2. a region whose first call is malformed (or unnamed at the end) was not markup: its text is content.
        //    tool_choice "required" (BARE) cut by max_tokens is a partial call only once its name is complete (as
        //    vLLM): a call never comes back with an empty or cut name; before that the reply is content ("length")
        //    A first call naming no tool of the request is not markup either (see the class comment).
        //    In "auto" (not BARE) a call counts only once it is complete with arguments that parse as JSON (as vLLM's
        //    json.loads): a reply ending inside the first call (EOS, stop string, max_tokens) is content, not a call.
        boolean unknownFirst = announced.isEmpty() && !dropping && unknown(scans.get(0).name());
        boolean firstNotCall = !scans.isEmpty() && (parser == ToolParser.BARE ? scans.get(0).name() == null : !ready(scans.get(0)));
        if (announced.isEmpty() && !dropping && (unknownFirst || firstNotCall && (malformed || end))) {
            if (parser == ToolParser.LLAMA3_JSON) contentOnly = true;
            int resume = parser == ToolParser.LLAMA3_JSON || parser == ToolParser.BARE ? n : regionStart;
            pendingWs.append(wsBeforeMarkup);  // not a call after all: the whitespace before it is content again
            emitContent(out, text.substring(markupStart, resume));
            pos = resume;
            markupStart = -1;
            return resume < n;
        }
        // 3. announce named calls, send their new arguments
        for (int k = 0; k < scans.size(); k++) {
            CallScan c = scans.get(k);
            if (k == announced.size() && c.name() != null && (parser == ToolParser.BARE || ready(c))) announce(out, c, c.name());
            if (k < announced.size()) sendArgs(out, k, c);
        }
        if (malformed) dropping = true;
        // 4. close the region: after its end, or a malformed one at the end of the reply or of a hermes block
        if (dropping) {
            int close = parser == ToolParser.HERMES ? text.indexOf("</tool_call>", regionStart) : -1;
            closedAt = close >= 0 ? close + "</tool_call>".length() : end ? n : -1;
        }
        if (closedAt < 0) return false;
        pos = closedAt;
        markupStart = -1;
        return pos < n;
    }

    /**
     * "auto": whether a call is complete, named, with arguments that are one JSON value; until then it is held back
     * (streamed too: a call announced could not be taken back if the reply ended inside it).
     */
    private boolean ready(CallScan c) {
        if (!c.complete() || c.name() == null) return false;
        try (var p = ToolCalls.JSON.createParser(c.arguments(text))) {
            if (p.nextToken() == null) return false;
            p.skipChildren();
            return p.nextToken() == null;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether a (complete) name is none of the request's functions; logged once per reply. */
    private boolean unknown(String name) {
        if (name == null || known == null || known.contains(name)) return false;
        if (!loggedUnknown) {
            loggedUnknown = true;
            long dropped = UNKNOWN_LOG.admit();
            if (dropped >= 0)
                LOG.info("the model called '" + LogText.escape(name, 100) + "', which is not in the request's tools: not returned as a tool call"
                        + (dropped > 0 ? " (" + dropped + " more not logged)" : ""));
        }
        return true;
    }

    private void announce(List<Event> out, CallScan c, String name) {
        if (calls.size() >= maxCalls) {
            announced.add(new int[] {-1, 0});  // over the limit: read, not returned
            return;
        }
        String id = ids.get();
        calls.add(new String[] {id, name});
        args.add(new StringBuilder());
        announced.add(new int[] {calls.size() - 1, 0});
        out.add(new CallStart(calls.size() - 1, id, name));
    }

    private void sendArgs(List<Event> out, int k, CallScan c) {
        int[] a = announced.get(k);
        if (a[0] < 0) return;
        String all = c.arguments(text);
        if (all.length() <= a[1]) return;
        String piece = all.substring(a[1]);
        a[1] = all.length();
        args.get(a[0]).append(piece);
        out.add(new CallArgs(a[0], piece));
    }

    /** Content text: whitespace at its end waits for what follows (more content, or a call that drops it). */
    private void emitContent(List<Event> out, String s) {
        if (s.isEmpty()) return;
        int e = s.length();
        while (e > 0 && Character.isWhitespace(s.charAt(e - 1))) e--;
        if (e == 0) {
            pendingWs.append(s);
            return;
        }
        String piece = pendingWs + s.substring(0, e);
        pendingWs.setLength(0);
        pendingWs.append(s, e, s.length());
        emit(out, piece);
    }

    private void emit(List<Event> out, String s) {
        content.append(s);
        out.add(new Content(s));
    }
}
