package dev.jllm.server;

import static dev.jllm.server.TinyEmbeddingModels.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.api.PoolingConfig;
import dev.jllm.engine.Engine;
import dev.jllm.engine.EngineConfig;
import dev.jllm.engine.ModelExecutor;
import dev.jllm.engine.nativeapi.NativeExecutor;
import dev.jllm.engine.nativeapi.NativeModel;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /v1/embeddings against tiny random models written by the test (TinyEmbeddingModels), compared with a naive
 * double-precision reference forward: BERT with CLS pooling + Normalize (sentence-transformers files), BERT under a
 * "bert." prefix with mean pooling and no Normalize, a nomic-bert (rotary, SwiGLU) with mean pooling, and a bare
 * Qwen3Model with last-token pooling. Tolerance: 2e-4
 * absolute per component (the engine computes in float32).
 */
class EmbeddingsTest {
    static final double TOL = 2e-4;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One served model: its directory, weights and server. */
    record Served(Path dir, TinyEmbeddingModels.Weights w, NativeModel model, Engine engine, OpenAiServer server, String base,
                  Tokenizer tok) implements AutoCloseable {
        static Served start(Path dir, TinyEmbeddingModels.Weights w, int maxBatched, int maxSeqs, boolean embed) throws Exception {
            NativeModel model = NativeModel.load(dir.toString(), NativeModel.Format.AUTO, 0, 0);
            NativeExecutor exec = new NativeExecutor(model, new NativeExecutor.Config(16, 64, 0, 0, maxBatched, maxSeqs, 20, 2));
            Tokenizer tok = Tokenizers.load(dir, null);
            Engine engine = new Engine(exec, tok, new EngineConfig(maxBatched, maxSeqs, false, 20));
            ServerContext ctx = new ServerContext(engine, tok, List.of("tiny-embed"), "assistant", 20,
                    new ChatTemplate("{{ messages[0]['content'] }}"), Set.of(), 0, false, 1700000000L, null, SamplingDefaults.NONE, "", "hermes");
            PoolingConfig pooling = embed ? PoolingConfig.read(dir, model.info().architecture(), model.info().hiddenSize()) : null;
            OpenAiServer server = new OpenAiServer(ctx, new OpenAiServer.Options("127.0.0.1", 0, List.of("*"), List.of("*"), List.of("*"),
                    false, 1 << 20, null, null), exec.numBlocks(), exec.blockSize(), pooling).start();
            return new Served(dir, w, model, engine, server, "http://127.0.0.1:" + server.port(), tok);
        }

        @Override
        public void close() {
            server.close();
            engine.close();
            model.close();
        }
    }

    static Served bert, bertMean, qwen, nomic;

    @BeforeAll
    static void start() throws Exception {
        Path d1 = Files.createTempDirectory("jllm-bert");
        var w1 = TinyEmbeddingModels.writeBert(d1, "", 11);
        TinyEmbeddingModels.writeSentenceTransformers(d1, TinyEmbeddingModels.BH, "cls", true);
        bert = Served.start(d1, w1, 64, 8, true);  // 64 tokens per forward: the 10-input test needs several runs
        Path d2 = Files.createTempDirectory("jllm-bert-mean");
        var w2 = TinyEmbeddingModels.writeBert(d2, "bert.", 12);
        TinyEmbeddingModels.writeSentenceTransformers(d2, TinyEmbeddingModels.BH, "mean", false);
        bertMean = Served.start(d2, w2, 256, 16, true);
        Path d3 = Files.createTempDirectory("jllm-qwen3-embed");
        var w3 = TinyEmbeddingModels.writeQwen3(d3, 13);
        TinyEmbeddingModels.writeSentenceTransformers(d3, TinyEmbeddingModels.QH, "lasttoken", true);
        qwen = Served.start(d3, w3, 256, 16, true);
        Path d4 = Files.createTempDirectory("jllm-nomic-bert");
        var w4 = TinyEmbeddingModels.writeNomic(d4, 14);
        TinyEmbeddingModels.writeSentenceTransformers(d4, TinyEmbeddingModels.BH, "mean", true);
        nomic = Served.start(d4, w4, 256, 16, true);
    }

