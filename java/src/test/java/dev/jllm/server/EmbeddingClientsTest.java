package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.embedding.EmbeddingRequest;
import org.springframework.ai.embedding.EmbeddingResponse;
import org.springframework.ai.openai.OpenAiEmbeddingModel;
import org.springframework.ai.openai.OpenAiEmbeddingOptions;

/**
 * Framework clients of /v1/embeddings against a served tiny BERT (TinyEmbeddingModels, CLS pooling + Normalize):
 * LangChain4j's OpenAiEmbeddingModel and Spring AI's OpenAiEmbeddingModel (over the official openai-java SDK,
 * which asks for base64). Their vectors must equal the naive reference within EmbeddingsTest.TOL.
 */
class EmbeddingClientsTest {
    static EmbeddingsTest.Served bert;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("jllm-bert-clients");
        var w = TinyEmbeddingModels.writeBert(dir, "", 21);
        TinyEmbeddingModels.writeSentenceTransformers(dir, TinyEmbeddingModels.BH, "cls", true);
        bert = EmbeddingsTest.Served.start(dir, w, 256, 16, true);
    }

    @AfterAll
    static void stop() {
        if (bert != null) bert.close();
    }

    static double[] reference(int[] ids, int dims) {
        double[] full = TinyEmbeddingModels.pool(TinyEmbeddingModels.bertReference(bert.w(), "", ids), "cls", false);
        return TinyEmbeddingModels.normalized(Arrays.copyOf(full, dims));
    }

    static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Test
    void langChain4jOpenAiEmbeddingModel() {
        var model = dev.langchain4j.model.openai.OpenAiEmbeddingModel.builder().baseUrl(bert.base() + "/v1").apiKey("none")
                .modelName("tiny-embed").build();
        Response<List<Embedding>> r = model.embedAll(List.of(TextSegment.from("Hello world"),
                TextSegment.from("The quick brown fox jumps over the lazy dog.")));
        assertEquals(2, r.content().size());
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.HELLO, 32), doubles(r.content().get(0).vector()), "langchain4j 0");
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.FOX, 32), doubles(r.content().get(1).vector()), "langchain4j 1");
        assertEquals(EmbeddingsTest.HELLO.length + EmbeddingsTest.FOX.length, r.tokenUsage().inputTokenCount());
        var small = dev.langchain4j.model.openai.OpenAiEmbeddingModel.builder().baseUrl(bert.base() + "/v1").apiKey("none")
                .modelName("tiny-embed").dimensions(8).build();
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.HELLO, 8), doubles(small.embed("Hello world").content().vector()), "langchain4j dimensions");
    }

    @Test
    void springAiOpenAiEmbeddingModel() {
        OpenAiEmbeddingOptions options = OpenAiEmbeddingOptions.builder().baseUrl(bert.base() + "/v1").apiKey("none")
                .model("tiny-embed").build();
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().options(options).build();
        EmbeddingResponse r = model.call(new EmbeddingRequest(List.of("Hello world", "The quick brown fox jumps over the lazy dog."), null));
        assertEquals(2, r.getResults().size());
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.HELLO, 32), doubles(r.getResults().get(0).getOutput()), "spring ai 0");
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.FOX, 32), doubles(r.getResults().get(1).getOutput()), "spring ai 1");
        assertEquals(32, model.dimensions());
        // per-request options replace the defaults field by field; an unset model would fall back to Spring AI's own default
        float[] small = model.call(new EmbeddingRequest(List.of("Hello world"), OpenAiEmbeddingOptions.builder().model("tiny-embed").dimensions(8).build()))
                .getResult().getOutput();
        EmbeddingsTest.assertClose(reference(EmbeddingsTest.HELLO, 8), doubles(small), "spring ai dimensions");
    }
}
