package dev.jllm.tokenizer;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key/value metadata of a GGUF file (the tokenizer and chat template live there). Values: Long, Double,
 * Boolean, String, or List of those. The header is read as a stream, so files of any size work (no 2 GiB
 * mapping limit); tensor data is not read (libjllm maps it). A split GGUF ("name-00002-of-00003.gguf") is read from
 * its first part, which holds all key/values (llama.cpp's gguf-split layout).
 */
public final class GgufMetadata {
    private static final int MAGIC = 0x46554747;  // "GGUF" little-endian
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    private final Map<String, Object> values = new HashMap<>();

    /** For tests: metadata given directly. */
    public GgufMetadata(Map<String, Object> values) {
        this.values.putAll(values);
    }

    public GgufMetadata(Path file) throws IOException {
        Path first = firstSplit(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(first), 1 << 20)) {
            LittleEndian r = new LittleEndian(in);
            if (r.i32() != MAGIC) throw new IOException(first + " is not a GGUF file");
            int version = r.i32();
            if (version < 2 || version > 3) throw new IOException(first + ": unsupported GGUF version " + version);
            r.i64();  // tensor count
            long kvCount = r.i64();
            for (long i = 0; i < kvCount; i++) {
                String key = r.string();
                values.put(key, value(r, r.i32()));
            }
        } catch (EOFException e) {
            throw new IOException(first + ": truncated GGUF metadata");
        }
        if (values.get("split.no") instanceof Long no && no != 0)
            throw new IOException(first + " is split part " + (no + 1) + ", not the first part");
    }

    /** The first part of a split GGUF ("-00001-of-0000N.gguf") for any of its parts; other paths unchanged. */
    public static Path firstSplit(Path file) throws IOException {
        Matcher m = SPLIT.matcher(file.getFileName().toString());
        if (!m.matches() || m.group(2).equals("00001")) return file;
        Path first = file.resolveSibling(m.group(1) + "-00001-of-" + m.group(3) + ".gguf");
        if (!Files.isRegularFile(first)) throw new IOException(file + " is part of a split GGUF but " + first + " is missing");
        return first;
    }

    private static Object value(LittleEndian r, int type) throws IOException {
        return switch (type) {
            case 0 -> (long) r.u8();
            case 1 -> (long) (byte) r.u8();
            case 2 -> (long) r.u16();
            case 3 -> (long) (short) r.u16();
            case 4 -> r.i32() & 0xffffffffL;
            case 5 -> (long) r.i32();
            case 6 -> (double) Float.intBitsToFloat(r.i32());
            case 7 -> r.u8() != 0;
            case 8 -> r.string();
            case 9 -> {
                int et = r.i32();
                long n = r.i64();
                if (n < 0 || n > Integer.MAX_VALUE - 8) throw new IOException("GGUF array of " + n + " elements");
                List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                for (long i = 0; i < n; i++) list.add(value(r, et));
                yield list;
            }
            case 10, 11 -> r.i64();
            case 12 -> Double.longBitsToDouble(r.i64());
            default -> throw new IOException("bad GGUF value type " + type);
        };
    }

    /** Little-endian reads from a stream (GGUF is little-endian; DataInputStream is big-endian). */
    private static final class LittleEndian {
        private final DataInputStream in;

        LittleEndian(InputStream in) {
            this.in = new DataInputStream(in);
        }

        int u8() throws IOException { return in.readUnsignedByte(); }
        int u16() throws IOException { return Short.reverseBytes(in.readShort()) & 0xffff; }
        int i32() throws IOException { return Integer.reverseBytes(in.readInt()); }
        long i64() throws IOException { return Long.reverseBytes(in.readLong()); }

        String string() throws IOException {
            long len = i64();
            if (len < 0 || len > (1 << 30)) throw new IOException("GGUF string of " + len + " bytes");
            byte[] b = in.readNBytes((int) len);
            if (b.length != len) throw new EOFException();
            return new String(b, StandardCharsets.UTF_8);
        }
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
