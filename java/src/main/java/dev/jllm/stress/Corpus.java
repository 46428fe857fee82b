package dev.jllm.stress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The malformed-input corpus: requests a hostile or careless client sends, each with the class of answer jllm
 * promises. Built from tables (field × bad value, message shape, JSON syntax, byte encodings, HTTP framing, auth,
 * routes), so a new field or rule is one line.
 */
final class Corpus {
    /** ERROR: a 4xx in OpenAI's error shape. OK: 2xx. EITHER: 2xx, or a 4xx in OpenAI's shape (documented as
     * lenient, e.g. null meaning "default"). FRAMING: broken HTTP: any 4xx (shaped where the server still answers
     * JSON) or a closed connection, never a 5xx and never a hang. */
    enum Expect { ERROR, OK, EITHER, FRAMING }

    record Case(String name, byte[] request, Expect expect) {}

    private Corpus() {}

    static final String COMPLETION = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":4";
    static final String CHAT = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4";

    /** Values of the wrong JSON type for each kind of field. */
    static final String[] NOT_A_NUMBER = {"\"x\"", "{}", "[]", "[1]", "\"\"", "{\"a\":1}"};
    static final String[] NOT_A_BOOL = {"\"yes\"", "{}", "[]", "2", "\"\""};
    static final String[] NOT_A_STRING_LIST = {"5", "{}", "[1,2]", "[[\"a\"]]", "true", "[null]"};

    static List<Case> build(String key) {
        List<Case> c = new ArrayList<>();
        fieldTypes(c, key);
        ranges(c, key);
        messages(c, key);
        jsonSyntax(c, key);
        encodings(c, key);
        structured(c, key);
        framing(c, key);
        auth(c, key);
        routes(c, key);
        return c;
    }

    private static void add(List<Case> c, String name, String key, String path, String body, Expect e) {
        c.add(new Case(name, RawHttp.post(path, key, body), e));
    }

    // 1. a value of the wrong type in every typed field of both endpoints
    private static void fieldTypes(List<Case> c, String key) {
        String[] numeric = {"max_tokens", "temperature", "top_p", "top_k", "min_p", "n", "best_of", "seed",
                "presence_penalty", "frequency_penalty", "repetition_penalty", "min_tokens", "length_penalty"};
        String[] bools = {"stream", "echo", "ignore_eos", "skip_special_tokens", "include_stop_str_in_output", "use_beam_search"};
        for (String f : numeric)
            for (String v : NOT_A_NUMBER) {
                add(c, "completions " + f + "=" + v, key, "/v1/completions", COMPLETION + ",\"" + f + "\":" + v + "}", Expect.ERROR);
            }
        for (String f : new String[] {"max_tokens", "temperature", "n", "seed", "top_logprobs"})
            for (String v : new String[] {"\"x\"", "{}", "[]"})
                add(c, "chat " + f + "=" + v, key, "/v1/chat/completions", CHAT + ",\"" + f + "\":" + v + "}", Expect.ERROR);
        for (String f : bools)
            for (String v : NOT_A_BOOL)
                add(c, "completions " + f + "=" + v, key, "/v1/completions", COMPLETION + ",\"" + f + "\":" + v + "}", Expect.ERROR);
        for (String f : new String[] {"stop", "prompt"})
            for (String v : NOT_A_STRING_LIST)
                add(c, "completions " + f + "=" + v, key, "/v1/completions",
                        "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":\"x\",\"" + f + "\":" + v + "}",
                        f.equals("prompt") && (v.equals("[1,2]")) ? Expect.OK : Expect.ERROR);
        for (String v : new String[] {"5", "\"x\"", "[1]", "{\"x\":1}", "{\"1\":\"a\"}", "{\"-1\":1}", "{\"99999999\":1}"})
            add(c, "logit_bias=" + v, key, "/v1/completions", COMPLETION + ",\"logit_bias\":" + v + "}", Expect.ERROR);
        for (String v : new String[] {"\"x\"", "[\"a\"]", "[-1]", "[1e40]", "{}", "[99999999]"})
            add(c, "stop_token_ids=" + v, key, "/v1/completions", COMPLETION + ",\"stop_token_ids\":" + v + "}", Expect.ERROR);
        for (String v : new String[] {"5", "\"x\"", "[]", "{\"include_usage\":\"yes\"}"})
            add(c, "stream_options=" + v, key, "/v1/completions", COMPLETION + ",\"stream\":true,\"stream_options\":" + v + "}", Expect.ERROR);
        for (String v : new String[] {"\"x\"", "{}", "-1", "1.5", "true"})
            add(c, "logprobs=" + v, key, "/v1/completions", COMPLETION + ",\"logprobs\":" + v + "}", Expect.ERROR);
        for (String v : new String[] {"\"x\"", "5", "{}"})
            add(c, "chat logprobs=" + v, key, "/v1/chat/completions", CHAT + ",\"logprobs\":" + v + "}", Expect.ERROR);
        for (String f : new String[] {"max_tokens", "temperature", "stop", "seed", "logit_bias", "user", "n"})
            add(c, "null " + f, key, "/v1/completions", COMPLETION + ",\"" + f + "\":null}", Expect.EITHER);
        add(c, "model=5", key, "/v1/completions", "{\"model\":5,\"prompt\":\"x\",\"max_tokens\":4}", Expect.ERROR);
        add(c, "model unknown", key, "/v1/completions", "{\"model\":\"gpt-17\",\"prompt\":\"x\",\"max_tokens\":4}", Expect.ERROR);
        add(c, "model={}", key, "/v1/chat/completions", "{\"model\":{},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", Expect.ERROR);
    }

