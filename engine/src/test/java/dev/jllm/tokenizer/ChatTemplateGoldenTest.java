package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every (template × conversation) pair of ../shared/chat-templates, rendered and compared byte for byte with
 * Python jinja2's output (or its raise_exception message / failure).
 */
class ChatTemplateGoldenTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Outcome(String pair, boolean ok, String detail) {}

    static List<Outcome> renderAll() throws Exception {
        return renderAll(TestModels.shared().resolve("chat-templates"));
    }

    /** Every pair of manifest.json under root (the layout of ../shared/chat-templates). */
    static List<Outcome> renderAll(Path root) throws Exception {
        JsonNode manifest = JSON.readTree(root.resolve("manifest.json").toFile());
        List<Outcome> out = new ArrayList<>();
        for (JsonNode pair : manifest.path("pairs")) {
            String t = pair.path("template").asText(), c = pair.path("case").asText(), outcome = pair.path("outcome").asText();
            String source = Files.readString(root.resolve("templates/" + t + ".jinja"));
            JsonNode tokens = JSON.readTree(root.resolve("templates/" + t + ".json").toFile());
            JsonNode kase = JSON.readTree(root.resolve("cases/" + c + ".json").toFile());
            String expected = Files.readString(root.resolve(pair.path("file").asText()));
            out.add(check(t + "__" + c, source, tokens, kase, outcome, expected));
        }
        return out;
    }

    /**
     * One pair: the template rendered on the case as transformers would (bos/eos from tokens unless null, the
     * case's kwargs, messages, tools, documents, add_generation_prompt) against Python's outcome — "ok" with its
     * text, "raise_exception" with the message, or "error".
     */
    static Outcome check(String name, String source, JsonNode tokens, JsonNode kase, String outcome, String expected) {
        List<Map<String, Object>> messages = JSON.convertValue(kase.path("messages"), new TypeReference<>() {});
        Map<String, Object> kwargs = JSON.convertValue(kase.path("template_kwargs"), new TypeReference<LinkedHashMap<String, Object>>() {});
        Object tools = JSON.convertValue(kase.get("tools"), Object.class);
        Object docs = JSON.convertValue(kase.get("documents"), Object.class);
        String bos = tokens.path("bos_token").isNull() ? null : tokens.path("bos_token").asText();
        String eos = tokens.path("eos_token").isNull() ? null : tokens.path("eos_token").asText();
        ChatTemplate tpl = new ChatTemplate(source, () -> LocalDateTime.of(2024, 7, 26, 0, 0));
        try {
            String got = tpl.render(messages, tools, docs, kase.path("add_generation_prompt").asBoolean(), kwargs, bos, eos);
            if (outcome.equals("ok")) return new Outcome(name, got.equals(expected), diff(expected, got));
            return new Outcome(name, false, "rendered, but the reference failed with: " + expected);
        } catch (ChatTemplate.TemplateRaised e) {
            return new Outcome(name, outcome.equals("raise_exception") && e.getMessage().equals(expected), "raised: " + e.getMessage());
        } catch (RuntimeException e) {
            return new Outcome(name, outcome.equals("error"), "error: " + e.getMessage());
        }
    }

    static String diff(String want, String got) {
        int i = 0;
        while (i < want.length() && i < got.length() && want.charAt(i) == got.charAt(i)) i++;
        int from = Math.max(0, i - 40);
        return "first difference at " + i + ":\n  want: " + JSON.valueToTree(want.substring(from, Math.min(want.length(), i + 60)))
                + "\n  got:  " + JSON.valueToTree(got.substring(from, Math.min(got.length(), i + 60)));
    }

    @Test
    void rendersLikePythonJinja2() throws Exception {
        List<Outcome> all = renderAll();
        long passed = all.stream().filter(Outcome::ok).count();
        System.out.println("chat templates: " + passed + " / " + all.size() + " pairs match the Python reference");
        for (Outcome o : all) if (!o.ok()) System.out.println("  MISMATCH " + o.pair() + ": " + o.detail());
        assertTrue(passed >= MIN_PASSING, passed + " < " + MIN_PASSING + " pairs match");
    }

    /** Every pair of ../shared/chat-templates. */
    static final int MIN_PASSING = 279;
}
