package dev.jllm.structured;

import dev.jllm.engine.TokenConstraint;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A per-sequence walk of a shared {@link Dfa} driven by token bytes. Bytes are decoded as UTF-8 (a character may
 * span tokens, as byte-fallback tokens make it); the allowed-token mask of a state is computed once by walking the
 * vocabulary trie and then cached for every request using the same DFA. EOS is allowed exactly when the text so
 * far is a complete match.
 */
public final class RegexConstraint implements TokenConstraint {
    /** What requests with the same constraint share: the DFA, the vocabulary, and the masks computed so far. */
    public static final class Compiled {
        final Dfa dfa;
        final TokenVocabulary vocab;
        final Set<Integer> eos;
        final Map<Integer, int[]> masks = new ConcurrentHashMap<>();

        Compiled(Dfa dfa, TokenVocabulary vocab, Set<Integer> eos) {
            this.dfa = dfa;
            this.vocab = vocab;
            this.eos = eos;
        }
    }

    private final Compiled c;
    private int state;
    private int acc, need, total;  // a partial UTF-8 character: bits so far, continuation bytes to come, in all
    private boolean done;

    public RegexConstraint(Compiled c) {
        this.c = c;
        this.state = c.dfa.start;
    }

    private RegexConstraint(RegexConstraint o) {
        this.c = o.c;
        this.state = o.state;
        this.acc = o.acc;
        this.need = o.need;
        this.total = o.total;
        this.done = o.done;
    }

    /** Smallest code point a UTF-8 sequence of n continuation bytes may encode (no overlong forms). */
    private static long minCodePoint(int n) {
        return n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    }

    /**
     * Feeds one byte: returns {state, acc, need, total} after it, or null when no accepted character can start
     * or continue this way. acc holds the character's bits so far; need the continuation bytes still to come;
     * total the continuation bytes of the whole character.
     */
    private static long[] feed(Dfa dfa, int state, int acc, int need, int total, int b) {
        if (need == 0) {
            if (b < 0x80) return new long[] {dfa.step(state, b), 0, 0, 0};
            int n, bits;
            if (b >= 0xC2 && b <= 0xDF) { n = 1; bits = b & 0x1F; }
            else if (b >= 0xE0 && b <= 0xEF) { n = 2; bits = b & 0x0F; }
            else if (b >= 0xF0 && b <= 0xF4) { n = 3; bits = b & 0x07; }
            else return null;
            if (!possible(dfa, state, bits, n, n)) return null;
            return new long[] {state, bits, n, n};
        }
        if ((b & 0xC0) != 0x80) return null;
        int a = (acc << 6) | (b & 0x3F);
        if (need == 1) {
            if (a < minCodePoint(total) || (a >= 0xD800 && a <= 0xDFFF) || a > 0x10FFFF) return null;
            return new long[] {dfa.step(state, a), 0, 0, 0};
        }
        if (!possible(dfa, state, a, need - 1, total)) return null;
        return new long[] {state, a, need - 1, total};
    }

    /** Whether some character whose bits start with `bits`, with `rest` continuation bytes to come, is accepted. */
    private static boolean possible(Dfa dfa, int state, int bits, int rest, int total) {
        long lo = Math.max((long) bits << (6 * rest), minCodePoint(total));
        long hi = Math.min(((long) bits << (6 * rest)) | ((1L << (6 * rest)) - 1), 0x10FFFF);
        // surrogates (U+D800..U+DFFF) are not characters in UTF-8: a prefix such as ED A4 leads only to them, and
        // allowing it would leave the sequence with no token to continue
        return (lo <= Math.min(hi, 0xD7FF) && dfa.anyIn(state, (int) lo, (int) Math.min(hi, 0xD7FF)))
                || (Math.max(lo, 0xE000) <= hi && dfa.anyIn(state, (int) Math.max(lo, 0xE000), (int) hi));
    }

    /**
     * The tokens below node whose bytes the DFA can take from (state, partial character acc/need/total), as
     * {@link #feed} steps them one byte at a time, without allocating per edge (a cold mask walks ~10^5 edges).
     */
    private static void walk(Compiled c, TokenVocabulary.Node node, int state, int acc, int need, int total, int[] mask) {
        for (int id : node.tokens) mask[id >> 5] |= 1 << (id & 31);
        Dfa dfa = c.dfa;
        for (int i = 0; i < node.labels.length; i++) {
            int b = node.labels[i];
            TokenVocabulary.Node child = node.kids[i];
            if (need == 0) {
                if (b < 0x80) {
                    int ns = dfa.step(state, b);
                    if (ns != Dfa.DEAD) walk(c, child, ns, 0, 0, 0, mask);
                    continue;
                }
                int n, bits;
                if (b >= 0xC2 && b <= 0xDF) { n = 1; bits = b & 0x1F; }
                else if (b >= 0xE0 && b <= 0xEF) { n = 2; bits = b & 0x0F; }
                else if (b >= 0xF0 && b <= 0xF4) { n = 3; bits = b & 0x07; }
                else continue;
                if (possible(dfa, state, bits, n, n)) walk(c, child, state, bits, n, n, mask);
            } else if ((b & 0xC0) == 0x80) {
                int a = (acc << 6) | (b & 0x3F);
                if (need > 1) {
                    if (possible(dfa, state, a, need - 1, total)) walk(c, child, state, a, need - 1, total, mask);
                } else if (a >= minCodePoint(total) && (a < 0xD800 || a > 0xDFFF) && a <= 0x10FFFF) {
                    int ns = dfa.step(state, a);
                    if (ns != Dfa.DEAD) walk(c, child, ns, 0, 0, 0, mask);
                }
            }
        }
    }

    private int[] computeMask() {
        int[] mask = new int[(c.vocab.vocabSize + 31) / 32];
        if (!done && state != Dfa.DEAD) walk(c, c.vocab.root, state, acc, need, total, mask);
        return mask;
    }

    @Override
    public void fillAllowed(int[] out) {
        int[] mask = need == 0 && !done ? c.masks.computeIfAbsent(state, s -> computeMask()) : computeMask();
        System.arraycopy(mask, 0, out, 0, Math.min(mask.length, out.length));
        if (isComplete()) for (int id : c.eos) if (id >= 0 && (id >> 5) < out.length) out[id >> 5] |= 1 << (id & 31);
    }

    @Override
    public void accept(int tokenId) {
        if (c.eos.contains(tokenId)) {
            done = true;
            return;
        }
        byte[] bytes = c.vocab.bytesOf(tokenId);
        if (bytes == null) return;
        for (byte x : bytes) {
            long[] r = feed(c.dfa, state, acc, need, total, x & 0xff);
            if (r == null) {
                state = Dfa.DEAD;
                return;
            }
            state = (int) r[0];
            acc = (int) r[1];
            need = (int) r[2];
            total = (int) r[3];
        }
    }

    /** Whether the bytes so far can still become a match; for tests. */
    boolean alive() {
        return state != Dfa.DEAD;
    }

    @Override
    public boolean isComplete() {
        return need == 0 && state != Dfa.DEAD && c.dfa.isAccepting(state);
    }

    @Override
    public TokenConstraint fork() {
        return new RegexConstraint(this);
    }
}
