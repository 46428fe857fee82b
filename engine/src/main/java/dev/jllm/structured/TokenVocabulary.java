package dev.jllm.structured;

import dev.jllm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw bytes of every non-special token in a byte trie, so the tokens a DFA state allows are found in one walk
 * that shares prefixes. Built once per tokenizer.
 */
final class TokenVocabulary {
    static final class Node {
        final Node[] children = new Node[256];
        final List<Integer> tokens = new ArrayList<>(1);  // tokens whose bytes end here
    }

    final Node root = new Node();
    final int vocabSize;
    private final byte[][] bytes;  // token -> its bytes, or null for special tokens

    private static final java.util.Map<Tokenizer, TokenVocabulary> CACHE =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    static TokenVocabulary of(Tokenizer tok) {
        return CACHE.computeIfAbsent(tok, TokenVocabulary::new);
    }

    private TokenVocabulary(Tokenizer tok) {
        vocabSize = tok.vocabSize();
        bytes = new byte[vocabSize][];
        for (int id = 0; id < vocabSize; id++) {
            byte[] b = tok.tokenBytes(id);
            bytes[id] = b;
            if (b == null || b.length == 0) continue;
            Node n = root;
            for (byte x : b) {
                int i = x & 0xff;
                if (n.children[i] == null) n.children[i] = new Node();
                n = n.children[i];
            }
            n.tokens.add(id);
        }
    }

    byte[] bytesOf(int id) {
        return id >= 0 && id < vocabSize ? bytes[id] : null;
    }
}
