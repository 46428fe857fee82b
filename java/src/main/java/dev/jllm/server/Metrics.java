package dev.jllm.server;

import dev.jllm.engine.EngineStats;

/** Prometheus text for GET /metrics, with vLLM's metric names (§11) and the label model_name. */
final class Metrics {
    private Metrics() {}

    static String render(EngineStats s, String model, int numBlocks, int blockSize) {
        StringBuilder b = new StringBuilder();
        String l = "{model_name=\"" + model.replace("\"", "\\\"") + "\"}";
        gauge(b, "vllm:num_requests_running", "Number of requests running.", l, s.running);
        gauge(b, "vllm:num_requests_waiting", "Number of requests waiting.", l, s.waiting);
        gauge(b, "vllm:num_requests_swapped", "Number of requests swapped to the host pool.", l, s.swapped);
        gauge(b, "vllm:gpu_cache_usage_perc", "KV-cache usage, 0..1 (the main pool; CPU here).", l, s.kvUsage);
        gauge(b, "vllm:kv_cache_usage_perc", "KV-cache usage, 0..1.", l, s.kvUsage);
        gauge(b, "vllm:cpu_cache_usage_perc", "Swap-pool usage, 0..1.", l, s.hostKvUsage);
        gauge(b, "vllm:prefix_cache_hit_rate", "Prefix-cache hit rate over full prompt blocks.", l, s.prefixHitRate);
        counter(b, "vllm:num_preemptions_total", "Cumulative preemptions.", l, s.preemptions.get());
        counter(b, "vllm:prompt_tokens_total", "Prefill tokens processed.", l, s.promptTokens.get());
        counter(b, "vllm:generation_tokens_total", "Tokens generated.", l, s.generationTokens.get());
        b.append("# HELP vllm:request_success_total Requests finished, by finish reason.\n# TYPE vllm:request_success_total counter\n");
        for (String reason : new String[] {"stop", "length", "abort", "error"}) {
            var c = s.finishedByReason.get(reason);
            b.append("vllm:request_success_total{finished_reason=\"").append(reason).append("\",model_name=\"").append(model)
                    .append("\"} ").append(c == null ? 0 : c.get()).append('\n');
        }
        counter(b, "vllm:num_swaps_total", "Cumulative swap-outs of multi-sequence requests.", l, s.swaps.get());
        b.append("# HELP jllm:request_rejected_total Requests refused at submission, by reason (vLLM has no such metric).\n# TYPE jllm:request_rejected_total counter\n");
        for (String reason : new String[] {"invalid", "queue_full", "queued_tokens", "shutting_down", "duplicate_id"}) {
            var c = s.rejectedByReason.get(reason);
            b.append("jllm:request_rejected_total{reason=\"").append(reason).append("\",model_name=\"").append(model)
                    .append("\"} ").append(c == null ? 0 : c.get()).append('\n');
        }
        gauge(b, "jllm:num_requests_queued", "Requests submitted and not yet scheduled (what --max-waiting-requests bounds).", l, s.queuedRequests);
        gauge(b, "jllm:num_queued_prompt_tokens", "Prompt tokens of those requests (what --max-waiting-tokens bounds).", l, s.queuedTokens);
        counter(b, "jllm:engine_loop_iterations_total", "Engine loop iterations (still while idle: the loop blocks).", l, s.loopIterations.get());
        histogram(b, "vllm:time_to_first_token_seconds", "Time to first token.", model, s.timeToFirstToken);
        histogram(b, "vllm:e2e_request_latency_seconds", "End-to-end request latency.", model, s.e2eLatency);
        histogram(b, "vllm:time_per_output_token_seconds", "Time per output token after the first.", model, s.timePerOutputToken);
        b.append("# HELP vllm:cache_config_info KV cache configuration.\n# TYPE vllm:cache_config_info gauge\n");
        b.append("vllm:cache_config_info{block_size=\"").append(blockSize).append("\",num_gpu_blocks=\"").append(numBlocks)
                .append("\",model_name=\"").append(model).append("\"} 1\n");
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, String labels, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(labels).append(' ').append(v).append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, String labels, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
        b.append(name).append(labels).append(' ').append(v).append('\n');
    }

    private static void histogram(StringBuilder b, String name, String help, String model, EngineStats.Histogram h) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" histogram\n");
        long cum = 0;
        for (int i = 0; i <= EngineStats.TIME_BUCKETS.length; i++) {
            cum += h.counts.get(i);
            String le = i < EngineStats.TIME_BUCKETS.length ? String.valueOf(EngineStats.TIME_BUCKETS[i]) : "+Inf";
            b.append(name).append("_bucket{le=\"").append(le).append("\",model_name=\"").append(model).append("\"} ").append(cum).append('\n');
        }
        b.append(name).append("_sum{model_name=\"").append(model).append("\"} ").append(h.sum()).append('\n');
        b.append(name).append("_count{model_name=\"").append(model).append("\"} ").append(h.count.get()).append('\n');
    }
}
