package dev.jllm.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Splits text at the added tokens of a vocabulary (control and user-defined tokens: "<|im_start|>", "<think>",
 * "\n\n" on Gemma), leftmost-longest as Hugging Face tokenizers' AddedVocabulary and llama.cpp's partition do.
 * Text that spells a token is that token (transformers' default). One pass over the text through a character trie.
 */
final class AddedTokens {
    /** Receives the pieces of a split: text between tokens, and the tokens. */
    interface Sink {
        void text(String text);

        void token(int id);
    }

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        int id = -1;
    }

    private final Node root = new Node();
    private boolean empty = true;

    void add(String text, int id) {
        if (text.isEmpty()) return;
        Node n = root;
        for (int i = 0; i < text.length(); i++) n = n.next.computeIfAbsent(text.charAt(i), c -> new Node());
        if (n.id < 0) n.id = id;
        empty = false;
    }

    /** Calls sink.text for each non-empty stretch between tokens and sink.token for each token, in order. */
    void split(String text, Sink sink) {
        int start = 0;
        if (!empty) {
            for (int i = 0; i < text.length(); ) {
                // 1. the longest token starting at i (walk the trie as far as the text allows)
                int id = -1, end = -1;
                Node n = root;
                for (int j = i; j < text.length(); j++) {
                    n = n.next.get(text.charAt(j));
                    if (n == null) break;
                    if (n.id >= 0) { id = n.id; end = j + 1; }
                }
                if (id < 0) { i++; continue; }
                // 2. emit the text before it, then the token
                if (i > start) sink.text(text.substring(start, i));
                sink.token(id);
                i = start = end;
            }
        }
        if (start < text.length()) sink.text(text.substring(start));
    }
}
