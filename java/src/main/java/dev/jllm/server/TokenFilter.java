package dev.jllm.server;

import dev.jllm.engine.TokenConstraint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * vLLM's allowed_token_ids and bad_words as a {@link TokenConstraint} around the request's own constraint (structured
 * output, tool calls; null: none), so the engine's allowed-token mask carries them:
 *
 * <ul>
 *   <li>allowed: only these ids may be sampled (EOS too only when listed, as vLLM's logits processor);</li>
 *   <li>bad words: each a token sequence; its last token is banned wherever the output so far ends with the tokens
 *       before it (a one-token word is banned always). Output tokens only, as vLLM checks them.</li>
 * </ul>
 * Per sequence, like every constraint: {@link #fork} copies the output seen so far.
 */
final class TokenFilter implements TokenConstraint {
    private final TokenConstraint inner;
    /** Allowed-id bitmask (bit id%32 of word id/32), or null: every id. */
    private final int[] allowed;
    private final List<int[]> badWords;
    private int[] output;
    private int outputLen;

    TokenFilter(TokenConstraint inner, int[] allowed, List<int[]> badWords) {
        this(inner, allowed, badWords, new int[16], 0);
    }

    private TokenFilter(TokenConstraint inner, int[] allowed, List<int[]> badWords, int[] output, int outputLen) {
        this.inner = inner;
        this.allowed = allowed;
        this.badWords = badWords;
        this.output = output;
        this.outputLen = outputLen;
    }

    /** The bitmask of a list of token ids, for a mask of `words` 32-bit words. */
    static int[] mask(List<Integer> ids, int words) {
        int[] m = new int[words];
        for (int id : ids) m[id >> 5] |= 1 << (id & 31);
        return m;
    }

    @Override
    public void fillAllowed(int[] mask) {
        // 1. the inner constraint's tokens (or all), 2. only allowed ones, 3. minus the bad words' next tokens
        if (inner != null) inner.fillAllowed(mask);
        else Arrays.fill(mask, -1);
        if (allowed != null) for (int i = 0; i < mask.length; i++) mask[i] &= i < allowed.length ? allowed[i] : 0;
        for (int[] w : badWords) {
            int prefix = w.length - 1, last = w[prefix];
            if (prefix > outputLen || (last >> 5) >= mask.length) continue;
            if (Arrays.equals(output, outputLen - prefix, outputLen, w, 0, prefix)) mask[last >> 5] &= ~(1 << (last & 31));
        }
    }

    @Override
    public void accept(int tokenId) {
        if (inner != null) inner.accept(tokenId);
        if (outputLen == output.length) output = Arrays.copyOf(output, output.length * 2);
        output[outputLen++] = tokenId;
    }

    @Override
    public boolean isComplete() {
        return inner == null || inner.isComplete();
    }

    @Override
    public TokenConstraint fork() {
        return new TokenFilter(inner == null ? null : inner.fork(), allowed, badWords, output.clone(), outputLen);
    }

    /** Bad words as token sequences the way vLLM encodes them: the word, and " " + the word, without special tokens. */
    static List<int[]> badWords(List<String> words, dev.jllm.tokenizer.Tokenizer tok) {
        List<int[]> out = new ArrayList<>();
        for (String w : words) {
            String bare = w.stripLeading();
            for (String variant : new String[] {bare, " " + bare}) {
                int[] ids = tok.encode(variant, false, false);
                if (ids.length == 0) continue;
                boolean seen = false;
                for (int[] o : out) seen |= Arrays.equals(o, ids);
                if (!seen) out.add(ids);
            }
        }
        return out;
    }
}
