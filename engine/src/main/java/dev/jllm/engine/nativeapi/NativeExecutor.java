package dev.jllm.engine.nativeapi;

import dev.jllm.bindings.jllm_batch;
import dev.jllm.bindings.jllm_engine_info;
import dev.jllm.bindings.jllm_engine_params;
import dev.jllm.bindings.jllm_h;
import dev.jllm.bindings.jllm_sampling_params;
import dev.jllm.bindings.jllm_step_output;
import dev.jllm.engine.ModelExecutor;
import dev.jllm.engine.StepBatch;
import dev.jllm.engine.StepResult;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The libjllm engine (KV cache + kernels) behind {@link ModelExecutor}. Every per-step buffer is allocated once
 * here; a step copies the Java arrays in, makes ONE native call, and copies the results out. Used by the engine
 * thread only.
 */
public final class NativeExecutor implements ModelExecutor {
    /**
     * jllm_engine_params. kvCacheBytes 0: the native default budget; kvCacheDtype a JLLM_DTYPE_* or -1 (auto: the
     * weights' dtype, F16 for quantized); maxModelLen 0: the model's, fitted to the KV pool with a warning;
     * maxLogitRows 0: maxNumSeqs; hostCacheBytes: swap pool budget when numHostBlocks is 0.
     */
    public record Config(int blockSize, int numBlocks, long kvCacheBytes, int numHostBlocks, int maxNumBatchedTokens,
                         int maxNumSeqs, int maxLogprobs, int numThreads, int kvCacheDtype, int maxModelLen,
                         int maxLogitRows, long hostCacheBytes) {
        public Config(int blockSize, int numBlocks, long kvCacheBytes, int numHostBlocks, int maxNumBatchedTokens,
                      int maxNumSeqs, int maxLogprobs, int numThreads) {
            this(blockSize, numBlocks, kvCacheBytes, numHostBlocks, maxNumBatchedTokens, maxNumSeqs, maxLogprobs,
                    numThreads, -1, 0, 0, 0);
        }
    }

    public record Info(String backend, int blockSize, int numBlocks, int numHostBlocks, int numThreads,
                       long blockBytes, int maxBlocksPerSeq, int kvCacheDtype, int maxModelLen, int maxLogitRows) {}

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final NativeModel model;
    private final Arena arena = Arena.ofShared();
    private MemorySegment handle;
    private final Info info;
    private final int maxTokens, maxSeqs, maxRows, maxLogprobs, vocab;
    private final MemorySegment batch, tokenIds, positions, slots, queryStart, contextLens, blockTables, rowIdx;
    private final MemorySegment params, out, outTokens, outLogprobs, topIds, topLogprobs;
    private Arena extraArena = Arena.ofShared();
    private MemorySegment extra;  // per-step variable arrays (penalty histories, biases, masks)