    // 2. numbers out of range, huge, negative, and unsatisfiable combinations
    private static void ranges(List<Case> c, String key) {
        String[][] bad = {{"max_tokens", "-1"}, {"max_tokens", "0"}, {"max_tokens", "1e30"}, {"max_tokens", "99999999999"},
                {"max_tokens", "1000000"}, {"temperature", "-0.5"}, {"temperature", "1e39"}, {"top_p", "0"}, {"top_p", "1.5"},
                {"top_p", "-1"}, {"top_k", "-5"}, {"min_p", "-0.1"}, {"min_p", "2"}, {"n", "0"}, {"n", "-3"}, {"n", "100000"},
                {"best_of", "0"}, {"best_of", "10000"}, {"seed", "1e300"}, {"seed", "18446744073709551616"},
                {"presence_penalty", "-3"}, {"presence_penalty", "5"}, {"frequency_penalty", "99"}, {"repetition_penalty", "0"},
                {"repetition_penalty", "-1"}, {"min_tokens", "-1"}, {"min_tokens", "100000"}, {"logprobs", "1000"},
                {"logprobs", "-1"}, {"top_k", "1e10"}, {"n", "2.5"}, {"max_tokens", "4.7"}};
        for (String[] b : bad)
            add(c, "range " + b[0] + "=" + b[1], key, "/v1/completions", COMPLETION.replace(",\"max_tokens\":4", "")
                    + (b[0].equals("max_tokens") ? "" : ",\"max_tokens\":4") + ",\"" + b[0] + "\":" + b[1] + "}", Expect.ERROR);
        add(c, "best_of < n", key, "/v1/completions", COMPLETION + ",\"n\":3,\"best_of\":2}", Expect.ERROR);
        add(c, "n > max_num_seqs", key, "/v1/completions", COMPLETION + ",\"n\":4096}", Expect.ERROR);
        add(c, "beam with n 300", key, "/v1/completions", COMPLETION + ",\"use_beam_search\":true,\"n\":300}", Expect.ERROR);
        add(c, "min_tokens > max_tokens", key, "/v1/completions", COMPLETION + ",\"min_tokens\":10}", Expect.ERROR);
        add(c, "prompt over context", key, "/v1/completions",
                "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":\"" + "Once upon a time ".repeat(400) + "\"}", Expect.ERROR);
        add(c, "prompt + max_tokens over context", key, "/v1/completions",
                "{\"model\":\"stories\",\"max_tokens\":500,\"prompt\":\"" + "Once upon a time ".repeat(30) + "\"}", Expect.EITHER);
        add(c, "empty prompt", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":\"\"}", Expect.EITHER);
        add(c, "empty prompt list", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":[]}", Expect.ERROR);
        add(c, "token prompt out of vocab", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":[1,999999]}", Expect.ERROR);
        add(c, "token prompt negative", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":[-1]}", Expect.ERROR);
        add(c, "many prompts", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":1,\"prompt\":["
                + "\"a\",".repeat(2999) + "\"a\"]}", Expect.EITHER);
        add(c, "many stops", key, "/v1/completions", COMPLETION + ",\"stop\":[" + "\"zz\",".repeat(999) + "\"zz\"]}", Expect.EITHER);
        add(c, "huge stop string", key, "/v1/completions", COMPLETION + ",\"stop\":\"" + "z".repeat(100000) + "\"}", Expect.EITHER);
        add(c, "many logit_bias", key, "/v1/completions", COMPLETION + ",\"logit_bias\":{" + "\"1\":1,".repeat(5000) + "\"2\":1}}", Expect.EITHER);
    }

