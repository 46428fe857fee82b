package dev.jllm.engine;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The prefix-cache key of a full block: a hash of its parent's key (null for a first block) and its token ids. */
@FunctionalInterface
interface BlockHasher {
    /** Hash of tokens[from, to) chained on parent. */
    byte[] hash(byte[] parent, int[] tokens, int from, int to);

    /** SHA-256 over (parent hash, tokens as little-endian int32), as vLLM's chained block hash. Engine thread only. */
    static BlockHasher sha256() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[4];
        return (parent, tokens, from, to) -> {
            md.reset();
            if (parent != null) md.update(parent);
            for (int i = from; i < to; i++) {
                int t = tokens[i];
                buf[0] = (byte) t; buf[1] = (byte) (t >>> 8); buf[2] = (byte) (t >>> 16); buf[3] = (byte) (t >>> 24);
                md.update(buf);
            }
            return md.digest();
        };
    }
}
