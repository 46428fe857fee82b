package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `jllm render-chat`: --help prints its usage (exit 0); a missing or unknown option says what is wrong, no stack trace. */
class RenderChatCliTest {
    @TempDir Path tmp;

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.renderChat(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        for (String flag : new String[] {"--help", "-h"}) {
            Outcome o = run(flag);
            assertEquals(0, o.code(), o.err());
            assertTrue(o.out().startsWith("usage: jllm render-chat --chat-template T --request FILE"), o.out());
            assertTrue(o.out().contains("--date YYYY-MM-DD"), o.out());
        }
    }

    @Test
    void missingOrUnknownOptionsSayWhat() throws Exception {
        Outcome noRequest = run("--chat-template", "nope-template");
        assertEquals(2, noRequest.code());
        assertTrue(noRequest.err().startsWith("jllm render-chat: missing --request FILE"), noRequest.err());
        Outcome noTemplate = run("--request", "x.json");
        assertTrue(noTemplate.err().startsWith("jllm render-chat: missing --chat-template T"), noTemplate.err());
        Outcome unknown = run("--chat-templat", "x");
        assertEquals(2, unknown.code());
        assertEquals("jllm render-chat: unknown option --chat-templat (see --help)", unknown.err().strip());
        Outcome unreadable = run("--chat-template", "{{ 1 }}", "--request", tmp.resolve("absent.json").toString());
        assertEquals(2, unreadable.code());
        assertTrue(unreadable.err().startsWith("jllm render-chat: cannot read --request "), unreadable.err());
        assertFalse(unreadable.err().contains("\tat "), unreadable.err());
    }

    @Test
    void rendersARequest() throws Exception {
        Path req = Files.writeString(tmp.resolve("req.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"add_generation_prompt\": true}");
        Outcome o = run("--chat-template", "{% for m in messages %}{{ loop.index0+1 }}:{{ m.content }}{% endfor %}", "--request", req.toString());
        assertEquals(0, o.code(), o.err());
        assertEquals("1:hi", o.out());
    }
}
