package dev.jllm.tokenizer;

import java.util.List;

/**
 * Prints encode speed of the GGUF tokenizers on real vocabularies (a benchmark, not a test):
 * java -cp ... dev.jllm.tokenizer.TokenizerSpeed [SHARED_DIR]. Figures: milliseconds per encode of n characters of
 * chat-rendered text (control tokens included), best of several runs, for growing n (linear-ish means ms/n flat).
 */
public final class TokenizerSpeed {
    public static void main(String[] args) throws Exception {
        if (args.length > 0) System.setProperty("jllm.shared.dir", args[0]);
        List<String> corpus = TokenizerGoldenTest.corpus();
        for (String vocab : List.of("gemma3", "llama3", "qwen3")) {
            GgufMetadata meta = new GgufMetadata(vocab.equals("gemma3") ? GgufVocabFromHf.sentencePiece(TokenizerGoldenTest.dir(vocab), false)
                    : GgufVocabFromHf.byteLevel(TokenizerGoldenTest.dir(vocab), vocab.equals("qwen3") ? "qwen2" : "llama-bpe", true));
            long t0 = System.nanoTime();
            Tokenizer t = vocab.equals("gemma3") ? new SpmTokenizer(meta) : new ByteBpeTokenizer(meta);
            System.out.printf("%s: tokenizer of %d tokens built from GGUF metadata in %.2f s%n", vocab, t.vocabSize(), (System.nanoTime() - t0) / 1e9);
            String turn = vocab.equals("gemma3") ? "<start_of_turn>user\n%s<end_of_turn>\n<start_of_turn>model\n"
                    : vocab.equals("qwen3") ? "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n"
                    : "<|start_header_id|>user<|end_header_id|>\n\n%s<|eot_id|>";
            for (int n : new int[] {1_000, 9_000, 90_000}) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; b.length() < n; i++) b.append(String.format(turn, corpus.get(i * 7 % corpus.size())));
                String text = b.substring(0, n);
                double best = Double.MAX_VALUE;
                int ids = 0;
                for (int r = 0; r < 7; r++) {
                    long s = System.nanoTime();
                    ids = t.encode(text, true, true).length;
                    best = Math.min(best, (System.nanoTime() - s) / 1e6);
                }
                System.out.printf("  %6d chars -> %6d ids: %8.2f ms (%.2f us/char)%n", n, ids, best, best * 1000 / n);
            }
        }
    }
}
