package dev.jllm.engine;

/**
 * A per-sequence automaton over the token vocabulary (structured output): which tokens may come next, and the
 * state after one is chosen. Instances are per sequence; {@link #fork} copies the state for n > 1.
 */
public interface TokenConstraint {
    /** Writes the allowed-token bitmask: bit (id % 32) of word (id / 32) set = allowed. mask.length = ceil(vocab/32). */
    void fillAllowed(int[] mask);

    /** Advances over the chosen token. */
    void accept(int tokenId);

    /** True when the constraint is complete (EOS is allowed / generation can stop). */
    boolean isComplete();

    TokenConstraint fork();
}
