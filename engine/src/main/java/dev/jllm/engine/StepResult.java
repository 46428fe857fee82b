package dev.jllm.engine;

/** One step's output per row: chosen token, its logprob, and the top-N alternatives (row-major, stride maxLogprobs). */
public final class StepResult {
    public final int[] tokens;
    public final float[] logprobs;
    public final int[] topIds;
    public final float[] topLogprobs;
    public final int topStride;

    public StepResult(int maxRows, int topStride) {
        this.tokens = new int[maxRows];
        this.logprobs = new float[maxRows];
        this.topStride = Math.max(1, topStride);
        this.topIds = new int[maxRows * this.topStride];
        this.topLogprobs = new float[maxRows * this.topStride];
    }
}
