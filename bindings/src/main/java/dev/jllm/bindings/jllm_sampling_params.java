package dev.jllm.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** {@code jllm_sampling_params} of jllm.h (hand-kept in jextract's shape; JllmHeaderTest checks it against the header). */
public final class jllm_sampling_params {
    private jllm_sampling_params() {}

    private static final StructLayout LAYOUT = CLayouts.struct("jllm_sampling_params",
        CLayouts.C_FLOAT.withName("temperature"),
        CLayouts.C_INT.withName("top_k"),
        CLayouts.C_FLOAT.withName("top_p"),
        CLayouts.C_FLOAT.withName("min_p"),
        CLayouts.C_FLOAT.withName("repetition_penalty"),
        CLayouts.C_FLOAT.withName("presence_penalty"),
        CLayouts.C_FLOAT.withName("frequency_penalty"),
        CLayouts.C_LONG.withName("seed"),
        CLayouts.C_LONG.withName("rng_step"),
        CLayouts.C_INT.withName("num_logprobs"),
        CLayouts.C_INT.withName("forced_token"),
        CLayouts.C_POINTER.withName("prompt_tokens"),
        CLayouts.C_INT.withName("num_prompt_tokens"),
        CLayouts.C_POINTER.withName("output_tokens"),
        CLayouts.C_INT.withName("num_output_tokens"),
        CLayouts.C_POINTER.withName("bias_token_ids"),
        CLayouts.C_POINTER.withName("bias_values"),
        CLayouts.C_INT.withName("num_bias"),
        CLayouts.C_POINTER.withName("allowed_mask"));

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

    private static final ValueLayout.OfFloat temperature$LAYOUT = CLayouts.C_FLOAT;
    private static final long temperature$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("temperature"));

    public static float temperature(MemorySegment struct) {
        return struct.get(temperature$LAYOUT, temperature$OFFSET);
    }

    public static void temperature(MemorySegment struct, float value) {
        struct.set(temperature$LAYOUT, temperature$OFFSET, value);
    }
    private static final ValueLayout.OfInt top_k$LAYOUT = CLayouts.C_INT;
    private static final long top_k$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("top_k"));

    public static int top_k(MemorySegment struct) {
        return struct.get(top_k$LAYOUT, top_k$OFFSET);
    }

    public static void top_k(MemorySegment struct, int value) {
        struct.set(top_k$LAYOUT, top_k$OFFSET, value);
    }
    private static final ValueLayout.OfFloat top_p$LAYOUT = CLayouts.C_FLOAT;
    private static final long top_p$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("top_p"));

    public static float top_p(MemorySegment struct) {
        return struct.get(top_p$LAYOUT, top_p$OFFSET);
    }

    public static void top_p(MemorySegment struct, float value) {
        struct.set(top_p$LAYOUT, top_p$OFFSET, value);
    }
    private static final ValueLayout.OfFloat min_p$LAYOUT = CLayouts.C_FLOAT;
    private static final long min_p$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("min_p"));

    public static float min_p(MemorySegment struct) {
        return struct.get(min_p$LAYOUT, min_p$OFFSET);
    }

    public static void min_p(MemorySegment struct, float value) {
        struct.set(min_p$LAYOUT, min_p$OFFSET, value);
    }
    private static final ValueLayout.OfFloat repetition_penalty$LAYOUT = CLayouts.C_FLOAT;
    private static final long repetition_penalty$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("repetition_penalty"));

    public static float repetition_penalty(MemorySegment struct) {
        return struct.get(repetition_penalty$LAYOUT, repetition_penalty$OFFSET);
    }

    public static void repetition_penalty(MemorySegment struct, float value) {
        struct.set(repetition_penalty$LAYOUT, repetition_penalty$OFFSET, value);
    }
    private static final ValueLayout.OfFloat presence_penalty$LAYOUT = CLayouts.C_FLOAT;
    private static final long presence_penalty$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("presence_penalty"));

    public static float presence_penalty(MemorySegment struct) {
        return struct.get(presence_penalty$LAYOUT, presence_penalty$OFFSET);
    }

    public static void presence_penalty(MemorySegment struct, float value) {
        struct.set(presence_penalty$LAYOUT, presence_penalty$OFFSET, value);
    }
    private static final ValueLayout.OfFloat frequency_penalty$LAYOUT = CLayouts.C_FLOAT;
    private static final long frequency_penalty$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("frequency_penalty"));

    public static float frequency_penalty(MemorySegment struct) {
        return struct.get(frequency_penalty$LAYOUT, frequency_penalty$OFFSET);
    }

    public static void frequency_penalty(MemorySegment struct, float value) {
        struct.set(frequency_penalty$LAYOUT, frequency_penalty$OFFSET, value);
    }
    private static final ValueLayout.OfLong seed$LAYOUT = CLayouts.C_LONG;
    private static final long seed$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("seed"));

    public static long seed(MemorySegment struct) {
        return struct.get(seed$LAYOUT, seed$OFFSET);
    }

    public static void seed(MemorySegment struct, long value) {
        struct.set(seed$LAYOUT, seed$OFFSET, value);
    }
    private static final ValueLayout.OfLong rng_step$LAYOUT = CLayouts.C_LONG;
    private static final long rng_step$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rng_step"));

    public static long rng_step(MemorySegment struct) {
        return struct.get(rng_step$LAYOUT, rng_step$OFFSET);
    }

    public static void rng_step(MemorySegment struct, long value) {
        struct.set(rng_step$LAYOUT, rng_step$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_logprobs$LAYOUT = CLayouts.C_INT;
    private static final long num_logprobs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_logprobs"));

    public static int num_logprobs(MemorySegment struct) {
        return struct.get(num_logprobs$LAYOUT, num_logprobs$OFFSET);
    }

    public static void num_logprobs(MemorySegment struct, int value) {
        struct.set(num_logprobs$LAYOUT, num_logprobs$OFFSET, value);
    }
    private static final ValueLayout.OfInt forced_token$LAYOUT = CLayouts.C_INT;
    private static final long forced_token$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("forced_token"));

    public static int forced_token(MemorySegment struct) {
        return struct.get(forced_token$LAYOUT, forced_token$OFFSET);
    }

    public static void forced_token(MemorySegment struct, int value) {
        struct.set(forced_token$LAYOUT, forced_token$OFFSET, value);
    }
    private static final AddressLayout prompt_tokens$LAYOUT = CLayouts.C_POINTER;
    private static final long prompt_tokens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("prompt_tokens"));

    public static MemorySegment prompt_tokens(MemorySegment struct) {
        return struct.get(prompt_tokens$LAYOUT, prompt_tokens$OFFSET);
    }

    public static void prompt_tokens(MemorySegment struct, MemorySegment value) {
        struct.set(prompt_tokens$LAYOUT, prompt_tokens$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_prompt_tokens$LAYOUT = CLayouts.C_INT;
    private static final long num_prompt_tokens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_prompt_tokens"));

    public static int num_prompt_tokens(MemorySegment struct) {
        return struct.get(num_prompt_tokens$LAYOUT, num_prompt_tokens$OFFSET);
    }

    public static void num_prompt_tokens(MemorySegment struct, int value) {
        struct.set(num_prompt_tokens$LAYOUT, num_prompt_tokens$OFFSET, value);
    }
    private static final AddressLayout output_tokens$LAYOUT = CLayouts.C_POINTER;
    private static final long output_tokens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("output_tokens"));

    public static MemorySegment output_tokens(MemorySegment struct) {
        return struct.get(output_tokens$LAYOUT, output_tokens$OFFSET);
    }

    public static void output_tokens(MemorySegment struct, MemorySegment value) {
        struct.set(output_tokens$LAYOUT, output_tokens$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_output_tokens$LAYOUT = CLayouts.C_INT;
    private static final long num_output_tokens$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_output_tokens"));

    public static int num_output_tokens(MemorySegment struct) {
        return struct.get(num_output_tokens$LAYOUT, num_output_tokens$OFFSET);
    }

    public static void num_output_tokens(MemorySegment struct, int value) {
        struct.set(num_output_tokens$LAYOUT, num_output_tokens$OFFSET, value);
    }
    private static final AddressLayout bias_token_ids$LAYOUT = CLayouts.C_POINTER;
    private static final long bias_token_ids$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("bias_token_ids"));

    public static MemorySegment bias_token_ids(MemorySegment struct) {
        return struct.get(bias_token_ids$LAYOUT, bias_token_ids$OFFSET);
    }

    public static void bias_token_ids(MemorySegment struct, MemorySegment value) {
        struct.set(bias_token_ids$LAYOUT, bias_token_ids$OFFSET, value);
    }
    private static final AddressLayout bias_values$LAYOUT = CLayouts.C_POINTER;
    private static final long bias_values$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("bias_values"));

    public static MemorySegment bias_values(MemorySegment struct) {
        return struct.get(bias_values$LAYOUT, bias_values$OFFSET);
    }

    public static void bias_values(MemorySegment struct, MemorySegment value) {
        struct.set(bias_values$LAYOUT, bias_values$OFFSET, value);
    }
    private static final ValueLayout.OfInt num_bias$LAYOUT = CLayouts.C_INT;
    private static final long num_bias$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("num_bias"));

    public static int num_bias(MemorySegment struct) {
        return struct.get(num_bias$LAYOUT, num_bias$OFFSET);
    }

    public static void num_bias(MemorySegment struct, int value) {
        struct.set(num_bias$LAYOUT, num_bias$OFFSET, value);
    }
    private static final AddressLayout allowed_mask$LAYOUT = CLayouts.C_POINTER;
    private static final long allowed_mask$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("allowed_mask"));

    public static MemorySegment allowed_mask(MemorySegment struct) {
        return struct.get(allowed_mask$LAYOUT, allowed_mask$OFFSET);
    }

    public static void allowed_mask(MemorySegment struct, MemorySegment value) {
        struct.set(allowed_mask$LAYOUT, allowed_mask$OFFSET, value);
    }
}
