package dev.jllm.tokenizer;

import java.time.Duration;

/**
 * Bounds on one chat-template rendering, the same on every route that renders (/v1/chat/completions, /tokenize,
 * /detokenize, render-chat): wall time, and characters of output (also the bound on any one string the template
 * builds). A rendering over either fails with {@link RenderLimits.Exceeded} and stops within about one template
 * node of the bound.
 *
 * @param timeout        wall time of one rendering (--chat-template-timeout, default 2 s)
 * @param maxOutputChars UTF-16 chars of output and of any intermediate string (--max-prompt-chars, default 8 Mi)
 */
public record RenderLimits(Duration timeout, int maxOutputChars) {
    public static final RenderLimits DEFAULT = new RenderLimits(Duration.ofSeconds(2), 8 << 20);

    public RenderLimits {
        if (timeout == null || timeout.isNegative() || timeout.isZero())
            throw new IllegalArgumentException("chat template timeout must be positive, got " + timeout);
        if (maxOutputChars < 1) throw new IllegalArgumentException("chat template output limit must be positive, got " + maxOutputChars);
    }

    /** These limits with a smaller output bound (e.g. the most characters a prompt within max_model_len can have). */
    public RenderLimits withMaxOutputChars(long chars) {
        return new RenderLimits(timeout, (int) Math.max(1, Math.min(maxOutputChars, chars)));
    }

    /** A rendering went over a limit; the request gets a 400 with this message. */
    public static final class Exceeded extends IllegalArgumentException {
        private final boolean output;
        private final long chars;

        Exceeded(String message, boolean output, long chars) {
            super(message);
            this.output = output;
            this.chars = chars;
        }

        /** Whether the output bound (not the time bound) was hit. */
        public boolean output() {
            return output;
        }

        /** The least number of characters the output (or a string in it) was known to have; 0 for the time bound. */
        public long chars() {
            return chars;
        }
    }
}