    // 3. chat messages of every wrong shape
    private static void messages(List<Case> c, String key) {
        String[] bad = {"null", "5", "\"hi\"", "{}", "[5]", "[null]", "[[]]", "[{}]", "[{\"role\":\"user\"}]",
                "[{\"content\":\"hi\"}]", "[{\"role\":5,\"content\":\"hi\"}]", "[{\"role\":\"user\",\"content\":5}]",
                "[{\"role\":\"user\",\"content\":{}}]", "[{\"role\":\"user\",\"content\":[5]}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/a.png\"}}]}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"bogus\"}]}]", "[{\"role\":\"user\",\"content\":[{\"text\":5,\"type\":\"text\"}]}]",
                "[{\"role\":\"wizard\",\"content\":\"hi\"}]", "[{\"role\":\"\",\"content\":\"hi\"}]",
                "[{\"role\":\"tool\",\"content\":\"x\"}]" };
        for (String m : bad)
            add(c, "messages=" + m, key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":" + m + "}",
                    m.contains("wizard") || m.contains("\"tool\"") || m.contains("\"\",") ? Expect.EITHER : Expect.ERROR);
        add(c, "messages empty", key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":[]}", Expect.ERROR);
        add(c, "messages missing", key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4}", Expect.ERROR);
        add(c, "prompt on chat", key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"prompt\":\"hi\"}", Expect.ERROR);
        add(c, "messages on completions", key, "/v1/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", Expect.ERROR);
        add(c, "empty template", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"\"}", Expect.ERROR);
        add(c, "template renders nothing", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{% if false %}x{% endif %}\"}", Expect.ERROR);
        add(c, "template undefined function", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{{ nope() }}\"}", Expect.ERROR);
        add(c, "template huge loop", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{% for i in range(1000000000) %}x{% endfor %}\"}", Expect.ERROR);
        add(c, "template string blow-up", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{{ 'ab ' * 50000000 }}\"}", Expect.ERROR);
        add(c, "template include", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{% include 'META-INF/MANIFEST.MF' %}\"}", Expect.ERROR);
        add(c, "template syntax error", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{% for %}\"}", Expect.ERROR);
        add(c, "template raises", key, "/v1/chat/completions", CHAT + ",\"chat_template\":\"{{ raise_exception('no') }}\"}", Expect.ERROR);
        add(c, "template=5", key, "/v1/chat/completions", CHAT + ",\"chat_template\":5}", Expect.ERROR);
        add(c, "chat_template_kwargs=5", key, "/v1/chat/completions", CHAT + ",\"chat_template_kwargs\":5}", Expect.ERROR);
        add(c, "tools=5", key, "/v1/chat/completions", CHAT + ",\"tools\":5}", Expect.ERROR);
        add(c, "tools=[5]", key, "/v1/chat/completions", CHAT + ",\"tools\":[5]}", Expect.ERROR);
        add(c, "tool_choice bogus", key, "/v1/chat/completions", CHAT + ",\"tool_choice\":\"bogus\"}", Expect.ERROR);
        add(c, "tool_choice unknown function", key, "/v1/chat/completions", CHAT + ",\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}}", Expect.ERROR);
        add(c, "huge message", key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "lorem ipsum ".repeat(400_000) + "\"}]}", Expect.ERROR);
        add(c, "many messages", key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"a\"},".repeat(20000) + "{\"role\":\"user\",\"content\":\"a\"}]}", Expect.ERROR);
    }

