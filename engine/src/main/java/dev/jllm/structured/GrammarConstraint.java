package dev.jllm.structured;

import dev.jllm.engine.TokenConstraint;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * guided_grammar: a per-sequence Earley chart over the output text. A token is allowed when all of its text can be
 * scanned from the current chart (found by {@link GrammarMasks} from parts shared between requests); EOS when the
 * text so far is a complete sentence of the grammar. Tokens whose bytes are not whole UTF-8 characters are not
 * used under a grammar.
 */
public final class GrammarConstraint implements TokenConstraint {
    private final Earley earley;
    private final GrammarMasks masks;
    private final Set<Integer> eos;
    private final String[] texts;  // token -> its text, or null
    private Earley.Chart chart;
    private boolean done;

    GrammarConstraint(Grammar g, TokenVocabulary vocab, Set<Integer> eos, String[] texts) {
        this.earley = new Earley(g);
        this.masks = g.masks(vocab);
        this.eos = eos;
        this.texts = texts;
        this.chart = earley.start();
    }

    private GrammarConstraint(GrammarConstraint o) {
        this.earley = o.earley;
        this.masks = o.masks;
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

    @Override
    public void fillAllowed(int[] mask) {
        if (done || chart == null) return;
        masks.fill(earley, chart, mask);
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

    /** The chart after the text so far (null once the text left the grammar); for tests. */
    Earley.Chart chart() {
        return chart;
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
