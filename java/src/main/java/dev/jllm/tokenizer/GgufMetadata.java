package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The key/value metadata of a GGUF file (the tokenizer and chat template live there). Values: Long, Double,
 * Boolean, String, or List of those. Tensor data is not read (libjllm maps it).
 */
public final class GgufMetadata {
    private final Map<String, Object> values = new HashMap<>();

    /** For tests: metadata given directly. */
    public GgufMetadata(Map<String, Object> values) {
        this.values.putAll(values);
    }

    public GgufMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            if (b.remaining() < 24 || b.getInt() != 0x46554747) throw new IOException(file + " is not a GGUF file");
            int version = b.getInt();
            if (version < 2 || version > 3) throw new IOException(file + ": unsupported GGUF version " + version);
            b.getLong();  // tensor count
            long kvCount = b.getLong();
            for (long i = 0; i < kvCount; i++) {
                String key = string(b);
                values.put(key, value(b, b.getInt()));
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(file + ": truncated GGUF metadata");
        }
    }

    private static String string(ByteBuffer b) {
        int len = (int) b.getLong();
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type) throws IOException {
        return switch (type) {
            case 0 -> (long) (b.get() & 0xff);
            case 1 -> (long) b.get();
            case 2 -> (long) (b.getShort() & 0xffff);
            case 3 -> (long) b.getShort();
            case 4 -> b.getInt() & 0xffffffffL;
            case 5 -> (long) b.getInt();
            case 6 -> (double) b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> string(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                for (long i = 0; i < n; i++) list.add(value(b, et));
                yield list;
            }
            case 10, 11 -> b.getLong();
            case 12 -> b.getDouble();
            default -> throw new IOException("bad GGUF value type " + type);
        };
    }

    public Object get(String key) {
        return values.get(key);
    }

    public String string(String key) {
        return values.get(key) instanceof String s ? s : null;
    }

    public long integer(String key, long fallback) {
        return values.get(key) instanceof Long l ? l : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        return values.get(key) instanceof Boolean v ? v : fallback;
    }

    @SuppressWarnings("unchecked")
    public List<Object> list(String key) {
        return values.get(key) instanceof List<?> l ? (List<Object>) l : null;
    }
}
