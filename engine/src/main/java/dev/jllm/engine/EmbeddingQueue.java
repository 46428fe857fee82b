package dev.jllm.engine;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Embedding requests on the engine thread. A request's inputs are cut into runs that fit one forward
 * (max_num_batched_tokens tokens, max_num_seqs sequences); the engine runs ONE such run per loop iteration,
 * between generation steps, so a large embedding request delays generation by a step at a time, never wedges it.
 * Only the engine thread touches the queue.
 */
final class EmbeddingQueue {
    /** One HTTP call's inputs, its pooled vectors as they come, and who waits for them. */
    static final class Job {
        final List<int[]> inputs;
        final int pooling;
        final long tokens;      // reserved in admission until the job first runs
        final float[][] out;
        final CompletableFuture<float[][]> done = new CompletableFuture<>();
        int next;               // first input not yet run
        boolean started;        // admission released

        Job(List<int[]> inputs, int pooling, long tokens) {
            this.inputs = inputs;
            this.pooling = pooling;
            this.tokens = tokens;
            this.out = new float[inputs.size()][];
        }
    }

    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private final int maxTokens, maxSeqs;

    EmbeddingQueue(int maxTokens, int maxSeqs) {
        this.maxTokens = maxTokens;
        this.maxSeqs = maxSeqs;
    }

    void add(Job j) {
        jobs.add(j);
    }

    boolean isEmpty() {
        return jobs.isEmpty();
    }

    /**
     * Runs the next run of the oldest job: as many of its next inputs as fit one forward (at least one; each input
     * was checked to fit alone). Returns the job when this call started it (so that admission can release it).
     */
    Job runOne(ModelExecutor exec) {
        Job j = jobs.peek();
        if (j == null) return null;
        boolean first = !j.started;
        j.started = true;
        int from = j.next, tokens = 0, to = from;
        while (to < j.inputs.size() && to - from < maxSeqs && tokens + j.inputs.get(to).length <= maxTokens)
            tokens += j.inputs.get(to++).length;
        try {
            float[][] v = exec.embed(j.inputs.subList(from, to).toArray(new int[0][]), j.pooling);
            System.arraycopy(v, 0, j.out, from, v.length);
            j.next = to;
            if (to == j.inputs.size()) {
                jobs.poll();
                j.done.complete(j.out);
            }
        } catch (RuntimeException e) {
            jobs.poll();
            j.done.completeExceptionally(e);
        }
        return first ? j : null;
    }

    /** Fails every job (shutdown); returns the jobs admission still counts. */
    List<Job> failAll(String why) {
        List<Job> unstarted = jobs.stream().filter(j -> !j.started).toList();
        for (Job j : jobs) j.done.completeExceptionally(new RequestRejected(503, "ServiceUnavailableError", why, null, "shutting_down", 0));
        jobs.clear();
        return unstarted;
    }
}