    // 4. JSON that is not JSON, or not an object
    private static void jsonSyntax(List<Case> c, String key) {
        String[] bad = {"", " ", "{", "}", "{\"model\":", "{\"model\":\"stories\",}", "[]", "null", "5", "\"str\"", "true",
                "{model:\"stories\"}", "{'model':'stories'}", COMPLETION + "}xyz", COMPLETION + "}" + COMPLETION + "}",
                COMPLETION + ",\"max_tokens\":NaN}", COMPLETION + ",\"temperature\":Infinity}", "{\"model\":\"stories\" \"prompt\":\"x\"}",
                "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}", "{\"a\":" + "{\"b\":".repeat(3000) + "1" + "}".repeat(3000) + "}",
                COMPLETION + ",\"prompt\":\"\\uZZZZ\"}", COMPLETION + ",\"prompt\":\"unterminated}", "{\"model\":\"stories\"/*c*/}",
                "\u0000", COMPLETION + "}\u0000", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":4,\"max_tokens\":-5}"};
        for (int i = 0; i < bad.length; i++) {
            String b = bad[i];
            add(c, "json#" + i + " " + abbreviate(b), key, "/v1/completions", b, Expect.ERROR);
            if (i % 3 == 0) add(c, "chat json#" + i + " " + abbreviate(b), key, "/v1/chat/completions", b, Expect.ERROR);
        }
        add(c, "duplicate key ok", key, "/v1/completions", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":-5,\"max_tokens\":4}", Expect.EITHER);
        add(c, "unknown fields", key, "/v1/completions", COMPLETION + ",\"foo\\nbar\":1,\"x\":{\"y\":[1,2]}}", Expect.OK);
    }

