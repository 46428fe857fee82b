package dev.jllm.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.TestModels;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The grammar mask ({@link GrammarMasks}: cached per-terminal spans plus boundary walks) against the plain
 * reference — every token whose text the Earley parser can scan from the chart, found by one walk of the whole
 * vocabulary trie — on the real Qwen3 vocabulary (151k tokens), at the states of walks along a valid output that
 * leave it at a random step for random allowed tokens. The reference itself is checked token by token on a sample.
 * Seed: -Djllm.test.seed=N (printed).
 */
class GrammarMaskDiffTest {
    /**
     * Recursive lists (so not one regex) of strings spelled through a per-character rule and words outside ASCII
     * (tokens such as " п" cross from the whitespace terminal into a word: the non-ASCII boundary bucket).
     */
    static final String PER_CHAR = """
            root ::= list
            list ::= "(" ws (item (ws "," ws item)*)? ws ")"
            item ::= list | str | "«" item "»" | word
            str  ::= "\\"" char* "\\""
            char ::= [^"\\\\] | "\\\\" ["\\\\nt]
            word ::= [^\\x00-\\x7F«»]+
            ws   ::= [ \\t\\n]*
            """;

    record Kind(String name, String grammar, String output) {}

    static final List<Kind> KINDS = List.of(
            new Kind("gbnf json.gbnf", GbnfTest.JSON, MaskSpeed.DOC),
            new Kind("lark json_object", Constraints.jsonObjectGrammar(null), MaskSpeed.DOC),
            new Kind("lark sql", MaskSpeed.LARK_SQL, "SELECT u.name AS author, p.title FROM posts WHERE p.score >= 10 ORDER BY p.title DESC;"),
            new Kind("gbnf per-char", PER_CHAR, "( \"a \\\"q\\\" b\", «слово», (мир, \"x\"))"));

    @Test
    void fastMaskEqualsTheFullWalk() throws Exception {
        long seed = Long.getLong("jllm.test.seed", System.nanoTime());
        System.out.println("GrammarMaskDiffTest seed " + seed);
        Random rnd = new Random(seed);
        try (Tokenizer tok = Tokenizers.load(TestModels.shared().resolve("tokenizers/qwen3"), null)) {
            TokenVocabulary vocab = TokenVocabulary.of(tok);
            String[] texts = GrammarConstraint.texts(vocab);
            int words = (tok.vocabSize() + 31) / 32;
            int compared = 0;
            for (Kind k : KINDS) {
                int[] ids = tok.encode(k.output(), false, false);
                for (int walk = 0; walk < 2; walk++) {
                    int leaveAt = walk == 0 ? ids.length : rnd.nextInt(ids.length);  // the first walk stays on the output
                    GrammarConstraint c = (GrammarConstraint) new Constraints(tok).grammar(k.grammar());
                    Earley ref = new Earley(Grammar.parse(k.grammar()));  // a separate grammar: nothing cached shared
                    Earley.Chart chart = ref.start();
                    List<Integer> taken = new ArrayList<>();
                    for (int step = 0; step < Math.min(ids.length, 16) && chart != null; step++) {
                        int[] fast = new int[words], want = new int[words];
                        c.fillAllowed(fast);
                        fullWalk(ref, vocab.root, chart, 0, 0, want);
                        if (ref.accepts(chart)) for (int id : tok.eosIds()) want[id >> 5] |= 1 << (id & 31);
                        String where = k.name() + " after tokens " + taken + " (seed " + seed + ")";
                        if (step % 6 == 0) checkReference(ref, chart, texts, want, rnd, where);
                        assertEquals(diff(want, fast), "", where);
                        compared++;
                        List<Integer> allowed = new ArrayList<>();
                        for (int id = 0; id < tok.vocabSize(); id++) if (bit(want, id) && texts[id] != null) allowed.add(id);
                        if (allowed.isEmpty()) break;
                        int t = step < leaveAt && bit(want, ids[step]) ? ids[step] : allowed.get(rnd.nextInt(allowed.size()));
                        taken.add(t);
                        c.accept(t);
                        chart = scanAll(ref, chart, texts[t]);
                        assertTrue(chart != null, "an allowed token left the grammar: " + where);
                    }
                }
            }
            assertTrue(compared >= KINDS.size() * 16, "compared " + compared + " masks");
        }
    }

