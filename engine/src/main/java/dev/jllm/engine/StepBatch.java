package dev.jllm.engine;

/**
 * One step's input in plain Java arrays (vLLM's flat layout; see jllm.h's jllm_batch): reused across steps, sized
 * once for the engine's budgets. Rows are the logits the step needs, each with its sampling parameters.
 */
public final class StepBatch {
    public final int maxTokens, maxSeqs, maxRows, stride;

    public int numTokens;
    public final int[] tokenIds, positions;  // [numTokens]
    public final long[] slots;               // [numTokens]
    public int numSeqs;
    public final int[] queryStart;           // [numSeqs + 1]
    public final int[] contextLens;          // [numSeqs]
    public final int[] blockTables;          // [numSeqs * stride]
    public int numRows;
    public final int[] rowTokenIndex;        // [numRows]
    public final SamplingRow[] rows;         // [numRows]

    public StepBatch(int maxTokens, int maxSeqs, int maxRows, int stride) {
        this.maxTokens = maxTokens;
        this.maxSeqs = maxSeqs;
        this.maxRows = maxRows;
        this.stride = stride;
        tokenIds = new int[maxTokens];
        positions = new int[maxTokens];
        slots = new long[maxTokens];
        queryStart = new int[maxSeqs + 1];
        contextLens = new int[maxSeqs];
        blockTables = new int[maxSeqs * stride];
        rowTokenIndex = new int[maxRows];
        rows = new SamplingRow[maxRows];
        for (int i = 0; i < maxRows; i++) rows[i] = new SamplingRow();
    }

    public void clear() {
        numTokens = 0;
        numSeqs = 0;
        numRows = 0;
        queryStart[0] = 0;
    }

    /** Per-row sampling parameters (mirrors jllm_sampling_params). Arrays are borrowed for the step. */
    public static final class SamplingRow {
        public float temperature = 1, topP = 1, minP = 0, repetitionPenalty = 1, presencePenalty = 0, frequencyPenalty = 0;
        public int topK = 0;
        public long seed, rngStep;
        public int numLogprobs;
        public int forcedToken = -1;
        public int[] promptTokens;
        public int numPromptTokens;
        public int[] outputTokens;  // output tokens are outputTokens[outputOffset, outputOffset + numOutputTokens)
        public int outputOffset;
        public int numOutputTokens;
        public int[] biasIds;
        public float[] biasValues;
        public int numBias;
        public int[] allowedMask;  // null = all allowed

        public void reset() {
            temperature = 1; topP = 1; minP = 0; repetitionPenalty = 1; presencePenalty = 0; frequencyPenalty = 0;
            topK = 0; seed = 0; rngStep = 0; numLogprobs = 0; forcedToken = -1;
            promptTokens = null; numPromptTokens = 0; outputTokens = null; outputOffset = 0; numOutputTokens = 0;
            biasIds = null; biasValues = null; numBias = 0; allowedMask = null;
        }
    }
}