    // 5. byte encodings: invalid UTF-8, BOMs, UTF-16, surrogates
    private static void encodings(List<Case> c, String key) {
        byte[][] bodies = {
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xC3, (byte) 0x28}, "\"}"),
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xFF, (byte) 0xFE}, "\"}"),
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"),
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"),
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, "\"}"),
            bytes(COMPLETION + ",\"prompt\":\"", new byte[] {(byte) 0xE2, (byte) 0x82}, "\"}"),
            bytes("", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, COMPLETION + "}"),
            (COMPLETION + "}").getBytes(StandardCharsets.UTF_16),
            (COMPLETION + "}").getBytes(StandardCharsets.UTF_16LE),
        };
        for (int i = 0; i < bodies.length; i++)
            c.add(new Case("encoding#" + i, RawHttp.post("/v1/completions", key, bodies[i]), Expect.EITHER));
        String[] escapes = {"\\ud800", "\\udfff\\ud800", "\\u0000", "\\uffff", "\\ud83d\\ude00", "\\u202e\\u0007"};
        for (String e : escapes) {
            add(c, "escape " + e, key, "/v1/completions", COMPLETION + ",\"prompt\":\"a" + e + "b\"}", Expect.EITHER);
            add(c, "chat escape " + e, key, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"a" + e + "b\"}]}", Expect.EITHER);
            add(c, "stop escape " + e, key, "/v1/completions", COMPLETION + ",\"stop\":[\"" + e + "\"]}", Expect.EITHER);
        }
    }

    // 6. structured output that cannot compile
    private static void structured(List<Case> c, String key) {
        String[] bad = {",\"guided_regex\":\"(\"", ",\"guided_regex\":5", ",\"guided_regex\":\"a{99999}\"", ",\"guided_json\":\"x\"",
                ",\"guided_json\":{\"type\":\"nonsense\"}", ",\"guided_json\":{\"$ref\":\"#/nope\"}", ",\"guided_choice\":[]",
                ",\"guided_choice\":\"x\"", ",\"guided_choice\":[5]", ",\"guided_grammar\":5",
                ",\"guided_regex\":\"a\",\"guided_choice\":[\"a\"]", ",\"response_format\":5", ",\"response_format\":{\"type\":\"xml\"}",
                ",\"response_format\":{\"type\":\"json_schema\"}", ",\"guided_decoding_backend\":\"nope\",\"guided_regex\":\"a\"",
                ",\"guided_json\":{\"type\":\"object\",\"minimum\":5,\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":9,\"maximum\":3}}}}"};
        for (String b : bad) add(c, "structured " + abbreviate(b), key, "/v1/completions", COMPLETION + b + "}", Expect.ERROR);
        // legal but costly or degenerate: answered either way, quickly, never a hang or a 5xx
        String[] odd = {",\"guided_grammar\":\"root ::= \"", ",\"guided_json\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/properties/a\"}}}",
                ",\"guided_regex\":\"" + "(a|b)*".repeat(200) + "\"", ",\"guided_regex\":\"(x+x+)+y\"", ",\"response_format\":{\"type\":\"json_object\"}"};
        for (String b : odd) add(c, "structured " + abbreviate(b), key, "/v1/completions", COMPLETION + b + "}", Expect.EITHER);
    }

    // 7. HTTP framing: lengths that lie, chunking, versions, methods, headers
    private static void framing(List<Case> c, String key) {
        String auth = "Authorization: Bearer " + key + "\r\n";
        String body = COMPLETION + "}";
        String[] raws = {
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 500\r\nConnection: close\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: -1\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: abc\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 99999999999999999999\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n" + body + "\r\n0\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nffffffffffffff\r\nab",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "GARBAGE\r\n\r\n",
            "POST /v1/completions HTTP/9.9\r\nHost: x\r\n\r\n",
            "POST  HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + "X-Long: " + "a".repeat(70000) + "\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + "X-A: b\r\n".repeat(2000) + "\r\n",
            "POST /v1/completions HTTP/1.1\nHost: x\n\n",
            "POST /v1/completions?" + "a=b&".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /" + "a".repeat(20000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: text/plain\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json; charset=latin1\r\nContent-Length: "
                    + body.length() + "\r\nConnection: close\r\n\r\n" + body,
            "POST /v1/completions HTTP/1.0\r\n" + auth + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body,
            "GET /health HTTP/1.0\r\n\r\n",
            "\r\n\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        };
        for (int i = 0; i < raws.length; i++) {
            Expect e = i == 18 || i == 19 ? Expect.EITHER : i == 20 || i == 21 ? Expect.OK : Expect.FRAMING;
            c.add(new Case("framing#" + i + " " + abbreviate(raws[i]), raws[i].getBytes(StandardCharsets.ISO_8859_1), e));
        }
    }

    // 8. authentication on every route that needs it
    private static void auth(List<Case> c, String key) {
        String[][] routes = {{"POST", "/v1/completions"}, {"POST", "/v1/chat/completions"}, {"GET", "/v1/models"},
                {"POST", "/tokenize"}, {"POST", "/detokenize"}, {"GET", "/v1/models/stories"}};
        for (String[] r : routes) {
            for (String header : new String[] {"", "Authorization: Bearer wrong\r\n", "Authorization: Basic " + key + "\r\n",
                    "Authorization: Bearer\r\n", "Authorization: bearer " + key + "x\r\n", "Authorization: Bearer " + key + " " + key + "\r\n"}) {
                String body = r[0].equals("GET") ? "" : COMPLETION + "}";
                String raw = r[0] + " " + r[1] + " HTTP/1.1\r\nHost: x\r\n" + header + "Content-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\nConnection: close\r\n\r\n" + body;
                c.add(new Case("auth " + r[0] + " " + r[1] + " [" + header.trim() + "]", raw.getBytes(StandardCharsets.ISO_8859_1), Expect.ERROR));
            }
        }
    }

    // 9. routes and methods that do not exist
    private static void routes(List<Case> c, String key) {
        String[][] bad = {{"GET", "/v1/completions"}, {"PUT", "/v1/completions"}, {"DELETE", "/v1/chat/completions"},
                {"POST", "/v1/nope"}, {"POST", "/v1/models"}, {"GET", "/v1/models/nope"}, {"POST", "/v2/completions"},
                {"GET", "/../../etc/passwd"}, {"GET", "/v1/%2e%2e/%2e%2e/etc/passwd"}, {"PATCH", "/tokenize"}};
        for (String[] r : bad) {
            String raw = r[0] + " " + r[1] + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            c.add(new Case("route " + r[0] + " " + r[1], raw.getBytes(StandardCharsets.ISO_8859_1), Expect.ERROR));
        }
    }

    private static byte[] bytes(String a, byte[] mid, String b) {
        return RawHttp.concat(RawHttp.concat(a.getBytes(StandardCharsets.UTF_8), mid), b.getBytes(StandardCharsets.UTF_8));
    }

    static String abbreviate(String s) {
        String t = s.replaceAll("[\\r\\n\\u0000]", "·");
        return t.length() > 60 ? t.substring(0, 57) + "..." : t;
    }
}
