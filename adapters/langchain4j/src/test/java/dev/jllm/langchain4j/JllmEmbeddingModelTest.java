package dev.jllm.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.TestModels;
import dev.jllm.api.Jllm;
import dev.jllm.api.ModelOptions;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** JllmEmbeddingModel on stories260K loaded for embeddings (last-token pooling, normalized). */
class JllmEmbeddingModelTest {
    static Jllm llm;

    @BeforeAll
    static void load() throws Exception {
        llm = Jllm.load(ModelOptions.builder(TestModels.hf()).task("embed").maxNumSeqs(8).maxNumBatchedTokens(512).build());
    }

    @AfterAll
    static void close() {
        llm.close();
    }

    @Test
    void embedAllGivesJllmsUnitVectorsInOrderWithUsage() {
        JllmEmbeddingModel model = new JllmEmbeddingModel(llm);
        List<String> texts = List.of("Once upon a time", "The little dog", "Once upon a time");
        Response<List<Embedding>> r = model.embedAll(texts.stream().map(TextSegment::from).toList());
        float[][] direct = llm.embed(texts);
        assertEquals(3, r.content().size());
        for (int i = 0; i < 3; i++) {
            float[] v = r.content().get(i).vector();
            assertArrayEquals(direct[i], v, 1e-6f);
            double norm = 0;
            for (float x : v) norm += x * x;
            assertEquals(1.0, Math.sqrt(norm), 1e-4, "normalized");
        }
        assertArrayEquals(r.content().get(0).vector(), r.content().get(2).vector(), 1e-6f, "same text, same vector");
        assertNotEquals(r.content().get(0).vector()[0], r.content().get(1).vector()[0], "different texts, different vectors");
        int tokens = 0;
        for (String t : texts) tokens += llm.tokenize(t, true).length;
        assertEquals(tokens, r.tokenUsage().inputTokenCount());
        assertEquals(64, model.dimension());
        assertEquals(64, r.content().get(0).dimension());
    }

    @Test
    void oneAtATimeEqualsBatched() {
        JllmEmbeddingModel model = new JllmEmbeddingModel(llm);
        float[] alone = model.embed("The little dog").content().vector();
        float[] batched = model.embedAll(List.of(TextSegment.from("Once upon a time"), TextSegment.from("The little dog"))).content().get(1).vector();
        assertArrayEquals(alone, batched, 1e-5f);
    }

    @Test
    void aGenerativeModelIsRefused() throws Exception {
        try (Jllm gen = Jllm.load(ModelOptions.builder(TestModels.gguf()).tokenizer(TestModels.hf()).maxNumSeqs(2).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new JllmEmbeddingModel(gen));
            assertEquals(true, e.getMessage().contains("embedding model"), e.getMessage());
            assertEquals(400, assertThrows(dev.jllm.api.JllmException.class, () -> gen.embed(List.of("x"))).status());
        }
    }
}
