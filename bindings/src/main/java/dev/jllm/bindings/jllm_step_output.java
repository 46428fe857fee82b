package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_step_output} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_step_output {
    private jllm_step_output() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_step_output",
        CLayouts.C_POINTER.withName("token_ids"),
        CLayouts.C_POINTER.withName("logprobs"),
        CLayouts.C_POINTER.withName("top_ids"),
        CLayouts.C_POINTER.withName("top_logprobs"),
        CLayouts.C_INT.withName("top_stride"),
        CLayouts.C_POINTER.withName("logits"));

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

    private static final AddressLayout token_ids$LAYOUT = CLayouts.C_POINTER;
    private static final long token_ids$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("token_ids"));

    public static MemorySegment token_ids(MemorySegment struct) {
        return struct.get(token_ids$LAYOUT, token_ids$OFFSET);
    }

    public static void token_ids(MemorySegment struct, MemorySegment value) {
        struct.set(token_ids$LAYOUT, token_ids$OFFSET, value);
    }
    private static final AddressLayout logprobs$LAYOUT = CLayouts.C_POINTER;
    private static final long logprobs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("logprobs"));

    public static MemorySegment logprobs(MemorySegment struct) {
        return struct.get(logprobs$LAYOUT, logprobs$OFFSET);
    }

    public static void logprobs(MemorySegment struct, MemorySegment value) {
        struct.set(logprobs$LAYOUT, logprobs$OFFSET, value);
    }
    private static final AddressLayout top_ids$LAYOUT = CLayouts.C_POINTER;
    private static final long top_ids$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("top_ids"));

    public static MemorySegment top_ids(MemorySegment struct) {
        return struct.get(top_ids$LAYOUT, top_ids$OFFSET);
    }

    public static void top_ids(MemorySegment struct, MemorySegment value) {
        struct.set(top_ids$LAYOUT, top_ids$OFFSET, value);
    }
    private static final AddressLayout top_logprobs$LAYOUT = CLayouts.C_POINTER;
    private static final long top_logprobs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("top_logprobs"));

    public static MemorySegment top_logprobs(MemorySegment struct) {
        return struct.get(top_logprobs$LAYOUT, top_logprobs$OFFSET);
    }

    public static void top_logprobs(MemorySegment struct, MemorySegment value) {
        struct.set(top_logprobs$LAYOUT, top_logprobs$OFFSET, value);
    }
    private static final ValueLayout.OfInt top_stride$LAYOUT = CLayouts.C_INT;
    private static final long top_stride$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("top_stride"));

    public static int top_stride(MemorySegment struct) {
        return struct.get(top_stride$LAYOUT, top_stride$OFFSET);
    }

    public static void top_stride(MemorySegment struct, int value) {
        struct.set(top_stride$LAYOUT, top_stride$OFFSET, value);
    }
    private static final AddressLayout logits$LAYOUT = CLayouts.C_POINTER;
    private static final long logits$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("logits"));

    public static MemorySegment logits(MemorySegment struct) {
        return struct.get(logits$LAYOUT, logits$OFFSET);
    }

    public static void logits(MemorySegment struct, MemorySegment value) {
        struct.set(logits$LAYOUT, logits$OFFSET, value);
    }
}
