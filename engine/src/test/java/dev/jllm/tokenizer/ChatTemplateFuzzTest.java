package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test against Python jinja2: ci/chat-template-fuzz/gen.py writes random conversations (seeded; set
 * -Djllm.fuzz.seed to vary) for every template of ../shared/chat-templates and renders them as transformers does;
 * every pair must match jllm's rendering byte for byte, raise the same raise_exception message, or fail where
 * Python fails. Python 3 with jinja2 is part of the build machine (README); without it this test fails.
 */
class ChatTemplateFuzzTest {
    static final int CASES = 40;

    @Test
    void randomConversationsRenderLikePythonJinja2(@TempDir Path out) throws Exception {
        long seed = Long.getLong("jllm.fuzz.seed", 20261130L);
        System.out.println("chat-template fuzz seed " + seed + " (-Djllm.fuzz.seed=" + seed + " reproduces it)");
        Path gen = Path.of("..", "ci", "chat-template-fuzz", "gen.py").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("python3", gen.toString(), TestModels.shared().resolve("chat-templates").toString(),
                out.toString(), String.valueOf(CASES), String.valueOf(seed)).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gen.py did not finish");
        assertEquals(0, p.exitValue(), "gen.py (python3 with jinja2) failed:\n" + log);

        List<ChatTemplateGoldenTest.Outcome> all = ChatTemplateGoldenTest.renderAll(out.resolve("chat-templates"));
        int bad = 0;
        for (ChatTemplateGoldenTest.Outcome o : all) {
            if (o.ok()) continue;
            bad++;
            System.out.println("  MISMATCH " + o.pair() + ": " + o.detail());
        }
        System.out.println("chat-template fuzz: " + (all.size() - bad) + " / " + all.size() + " pairs match");
        long templates;
        try (var files = Files.list(TestModels.shared().resolve("chat-templates/templates"))) {
            templates = files.filter(f -> f.toString().endsWith(".jinja")).count();
        }
        assertEquals(templates * CASES, all.size(), "pairs written by gen.py");
        assertEquals(0, bad, bad + " pairs differ from Python jinja2 (seed " + seed + ")");
    }
}
