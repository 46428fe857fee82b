package dev.jllm.engine.nativeapi;

import dev.jllm.bindings.jllm_h;
import dev.jllm.bindings.jllm_model_info;
import dev.jllm.bindings.jllm_model_params;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Model weights held by libjllm (memory-mapped where possible); freed by {@link #close}. */
public final class NativeModel implements AutoCloseable {
    /** Load formats (jllm.h JLLM_LOAD_*). */
    public enum Format { AUTO, SAFETENSORS, GGUF, DUMMY }

    public record Info(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                       int numHeads, int numKvHeads, int headDim, int maxModelLen, int bosTokenId, int eosTokenId,
                       int weightDtype, long numParams, long weightBytes) {}

    private MemorySegment handle;
    private final Info info;

    private NativeModel(MemorySegment handle, Info info) {
        this.handle = handle;
        this.info = info;
    }

    /** Loads a model directory or .gguf file; maxModelLen 0 keeps the model's own length. */
    public static NativeModel load(String path, Format format, long dummySeed, int maxModelLen) {
        return load(path, format, dummySeed, maxModelLen, -1);
    }

    /**
     * dtype: the storage of float weight matrices, a JLLM_DTYPE_* (F32, F16, BF16) or -1 (auto: as stored; dummy
     * weights follow config.json's torch_dtype).
     */
    public static NativeModel load(String path, Format format, long dummySeed, int maxModelLen, int dtype) {
        NativeLibrary.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = jllm_h.jllm_model_default_params(arena);
            jllm_model_params.load_format(params, format.ordinal());
            jllm_model_params.dummy_seed(params, dummySeed);
            jllm_model_params.max_model_len(params, maxModelLen);
            jllm_model_params.dtype(params, dtype);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            NativeLibrary.check(jllm_h.jllm_model_load(arena.allocateFrom(path), params, out));
            MemorySegment handle = out.get(ValueLayout.ADDRESS, 0);
            MemorySegment mi = jllm_model_info.allocate(arena);
            int st = jllm_h.jllm_model_get_info(handle, mi);
            if (st != 0) {
                jllm_h.jllm_model_free(handle);
                NativeLibrary.check(st);
            }
            Info info = new Info(jllm_model_info.architecture(mi).getString(0), jllm_model_info.vocab_size(mi),
                    jllm_model_info.hidden_size(mi), jllm_model_info.intermediate_size(mi),
                    jllm_model_info.num_layers(mi), jllm_model_info.num_heads(mi), jllm_model_info.num_kv_heads(mi),
                    jllm_model_info.head_dim(mi), jllm_model_info.max_model_len(mi), jllm_model_info.bos_token_id(mi),
                    jllm_model_info.eos_token_id(mi), jllm_model_info.weight_dtype(mi), jllm_model_info.num_params(mi),
                    jllm_model_info.weight_bytes(mi));
            return new NativeModel(handle, info);
        }
    }

    public Info info() {
        return info;
    }

    MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("model is closed");
        return handle;
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            jllm_h.jllm_model_free(handle);
            handle = null;
        }
    }
}