    /**
     * The regex path (json_schema, guided_regex): each cached per-state mask against feeding every token's bytes to
     * a fork of the constraint, on Qwen3's vocabulary, along the output and off it at a random step.
     */
    @Test
    void regexMaskEqualsFeedingEachToken() throws Exception {
        long seed = Long.getLong("jllm.test.seed", System.nanoTime());
        System.out.println("GrammarMaskDiffTest regex seed " + seed);
        Random rnd = new Random(seed);
        var schema = new com.fasterxml.jackson.databind.ObjectMapper().readTree(MaskSpeed.SCHEMA);
        try (Tokenizer tok = Tokenizers.load(TestModels.shared().resolve("tokenizers/qwen3"), null)) {
            int words = (tok.vocabSize() + 31) / 32;
            int compared = 0;
            String[][] cases = {{"json_schema", MaskSpeed.DOC}, {MaskSpeed.REGEX, "2024-05-17 Today we walked along the river ü."}};
            for (String[] k : cases) {
                int[] ids = tok.encode(k[1], false, false);
                int leaveAt = rnd.nextInt(ids.length);
                Constraints compiler = new Constraints(tok);
                RegexConstraint c = (RegexConstraint) (k[0].equals("json_schema") ? compiler.jsonSchema(schema, null) : compiler.regex(k[0]));
                List<Integer> taken = new ArrayList<>();
                for (int step = 0; step < Math.min(ids.length, 40); step++) {
                    int[] fast = new int[words], want = new int[words];
                    c.fillAllowed(fast);
                    for (int id = 0; id < tok.vocabSize(); id++) {
                        if (tok.eosIds().contains(id)) {
                            if (c.isComplete()) want[id >> 5] |= 1 << (id & 31);
                            continue;
                        }
                        RegexConstraint f = (RegexConstraint) c.fork();
                        f.accept(id);
                        byte[] bytes = TokenVocabulary.of(tok).bytesOf(id);
                        if (f.alive() && bytes != null && bytes.length > 0) want[id >> 5] |= 1 << (id & 31);
                    }
                    String where = k[0] + " after tokens " + taken + " (seed " + seed + ")";
                    assertEquals(diff(want, fast), "", where);
                    compared++;
                    List<Integer> allowed = new ArrayList<>();
                    for (int id = 0; id < tok.vocabSize(); id++) if (bit(want, id) && !tok.eosIds().contains(id)) allowed.add(id);
                    if (allowed.isEmpty()) break;
                    int t = step < leaveAt && bit(want, ids[step]) ? ids[step] : allowed.get(rnd.nextInt(allowed.size()));
                    taken.add(t);
                    c.accept(t);
                }
            }
            assertTrue(compared >= 20, "compared " + compared + " masks");
        }
    }

    /** Spot check of the reference: a sample of tokens scanned one by one from the chart. */
    private static void checkReference(Earley e, Earley.Chart chart, String[] texts, int[] want, Random rnd, String where) {
        for (int i = 0; i < 3000; i++) {
            int id = rnd.nextInt(texts.length);
            if (texts[id] == null) continue;
            assertEquals(scanAll(e, chart, texts[id]) != null, bit(want, id), "reference, token " + id + " " + where);
        }
    }

    private static Earley.Chart scanAll(Earley e, Earley.Chart c, String text) {
        for (int i = 0; i < text.length() && c != null; ) {
            int cp = text.codePointAt(i);
            c = e.scan(c, cp);
            i += Character.charCount(cp);
        }
        return c;
    }

    /** The reference: the whole trie from the chart, scanning each completed UTF-8 character (the pre-split walk). */
    private static void fullWalk(Earley e, TokenVocabulary.Node node, Earley.Chart c, int acc, int need, int[] mask) {
        if (need == 0) for (int id : node.tokens) mask[id >> 5] |= 1 << (id & 31);
        for (int i = 0; i < node.labels.length; i++) {
            int b = node.labels[i];
            TokenVocabulary.Node child = node.kids[i];
            if (need == 0 && b < 0x80) {
                Earley.Chart next = e.scan(c, b);
                if (next != null) fullWalk(e, child, next, 0, 0, mask);
            } else if (need == 0 && b >= 0xC2 && b <= 0xF4) {
                int n = b <= 0xDF ? 1 : b <= 0xEF ? 2 : 3;
                fullWalk(e, child, c, b & (0x3F >> n), n, mask);
            } else if (need > 0 && (b & 0xC0) == 0x80) {
                int a = (acc << 6) | (b & 0x3F);
                Earley.Chart next = need > 1 ? c : e.scan(c, a);
                if (next != null) fullWalk(e, child, next, need > 1 ? a : 0, need - 1, mask);
            }
        }
    }

    private static boolean bit(int[] mask, int id) {
        return (mask[id >> 5] >>> (id & 31) & 1) != 0;
    }

    /** The first few tokens the two masks disagree on ("" when equal). */
    private static String diff(int[] want, int[] got) {
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (int id = 0; id < want.length * 32 && n < 10; id++)
            if (bit(want, id) != bit(got, id)) { b.append(bit(want, id) ? " missing " : " extra ").append(id); n++; }
        return b.toString();
    }
}
