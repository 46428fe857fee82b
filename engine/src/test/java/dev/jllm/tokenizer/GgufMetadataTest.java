package dev.jllm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUF files as users download them: over 2 GiB, and split into parts ("-00001-of-00002.gguf"). */
class GgufMetadataTest {
    /** Writes a GGUF v3 header with the given key/values and no tensors (values: Long, Double, Boolean, String, List). */
    static void write(Path file, Map<String, Object> kv) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        i32(out, 0x46554747);
        i32(out, 3);
        i64(out, 0);
        i64(out, kv.size());
        for (var e : kv.entrySet()) {
            str(out, e.getKey());
            i32(out, type(e.getValue()));
            value(out, e.getValue());
        }
        Files.write(file, out.toByteArray());
    }

    private static int type(Object v) {
        return switch (v) {
            case Long l -> 10;
            case Double d -> 12;
            case Boolean b -> 7;
            case String s -> 8;
            case List<?> l -> 9;
            default -> throw new IllegalArgumentException(v.getClass().toString());
        };
    }

    private static void value(ByteArrayOutputStream out, Object v) {
        switch (v) {
            case Long l -> i64(out, l);
            case Double d -> i64(out, Double.doubleToLongBits(d));
            case Boolean b -> out.write(b ? 1 : 0);
            case String s -> str(out, s);
            case List<?> l -> {
                i32(out, l.isEmpty() ? 8 : type(l.get(0)));
                i64(out, l.size());
                for (Object x : l) value(out, x);
            }
            default -> throw new IllegalArgumentException(v.getClass().toString());
        }
    }

    private static void i32(ByteArrayOutputStream out, int v) { out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array()); }
    private static void i64(ByteArrayOutputStream out, long v) { out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }

    private static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(out, b.length);
        out.writeBytes(b);
    }

    /** A small byte-level vocabulary (ByteBpeTokenizerTest's) as GGUF key/values. */
    static Map<String, Object> vocab() {
        List<Object> tokens = new java.util.ArrayList<>(), types = new java.util.ArrayList<>();
        for (int b = 0; b < 256; b++) { tokens.add(String.valueOf(ByteLevel.byteToChar(b))); types.add(1L); }
        tokens.add("<|eot_id|>"); types.add(3L);
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("general.architecture", "llama");
        kv.put("tokenizer.ggml.model", "gpt2");
        kv.put("tokenizer.ggml.pre", "llama-bpe");
        kv.put("tokenizer.ggml.tokens", tokens);
        kv.put("tokenizer.ggml.token_type", types);
        kv.put("tokenizer.ggml.merges", List.of("h i"));
        kv.put("tokenizer.ggml.eos_token_id", 256L);
        kv.put("tokenizer.ggml.scores", List.of(0.5, -1.0));
        return kv;
    }

    @Test
    void readsTheTokenizerOfAFileOver2GiB(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big.gguf");
        write(file, vocab());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(5L << 29);  // 2.5 GiB, sparse: the tensor data a real file would have
        }
        try (Tokenizer t = Tokenizers.load(file, null)) {
            assertEquals(257, t.vocabSize());
            int[] ids = t.encode("hi<|eot_id|>", false, false);
            assertArrayEquals(new int[] {'h', 'i', 256}, ids);  // no "hi" piece: the merge has no target
        }
        GgufMetadata meta = new GgufMetadata(file);
        assertEquals(List.of(0.5, -1.0), meta.list("tokenizer.ggml.scores"));
        assertEquals(256L, meta.integer("tokenizer.ggml.eos_token_id", -1));
    }

    @Test
    void readsASplitFileFromItsFirstPart(@TempDir Path dir) throws Exception {
        Map<String, Object> first = vocab();
        first.put("split.no", 0L);
        first.put("split.count", 2L);
        write(dir.resolve("m-00001-of-00002.gguf"), first);
        write(dir.resolve("m-00002-of-00002.gguf"), new LinkedHashMap<>(Map.of("split.no", 1L, "split.count", 2L)));
        for (String part : List.of("m-00001-of-00002.gguf", "m-00002-of-00002.gguf")) {
            try (Tokenizer t = Tokenizers.load(dir.resolve(part), null)) {
                assertEquals(257, t.vocabSize(), part);
            }
        }
        Files.delete(dir.resolve("m-00001-of-00002.gguf"));
        IOException e = assertThrows(IOException.class, () -> Tokenizers.load(dir.resolve("m-00002-of-00002.gguf"), null));
        assertTrue(e.getMessage().contains("m-00001-of-00002.gguf"), e.getMessage());
    }

    @Test
    void truncatedMetadataIsAClearError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cut.gguf");
        write(file, vocab());
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length / 2));
        IOException e = assertThrows(IOException.class, () -> new GgufMetadata(file));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void anUnknownPreTokenizerIsRefusedAtLoadNamingFileAndValue(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("odd.gguf");
        Map<String, Object> kv = vocab();
        kv.put("tokenizer.ggml.pre", "some-new-family");
        write(file, kv);
        IOException e = assertThrows(IOException.class, () -> Tokenizers.load(file, null));
        assertTrue(e.getMessage().contains("odd.gguf") && e.getMessage().contains("'some-new-family'"), e.getMessage());
    }
}
