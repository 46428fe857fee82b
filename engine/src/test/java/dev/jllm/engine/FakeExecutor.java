package dev.jllm.engine;

import java.util.concurrent.TimeUnit;

/**
 * A model executor with no model: each row samples a fixed, valid non-EOS token (or its forced token), with
 * logprob -1. Its steps can be held at a gate, uninterruptibly like a native call, to test what the engine does
 * while a step runs; close() records whether it was called during a step (a use after free with native memory).
 */
public final class FakeExecutor implements ModelExecutor {
    private final int vocab, maxModelLen, blockSize, numBlocks;
    private final Object lock = new Object();
    private boolean held, blocked;
    private int inFlight;
    public volatile boolean closed, closedDuringStep;
    public volatile long steps;

    public FakeExecutor(int vocab, int maxModelLen, int blockSize, int numBlocks) {
        this.vocab = vocab;
        this.maxModelLen = maxModelLen;
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
    }

    @Override public int vocabSize() { return vocab; }
    @Override public int maxModelLen() { return maxModelLen; }
    @Override public int blockSize() { return blockSize; }
    @Override public int numBlocks() { return numBlocks; }
    @Override public int numHostBlocks() { return 0; }
    @Override public int maxLogprobs() { return 20; }
    @Override public int maxLogitRows() { return 256; }

    /** Steps from now on wait at the gate until {@link #release}. */
    public void hold() {
        synchronized (lock) {
            held = true;
        }
    }

    public void release() {
        synchronized (lock) {
            held = false;
            lock.notifyAll();
        }
    }

    /** Waits (at most 30 s) until a step waits at the gate; false if none did. */
    public boolean awaitBlocked() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (lock) {
            while (!blocked && System.nanoTime() < end) lock.wait(100);
            return blocked;
        }
    }

    @Override
    public void step(StepBatch batch, StepResult result) {
        synchronized (lock) {
            inFlight++;
            blocked = held;
            lock.notifyAll();
            while (held) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    // a native call cannot be interrupted either
                }
            }
            blocked = false;
        }
        try {
            for (int r = 0; r < batch.numRows; r++) {
                StepBatch.SamplingRow row = batch.rows[r];
                int token = row.forcedToken >= 0 ? row.forcedToken : 300 + (r % 7);
                result.tokens[r] = token;
                result.logprobs[r] = -1f;
                for (int k = 0; k < result.topStride; k++) {
                    result.topIds[r * result.topStride + k] = k == 0 ? token : 200 + k;
                    result.topLogprobs[r * result.topStride + k] = -1f - k;
                }
            }
            steps++;
        } finally {
            synchronized (lock) {
                inFlight--;
            }
        }
    }

    @Override public void copyBlocks(int[] src, int[] dst, int n) {}
    @Override public void swapOut(int[] src, int[] dst, int n) {}
    @Override public void swapIn(int[] src, int[] dst, int n) {}

    @Override
    public void close() {
        synchronized (lock) {
            if (inFlight > 0) closedDuringStep = true;
        }
        closed = true;
    }
}
