package dev.jllm.structured;

import dev.jllm.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The raw bytes of every non-special token in a byte trie, so the tokens a DFA state allows are found in one walk
 * that shares prefixes. Built once per tokenizer. Each node keeps only the edges it has (a 151k-token vocabulary
 * makes ~10^5-10^6 nodes, most with one or two children), so a walk visits edges, not 256 slots per node.
 */
final class TokenVocabulary {
    static final class Node {
        final int id;                   // 0 for the root, then in creation order
        int[] labels = new int[0];      // edge bytes (0..255), in insertion order
        Node[] kids = new Node[0];      // kids[i] follows byte labels[i]
        int[] tokens = new int[0];      // tokens whose bytes end here

        Node(int id) {
            this.id = id;
        }

        Node child(int b) {
            for (int i = 0; i < labels.length; i++) if (labels[i] == b) return kids[i];
            return null;
        }

        private Node add(int b, int[] count) {
            Node n = child(b);
            if (n != null) return n;
            n = new Node(count[0]++);
            labels = Arrays.copyOf(labels, labels.length + 1);
            kids = Arrays.copyOf(kids, kids.length + 1);
            labels[labels.length - 1] = b;
            kids[kids.length - 1] = n;
            return n;
        }
    }

    final Node root = new Node(0);
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
        int[] count = {1};
        for (int id = 0; id < vocabSize; id++) {
            byte[] b = tok.tokenBytes(id);
            bytes[id] = b;
            if (b == null || b.length == 0) continue;
            Node n = root;
            for (byte x : b) n = n.add(x & 0xff, count);
            n.tokens = Arrays.copyOf(n.tokens, n.tokens.length + 1);
            n.tokens[n.tokens.length - 1] = id;
        }
    }

    byte[] bytesOf(int id) {
        return id >= 0 && id < vocabSize ? bytes[id] : null;
    }
}