    @AfterAll
    static void stop() {
        for (Served s : new Served[] {bert, bertMean, qwen, nomic}) if (s != null) s.close();
    }

    static HttpResponse<String> post(Served s, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.base() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode ok(Served s, String body) throws Exception {
        HttpResponse<String> r = post(s, "/v1/embeddings", body);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode error(Served s, String path, String body, int status) throws Exception {
        HttpResponse<String> r = post(s, path, body);
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertTrue(e.path("message").isTextual() && !e.path("message").asText().isEmpty(), r.body());
        return e;
    }

    static double[] floats(JsonNode embedding) {
        double[] v = new double[embedding.size()];
        for (int i = 0; i < v.length; i++) v[i] = embedding.get(i).asDouble();
        return v;
    }

    static void assertClose(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        assertTrue(worst < TOL, what + ": max |diff| " + worst + " >= " + TOL);
    }

    // Token ids the WordPiece tokenizer must produce ([CLS] ... [SEP]); the references run on these.
    static final int[] HELLO = {2, 13, 14, 3};                        // "Hello world"
    static final int[] FOX = {2, 5, 6, 7, 8, 9, 10, 5, 11, 12, 20, 3};  // "The quick brown fox jumps over the lazy dog."

    @Test
    void wordPieceTokenizerAddsClsAndSep() {
        assertEquals(TinyEmbeddingModels.list(HELLO), TinyEmbeddingModels.list(bert.tok().encode("Hello world", true, false)));
        assertEquals(TinyEmbeddingModels.list(FOX),
                TinyEmbeddingModels.list(bert.tok().encode("The quick brown fox jumps over the lazy dog.", true, false)));
        assertEquals(TinyEmbeddingModels.list(2, 15, 16, 18, 19, 1, 3), TinyEmbeddingModels.list(bert.tok().encode("embeds a cat zzz", true, false)));
    }

    @Test
    void bertClsNormalizedMatchesReference() throws Exception {
        JsonNode r = ok(bert, "{\"model\":\"tiny-embed\",\"input\":[\"Hello world\",\"The quick brown fox jumps over the lazy dog.\"]}");
        assertEquals("list", r.path("object").asText());
        assertEquals("tiny-embed", r.path("model").asText());
        assertEquals(HELLO.length + FOX.length, r.path("usage").path("prompt_tokens").asInt());
        assertEquals(HELLO.length + FOX.length, r.path("usage").path("total_tokens").asInt());
        int[][] ids = {HELLO, FOX};
        for (int i = 0; i < 2; i++) {
            JsonNode d = r.path("data").get(i);
            assertEquals("embedding", d.path("object").asText());
            assertEquals(i, d.path("index").asInt());
            double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "", ids[i]), "cls", true);
            assertClose(want, floats(d.path("embedding")), "input " + i);
        }
    }

