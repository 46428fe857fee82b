package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tool-call parsers (hermes, llama3_json, mistral, and "required"'s bare object) on complete, malformed and cut
 * replies; streamed deltas against the whole-reply parse under many cuttings; parser choice from real templates.
 */
class ToolParserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ToolParser H = ToolParser.HERMES, L = ToolParser.LLAMA3_JSON, M = ToolParser.MISTRAL, B = ToolParser.BARE;

    static ToolCallStream.Parsed parse(ToolParser p, String text) {
        return ToolCallStream.parse(p, Integer.MAX_VALUE, text);
    }

    static void assertCall(ToolCallStream.Parsed p, int i, String name, String args) {
        assertEquals(name, p.calls().get(i).name(), p.toString());
        assertEquals(args, p.calls().get(i).arguments(), p.toString());
        assertTrue(p.calls().get(i).id().startsWith("call_"));
    }

    @Test
    void hermesCallsAnywhereWithContentAround() {
        var p = parse(H, "Let me check.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n</tool_call>");
        assertEquals(1, p.calls().size());
        assertCall(p, 0, "get_time", "{\"zone\": \"UTC\"}");
        assertEquals("Let me check.", p.content());
        var two = parse(H, "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>\n<tool_call>{\"arguments\": {\"x\": [1, {\"y\": \"}\"}]}, \"name\": \"b\"}</tool_call>");
        assertEquals(2, two.calls().size());
        assertCall(two, 0, "a", "{}");
        assertCall(two, 1, "b", "{\"x\": [1, {\"y\": \"}\"}]}");
        assertNull(two.content(), "whitespace between calls is not content");
        assertCall(parse(H, "<tool_call>{\"name\": \"n\"}</tool_call>"), 0, "n", "{}");
        assertEquals("A\nB", parse(H, "A\n<tool_call>{\"name\": \"n\", \"arguments\": {}}</tool_call>\nB").content());
    }

    @Test
    void textWithoutCallsIsContentVerbatim() {
        for (ToolParser p : List.of(H, L, M)) {
            for (String t : List.of(" Once upon a time\n", "", "a < b and [x] {y}", "<tool", "[TOOL", "<|python", "  \n")) {
                var r = parse(p, t);
                assertTrue(r.calls().isEmpty(), p + " " + t);
                assertEquals(t, r.content(), p + " " + t);
            }
        }
    }

    @Test
    void malformedMarkupIsContent() {
        String[] bad = {"<tool_call>not json</tool_call> after", "<tool_call>{\"arguments\": {}}</tool_call>", "<tool_call>{\"name\": 5}</tool_call>",
                "x <tool_call>{\"na", "<tool_call>"};
        for (String t : bad) {
            var r = parse(H, t);
            assertTrue(r.calls().isEmpty(), t);
            assertEquals(t, r.content(), t);
        }
        assertEquals("{not json", parse(L, "{not json").content());
        assertTrue(parse(L, "Sure: {\"name\": \"f\", \"parameters\": {}}").calls().isEmpty(), "llama3_json calls open the reply");
        assertEquals("[TOOL_CALLS] hello", parse(M, "[TOOL_CALLS] hello").content());
    }

    @Test
    void aCallCutByMaxTokensKeepsItsPartialArguments() {
        var b = parse(B, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa");
        assertCall(b, 0, "get_weather", "{\"city\": \"Pa");
        var cutName = parse(B, "{\"name\": \"get_wea");
        assertTrue(cutName.calls().isEmpty(), "required cut inside the name: no call (never an empty or cut name)");
        assertEquals("{\"name\": \"get_wea", cutName.content());
        var nameDone = parse(B, "{\"name\": \"get_weather\"");
        assertCall(nameDone, 0, "get_weather", "");
        assertCall(parse(B, "{\"name\": \"t\", \"arguments\": {\"zone\": \"UTC\"}}"), 0, "t", "{\"zone\": \"UTC\"}");
    }

    /** "auto": a reply that ends inside a call (EOS, stop, max_tokens) or whose arguments are not JSON has no call: its text is content. */
    @Test
    void autoCallsCutOrNotJsonAreContent() {
        String[][] cases = {
            {"H", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"P"},
            {"H", "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "},
            {"H", "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": tru}}</tool_call>"},
            {"L", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"P"},
            {"M", "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\""},
            {"M", "[TOOL_CALLS]get_weather[ARGS]{\"city\": "},
        };
        for (String[] c : cases) {
            ToolParser p = c[0].equals("H") ? H : c[0].equals("L") ? L : M;
            var r = parse(p, c[1]);
            assertTrue(r.calls().isEmpty(), c[1]);
            assertEquals(c[1], r.content(), c[1]);
            Streamed s = stream(p, List.of(c[1].split("(?<=\\G.{3})")));
            assertTrue(s.names.isEmpty(), "streamed: no call announced " + c[1]);
            assertEquals(c[1], s.content.toString());
        }
        // a complete call followed by one the reply ended inside: the first is a call, the cut one is dropped
        var two = parse(H, "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>\n<tool_call>{\"name\": \"b\", \"arguments\": {\"x");
        assertEquals(1, two.calls().size());
        assertEquals("\n<tool_call>{\"name\": \"b\", \"arguments\": {\"x", two.content());
    }

    @Test
    void llama3JsonCalls() {
        var one = parse(L, "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"CET\"}}");
        assertCall(one, 0, "get_time", "{\"zone\": \"CET\"}");
        assertNull(one.content());
        var two = parse(L, "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"q\": 1}}; {\"name\": \"b\", \"arguments\": {}}");
        assertEquals(2, two.calls().size());
        assertCall(two, 1, "b", "{}");
        assertCall(parse(L, "  \n{\"name\": \"a\", \"parameters\": {}}\n"), 0, "a", "{}");
    }

    @Test
    void mistralCalls() {
        var r = parse(M, "Checking.[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {\"y\": \"[]\"}}]");
        assertEquals("Checking.", r.content());
        assertCall(r, 0, "a", "{\"x\": 1}");
        assertCall(r, 1, "b", "{\"y\": \"[]\"}");
        assertCall(parse(M, "[TOOL_CALLS]{\"name\": \"a\", \"arguments\": {}}"), 0, "a", "{}");
        var v11 = parse(M, "[TOOL_CALLS]get_time[ARGS]{\"zone\": \"UTC\"}[TOOL_CALLS]b[ARGS] {}");
        assertEquals(2, v11.calls().size(), v11.toString());
        assertCall(v11, 0, "get_time", "{\"zone\": \"UTC\"}");
        assertCall(v11, 1, "b", "{}");
        assertNull(v11.content());
    }

    @Test
    void mistralCallIdsGoBackThroughMistralsTemplate() throws Exception {
        var p = ToolCallStream.parse(M, Integer.MAX_VALUE, "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}]", ToolCalls::mistralId);
        String id = p.calls().get(0).id();
        assertTrue(id.matches("[A-Za-z0-9]{9}"), id);
        dev.jllm.tokenizer.ChatTemplate nemo = new dev.jllm.tokenizer.ChatTemplate(
                Files.readString(TestModels.shared().resolve("chat-templates/templates/mistral-nemo-instruct-2407.jinja")));
        for (String callId : List.of(id, ToolCalls.newId())) {
            String msgs = "[{\"role\": \"user\", \"content\": \"Time?\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"" + callId
                    + "\", \"type\": \"function\", \"function\": {\"name\": \"get_time\", \"arguments\": " + JSON.writeValueAsString(p.calls().get(0).arguments())
                    + "}}]}, {\"role\": \"tool\", \"tool_call_id\": \"" + callId + "\", \"content\": \"12:00\"}]";
            var messages = ChatHandler.messages(JSON.readTree(msgs));
            if (callId.equals(id)) {
                String out = nemo.render(messages, null, null, true, Map.of(), "<s>", "</s>");
                assertTrue(out.contains("[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}, \"id\": \"" + id + "\"}]"), out);
            } else {
                assertThrows(dev.jllm.tokenizer.ChatTemplate.TemplateRaised.class, () -> nemo.render(messages, null, null, true, Map.of(), "<s>", "</s>"),
                        "the template refuses OpenAI-style ids, which is why mistral ids are short");
            }
        }
    }

    @Test
    void parallelToolCallsFalseKeepsTheFirst() {
        String t = "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>";
        var r = ToolCallStream.parse(H, 1, t);
        assertEquals(1, r.calls().size());
        assertEquals("a", r.calls().get(0).name());
        assertEquals(1, ToolCallStream.parse(L, 1, "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {}}").calls().size());
        assertEquals(1, ToolCallStream.parse(M, 1, "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {}}]").calls().size());
    }

    /** Replies of every kind above: streamed in any cutting, they add up to what the whole-reply parse gives. */
    static final List<Object[]> REPLIES = List.of(
            new Object[] {H, "Let me check.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\", \"n\": [1, 2.5e3, true, null]}}\n</tool_call>\n"},
            new Object[] {H, "<tool_call>{\"name\": \"a\", \"arguments\": {\"s\": \"x\\\"}\\n\"}}</tool_call> mid <tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>"},
            new Object[] {H, "no calls at all <tool but < and </tool_call> text\n"},
            new Object[] {H, "<tool_call>not json</tool_call> then <tool_call>{\"name\": \"ok\", \"arguments\": {\"k\": 1}}</tool_call>"},
            new Object[] {H, "<tool_call>{\"name\": \"cut\", \"arguments\": {\"city\": \"Par"},
            new Object[] {H, "<tool_call>{\"name\": \"bad\", \"arguments\": {\"a\": 1]}</tool_call> tail"},
            new Object[] {L, "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"q\": \"; {\"}}; {\"name\": \"b\", \"parameters\": {}}"},
            new Object[] {L, "  plain answer {with braces}"},
            new Object[] {M, "Sure [TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {\"y\": 2}}] done"},
            new Object[] {M, "[TOOL_CALLS]get_time[ARGS]{\"zone\": \"UTC\"}[TOOL_CALLS]b[ARGS]{\"x\": [1]} after"},
            new Object[] {B, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}"},
            new Object[] {B, "{\"name\": \"get_wea"},
            new Object[] {H, "Hi <tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call> <tool_call>{\"name\": \"b\", \"arguments\": {\"x\": \"P"},
            new Object[] {M, "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {"});

    @Test
    void streamedDeltasAddUpToTheWholeReplyParse() {
        long seed = Long.getLong("jllm.test.seed", System.nanoTime());
        System.out.println("ToolParserTest seed " + seed + " (-Djllm.test.seed=" + seed + " reproduces)");
        Random rnd = new Random(seed);
        for (Object[] r : REPLIES) {
            ToolParser p = (ToolParser) r[0];
            String text = (String) r[1];
            var whole = parse(p, text);
            for (int cutting = 0; cutting < 30; cutting++) {
                List<String> pieces = new ArrayList<>();
                for (int i = 0; i < text.length(); ) {
                    int len = cutting == 0 ? 1 : 1 + rnd.nextInt(cutting < 15 ? 4 : 12);
                    pieces.add(text.substring(i, Math.min(text.length(), i + len)));
                    i += len;
                }
                Streamed s = stream(p, pieces);
                String where = p + " " + JSON.valueToTree(text) + " cut " + pieces;
                assertEquals(whole.content() == null ? "" : whole.content(), s.content.toString(), where);
                assertEquals(whole.calls().size(), s.names.size(), where);
                for (int i = 0; i < whole.calls().size(); i++) {
                    assertEquals(whole.calls().get(i).name(), s.names.get(i), where);
                    assertEquals(whole.calls().get(i).arguments(), s.args.get(i).toString(), where);
                }
                if (!whole.calls().isEmpty() && p != B && (whole.content() == null || !whole.content().contains(p.start)))
                    assertFalse(s.content.toString().contains(p.start), "markup never reaches content: " + where);
            }
        }
    }

    /** A stream's OpenAI deltas, put back together as a client does. */
    static final class Streamed {
        final StringBuilder content = new StringBuilder();
        final List<String> names = new ArrayList<>();
        final List<StringBuilder> args = new ArrayList<>();
        final Map<Integer, String> ids = new LinkedHashMap<>();
    }

    static Streamed stream(ToolParser p, List<String> pieces) {
        return stream(p, pieces, null);
    }

    static Streamed stream(ToolParser p, List<String> pieces, java.util.Set<String> known) {
        ToolCallStream st = new ToolCallStream(p, Integer.MAX_VALUE, ToolCalls::newId, known);
        Streamed s = new Streamed();
        for (int k = 0; k <= pieces.size(); k++) {
            List<ToolCallStream.Event> ev = k < pieces.size() ? st.feed(pieces.get(k)) : st.finish();
            for (ObjectNode d : ToolCalls.deltas(ev)) {
                if (d.has("content")) s.content.append(d.get("content").asText());
                for (JsonNode tc : d.path("tool_calls")) {
                    int i = tc.get("index").asInt();
                    if (tc.has("id")) {
                        assertEquals(i, s.names.size(), "calls start in index order, once each");
                        assertEquals("function", tc.path("type").asText());
                        s.ids.put(i, tc.get("id").asText());
                        s.names.add(tc.path("function").path("name").asText());
                        s.args.add(new StringBuilder());
                    }
                    assertTrue(i < s.names.size(), "arguments come after their call's id and name");
                    s.args.get(i).append(tc.path("function").path("arguments").asText());
                }
            }
        }
        return s;
    }

    /**
     * Issue 12: in "auto", a call naming no function of the request is not returned as a call (the client could not
     * dispatch it): a region that opens with one stays content, whole and streamed in any cutting; a later call of a
     * region naming one ends the region's calls.
     */
    @Test
    void callsToUnknownFunctionsAreNotCalls() {
        java.util.Set<String> tools = java.util.Set.of("get_time", "get_weather");
        Map<String, ToolParser> replies = new LinkedHashMap<>();
        replies.put("Sure.\n<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {\"path\": \"/\"}}\n</tool_call>", H);
        replies.put("{\"name\": \"rm_rf\", \"parameters\": {\"path\": \"/\"}}", L);
        replies.put("<|python_tag|>{\"name\": \"rm_rf\", \"parameters\": {}}; {\"name\": \"get_time\", \"parameters\": {}}", L);
        replies.put("Sure. [TOOL_CALLS][{\"name\": \"rm_rf\", \"arguments\": {\"path\": \"/\"}}]", M);
        replies.put("[TOOL_CALLS]rm_rf[ARGS]{\"path\": \"/\"}", M);
        Random rnd = new Random(12);
        for (var e : replies.entrySet()) {
            String text = e.getKey();
            var whole = ToolCallStream.parse(e.getValue(), Integer.MAX_VALUE, text, ToolCalls::newId, tools);
            assertEquals(List.of(), whole.calls(), e.getValue() + ": " + text);
            assertEquals(text, whole.content(), "the model's text is kept as content");
            assertFalse(ToolCallStream.parse(e.getValue(), Integer.MAX_VALUE, text, ToolCalls::newId, null).calls().isEmpty(),
                    "without the check the same text is a call");
            for (int round = 0; round < 20; round++) {
                List<String> pieces = new ArrayList<>();
                for (int i = 0; i < text.length(); ) {
                    int n = Math.min(text.length() - i, 1 + rnd.nextInt(6));
                    pieces.add(text.substring(i, i + n));
                    i += n;
                }
                Streamed st = stream(e.getValue(), pieces, tools);
                assertEquals(List.of(), st.names, text);
                assertEquals(text, st.content.toString(), "streamed: " + pieces);
            }
        }
        // known calls around it are still calls
        var h = ToolCallStream.parse(H, Integer.MAX_VALUE, "<tool_call>{\"name\": \"nope\", \"arguments\": {}}</tool_call>\n"
                + "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}</tool_call>", ToolCalls::newId, tools);
        assertEquals(1, h.calls().size(), h.toString());
        assertCall(h, 0, "get_time", "{\"zone\": \"UTC\"}");
        assertEquals("<tool_call>{\"name\": \"nope\", \"arguments\": {}}</tool_call>", h.content());
        var m = ToolCallStream.parse(M, Integer.MAX_VALUE, "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {}}, {\"name\": \"nope\", \"arguments\": {}}, "
                + "{\"name\": \"get_weather\", \"arguments\": {}}]", ToolCalls::newId, tools);
        assertEquals(1, m.calls().size(), "a later unknown call ends the list's calls: " + m);
        assertCall(m, 0, "get_time", "{}");
    }

    @Test
    void theParserFollowsTheChatTemplate() throws Exception {
        Path t = TestModels.shared().resolve("chat-templates/templates");
        Map<String, ToolParser> want = new LinkedHashMap<>();
        want.put("qwen2.5-7b-instruct", H);
        want.put("qwen3-0.6b", H);
        want.put("llama3.1-8b-instruct", L);
        want.put("llama3.2-3b-instruct", L);
        want.put("llama4-scout-17b-16e-instruct", L);
        want.put("mistral-nemo-instruct-2407", M);
        want.put("llama3-8b-instruct", null);  // renders no tools
        want.put("gemma-3-270m-it", null);
        want.put("granite-3.3-2b-instruct", null);  // its <|tool_call|> markup has no parser here
        for (var e : want.entrySet())
            assertEquals(e.getValue(), ToolParser.detect(Files.readString(t.resolve(e.getKey() + ".jinja"))).parser(), e.getKey());
        // the real tokenizers' own templates (the llama3 one is Llama 3.0's, which renders no tools)
        for (String tok : List.of("qwen3", "llama3", "gemma3")) {
            JsonNode cfg = JSON.readTree(TestModels.shared().resolve("tokenizers/" + tok + "/tokenizer_config.json").toFile());
            assertEquals(tok.equals("qwen3") ? H : null, ToolParser.detect(cfg.path("chat_template").asText()).parser(), tok);
        }
        assertNull(ToolParser.detect(Files.readString(Path.of("../templates/chatml.jinja"))).parser());
    }

    @Test
    void theFlagOverridesAndTheBannerSaysWhy() throws Exception {
        String qwen = Files.readString(TestModels.shared().resolve("chat-templates/templates/qwen3-0.6b.jinja"));
        String gemma = Files.readString(TestModels.shared().resolve("chat-templates/templates/gemma-3-270m-it.jinja"));
        var auto = ToolParser.resolve(null, false, qwen);
        assertEquals(H, auto.parser());
        assertEquals("tool_choice \"auto\" (default with tools): hermes parser, the chat template writes <tool_call> markup (Qwen/Hermes)",
                ToolParser.bannerLine(auto));
        var forced = ToolParser.resolve("mistral", true, qwen);
        assertEquals(M, forced.parser());
        assertTrue(ToolParser.bannerLine(forced).contains("mistral parser, --tool-call-parser mistral"), ToolParser.bannerLine(forced));
        var off = ToolParser.resolve(null, false, gemma);
        assertNull(off.parser());
        assertTrue(ToolParser.bannerLine(off).startsWith("off: the chat template does not render tools"), ToolParser.bannerLine(off));
        assertThrows(IllegalArgumentException.class, () -> ToolParser.resolve("pythonic", false, qwen));
        var e = assertThrows(IllegalArgumentException.class, () -> ToolParser.resolve(null, true, gemma));
        assertTrue(e.getMessage().contains("--tool-call-parser"), e.getMessage());
        assertEquals(L, ToolParser.resolve("llama3_json", false, null).parser());
    }
}
