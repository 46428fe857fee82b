package dev.jllm.engine;

import dev.jllm.tokenizer.Tokenizer;

/**
 * vLLM's incremental detokenization: decode the tokens from a prefix offset twice — up to the read offset and up
 * to the end — and emit the difference. Decoding from a few tokens back keeps leading spaces and merges right;
 * an incomplete UTF-8 character (U+FFFD at the end) is held until the next token completes it.
 */
final class IncrementalDetokenizer {
    private IncrementalDetokenizer() {}

    /** Decode windows longer than this many tokens move their start forward (keeps decodes short). */
    private static final int MAX_WINDOW = 24;

    /** Offsets into a sequence's token list; starts a few tokens before the first new one. */
    static final class State {
        int prefixOffset, readOffset;
        String prefixText;  // decode(tokens[prefixOffset, readOffset)), cached: one decode per token, not two

        State(int promptLen) {
            prefixOffset = Math.max(0, promptLen - 5);
            readOffset = promptLen;
        }
    }

    /** New text for tokens[0, n), given what was emitted before; "" while a character is incomplete. */
    static String next(Tokenizer tok, int[] tokens, int n, State st, boolean skipSpecial) {
        if (st.prefixText == null) st.prefixText = tok.decode(tokens, st.prefixOffset, st.readOffset, skipSpecial);
        String full = tok.decode(tokens, st.prefixOffset, n, skipSpecial);
        if (full.length() <= st.prefixText.length() || full.endsWith("\uFFFD")) return "";
        String delta = full.substring(st.prefixText.length());
        if (n - st.prefixOffset > MAX_WINDOW) {  // restart the window at the last emitted boundary
            st.prefixOffset = st.readOffset;
            st.prefixText = null;
        } else {
            st.prefixText = full;
        }
        st.readOffset = n;
        return delta;
    }
}
