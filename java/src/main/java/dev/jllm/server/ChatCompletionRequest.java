package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A POST /v1/chat/completions body, read once (OpenAI's field names, vLLM's extras): what the handler itself uses,
 * typed and range-checked. The shared groups are read where every endpoint reads them: the sampling fields by
 * SamplingFields (validated by SamplingFields.validate), the conversation and template fields by ChatHandler.render,
 * tools and tool_choice by ToolCalls.plan, all from {@link #fields}. /v1/responses and /v1/messages translate their
 * bodies into this shape and go through the same reads.
 *
 * @param fields        the body, for the shared reads
 * @param model         the served name to echo
 * @param logprobs      whether to return the sampled tokens' logprobs
 * @param topLogprobs   alternatives per token, 0..--max-logprobs (0 when absent)
 * @param maxTokens     max_completion_tokens, else max_tokens; null: fill the context
 * @param promptLogprobs prompt_logprobs: the prompt tokens' logprobs and this many alternatives, returned at the
 *                      response's top level (vLLM); null: none
 */
record ChatCompletionRequest(Fields fields, String model, boolean stream, boolean echo, StreamOptions streamOptions,
                             boolean logprobs, int topLogprobs, Integer maxTokens, Integer promptLogprobs) {
    static final Set<String> KNOWN = new HashSet<>(SamplingFields.COMMON);

    static {
        KNOWN.addAll(List.of("messages", "top_logprobs", "tools", "tool_choice", "parallel_tool_calls",
                "add_generation_prompt", "continue_final_message", "prompt_logprobs", "documents", "chat_template", "chat_template_kwargs"));
    }

    /** The request of a client's body: unknown fields are logged under `endpoint`. */
    static ChatCompletionRequest parse(JsonNode body, ServerContext ctx, String endpoint) {
        Fields f = new Fields(body);
        f.logUnknown(KNOWN, endpoint);
        return of(f, ctx);
    }

    /** The request of a body already checked for unknown fields (a translated Responses or Messages request). */
    static ChatCompletionRequest of(Fields f, ServerContext ctx) {
        String model = ctx.resolveModel(f.string("model", null));
        boolean stream = f.bool("stream", false), echo = f.bool("echo", false);
        StreamOptions so = StreamOptions.read(f, stream);
        boolean logprobs = f.bool("logprobs", false);
        Integer top = f.integer("top_logprobs", null);
        if (top != null && !logprobs) throw ApiException.badRequest("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs");
        if (top != null && (top < 0 || top > ctx.maxLogprobs()))
            throw ApiException.badRequest("top_logprobs must be in [0, " + ctx.maxLogprobs() + "], got " + top + ".", "top_logprobs");
        return new ChatCompletionRequest(f, model, stream, echo, so, logprobs, top == null ? 0 : top, SamplingFields.requestedMaxTokens(f, null),
                f.integer("prompt_logprobs", null));
    }

    /** The role of the last message (echo repeats its content when the reply continues that role). */
    String lastRole() {
        JsonNode m = fields.raw("messages");
        return m.get(m.size() - 1).path("role").asText();
    }
}
