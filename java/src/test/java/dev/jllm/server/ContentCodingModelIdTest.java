package dev.jllm.server;

import static dev.jllm.server.HttpHardeningTest.assertOpenAiError;
import static dev.jllm.server.HttpHardeningTest.exchange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.server.HttpHardeningTest.Got;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Request bodies with a Content-Encoding (decoded within the body limit, or a 415), and model ids holding '/'. */
class ContentCodingModelIdTest {
    static final String KEY = ServerFixture.KEY;
    static final String TOKENIZE = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\"}";

    /** A raw POST /tokenize whose body bytes are sent as given, with these extra header lines. */
    static Got post(int port, byte[] body, String headers) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            String head = "POST /tokenize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
                    + headers + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            return HttpHardeningTest.read(s, 10_000, null);
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    static byte[] deflate(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    @Test
    void encodedBodiesAreDecodedOrRefusedWithAReason() throws Exception {
        ServerFixture f = ServerFixture.get();
        int port = f.server.port();
        byte[] json = TOKENIZE.getBytes(StandardCharsets.UTF_8);
        Got plain = post(port, json, "");
        assertTrue(plain.text().startsWith("HTTP/1.1 200"), plain.text());
        int count = plain.body().path("count").asInt();
        assertTrue(count > 0, plain.text());
        for (Object[] c : new Object[][] {{"identity", json}, {"gzip", gzip(json)}, {"x-gzip", gzip(json)}, {"deflate", deflate(json)},
                {"gzip, deflate", deflate(gzip(json))}, {"GZIP", gzip(json)}}) {
            Got g = post(port, (byte[]) c[1], "Content-Encoding: " + c[0] + "\r\n");
            assertTrue(g.text().startsWith("HTTP/1.1 200"), c[0] + ": " + g.text());
            assertEquals(count, g.body().path("count").asInt(), c[0] + ": " + g.text());
        }
        for (String unsupported : new String[] {"br", "zstd", "compress"}) {
            Got g = post(port, json, "Content-Encoding: " + unsupported + "\r\n");
            assertOpenAiError(g, 415);
            assertTrue(g.body().path("error").path("message").asText().contains("'" + unsupported + "'"), g.text());
        }
        assertOpenAiError(post(port, json, "Content-Encoding: gzip\r\n"), 400);  // says gzip, is not
        // a zip bomb: 4 KiB of gzip that expands past the 1 MiB body limit
        byte[] bomb = gzip(("{\"prompt\":\"" + "a".repeat(2 << 20) + "\"}").getBytes(StandardCharsets.UTF_8));
        assertTrue(bomb.length < 16 * 1024, "the bomb is small: " + bomb.length);
        Got g = post(port, bomb, "Content-Encoding: gzip\r\n");
        assertOpenAiError(g, 413);
        assertTrue(g.body().path("error").path("message").asText().contains("decompresses"), g.text());
    }

    @Test
    void modelIdsWithSlashesAreFound() throws Exception {
        ServerFixture f = ServerFixture.get();
        ServerContext c = f.ctx;
        ServerContext ctx = new ServerContext(c.engine(), c.tokenizer(), List.of("meta-llama/Llama-3.2-1B-Instruct", "stories"),
                c.responseRole(), c.maxLogprobs(), c.chatTemplate(), Set.of(KEY), 0, false, c.startedAt(), null, c.defaults(),
                "", c.toolParser(), c.prompts());
        OpenAiServer s = new OpenAiServer(ctx, new OpenAiServer.Options("127.0.0.1", 0, List.of("*"), List.of("*"), List.of("*"),
                false, 1 << 20, null, null), f.exec.numBlocks(), f.exec.blockSize()).start();
        try {
            String auth = "Authorization: Bearer " + KEY + "\r\nConnection: close\r\n\r\n";
            for (String path : new String[] {"meta-llama/Llama-3.2-1B-Instruct", "meta-llama%2FLlama-3.2-1B-Instruct", "meta-llama%2fLlama-3.2-1B-Instruct"}) {
                Got g = exchange(s.port(), "GET /v1/models/" + path + " HTTP/1.1\r\nHost: x\r\n" + auth, 10_000);
                assertTrue(g.text().startsWith("HTTP/1.1 200"), path + ": " + g.text());
                assertEquals("meta-llama/Llama-3.2-1B-Instruct", g.body().path("id").asText(), g.text());
                assertEquals("model", g.body().path("object").asText(), g.text());
            }
            Got plain = exchange(s.port(), "GET /v1/models/stories HTTP/1.1\r\nHost: x\r\n" + auth, 10_000);
            assertEquals("stories", plain.body().path("id").asText(), plain.text());
            for (String unknown : new String[] {"meta-llama/Other", "meta-llama/Llama-3.2-1B-Instruct/extra", "a/b/c"}) {
                Got g = exchange(s.port(), "GET /v1/models/" + unknown + " HTTP/1.1\r\nHost: x\r\n" + auth, 10_000);
                assertOpenAiError(g, 404);
                assertTrue(g.body().path("error").path("message").asText().contains(unknown), g.text());
            }
        } finally {
            s.close();
        }
    }
}
