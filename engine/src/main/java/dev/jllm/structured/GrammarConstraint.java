package dev.jllm.structured;

import dev.jllm.engine.TokenConstraint;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * guided_grammar: a per-sequence Earley chart over the output text. A token is allowed when all of its text can be
 * scanned from the current chart; EOS when the text so far is a complete sentence of the grammar. Tokens whose
 * bytes are not whole UTF-8 characters are not used under a grammar.
 */
public final class GrammarConstraint implements TokenConstraint {
    private final Earley earley;
    private final TokenVocabulary vocab;
    private final Set<Integer> eos;
    private final String[] texts;  // token -> its text, or null
    private Earley.Chart chart;
    private boolean done;

    GrammarConstraint(Grammar g, TokenVocabulary vocab, Set<Integer> eos, String[] texts) {
        this.earley = new Earley(g);
        this.vocab = vocab;
        this.eos = eos;
        this.texts = texts;
        this.chart = earley.start();
    }

    private GrammarConstraint(GrammarConstraint o) {
        this.earley = o.earley;
        this.vocab = o.vocab;
        this.eos = o.eos;
        this.texts = o.texts;
        this.chart = o.chart;
        this.done = o.done;
    }

    static String[] texts(TokenVocabulary vocab) {
        String[] t = new String[vocab.vocabSize];
        var dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int id = 0; id < t.length; id++) {
            byte[] b = vocab.bytesOf(id);
            if (b == null || b.length == 0) continue;
            try {
                t[id] = dec.decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                t[id] = null;  // part of a character
            }
        }
        return t;
    }

    private Earley.Chart walk(Earley.Chart c, String text) {
        for (int i = 0; i < text.length() && c != null; ) {
            int cp = text.codePointAt(i);
            c = earley.scan(c, cp);
            i += Character.charCount(cp);
        }
        return c;
    }

    /**
     * Walks the vocabulary's byte trie from the current chart: each edge that completes a UTF-8 character scans
     * it, so tokens sharing a prefix share the parsing work and a dead prefix prunes every token below it.
     */
    private void walk(TokenVocabulary.Node node, Earley.Chart c, int acc, int need, int[] mask) {
        if (need == 0) for (int id : node.tokens) mask[id >> 5] |= 1 << (id & 31);
        for (int b = 0; b < 256; b++) {
            TokenVocabulary.Node child = node.children[b];
            if (child == null) continue;
            if (need == 0) {
                if (b < 0x80) {
                    Earley.Chart next = earley.scan(c, b);
                    if (next != null) walk(child, next, 0, 0, mask);
                } else if (b >= 0xC2 && b <= 0xF4) {
                    int n = b <= 0xDF ? 1 : b <= 0xEF ? 2 : 3;
                    walk(child, c, b & (0x3F >> n), n, mask);
                }
            } else if ((b & 0xC0) == 0x80) {
                int a = (acc << 6) | (b & 0x3F);
                if (need > 1) {
                    walk(child, c, a, need - 1, mask);
                } else {
                    Earley.Chart next = earley.scan(c, a);
                    if (next != null) walk(child, next, 0, 0, mask);
                }
            }
        }
    }

    @Override
    public void fillAllowed(int[] mask) {
        if (done || chart == null) return;
        walk(vocab.root, chart, 0, 0, mask);
        if (isComplete()) for (int id : eos) if (id >= 0 && (id >> 5) < mask.length) mask[id >> 5] |= 1 << (id & 31);
    }

    @Override
    public void accept(int tokenId) {
        if (eos.contains(tokenId)) {
            done = true;
            return;
        }
        String t = tokenId >= 0 && tokenId < texts.length ? texts[tokenId] : null;
        chart = t == null || chart == null ? null : walk(chart, t);
    }

    @Override
    public boolean isComplete() {
        return chart != null && earley.accepts(chart);
    }

    @Override
    public TokenConstraint fork() {
        return new GrammarConstraint(this);
    }
}
