package dev.jllm.engine;

import java.util.ArrayList;
import java.util.List;

/** One generated continuation: its tokens, KV blocks, text and stop state. Touched by the engine thread only. */
final class Sequence {
    enum Status { WAITING, RUNNING, FINISHED }

    final int index;           // choice index within its group
    final SequenceGroup group;
    final IntList tokens;      // prompt then output
    final int promptLen;
    int numComputed;           // tokens whose K/V is in the cache
    final IntList blocks = new IntList(8);
    final List<byte[]> blockHashes = new ArrayList<>();  // prefix-cache keys of full blocks 0.., memoized
    Status status = Status.WAITING;
    double cumLogprob;
    final long seed;
    TokenConstraint constraint;

    // detokenizer and stop-string state
    final StringBuilder text = new StringBuilder();
    final IncrementalDetokenizer.State detok;
    int emittedChars;          // characters of text already published
    int emittedTokens;         // output tokens already published
    boolean finishPublished;   // its last delta (finished, with the reason) went out: it sends nothing more
    final List<TokenLogprob> pendingLogprobs = new ArrayList<>();  // logprobs not yet published (a beam: all of them)
    String finishReason;
    Object stopReason;

    Sequence(int index, SequenceGroup group, int[] prompt, long seed) {
        this.index = index;
        this.group = group;
        this.tokens = new IntList(prompt);
        this.promptLen = prompt.length;
        this.seed = seed;
        this.detok = new IncrementalDetokenizer.State(prompt.length);
    }

    /** A child sharing this sequence's tokens and blocks (blocks are ref-counted by the BlockManager). */
    Sequence fork(int childIndex, long childSeed) {
        Sequence c = new Sequence(childIndex, group, tokens.toArray(), childSeed, promptLen);
        c.numComputed = numComputed;
        for (int i = 0; i < blocks.size(); i++) c.blocks.add(blocks.get(i));
        c.blockHashes.addAll(blockHashes);
        c.status = status;
        c.cumLogprob = cumLogprob;
        c.constraint = constraint == null ? null : constraint.fork();
        return c;
    }

    private Sequence(int index, SequenceGroup group, int[] all, long seed, int promptLen) {
        this.index = index;
        this.group = group;
        this.tokens = new IntList(all);
        this.promptLen = promptLen;
        this.seed = seed;
        this.detok = new IncrementalDetokenizer.State(promptLen);
    }

    int outputLen() {
        return tokens.size() - promptLen;
    }

    boolean finished() {
        return status == Status.FINISHED;
    }

    /** Tokens still to feed through the model before the next sample. */
    int uncomputed() {
        return tokens.size() - numComputed;
    }

    int lastToken() {
        return tokens.get(tokens.size() - 1);
    }
}