    @Test
    void bertMeanPoolingWithoutNormalizeUnderBertPrefix() throws Exception {
        JsonNode r = ok(bertMean, "{\"input\":\"The quick brown fox jumps over the lazy dog.\"}");
        double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bertMean.w(), "bert.", FOX), "mean", false);
        double[] got = floats(r.path("data").get(0).path("embedding"));
        assertClose(want, got, "mean pooled");
        double norm = 0;
        for (double x : got) norm += x * x;
        assertTrue(Math.abs(Math.sqrt(norm) - 1) > 0.05, "no Normalize module: the vector is not unit length (" + Math.sqrt(norm) + ")");
    }

    @Test
    void qwen3LastTokenMatchesReference() throws Exception {
        int[][] inputs = {{5, 6, 7, 8}, {9}, {13, 14, 20, 21, 22, 23, 5, 19, 10, 11, 12}};
        JsonNode r = ok(qwen, "{\"input\":" + JSON.writeValueAsString(inputs) + "}");
        for (int i = 0; i < inputs.length; i++) {
            double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.qwen3Reference(qwen.w(), inputs[i]), "lasttoken", true);
            assertClose(want, floats(r.path("data").get(i).path("embedding")), "decoder input " + i);
        }
        // a single token-id list is one input
        JsonNode one = ok(qwen, "{\"input\":[5,6,7,8]}");
        assertEquals(1, one.path("data").size());
        assertClose(floats(r.path("data").get(0).path("embedding")), floats(one.path("data").get(0).path("embedding")), "same input alone");
    }

    @Test
    void nomicBertRotarySwiGluMatchesReference() throws Exception {
        JsonNode r = ok(nomic, "{\"input\":[\"Hello world\",\"The quick brown fox jumps over the lazy dog.\"]}");
        int[][] ids = {HELLO, FOX};
        for (int i = 0; i < 2; i++) {
            double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.nomicReference(nomic.w(), ids[i]), "mean", true);
            assertClose(want, floats(r.path("data").get(i).path("embedding")), "nomic input " + i);
        }
        assertEquals(40, nomic.engine().maxModelLen(), "max_trained_positions caps the context");
    }

    @Test
    void robertaPositionsStartAfterThePaddingId() throws Exception {
        Path dir = Files.createTempDirectory("jllm-roberta");
        var w = TinyEmbeddingModels.writeBert(dir, "roberta.", 15, "RobertaModel");
        try (Served s = Served.start(dir, w, 256, 16, true)) {
            assertEquals(TinyEmbeddingModels.BMAXPOS - 2, s.engine().maxModelLen(), "positions 2.. leave max_position_embeddings - 2");
            JsonNode r = ok(s, "{\"input\":[5,6,7,8,9]}");
            double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(w, "roberta.", new int[] {5, 6, 7, 8, 9}, 2), "cls", true);
            assertClose(want, floats(r.path("data").get(0).path("embedding")), "roberta");
        }
    }

    @Test
    void manyInputsSpanSeveralForwardsAndKeepTheirOrder() throws Exception {
        // 10 inputs of 12 tokens = 120 tokens > max_num_batched_tokens 64: the engine runs them in several forwards
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 10; i++) texts.add(i % 2 == 0 ? "The quick brown fox jumps over the lazy dog." : "Hello world");
        JsonNode r = ok(bert, JSON.writeValueAsString(java.util.Map.of("input", texts)));
        assertEquals(10, r.path("data").size());
        double[] fox = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "", FOX), "cls", true);
        double[] hello = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "", HELLO), "cls", true);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, r.path("data").get(i).path("index").asInt());
            assertClose(i % 2 == 0 ? fox : hello, floats(r.path("data").get(i).path("embedding")), "input " + i);
        }
    }

    @Test
    void base64IsLittleEndianFloat32OfTheSameVector() throws Exception {
        JsonNode f = ok(bert, "{\"input\":\"Hello world\"}");
        JsonNode b = ok(bert, "{\"input\":\"Hello world\",\"encoding_format\":\"base64\"}");
        byte[] raw = Base64.getDecoder().decode(b.path("data").get(0).path("embedding").asText());
        assertEquals(4 * TinyEmbeddingModels.BH, raw.length);
        ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        double[] got = new double[TinyEmbeddingModels.BH];
        for (int i = 0; i < got.length; i++) got[i] = bb.getFloat();
        double[] want = floats(f.path("data").get(0).path("embedding"));
        for (int i = 0; i < got.length; i++) assertEquals((float) want[i], (float) got[i], 0.0f, "component " + i);
        error(bert, "/v1/embeddings", "{\"input\":\"x\",\"encoding_format\":\"int8\"}", 400);
    }

    @Test
    void dimensionsTruncateThenRenormalize() throws Exception {
        JsonNode r = ok(bert, "{\"input\":\"Hello world\",\"dimensions\":8}");
        double[] full = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "", HELLO), "cls", false);
        double[] want = TinyEmbeddingModels.normalized(java.util.Arrays.copyOf(full, 8));
        assertClose(want, floats(r.path("data").get(0).path("embedding")), "8 dimensions");
        JsonNode e = error(bert, "/v1/embeddings", "{\"input\":\"Hello world\",\"dimensions\":33}", 400);
        assertEquals("dimensions", e.path("param").asText());
        assertTrue(e.path("message").asText().contains("32"), e.toString());
        error(bert, "/v1/embeddings", "{\"input\":\"Hello world\",\"dimensions\":0}", 400);
    }

    @Test
    void tooLongInputIsRefusedOrTruncated() throws Exception {
        int[] longIds = new int[TinyEmbeddingModels.BMAXPOS + 1];
        java.util.Arrays.fill(longIds, 5);
        JsonNode e = error(bert, "/v1/embeddings", "{\"input\":" + JSON.writeValueAsString(longIds) + "}", 400);
        assertTrue(e.path("message").asText().contains("41"), e.toString());
        // truncate_prompt_tokens keeps the last N tokens
        longIds[longIds.length - 1] = 12;
        JsonNode r = ok(bert, "{\"input\":" + JSON.writeValueAsString(longIds) + ",\"truncate_prompt_tokens\":6}");
        assertEquals(6, r.path("usage").path("prompt_tokens").asInt());
        double[] want = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "",
                java.util.Arrays.copyOfRange(longIds, longIds.length - 6, longIds.length)), "cls", true);
        assertClose(want, floats(r.path("data").get(0).path("embedding")), "truncated");
    }

    @Test
    void badInputsGetClearErrors() throws Exception {
        assertEquals("input", error(bert, "/v1/embeddings", "{}", 400).path("param").asText());
        error(bert, "/v1/embeddings", "{\"input\":[]}", 400);
        error(bert, "/v1/embeddings", "{\"input\":\"\"}", 400);
        error(bert, "/v1/embeddings", "{\"input\":[[]]}", 400);
        error(bert, "/v1/embeddings", "{\"input\":[1,99]}", 400);
        error(bert, "/v1/embeddings", "{\"input\":[\"a\",3]}", 400);
        error(bert, "/v1/embeddings", "{\"input\":\"a\",\"model\":\"nope\"}", 404);
    }

    @Test
    void generationRoutesRefuseAnEmbeddingModel() throws Exception {
        JsonNode e = error(bert, "/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":2}", 400);
        assertTrue(e.path("message").asText().contains("embedding model"), e.toString());
        error(qwen, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400);
        error(qwen, "/v1/messages", "{\"model\":\"tiny-embed\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400);
        // /v1/models still lists it
        HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create(bert.base() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("tiny-embed", JSON.readTree(m.body()).path("data").get(0).path("id").asText());
    }

    @Test
    void aGenerativeModelRefusesEmbeddings() throws Exception {
        ServerFixture g = ServerFixture.get();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(g.base + "/v1/embeddings"))
                .header("Authorization", "Bearer " + ServerFixture.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"hello\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("does not support the embeddings API"), r.body());
    }

    @Test
    void poolingConfigFollowsSentenceTransformersFiles() throws Exception {
        assertEquals(new PoolingConfig(ModelExecutor.POOLING_CLS, true, 32), PoolingConfig.read(bert.dir(), "BertModel", 32));
        assertEquals(new PoolingConfig(ModelExecutor.POOLING_MEAN, false, 32), PoolingConfig.read(bertMean.dir(), "BertModel", 32));
        assertEquals(new PoolingConfig(ModelExecutor.POOLING_LAST, true, 32), PoolingConfig.read(qwen.dir(), "Qwen3ForCausalLM", 32));
        Path bare = Files.createTempDirectory("jllm-no-st");
        assertEquals(new PoolingConfig(ModelExecutor.POOLING_CLS, true, 8), PoolingConfig.read(bare, "BertModel", 8));
        assertEquals(new PoolingConfig(ModelExecutor.POOLING_LAST, true, 8), PoolingConfig.read(bare, "LlamaForCausalLM", 8));
        assertTrue(PoolingConfig.looksLikeEmbeddingModel(bare, "BertModel"));
        assertFalse(PoolingConfig.looksLikeEmbeddingModel(bare, "LlamaForCausalLM"));
        assertTrue(PoolingConfig.looksLikeEmbeddingModel(qwen.dir(), "Qwen3ForCausalLM"));
    }
}
