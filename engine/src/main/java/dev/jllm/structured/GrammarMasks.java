package dev.jllm.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The allowed-token mask of an Earley chart, computed from parts every request of one grammar on one vocabulary
 * shares (the split xgrammar makes into context-independent and context-dependent tokens).
 *
 * <p>A token is allowed when some item of the chart that has a terminal T (in DFA state s) at its dot can start it
 * and the parse goes on to its end. Along the token's bytes either T takes the whole token (the token is "inside"
 * (T, s): allowed whatever the rest of the chart is), or T ends after some of its characters and the rest of the
 * token must parse from the items after T (context-dependent). So per (T, s) one walk of the vocabulary trie with
 * T's DFA alone finds, once: the inside tokens, and the "boundary" trie nodes where T may end with more bytes
 * below. Per mask, each (T, s) of the chart contributes its inside tokens, and its boundary nodes are walked with
 * the Earley parser from the chart where T has just ended, only into children whose first character that chart
 * can take; below a boundary the same split applies to that subtree (spans are cached per trie node too), up to
 * {@link #MAX_LEVEL} boundaries deep. Exactly the allowed set of the full trie walk ({@link #walk}), in well under
 * a millisecond for json.gbnf instead of a walk of the whole vocabulary; a chart on which the split would follow
 * too many ways of cutting text into terminals ({@link #BUDGET}) gets the full walk. GrammarMaskDiffTest compares
 * the two; MaskSpeed prints the figures.
 */
final class GrammarMasks {
    /** The tokens of one (terminal, DFA state): inside ones, and boundary nodes bucketed by their next byte. */
    record Span(int[] insideBits, int[] insideIds, TokenVocabulary.Node[][] boundaries, long words) {}

    /** Spans kept per grammar, in 32-bit words (a dense span of a 151k vocabulary is ~4.7k words). */
    static final long MAX_CACHED_WORDS = 4L << 20;

    private final Grammar g;
    private final TokenVocabulary vocab;
    private final Map<Key, Span> spans = new ConcurrentHashMap<>();
    private final AtomicLong cachedWords = new AtomicLong();

    GrammarMasks(Grammar g, TokenVocabulary vocab) {
        this.g = g;
        this.vocab = vocab;
    }

    /** ORs the tokens allowed after chart c (not EOS) into mask. */
    void fill(Earley earley, Earley.Chart c, int[] mask) {
        java.util.Set<Long> signature = new java.util.TreeSet<>(groups(c).keySet());
        if (!overBudget.contains(signature)) {
            try {
                fill(earley, c, vocab.root, mask, 0, new int[1]);
                return;
            } catch (OverBudget e) {  // what is in mask so far is allowed; the full walk adds the rest
                if (overBudget.size() < 4096) overBudget.add(signature);
            }
        }
        walk(earley, vocab.root, c, 0, 0, mask, 0, null);
    }

    /** The (terminal, DFA state) sets of charts on which the split went over budget: the full walk at once. */
    private final java.util.Set<java.util.Set<Long>> overBudget = ConcurrentHashMap.newKeySet();

    /** The chart's scanning items, grouped by (terminal, DFA state) as one long key: terminal << 32 | state. */
    private Map<Long, List<Earley.Item>> groups(Earley.Chart c) {
        Map<Long, List<Earley.Item>> groups = new HashMap<>();
        for (Earley.Item it : c.items) {
            int[] rhs = g.productions.get(it.prod()).rhs();
            if (it.dot() >= rhs.length || rhs[it.dot()] >= 0) continue;
            groups.computeIfAbsent(((long) (-rhs[it.dot()] - 1) << 32) | it.tstate(), k -> new ArrayList<>()).add(it);
        }
        return groups;
    }

    /**
     * Trie edges the split may follow for one mask before it gives up for the full walk (which visits each live
     * node once): a lexically ambiguous grammar (adjacent %ignore whitespace, a NAME next to keywords) makes the
     * split follow each way of cutting the text into terminals separately.
     */
    static final int BUDGET = 50_000;

    private static final class OverBudget extends RuntimeException {
        OverBudget() {
            super(null, null, false, false);
        }
    }

    private static final OverBudget OVER_BUDGET = new OverBudget();

    private static void spend(int[] work) {
        if (work != null && ++work[0] > BUDGET) throw OVER_BUDGET;
    }

    /**
     * How many boundaries deep the split is applied; below, the full walk. Each level follows one way of cutting
     * the text into terminals, so a lexically ambiguous grammar (NAME next to keyword literals) would otherwise
     * revisit a node once per cut; the full walk merges all cuts in one chart per node.
     */
    static final int MAX_LEVEL = 3;

    /**
     * ORs into mask the tokens below trie node n (not n's own) whose bytes after n parse from chart c: the same
     * split applied to the subtree of n, so a boundary's own continuation (whitespace, then a name) is again mostly
     * one cached span.
     */
    private void fill(Earley earley, Earley.Chart c, TokenVocabulary.Node n, int[] mask, int level, int[] work) {
        spend(work);
        // 1. the chart's scanning items, grouped by (terminal, DFA state)
        for (Map.Entry<Long, List<Earley.Item>> e : groups(c).entrySet()) {
            Span sp = span((int) (e.getKey() >>> 32), (int) (long) e.getKey(), n);
            // 2. inside tokens: the terminal takes all of them
            if (sp.insideBits() != null) for (int w = 0; w < sp.insideBits().length; w++) mask[w] |= sp.insideBits()[w];
            else for (int id : sp.insideIds()) mask[id >> 5] |= 1 << (id & 31);
            // 3. boundary nodes: the terminal ends there and the parse goes on from the items after it
            TokenVocabulary.Node[][] bs = sp.boundaries();
            if (bs == null) continue;
            Earley.Chart after = earley.afterTerminal(c, e.getValue());
            for (int b = 0; b < 128; b++) {
                if (bs[b] == null) continue;
                Earley.Chart next = earley.scan(after, b);
                if (next == null) continue;
                for (TokenVocabulary.Node m : bs[b]) {
                    TokenVocabulary.Node child = m.child(b);
                    if (level < MAX_LEVEL) {
                        for (int id : child.tokens) mask[id >> 5] |= 1 << (id & 31);
                        if (child.labels.length > 0) fill(earley, next, child, mask, level + 1, work);
                    } else {
                        walk(earley, child, next, 0, 0, mask, 0, work);
                    }
                }
            }
            if (bs[128] != null) for (TokenVocabulary.Node m : bs[128]) walk(earley, m, after, 0, 0, mask, 0x80, work);
        }
    }

    /** Spans are cached by (terminal, DFA state, trie node). */
    private record Key(int terminal, int state, int node) {}

    private Span span(int terminal, int state, TokenVocabulary.Node n) {
        Key key = new Key(terminal, state, n.id);
        Span sp = spans.get(key);
        if (sp != null) return sp;
        sp = computeSpan(g.terminals.get(terminal), state, n);
        if (cachedWords.addAndGet(sp.words()) <= MAX_CACHED_WORDS) spans.putIfAbsent(key, sp);
        else cachedWords.addAndGet(-sp.words());  // over budget: still exact, just computed again next time
        return sp;
    }

    private Span computeSpan(Dfa t, int s, TokenVocabulary.Node n) {
        Ids inside = new Ids();
        List<List<TokenVocabulary.Node>> buckets = new ArrayList<>(129);
        for (int i = 0; i <= 128; i++) buckets.add(null);
        collect(t, n, s, 0, 0, true, inside, buckets);
        int words = (vocab.vocabSize + 31) / 32;
        int[] bits = null, ids = null;
        if (inside.size < words) {  // sparse: a list of ids is smaller than the bitmask (each token ends at one node)
            ids = java.util.Arrays.copyOf(inside.a, inside.size);
        } else {
            bits = new int[words];
            for (int k = 0; k < inside.size; k++) bits[inside.a[k] >> 5] |= 1 << (inside.a[k] & 31);
        }
        long size = bits != null ? bits.length : ids.length;
        TokenVocabulary.Node[][] bs = null;
        for (int b = 0; b <= 128; b++) {
            if (buckets.get(b) == null) continue;
            if (bs == null) bs = new TokenVocabulary.Node[129][];
            bs[b] = buckets.get(b).toArray(TokenVocabulary.Node[]::new);
            size += bs[b].length;
        }
        return new Span(bits, ids, bs, size + 16);
    }

    /** A growable list of token ids. */
    private static final class Ids {
        int[] a = new int[16];
        int size;

        void add(int[] ids) {
            if (size + ids.length > a.length) a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, size + ids.length));
            System.arraycopy(ids, 0, a, size, ids.length);
            size += ids.length;
        }
    }

    /**
     * Walks the trie with terminal t's DFA alone (state s; acc/need a partial UTF-8 character as in {@link #walk}):
     * tokens it takes whole go to inside, nodes below the starting one where it may end and more bytes follow to the bucket
     * of each next byte (non-ASCII lead bytes share bucket 128).
     */
    private static void collect(Dfa t, TokenVocabulary.Node node, int s, int acc, int need, boolean top, Ids inside,
                                List<List<TokenVocabulary.Node>> buckets) {
        if (need == 0 && !top) {
            inside.add(node.tokens);
            if (node.labels.length > 0 && t.isAccepting(s)) {
                boolean nonAscii = false;
                for (int b : node.labels) {
                    if (b >= 0x80) { nonAscii = true; continue; }
                    if (buckets.get(b) == null) buckets.set(b, new ArrayList<>());
                    buckets.get(b).add(node);
                }
                if (nonAscii) {
                    if (buckets.get(128) == null) buckets.set(128, new ArrayList<>());
                    buckets.get(128).add(node);
                }
            }
        }
        for (int i = 0; i < node.labels.length; i++) {
            int b = node.labels[i];
            TokenVocabulary.Node child = node.kids[i];
            if (need == 0) {
                if (b < 0x80) {
                    int ns = t.step(s, b);
                    if (ns != Dfa.DEAD) collect(t, child, ns, 0, 0, false, inside, buckets);
                } else if (b >= 0xC2 && b <= 0xF4) {
                    int n = b <= 0xDF ? 1 : b <= 0xEF ? 2 : 3;
                    collect(t, child, s, b & (0x3F >> n), n, false, inside, buckets);
                }
            } else if ((b & 0xC0) == 0x80) {
                int a = (acc << 6) | (b & 0x3F);
                if (need > 1) {
                    collect(t, child, s, a, need - 1, false, inside, buckets);
                } else {
                    int ns = t.step(s, a);
                    if (ns != Dfa.DEAD) collect(t, child, ns, 0, 0, false, inside, buckets);
                }
            }
        }
    }

    /**
     * The full walk: the vocabulary's byte trie from chart c, each edge that completes a UTF-8 character scanning
     * it, so tokens sharing a prefix share the parsing work and a dead prefix prunes every token below it. acc/need:
     * a partial character's bits and its continuation bytes still to come; only edges with a byte ≥ minByte are
     * taken at this node. Tokens ending inside a character are not allowed.
     */
    static void walk(Earley earley, TokenVocabulary.Node node, Earley.Chart c, int acc, int need, int[] mask, int minByte, int[] work) {
        spend(work);
        if (need == 0 && minByte == 0) for (int id : node.tokens) mask[id >> 5] |= 1 << (id & 31);
        for (int i = 0; i < node.labels.length; i++) {
            int b = node.labels[i];
            if (b < minByte) continue;
            TokenVocabulary.Node child = node.kids[i];
            if (need == 0) {
                if (b < 0x80) {
                    Earley.Chart next = earley.scan(c, b);
                    if (next != null) walk(earley, child, next, 0, 0, mask, 0, work);
                } else if (b >= 0xC2 && b <= 0xF4) {
                    int n = b <= 0xDF ? 1 : b <= 0xEF ? 2 : 3;
                    walk(earley, child, c, b & (0x3F >> n), n, mask, 0, work);
                }
            } else if ((b & 0xC0) == 0x80) {
                int a = (acc << 6) | (b & 0x3F);
                if (need > 1) {
                    walk(earley, child, c, a, need - 1, mask, 0, work);
                } else {
                    Earley.Chart next = earley.scan(c, a);
                    if (next != null) walk(earley, child, next, 0, 0, mask, 0, work);
                }
            }
        }
    }
}
