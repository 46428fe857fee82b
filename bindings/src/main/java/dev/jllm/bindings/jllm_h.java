package dev.jllm.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Downcalls and constants of native/include/jllm.h, hand-kept in the shape jextract generates (one nested holder
 * class per function, created on first use). libjllm must already be loaded by this class loader
 * (System.load), which dev.jllm.engine.nativeapi.NativeLibrary does. JllmHeaderTest checks every function, constant
 * and struct field against the header.
 */
public final class jllm_h {
    private jllm_h() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup SYMBOL_LOOKUP = SymbolLookup.loaderLookup().or(LINKER.defaultLookup());

    static MemorySegment findOrThrow(String symbol) {
        return SYMBOL_LOOKUP.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError("unresolved symbol: " + symbol));
    }

    public static int JLLM_ABI_VERSION() {
        return 3;
    }
    public static int JLLM_OK() {
        return 0;
    }
    public static int JLLM_INVALID_ARGUMENT() {
        return 1;
    }
    public static int JLLM_HOST_OOM() {
        return 2;
    }
    public static int JLLM_DEVICE_OOM() {
        return 3;
    }
    public static int JLLM_NO_FREE_BLOCKS() {
        return 4;
    }
    public static int JLLM_UNSUPPORTED() {
        return 5;
    }
    public static int JLLM_IO_ERROR() {
        return 6;
    }
    public static int JLLM_CUDA_ERROR() {
        return 7;
    }
    public static int JLLM_INTERNAL() {
        return 8;
    }
    public static int JLLM_DTYPE_F32() {
        return 0;
    }
    public static int JLLM_DTYPE_F16() {
        return 1;
    }
    public static int JLLM_DTYPE_Q4_0() {
        return 2;
    }
    public static int JLLM_DTYPE_Q4_1() {
        return 3;
    }
    public static int JLLM_DTYPE_Q5_0() {
        return 6;
    }
    public static int JLLM_DTYPE_Q5_1() {
        return 7;
    }
    public static int JLLM_DTYPE_Q8_0() {
        return 8;
    }
    public static int JLLM_DTYPE_Q2_K() {
        return 10;
    }
    public static int JLLM_DTYPE_Q3_K() {
        return 11;
    }
    public static int JLLM_DTYPE_Q4_K() {
        return 12;
    }
    public static int JLLM_DTYPE_Q5_K() {
        return 13;
    }
    public static int JLLM_DTYPE_Q6_K() {
        return 14;
    }
    public static int JLLM_DTYPE_BF16() {
        return 30;
    }
    public static int JLLM_DTYPE_AUTO() {
        return -1;
    }
    public static int JLLM_DUMMY_Q4_K_M() {
        return 1015;
    }
    public static int JLLM_POOLING_LAST() {
        return 0;
    }
    public static int JLLM_POOLING_CLS() {
        return 1;
    }
    public static int JLLM_POOLING_MEAN() {
        return 2;
    }
    public static int JLLM_LOAD_AUTO() {
        return 0;
    }
    public static int JLLM_LOAD_SAFETENSORS() {
        return 1;
    }
    public static int JLLM_LOAD_GGUF() {
        return 2;
    }
    public static int JLLM_LOAD_DUMMY() {
        return 3;
    }
    public static int JLLM_LOG_DEBUG() {
        return 0;
    }
    public static int JLLM_LOG_INFO() {
        return 1;
    }
    public static int JLLM_LOG_WARN() {
        return 2;
    }
    public static int JLLM_LOG_ERROR() {
        return 3;
    }

    private static final class jllm_abi_version {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_abi_version"), DESC);
    }

    public static FunctionDescriptor jllm_abi_version$descriptor() {
        return jllm_abi_version.DESC;
    }

    public static int jllm_abi_version() {
        try {
            return (int) jllm_abi_version.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_build_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_build_info"), DESC);
    }

    public static FunctionDescriptor jllm_build_info$descriptor() {
        return jllm_build_info.DESC;
    }

    public static MemorySegment jllm_build_info() {
        try {
            return (MemorySegment) jllm_build_info.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_status_str {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_POINTER, CLayouts.C_INT);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_status_str"), DESC);
    }

    public static FunctionDescriptor jllm_status_str$descriptor() {
        return jllm_status_str.DESC;
    }

    public static MemorySegment jllm_status_str(int status) {
        try {
            return (MemorySegment) jllm_status_str.HANDLE.invokeExact(status);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_last_error {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_last_error"), DESC);
    }

    public static FunctionDescriptor jllm_last_error$descriptor() {
        return jllm_last_error.DESC;
    }

    public static MemorySegment jllm_last_error() {
        try {
            return (MemorySegment) jllm_last_error.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_log_set {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_log_set"), DESC);
    }

    public static FunctionDescriptor jllm_log_set$descriptor() {
        return jllm_log_set.DESC;
    }

    public static void jllm_log_set(MemorySegment callback) {
        try {
            jllm_log_set.HANDLE.invokeExact(callback);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_model_default_params {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(jllm_model_params.layout());
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_model_default_params"), DESC);
    }

    public static FunctionDescriptor jllm_model_default_params$descriptor() {
        return jllm_model_default_params.DESC;
    }

    public static MemorySegment jllm_model_default_params(SegmentAllocator allocator) {
        try {
            return (MemorySegment) jllm_model_default_params.HANDLE.invokeExact(allocator);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_model_load {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_model_load"), DESC);
    }

    public static FunctionDescriptor jllm_model_load$descriptor() {
        return jllm_model_load.DESC;
    }

    public static int jllm_model_load(MemorySegment path, MemorySegment params, MemorySegment out) {
        try {
            return (int) jllm_model_load.HANDLE.invokeExact(path, params, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_model_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_model_free"), DESC);
    }

    public static FunctionDescriptor jllm_model_free$descriptor() {
        return jllm_model_free.DESC;
    }

    public static void jllm_model_free(MemorySegment model) {
        try {
            jllm_model_free.HANDLE.invokeExact(model);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_model_get_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_model_get_info"), DESC);
    }

    public static FunctionDescriptor jllm_model_get_info$descriptor() {
        return jllm_model_get_info.DESC;
    }

    public static int jllm_model_get_info(MemorySegment model, MemorySegment out) {
        try {
            return (int) jllm_model_get_info.HANDLE.invokeExact(model, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_default_params {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(jllm_engine_params.layout());
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_default_params"), DESC);
    }

    public static FunctionDescriptor jllm_engine_default_params$descriptor() {
        return jllm_engine_default_params.DESC;
    }

    public static MemorySegment jllm_engine_default_params(SegmentAllocator allocator) {
        try {
            return (MemorySegment) jllm_engine_default_params.HANDLE.invokeExact(allocator);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_create"), DESC);
    }

    public static FunctionDescriptor jllm_engine_create$descriptor() {
        return jllm_engine_create.DESC;
    }

    public static int jllm_engine_create(MemorySegment model, MemorySegment params, MemorySegment out) {
        try {
            return (int) jllm_engine_create.HANDLE.invokeExact(model, params, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_free"), DESC);
    }

    public static FunctionDescriptor jllm_engine_free$descriptor() {
        return jllm_engine_free.DESC;
    }

    public static void jllm_engine_free(MemorySegment engine) {
        try {
            jllm_engine_free.HANDLE.invokeExact(engine);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_get_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_get_info"), DESC);
    }

    public static FunctionDescriptor jllm_engine_get_info$descriptor() {
        return jllm_engine_get_info.DESC;
    }

    public static int jllm_engine_get_info(MemorySegment engine, MemorySegment out) {
        try {
            return (int) jllm_engine_get_info.HANDLE.invokeExact(engine, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_sampling_default_params {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(jllm_sampling_params.layout());
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_sampling_default_params"), DESC);
    }

    public static FunctionDescriptor jllm_sampling_default_params$descriptor() {
        return jllm_sampling_default_params.DESC;
    }

    public static MemorySegment jllm_sampling_default_params(SegmentAllocator allocator) {
        try {
            return (MemorySegment) jllm_sampling_default_params.HANDLE.invokeExact(allocator);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_step {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_step"), DESC);
    }

    public static FunctionDescriptor jllm_engine_step$descriptor() {
        return jllm_engine_step.DESC;
    }

    public static int jllm_engine_step(MemorySegment engine, MemorySegment batch, MemorySegment params, MemorySegment out) {
        try {
            return (int) jllm_engine_step.HANDLE.invokeExact(engine, batch, params, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_embed {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_embed"), DESC);
    }

    public static FunctionDescriptor jllm_engine_embed$descriptor() {
        return jllm_engine_embed.DESC;
    }

    public static int jllm_engine_embed(MemorySegment engine, MemorySegment batch, MemorySegment out) {
        try {
            return (int) jllm_engine_embed.HANDLE.invokeExact(engine, batch, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_sample {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_INT, CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_sample"), DESC);
    }

    public static FunctionDescriptor jllm_sample$descriptor() {
        return jllm_sample.DESC;
    }

    public static int jllm_sample(MemorySegment logits, int rows, int vocab, MemorySegment params, MemorySegment out) {
        try {
            return (int) jllm_sample.HANDLE.invokeExact(logits, rows, vocab, params, out);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_copy_blocks {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_INT);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_copy_blocks"), DESC);
    }

    public static FunctionDescriptor jllm_engine_copy_blocks$descriptor() {
        return jllm_engine_copy_blocks.DESC;
    }

    public static int jllm_engine_copy_blocks(MemorySegment engine, MemorySegment src, MemorySegment dst, int n) {
        try {
            return (int) jllm_engine_copy_blocks.HANDLE.invokeExact(engine, src, dst, n);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_swap_out {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_INT);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_swap_out"), DESC);
    }

    public static FunctionDescriptor jllm_engine_swap_out$descriptor() {
        return jllm_engine_swap_out.DESC;
    }

    public static int jllm_engine_swap_out(MemorySegment engine, MemorySegment src, MemorySegment dst, int n) {
        try {
            return (int) jllm_engine_swap_out.HANDLE.invokeExact(engine, src, dst, n);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
    private static final class jllm_engine_swap_in {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(CLayouts.C_INT, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_POINTER, CLayouts.C_INT);
        static final MethodHandle HANDLE = LINKER.downcallHandle(findOrThrow("jllm_engine_swap_in"), DESC);
    }

    public static FunctionDescriptor jllm_engine_swap_in$descriptor() {
        return jllm_engine_swap_in.DESC;
    }

    public static int jllm_engine_swap_in(MemorySegment engine, MemorySegment src, MemorySegment dst, int n) {
        try {
            return (int) jllm_engine_swap_in.HANDLE.invokeExact(engine, src, dst, n);
        } catch (Throwable t) {
            throw new AssertionError("should not reach here", t);
        }
    }
}
