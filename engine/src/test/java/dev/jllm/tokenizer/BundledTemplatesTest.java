package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The bundled templates (templates/*.jinja) against their Python-jinja2 renderings in templates/golden. */
class BundledTemplatesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path TEMPLATES = Path.of("../templates");

    @Test
    void everyBundledTemplateMatchesItsGoldenRenderings() throws Exception {
        int checked = 0;
        List<Path> goldens;
        try (Stream<Path> s = Files.list(TEMPLATES.resolve("golden"))) {
            goldens = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        for (Path g : goldens) {
            String file = g.getFileName().toString();
            boolean error = file.endsWith(".error.txt");
            String stem = file.substring(0, file.length() - (error ? 10 : 4));
            String name = stem.substring(0, stem.indexOf("__")), kase = stem.substring(stem.indexOf("__") + 2);
            JsonNode tokens = JSON.readTree(TEMPLATES.resolve(name + ".json").toFile());
            JsonNode c = JSON.readTree(TestModels.shared().resolve("chat-templates/cases/" + kase + ".json").toFile());
            ChatTemplate t = new ChatTemplate(Files.readString(TEMPLATES.resolve(name + ".jinja")));
            List<Map<String, Object>> messages = JSON.convertValue(c.path("messages"), new TypeReference<>() {});
            Map<String, Object> kwargs = JSON.convertValue(c.path("template_kwargs"), new TypeReference<LinkedHashMap<String, Object>>() {});
            String bos = tokens.path("bos_token").isNull() ? null : tokens.path("bos_token").asText();
            String eos = tokens.path("eos_token").isNull() ? null : tokens.path("eos_token").asText();
            String want = Files.readString(g);
            if (error) {
                ChatTemplate.TemplateRaised e = assertThrows(ChatTemplate.TemplateRaised.class, () -> t.render(messages,
                        JSON.convertValue(c.get("tools"), Object.class), null, c.path("add_generation_prompt").asBoolean(), kwargs, bos, eos), stem);
                assertEquals(want, e.getMessage(), stem);
            } else {
                assertEquals(want, t.render(messages, JSON.convertValue(c.get("tools"), Object.class),
                        JSON.convertValue(c.get("documents"), Object.class), c.path("add_generation_prompt").asBoolean(), kwargs, bos, eos), stem);
            }
            checked++;
        }
        assertTrue(checked >= 100, "only " + checked + " golden renderings");
        for (String name : List.of("chatml", "llama-2", "llama-3", "mistral-instruct", "zephyr", "alpaca", "plain"))
            assertTrue(Files.exists(TEMPLATES.resolve(name + ".jinja")), name);
    }
}
