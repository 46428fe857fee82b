package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.ContentFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Message content as each template wants it (vLLM's chat template content format): detected from the real templates
 * of ../shared/chat-templates, and every conversation there, turned into template messages the way a request's are
 * (ChatHandler.messages), rendering byte for byte as Python jinja2 renders it.
 */
class ContentFormatTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ROOT = TestModels.shared().resolve("chat-templates");

    @Test
    void detectedFromTheTemplatesLoops() throws Exception {
        for (Path t : Files.newDirectoryStream(ROOT.resolve("templates"), "*.jinja")) {
            String name = t.getFileName().toString().replace(".jinja", "");
            boolean openai = name.startsWith("gemma-3") || name.startsWith("llama4");
            assertEquals(openai ? ContentFormat.OPENAI : ContentFormat.STRING, ContentFormat.detect(Files.readString(t)), name);
        }
        for (Path t : Files.newDirectoryStream(Path.of("../templates"), "*.jinja"))
            assertEquals(ContentFormat.STRING, ContentFormat.detect(Files.readString(t)), t.toString());
        String[] openai = {
                "{% for m in messages %}{% for p in m.content | list %}{{ p.text }}{% endfor %}{% endfor %}",
                "{%- set msgs = messages[1:] -%}{%- for m in msgs if m.role != 'x' -%}{%- for p in m[\"content\"] -%}{%- endfor -%}{%- endfor -%}",
                "{% set a = messages|selectattr('role')|list %}{% set b = a %}{% for m in b %}{% for p in m['content'][1:] %}{% endfor %}{% endfor %}",
                "{% macro render(content) %}{% for item in content %}{{ item.text }}{% endfor %}{% endmacro %}"};
        for (String t : openai) assertEquals(ContentFormat.OPENAI, ContentFormat.detect(t), t);
        String[] string = {
                "{% for m in messages %}{{ m['content'] }}{% endfor %}",
                "{% for m in messages %}{% for c in m.tool_calls %}{% endfor %}{% endfor %}",
                "{% for x in other.content %}{% endfor %}",
                "{% for m in messages %}{% set c = m.content %}{% if c == '{% for' %}{% endif %}{% endfor %}"};
        for (String t : string) assertEquals(ContentFormat.STRING, ContentFormat.detect(t), t);
        assertEquals(ContentFormat.OPENAI, ContentFormat.option("openai"));
        assertEquals(null, ContentFormat.option("auto"));
    }

    /** Cases whose messages a request cannot carry as the golden set passes them (arguments as a string, content null). */
    static final List<String> NOT_REQUEST_SHAPED = List.of("tool_call_string_arguments");

    @Test
    void requestMessagesRenderLikePythonForEveryTemplate() throws Exception {
        JsonNode manifest = JSON.readTree(ROOT.resolve("manifest.json").toFile());
        int compared = 0, listCases = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode pair : manifest.path("pairs")) {
            String t = pair.path("template").asText(), c = pair.path("case").asText(), outcome = pair.path("outcome").asText();
            if (NOT_REQUEST_SHAPED.contains(c) || outcome.equals("error")) continue;
            String source = Files.readString(ROOT.resolve("templates/" + t + ".jinja"));
            ChatTemplate tpl = new ChatTemplate(source, () -> LocalDateTime.of(2024, 7, 26, 0, 0));
            boolean parts = c.startsWith("content_parts");
            if (parts && tpl.contentFormat() == ContentFormat.STRING) continue;  // joined by jllm (below), a list in the golden file
            JsonNode kase = JSON.readTree(ROOT.resolve("cases/" + c + ".json").toFile());
            String expected = Files.readString(ROOT.resolve(pair.path("file").asText()));
            String got = render(tpl, kase, ChatHandler.messages(kase.get("messages"), tpl.contentFormat()));
            compared++;
            if (parts) listCases++;
            if (!got.equals(expected)) failures.add(t + "__" + c + ": " + ChatTemplateDiff.of(expected, got));
        }
        System.out.println("content formats: " + (compared - failures.size()) + " / " + compared + " request-shaped pairs match Python (" + listCases + " with content lists)");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(listCases >= 3, "gemma-3's two content_parts cases and llama4's: " + listCases);
    }

    @Test
    void stringTemplatesGetTextPartsJoinedWithNewlines() throws Exception {
        JsonNode kase = JSON.readTree(ROOT.resolve("cases/content_parts_all.json").toFile());
        ChatTemplate llama3 = new ChatTemplate(Files.readString(ROOT.resolve("templates/llama3-8b-instruct.jinja")));
        String got = render(llama3, kase, ChatHandler.messages(kase.get("messages"), llama3.contentFormat()));
        assertFalse(got.contains("{'type'"), "no Python repr of a list: " + got);
        JsonNode last = kase.get("messages").get(3).get("content");
        assertEquals(2, last.size(), "the case's last turn has two parts");
        String joined = last.get(0).get("text").asText() + "\n" + last.get(1).get("text").asText();
        assertTrue(got.contains(joined), joined + " in " + got);
    }

    @Test
    void everyOpenAiMessageShapeRenders() throws Exception {
        String msgs = """
                [{"role": "developer", "content": [{"type": "text", "text": "Be brief."}], "name": "ops"},
                 {"role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "text", "text": "b"}], "name": "ann"},
                 {"role": "assistant", "content": null, "refusal": null, "tool_calls": [{"id": "call_1", "type": "function",
                   "function": {"name": "f", "arguments": ""}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "42"}]},
                 {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}], "refusal": "I can't."},
                 {"role": "assistant", "tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "g", "arguments": "{\\"x\\": 1}"}}]},
                 {"role": "user", "content": "ok"}]""";
        String tpl = "{% for m in messages %}{{ m.role }}{% if m.name %}({{ m.name }}){% endif %}:{{ m.content }}"
                + "{% if m.tool_calls %}{% for c in m.tool_calls %}[{{ c.function.name }} {{ c.function.arguments | tojson }}]{% endfor %}{% endif %}|{% endfor %}";
        String got = new ChatTemplate(tpl).render(ChatHandler.messages(JSON.readTree(msgs)), null, null, true, Map.of(), null, null);
        assertEquals("developer(ops):Be brief.|user(ann):a\nb|assistant:[f {}]|tool:42|assistant:I can't.|assistant:[g {\"x\": 1}]|user:ok|", got);
        // the same conversation for a template that loops over content parts
        String parts = "{% for m in messages %}{{ m.role }}:{% if m.content is string %}{{ m.content }}{% else %}"
                + "{% for p in m.content %}<{{ p.type }}:{{ p.text }}>{% endfor %}{% endif %}|{% endfor %}";
        ChatTemplate loop = new ChatTemplate(parts);
        assertEquals(ContentFormat.OPENAI, loop.contentFormat());
        assertEquals("developer:<text:Be brief.>|user:<text:a><text:b>|assistant:|tool:<text:42>|assistant:<text:I can't.>|assistant:|user:ok|",
                loop.render(ChatHandler.messages(JSON.readTree(msgs), loop.contentFormat()), null, null, true, Map.of(), null, null));
    }

    static String render(ChatTemplate tpl, JsonNode kase, List<Map<String, Object>> messages) throws Exception {
        String t = null;
        for (Path p : Files.newDirectoryStream(ROOT.resolve("templates"), "*.jinja"))
            if (Files.readString(p).equals(tpl.source())) t = p.getFileName().toString().replace(".jinja", "");
        JsonNode tokens = JSON.readTree(ROOT.resolve("templates/" + t + ".json").toFile());
        Map<String, Object> kwargs = JSON.convertValue(kase.path("template_kwargs"), new TypeReference<LinkedHashMap<String, Object>>() {});
        String bos = tokens.path("bos_token").isNull() ? null : tokens.path("bos_token").asText();
        String eos = tokens.path("eos_token").isNull() ? null : tokens.path("eos_token").asText();
        try {
            return tpl.render(messages, JSON.convertValue(kase.get("tools"), Object.class), JSON.convertValue(kase.get("documents"), Object.class),
                    kase.path("add_generation_prompt").asBoolean(), kwargs, bos, eos);
        } catch (ChatTemplate.TemplateRaised e) {
            return e.getMessage();  // compared with the .error.txt of a raise_exception pair
        }
    }

    /** Where two renderings part. */
    static final class ChatTemplateDiff {
        static String of(String want, String got) {
            int i = 0;
            while (i < want.length() && i < got.length() && want.charAt(i) == got.charAt(i)) i++;
            int from = Math.max(0, i - 40);
            return "at " + i + " want " + JSON.valueToTree(want.substring(from, Math.min(want.length(), i + 60)))
                    + " got " + JSON.valueToTree(got.substring(from, Math.min(got.length(), i + 60)));
        }
    }

    /** A malformed assistant tool_calls is a 400 naming messages (as vLLM), not rendered as a call with an empty name. */
    @Test
    void malformedToolCallsAreRefused() throws Exception {
        String[] bad = {"\"bad\"", "[5]", "[{\"type\": \"function\"}]", "[{\"function\": {\"name\": 3}}]",
                "[{\"type\": \"x\", \"function\": {\"name\": \"f\", \"arguments\": \"{}\"}}]",
                "[{\"function\": {\"name\": \"f\", \"arguments\": 7}}]", "[{\"id\": 1, \"function\": {\"name\": \"f\"}}]"};
        for (String b : bad) {
            JsonNode msgs = JSON.readTree("[{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"tool_calls\": " + b + "}]");
            ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> ChatHandler.messages(msgs), b);
            assertEquals("messages", e.param(), b);
            assertTrue(e.getMessage().contains("tool_calls"), e.getMessage());
        }
        JsonNode good = JSON.readTree("[{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"c\", \"type\": \"function\", "
                + "\"function\": {\"name\": \"f\", \"arguments\": {\"x\": 1}}}, {\"function\": {\"name\": \"g\", \"arguments\": \"{}\"}}]}]");
        assertEquals(1, ChatHandler.messages(good).size());
    }
}
