package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;

/**
 * vLLM's incremental detokenization: decode the tokens from a prefix offset twice — up to the read offset and up
 * to the end — and emit the difference. Decoding from a few tokens back keeps leading spaces and merges right;
 * an incomplete UTF-8 character (U+FFFD at the end) is held until the next token completes it.
 */
final class IncrementalDetokenizer {
    private IncrementalDetokenizer() {}

    /** Offsets into a sequence's token list; starts a few tokens before the first new one. */
    static final class State {
        int prefixOffset, readOffset;

        State(int promptLen) {
            prefixOffset = Math.max(0, promptLen - 5);
            readOffset = promptLen;
        }
    }

    /** New text for tokens[0, n), given what was emitted before; "" while a character is incomplete. */
    static String next(Tokenizer tok, int[] tokens, int n, State st, boolean skipSpecial) {
        String prefix = tok.decode(tokens, st.prefixOffset, st.readOffset, skipSpecial);
        String full = tok.decode(tokens, st.prefixOffset, n, skipSpecial);
        if (full.length() <= prefix.length() || full.endsWith("\uFFFD")) return "";
        st.prefixOffset = st.readOffset;
        st.readOffset = n;
        return full.substring(prefix.length());
    }
}
