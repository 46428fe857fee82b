package dev.jllm.langchain4j;

import dev.jllm.api.Jllm;
import dev.jllm.api.JllmException;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * LangChain4j's {@link EmbeddingModel} over an in-process {@link Jllm} loaded for embeddings (ModelOptions.task
 * "embed", or a BERT-family / sentence-transformers model): {@link Jllm#embed} per call, pooled and normalized as
 * the model's files say. The application owns the Jllm and closes it. Errors are {@link JllmException}s.
 */
public final class JllmEmbeddingModel implements EmbeddingModel {
    private final Jllm llm;

    /**
     * An embedding model over a loaded model.
     *
     * @param llm a model loaded for embeddings
     * @throws IllegalArgumentException the model generates text (it has no pooling)
     */
    public JllmEmbeddingModel(Jllm llm) {
        this.llm = Objects.requireNonNull(llm, "llm");
        if (llm.pooling() == null)
            throw new IllegalArgumentException("this model generates text: load an embedding model (ModelOptions.task(\"embed\"))");
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<String> texts = segments.stream().map(TextSegment::text).toList();
        float[][] vectors = llm.embed(texts);
        List<Embedding> out = new ArrayList<>(vectors.length);
        for (float[] v : vectors) out.add(Embedding.from(v));
        int tokens = 0;
        for (String t : texts) tokens += llm.tokenize(t, true).length;
        return Response.from(out, new TokenUsage(tokens, 0));
    }

    @Override
    public int dimension() {
        return llm.info().hiddenSize();
    }
}
