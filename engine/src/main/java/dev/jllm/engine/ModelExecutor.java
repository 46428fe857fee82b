package dev.jllm.engine;

/**
 * What the engine needs from the compute side: one call per step plus block copies and swaps. The native
 * implementation lives in engine.nativeapi; scheduler tests use a fake.
 */
public interface ModelExecutor extends AutoCloseable {
    int vocabSize();

    int maxModelLen();

    int blockSize();

    int numBlocks();

    int numHostBlocks();

    int maxLogprobs();

    /** Logit rows one step may ask for (sampled rows plus prompt-logprob rows); the scheduler keeps within it. */
    int maxLogitRows();

    /** Forward pass + sampling of batch; fills result for batch.numRows rows. */
    void step(StepBatch batch, StepResult result);

    void copyBlocks(int[] src, int[] dst, int n);

    void swapOut(int[] src, int[] dst, int n);

    void swapIn(int[] src, int[] dst, int n);

    @Override
    void close();
}
