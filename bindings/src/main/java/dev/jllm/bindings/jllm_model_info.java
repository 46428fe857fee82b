package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_model_info} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_model_info {
    private jllm_model_info() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_model_info",
        MemoryLayout.sequenceLayout(64, ValueLayout.JAVA_BYTE).withName("architecture"),
        CLayouts.C_INT.withName("vocab_size"),
        CLayouts.C_INT.withName("hidden_size"),
        CLayouts.C_INT.withName("intermediate_size"),
        CLayouts.C_INT.withName("num_layers"),
        CLayouts.C_INT.withName("num_heads"),
        CLayouts.C_INT.withName("num_kv_heads"),
        CLayouts.C_INT.withName("head_dim"),
        CLayouts.C_INT.withName("max_model_len"),
        CLayouts.C_INT.withName("bos_token_id"),
        CLayouts.C_INT.withName("eos_token_id"),
        CLayouts.C_INT.withName("weight_dtype"),
        CLayouts.C_LONG.withName("num_params"),
        CLayouts.C_LONG.withName("weight_bytes"));

    public static StructLayout layout() {
        return LAYOUT;
    }

    public static long sizeof() {
        return LAYOUT.byteSize();
    }

    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT);
    }

    public static MemorySegment allocateArray(long count, SegmentAllocator allocator) {
        return allocator.allocate(MemoryLayout.sequenceLayout(count, LAYOUT));
    }

    public static MemorySegment asSlice(MemorySegment array, long index) {
        return array.asSlice(LAYOUT.byteSize() * index, LAYOUT.byteSize());
    }

    /** architecture: char[64], a NUL-terminated string. */
    public static MemorySegment architecture(MemorySegment struct) {
        return struct.asSlice(LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("architecture")), 64);
    }
    private static final ValueLayout.OfInt vocab_size$LAYOUT = CLayouts.C_INT;
    private static final long vocab_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("vocab_size"));

    public static int vocab_size(MemorySegment struct) {
        return struct.get(vocab_size$LAYOUT, vocab_size$OFFSET);
    }

    public static void vocab_size(MemorySegment struct, int value) {
        struct.set(vocab_size$LAYOUT, vocab_size$OFFSET, value);
    }
    private static final ValueLayout.OfInt hidden_size$LAYOUT = CLayouts.C_INT;
    private static final long hidden_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("hidden_size"));

    public static int hidden_size(MemorySegment struct) {
        return struct.get(hidden_size$LAYOUT, hidden_size$OFFSET);
    }

    public static void hidden_size(MemorySegment struct, int value) {
        struct.set(hidden_size$LAYOUT, hidden_size$OFFSET, value);
    }
    private static final ValueLayout.OfInt intermediate_size$LAYOUT = CLayouts.C_INT;
    private static final long intermediate_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("intermediate_size"));

    public static int intermediate_size(MemorySegment struct) {
        return struct.get(intermediate_size$LAYOUT, intermediate_size$OFFSET);
    }

    public static void intermediate_size(MemorySegment struct, int value) {
        struct.set(intermediate_size$LAYOUT, intermediate_size$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_layers$LAYOUT = CLayouts.C_INT;
    private static final long num_layers$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_layers"));

    public static int num_layers(MemorySegment struct) {
        return struct.get(num_layers$LAYOUT, num_layers$OFFSET);
    }

    public static void num_layers(MemorySegment struct, int value) {
        struct.set(num_layers$LAYOUT, num_layers$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_heads$LAYOUT = CLayouts.C_INT;
    private static final long num_heads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_heads"));

    public static int num_heads(MemorySegment struct) {
        return struct.get(num_heads$LAYOUT, num_heads$OFFSET);
    }

    public static void num_heads(MemorySegment struct, int value) {
        struct.set(num_heads$LAYOUT, num_heads$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_kv_heads$LAYOUT = CLayouts.C_INT;
    private static final long num_kv_heads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_kv_heads"));

    public static int num_kv_heads(MemorySegment struct) {
        return struct.get(num_kv_heads$LAYOUT, num_kv_heads$OFFSET);
    }

    public static void num_kv_heads(MemorySegment struct, int value) {
        struct.set(num_kv_heads$LAYOUT, num_kv_heads$OFFSET, value);
    }
    private static final ValueLayout.OfInt head_dim$LAYOUT = CLayouts.C_INT;
    private static final long head_dim$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("head_dim"));

    public static int head_dim(MemorySegment struct) {
        return struct.get(head_dim$LAYOUT, head_dim$OFFSET);
    }

    public static void head_dim(MemorySegment struct, int value) {
        struct.set(head_dim$LAYOUT, head_dim$OFFSET, value);
    }
    private static final ValueLayout.OfInt max_model_len$LAYOUT = CLayouts.C_INT;
    private static final long max_model_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_model_len"));

    public static int max_model_len(MemorySegment struct) {
        return struct.get(max_model_len$LAYOUT, max_model_len$OFFSET);
    }

    public static void max_model_len(MemorySegment struct, int value) {
        struct.set(max_model_len$LAYOUT, max_model_len$OFFSET, value);
    }
    private static final ValueLayout.OfInt bos_token_id$LAYOUT = CLayouts.C_INT;
    private static final long bos_token_id$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("bos_token_id"));

    public static int bos_token_id(MemorySegment struct) {
        return struct.get(bos_token_id$LAYOUT, bos_token_id$OFFSET);
    }

    public static void bos_token_id(MemorySegment struct, int value) {
        struct.set(bos_token_id$LAYOUT, bos_token_id$OFFSET, value);
    }
    private static final ValueLayout.OfInt eos_token_id$LAYOUT = CLayouts.C_INT;
    private static final long eos_token_id$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("eos_token_id"));

    public static int eos_token_id(MemorySegment struct) {
        return struct.get(eos_token_id$LAYOUT, eos_token_id$OFFSET);
    }

    public static void eos_token_id(MemorySegment struct, int value) {
        struct.set(eos_token_id$LAYOUT, eos_token_id$OFFSET, value);
    }
    private static final ValueLayout.OfInt weight_dtype$LAYOUT = CLayouts.C_INT;
    private static final long weight_dtype$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("weight_dtype"));

    public static int weight_dtype(MemorySegment struct) {
        return struct.get(weight_dtype$LAYOUT, weight_dtype$OFFSET);
    }

    public static void weight_dtype(MemorySegment struct, int value) {
        struct.set(weight_dtype$LAYOUT, weight_dtype$OFFSET, value);
    }
    private static final ValueLayout.OfLong num_params$LAYOUT = CLayouts.C_LONG;
    private static final long num_params$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_params"));

    public static long num_params(MemorySegment struct) {
        return struct.get(num_params$LAYOUT, num_params$OFFSET);
    }

    public static void num_params(MemorySegment struct, long value) {
        struct.set(num_params$LAYOUT, num_params$OFFSET, value);
    }
    private static final ValueLayout.OfLong weight_bytes$LAYOUT = CLayouts.C_LONG;
    private static final long weight_bytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("weight_bytes"));

    public static long weight_bytes(MemorySegment struct) {
        return struct.get(weight_bytes$LAYOUT, weight_bytes$OFFSET);
    }

    public static void weight_bytes(MemorySegment struct, long value) {
        struct.set(weight_bytes$LAYOUT, weight_bytes$OFFSET, value);
    }
}
