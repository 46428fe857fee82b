package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.TestModels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Differential test against Python jinja2 on random conversations: resources/chat-template-fuzz/fuzz.json holds 40
 * conversations (absent/null content with tool calls, content parts, names, tool results, string or object
 * arguments, reasoning, Unicode and whitespace edge cases; tools, documents, template kwargs) and, for every template
 * of ../shared/chat-templates, what Python jinja2 made of each (text, raise_exception message, or error), written by
 * ci/chat-template-fuzz/gen.py (seeded; regenerating with another seed is how to look further). Every pair must match
 * jllm's rendering byte for byte, raise the same message, or fail where Python fails.
 */
class ChatTemplateFuzzTest {
    @Test
    void randomConversationsRenderLikePythonJinja2() throws Exception {
        JsonNode fuzz;
        try (InputStream in = ChatTemplateFuzzTest.class.getResourceAsStream("/chat-template-fuzz/fuzz.json")) {
            fuzz = ChatTemplateGoldenTest.JSON.readTree(in);
        }
        System.out.println("chat-template fuzz: seed " + fuzz.path("seed") + ", reference " + fuzz.path("reference").asText());
        Path templates = TestModels.shared().resolve("chat-templates/templates");
        Map<String, String> sources = new HashMap<>();
        Map<String, JsonNode> tokens = new HashMap<>();
        List<ChatTemplateGoldenTest.Outcome> all = new ArrayList<>();
        for (JsonNode pair : fuzz.path("pairs")) {
            String t = pair.path("template").asText(), c = pair.path("case").asText();
            String source = sources.computeIfAbsent(t, k -> read(templates.resolve(k + ".jinja")));
            JsonNode tok = tokens.computeIfAbsent(t, k -> tree(read(templates.resolve(k + ".json"))));
            all.add(ChatTemplateGoldenTest.check(t + "__" + c, source, tok, fuzz.path("cases").path(c),
                    pair.path("outcome").asText(), pair.path("text").asText()));
        }
        int bad = 0;
        for (ChatTemplateGoldenTest.Outcome o : all) {
            if (o.ok()) continue;
            bad++;
            System.out.println("  MISMATCH " + o.pair() + ": " + o.detail());
        }
        System.out.println("chat-template fuzz: " + (all.size() - bad) + " / " + all.size() + " pairs match");
        assertEquals(sources.size() * fuzz.path("cases").size(), all.size(), "pairs in fuzz.json");
        assertEquals(0, bad, bad + " pairs differ from Python jinja2");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return ChatTemplateGoldenTest.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
