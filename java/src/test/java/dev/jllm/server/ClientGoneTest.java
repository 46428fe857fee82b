package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away in the middle of a request (issue 12): its requests are aborted and the handler ends
 * quietly, with one FINE line; no WARNING from Helidon ("A route MUST call either send, reroute, or next...") or from
 * jllm, per disconnect.
 */
class ClientGoneTest {
    /** Every log record of the process while it is installed (FINE of OpenAiServer included). */
    static final class Captured extends Handler implements AutoCloseable {
        final List<LogRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Logger server = Logger.getLogger(OpenAiServer.class.getName());
        private final Level serverLevel = server.getLevel();

        Captured() {
            setLevel(Level.ALL);
            server.setLevel(Level.FINE);
            Logger.getLogger("").addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            Logger.getLogger("").removeHandler(this);
            server.setLevel(serverLevel);
        }

        List<String> matching(Level atLeast, String text) {
            synchronized (records) {
                return records.stream().filter(r -> r.getLevel().intValue() >= atLeast.intValue())
                        .map(r -> r.getLoggerName() + " " + r.getLevel() + ": " + new java.util.logging.SimpleFormatter().formatMessage(r)
                                + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"))
                        .filter(s -> s.contains(text)).toList();
            }
        }
    }

    /**
     * Sends `request`, reads until `until` shows in the reply (or for waitMs when null), then closes the socket; waits
     * for the handler's "client went away" line, then checks that nothing at WARNING or above was logged meanwhile.
     */
    private static void disconnect(String what, String request, String until, long waitMs) throws Exception {
        ServerFixture f = ServerFixture.get();
        long aborted = aborted(f);
        try (Captured log = new Captured()) {
            try (Socket c = new Socket("127.0.0.1", f.server.port())) {
                c.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
                if (until != null) {
                    HttpHardeningTest.Got g = HttpHardeningTest.read(c, 30_000, s -> s.contains(until));
                    assertTrue(g.text().contains(until) && !g.closed(), what + ": the stream had begun: " + g.text());
                } else {
                    Thread.sleep(waitMs);
                }
            }
            // 1. the handler saw the disconnect and ended (its FINE line comes as it returns)
            long deadline = System.currentTimeMillis() + 30_000;
            while (log.matching(Level.FINE, "client went away").isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertFalse(log.matching(Level.FINE, "client went away").isEmpty(), what + ": the handler saw the disconnect");
            while (aborted(f) == aborted && System.currentTimeMillis() < deadline) Thread.sleep(10);  // counted at the engine's next step
            assertTrue(aborted(f) > aborted, what + ": the request was aborted, not finished");
            // 2. Helidon's check runs right after the handler returns: give it ample time to show, then none may be there
            Thread.sleep(1000);
            assertEquals(List.of(), log.matching(Level.WARNING, ""), what + ": nothing at WARNING or above");
        }
        HttpHardeningTest.Got health = HttpHardeningTest.exchange(f.server.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(health.text().startsWith("HTTP/1.1 200"), health.text());
    }

    private static long aborted(ServerFixture f) {
        java.util.concurrent.atomic.AtomicLong c = f.engine.stats().finishedByReason.get("abort");
        return c == null ? 0 : c.get();
    }

    @Test
    void aClientGoneDuringANonStreamedRequestLeavesNoWarning() throws Exception {
        // 16 x 400 tokens take seconds on stories260K: the client is gone long before the answer
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 16; i++) prompts.append(i == 0 ? "" : ",").append("\"Once upon a time ").append(i).append('"');
        String body = "{\"model\":\"stories\",\"prompt\":[" + prompts + "],\"max_tokens\":400,\"ignore_eos\":true}";
        disconnect("non-streamed completions", HttpHardeningTest.post("/v1/completions", body, ""), null, 300);
        String chat = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"n\":16,\"max_tokens\":400,\"ignore_eos\":true}";
        disconnect("non-streamed chat", HttpHardeningTest.post("/v1/chat/completions", chat, ""), null, 300);
    }

    @Test
    void aClientGoneDuringAStreamLeavesNoWarning() throws Exception {
        String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"n\":8,\"max_tokens\":400,\"ignore_eos\":true,\"stream\":true}";
        disconnect("streamed completions", HttpHardeningTest.post("/v1/completions", body, ""), "data: {", 0);
        String chat = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"n\":8,\"max_tokens\":400,\"ignore_eos\":true,\"stream\":true}";
        disconnect("streamed chat", HttpHardeningTest.post("/v1/chat/completions", chat, ""), "\"delta\"", 0);
    }
}