    public NativeExecutor(NativeModel model, Config c) {
        this.model = model;
        this.vocab = model.info().vocabSize();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment p = jllm_h.jllm_engine_default_params(tmp);
            jllm_engine_params.block_size(p, c.blockSize());
            jllm_engine_params.num_blocks(p, c.numBlocks());
            if (c.kvCacheBytes() > 0) jllm_engine_params.kv_cache_bytes(p, c.kvCacheBytes());
            jllm_engine_params.num_host_blocks(p, c.numHostBlocks());
            jllm_engine_params.max_num_batched_tokens(p, c.maxNumBatchedTokens());
            jllm_engine_params.max_num_seqs(p, c.maxNumSeqs());
            jllm_engine_params.max_logit_rows(p, c.maxLogitRows());
            jllm_engine_params.max_logprobs(p, c.maxLogprobs());
            jllm_engine_params.num_threads(p, c.numThreads());
            jllm_engine_params.kv_cache_dtype(p, c.kvCacheDtype());
            jllm_engine_params.max_model_len(p, c.maxModelLen());
            jllm_engine_params.host_cache_bytes(p, c.hostCacheBytes());
            MemorySegment o = tmp.allocate(ValueLayout.ADDRESS);
            NativeLibrary.check(jllm_h.jllm_engine_create(model.handle(), p, o));
            handle = o.get(ValueLayout.ADDRESS, 0);
            MemorySegment ei = jllm_engine_info.allocate(tmp);
            NativeLibrary.check(jllm_h.jllm_engine_get_info(handle, ei));
            info = new Info(jllm_engine_info.backend(ei).getString(0), jllm_engine_info.block_size(ei),
                    jllm_engine_info.num_blocks(ei), jllm_engine_info.num_host_blocks(ei),
                    jllm_engine_info.num_threads(ei), jllm_engine_info.block_bytes(ei),
                    jllm_engine_info.max_blocks_per_seq(ei), jllm_engine_info.kv_cache_dtype(ei),
                    jllm_engine_info.max_model_len(ei), jllm_engine_info.max_logit_rows(ei));
        }
        maxTokens = c.maxNumBatchedTokens();
        maxSeqs = c.maxNumSeqs();
        maxRows = info.maxLogitRows();
        maxLogprobs = Math.max(1, Math.min(c.maxLogprobs(), vocab));
        batch = jllm_batch.allocate(arena);
        tokenIds = arena.allocate(I32, maxTokens);
        positions = arena.allocate(I32, maxTokens);
        slots = arena.allocate(I64, maxTokens);
        queryStart = arena.allocate(I32, maxSeqs + 1);
        contextLens = arena.allocate(I32, maxSeqs);
        blockTables = arena.allocate(I32, (long) maxSeqs * info.maxBlocksPerSeq());
        rowIdx = arena.allocate(I32, maxRows);
        params = jllm_sampling_params.allocateArray(maxRows, arena);
        out = jllm_step_output.allocate(arena);
        outTokens = arena.allocate(I32, maxRows);
        outLogprobs = arena.allocate(F32, maxRows);
        topIds = arena.allocate(I32, (long) maxRows * maxLogprobs);
        topLogprobs = arena.allocate(F32, (long) maxRows * maxLogprobs);
        extra = extraArena.allocate(1 << 20, 8);
        jllm_step_output.token_ids(out, outTokens);
        jllm_step_output.logprobs(out, outLogprobs);
        jllm_step_output.top_ids(out, topIds);
        jllm_step_output.top_logprobs(out, topLogprobs);
        jllm_step_output.top_stride(out, maxLogprobs);
        jllm_step_output.logits(out, MemorySegment.NULL);
    }

    public Info info() {
        return info;
    }

    @Override public int vocabSize() { return vocab; }
    @Override public int maxModelLen() { return info.maxModelLen(); }
    @Override public int maxLogitRows() { return maxRows; }
    @Override public int blockSize() { return info.blockSize(); }
    @Override public int numBlocks() { return info.numBlocks(); }
    @Override public int numHostBlocks() { return info.numHostBlocks(); }
    @Override public int maxLogprobs() { return maxLogprobs; }

    /** Bytes the variable per-row arrays of this batch need. */
    private static long extraBytes(StepBatch b) {
        long n = 0;
        for (int r = 0; r < b.numRows; r++) {
            StepBatch.SamplingRow s = b.rows[r];
            n += 4L * (s.numPromptTokens + s.numOutputTokens + 2L * s.numBias) + 32;
            if (s.allowedMask != null) n += 4L * s.allowedMask.length + 8;
        }
        return n;
    }

    @Override
    public void step(StepBatch b, StepResult result) {
        if (b.numTokens > maxTokens || b.numSeqs > maxSeqs || b.numRows > maxRows)
            throw new IllegalArgumentException("batch exceeds the engine's budgets");
        int stride = info.maxBlocksPerSeq();
        if (b.stride != stride) throw new IllegalArgumentException("block table stride " + b.stride + " != " + stride);
        MemorySegment.copy(b.tokenIds, 0, tokenIds, I32, 0, b.numTokens);
        MemorySegment.copy(b.positions, 0, positions, I32, 0, b.numTokens);
        MemorySegment.copy(b.slots, 0, slots, I64, 0, b.numTokens);
        MemorySegment.copy(b.queryStart, 0, queryStart, I32, 0, b.numSeqs + 1);
        MemorySegment.copy(b.contextLens, 0, contextLens, I32, 0, b.numSeqs);
        MemorySegment.copy(b.blockTables, 0, blockTables, I32, 0, b.numSeqs * stride);
        MemorySegment.copy(b.rowTokenIndex, 0, rowIdx, I32, 0, b.numRows);
        jllm_batch.num_tokens(batch, b.numTokens);
        jllm_batch.token_ids(batch, tokenIds);
        jllm_batch.positions(batch, positions);
        jllm_batch.slot_mapping(batch, slots);
        jllm_batch.num_seqs(batch, b.numSeqs);
        jllm_batch.query_start(batch, queryStart);
        jllm_batch.context_lens(batch, contextLens);
        jllm_batch.block_tables(batch, blockTables);
        jllm_batch.block_table_stride(batch, stride);
        jllm_batch.num_logit_rows(batch, b.numRows);
        jllm_batch.logit_token_index(batch, rowIdx);

        long need = extraBytes(b);
        if (need > extra.byteSize()) {
            extraArena.close();
            extraArena = Arena.ofShared();
            extra = extraArena.allocate(Math.max(need, extra.byteSize() * 2), 8);
        }
        long off = 0;
        for (int r = 0; r < b.numRows; r++) {
            StepBatch.SamplingRow s = b.rows[r];
            MemorySegment p = jllm_sampling_params.asSlice(params, r);
            jllm_sampling_params.temperature(p, s.temperature);
            jllm_sampling_params.top_k(p, s.topK);
            jllm_sampling_params.top_p(p, s.topP);
            jllm_sampling_params.min_p(p, s.minP);
            jllm_sampling_params.repetition_penalty(p, s.repetitionPenalty);
            jllm_sampling_params.presence_penalty(p, s.presencePenalty);
            jllm_sampling_params.frequency_penalty(p, s.frequencyPenalty);
            jllm_sampling_params.seed(p, s.seed);
            jllm_sampling_params.rng_step(p, s.rngStep);
            jllm_sampling_params.num_logprobs(p, Math.min(s.numLogprobs, maxLogprobs));
            jllm_sampling_params.forced_token(p, s.forcedToken);
            off = putInts(p, off, s.promptTokens, 0, s.numPromptTokens, true);
            off = putInts(p, off, s.outputTokens, s.outputOffset, s.numOutputTokens, false);
            jllm_sampling_params.num_bias(p, s.numBias);
            if (s.numBias > 0) {
                MemorySegment ids = extra.asSlice(off, 4L * s.numBias);
                MemorySegment.copy(s.biasIds, 0, ids, I32, 0, s.numBias);
                off += 4L * s.numBias;
                MemorySegment vals = extra.asSlice(off, 4L * s.numBias);
                MemorySegment.copy(s.biasValues, 0, vals, F32, 0, s.numBias);
                off += 4L * s.numBias;
                jllm_sampling_params.bias_token_ids(p, ids);
                jllm_sampling_params.bias_values(p, vals);
            } else {
                jllm_sampling_params.bias_token_ids(p, MemorySegment.NULL);
                jllm_sampling_params.bias_values(p, MemorySegment.NULL);
            }
            if (s.allowedMask != null) {
                MemorySegment m = extra.asSlice(off, 4L * s.allowedMask.length);
                MemorySegment.copy(s.allowedMask, 0, m, I32, 0, s.allowedMask.length);
                off += 4L * s.allowedMask.length;
                jllm_sampling_params.allowed_mask(p, m);
            } else {
                jllm_sampling_params.allowed_mask(p, MemorySegment.NULL);
            }
        }
        NativeLibrary.check(jllm_h.jllm_engine_step(handle(), batch, params, out));
        MemorySegment.copy(outTokens, I32, 0, result.tokens, 0, b.numRows);
        MemorySegment.copy(outLogprobs, F32, 0, result.logprobs, 0, b.numRows);
        for (int r = 0; r < b.numRows; r++) {
            int n = Math.min(b.rows[r].numLogprobs, Math.min(maxLogprobs, result.topStride));
            if (n == 0) continue;
            MemorySegment.copy(topIds, I32, 4L * r * maxLogprobs, result.topIds, r * result.topStride, n);
            MemorySegment.copy(topLogprobs, F32, 4L * r * maxLogprobs, result.topLogprobs, r * result.topStride, n);
        }
    }

    private long putInts(MemorySegment p, long off, int[] src, int from, int n, boolean prompt) {
        MemorySegment seg = MemorySegment.NULL;
        if (n > 0) {
            seg = extra.asSlice(off, 4L * n);
            MemorySegment.copy(src, from, seg, I32, 0, n);
            off += 4L * n;
        }
        if (prompt) {
            jllm_sampling_params.prompt_tokens(p, seg);
            jllm_sampling_params.num_prompt_tokens(p, n);
        } else {
            jllm_sampling_params.output_tokens(p, seg);
            jllm_sampling_params.num_output_tokens(p, n);
        }
        return off;
    }

    private void blockOp(int op, int[] src, int[] dst, int n) {
        if (n == 0) return;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment s = tmp.allocateFrom(I32, java.util.Arrays.copyOf(src, n));
            MemorySegment d = tmp.allocateFrom(I32, java.util.Arrays.copyOf(dst, n));
            int st = switch (op) {
                case 0 -> jllm_h.jllm_engine_copy_blocks(handle(), s, d, n);
                case 1 -> jllm_h.jllm_engine_swap_out(handle(), s, d, n);
                default -> jllm_h.jllm_engine_swap_in(handle(), s, d, n);
            };
            NativeLibrary.check(st);
        }
    }

    @Override public void copyBlocks(int[] src, int[] dst, int n) { blockOp(0, src, dst, n); }
    @Override public void swapOut(int[] src, int[] dst, int n) { blockOp(1, src, dst, n); }
    @Override public void swapIn(int[] src, int[] dst, int n) { blockOp(2, src, dst, n); }

    private MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("engine is closed");
        return handle;
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            jllm_h.jllm_engine_free(handle);
            handle = null;
            arena.close();
            extraArena.close();
        }
    }
}
