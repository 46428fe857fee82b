package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.SamplingParams;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * OpenAI's Responses API: POST /v1/responses, GET and DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel.
 *
 * <p>A request is translated into a chat-completions body (ResponsesInput) and goes through the chat pipeline:
 * ChatHandler.render (template, limits, tokenizing), SamplingFields, ToolCalls (constrained decoding for a required or
 * named tool, the --tool-call-parser for auto). Finished responses are kept in a bounded ResponseStore when `store`
 * is true (the default, as OpenAI's), for GET and for previous_response_id.
 *
 * <p>`background` is refused, so no response is ever running when a client could name it: cancel answers 400
 * ("Cannot cancel a synchronous response.", as vLLM) for a stored id and 404 for an unknown one.
 */
final class ResponsesApiHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KNOWN = new HashSet<>(ResponsesInput.PASSTHROUGH);

    static {
        KNOWN.addAll(List.of("input", "instructions", "max_output_tokens", "tools", "tool_choice", "text", "stream",
                "stream_options", "store", "previous_response_id", "metadata", "user", "background", "conversation",
                "prompt", "truncation", "include", "top_logprobs", "reasoning", "service_tier", "max_tool_calls",
                "prompt_cache_key", "safety_identifier"));
    }

    private final ServerContext ctx;
    private final ChatHandler chat;
    private final ResponseStore store;

    ResponsesApiHandler(ServerContext ctx, ChatHandler chat, ResponseStore store) {
        this.ctx = ctx;
        this.chat = chat;
        this.store = store;
    }

    /** The request as the chat pipeline reads it, and the conversation items (for the store). */
    private record Translated(ObjectNode chatBody, ArrayNode conversation) {}

    /** 1. Responses request → chat body: previous conversation + input items → messages; tools, format, limits. */
    private Translated translate(Fields f) {
        ResponsesInput.refuseUnsupported(f);
        ArrayNode conversation = JSON.createArrayNode();
        String previous = f.string("previous_response_id", null);
        if (previous != null) {
            ResponseStore.Stored prev = store.get(previous);
            if (prev == null)
                throw new ApiException(404, "NotFoundError", "Previous response with id '" + LogText.escape(previous, 100) + "' not found.", "previous_response_id");
            conversation.addAll(prev.continuation());
        }
        conversation.addAll(ResponsesInput.items(f.raw("input"), store::item));
        ObjectNode body = JSON.createObjectNode();
        for (String name : ResponsesInput.PASSTHROUGH) if (f.has(name)) body.set(name, f.raw(name));
        body.set("messages", ResponsesInput.messages(f.string("instructions", null), conversation));
        if (f.has("tools") && !f.raw("tools").isEmpty()) body.set("tools", ResponsesInput.tools(f.raw("tools")));
        if (f.has("tool_choice")) body.set("tool_choice", ResponsesInput.toolChoice(f.raw("tool_choice")));
        if (f.has("text")) {
            JsonNode rf = ResponsesInput.responseFormat(f.raw("text"));
            if (rf != null) body.set("response_format", rf);
        }
        Integer max = Fields.atLeastOne(f.integer("max_output_tokens", null), "max_output_tokens");
        if (max != null) body.put("max_tokens", max);
        return new Translated(body, conversation);
    }

    void create(JsonNode raw, HttpOut out) throws IOException, InterruptedException {
        // 1. parse and translate into a chat request (unknown fields logged under /v1/responses)
        Fields f = new Fields(raw);
        f.logUnknown(KNOWN, "/v1/responses");
        String model = ctx.resolveModel(f.string("model", null));
        boolean stream = f.bool("stream", false), storeIt = f.bool("store", true);
        Translated t = translate(f);
        ChatCompletionRequest request = ChatCompletionRequest.of(new Fields(t.chatBody()), ctx);
        Generation.precheck(ctx.engine());
        // 2. render, tokenize, sampling parameters and tool plan, validated as chat completions do
        ChatHandler.Prepared prepared = chat.prepare(request, false);
        ChatHandler.Prompt prompt = prepared.prompt();
        SamplingParams params = prepared.params();
        ToolCalls.Plan tools = prepared.tools();
        String id = ResponseOutput.newId("resp_");
        ctx.logRequest(id, prompt.text(), prompt.ids().length, params);
        ObjectNode resp = response(id, model, f, params);

        // 3. generate: plain text streams as output_text deltas, a named call as argument deltas; required and auto
        //    calls are parsed from the finished text (as chat completions do)
        boolean buffered = tools.mode() == ToolCalls.Mode.REQUIRED || tools.mode() == ToolCalls.Mode.AUTO;
        StringBuilder text = new StringBuilder();
        String finish = null;
        int outputTokens = 0;
        try (Generation gen = new Generation(ctx.engine(), id, List.of(prompt.ids()), List.of(params))) {
            out.watch(gen);
            HttpOut.Sse sse = stream ? out.sse() : null;
            try {
                ResponseOutput output = new ResponseOutput(sse);
                output.event("response.created", JSON.createObjectNode().set("response", resp.deepCopy()));
                output.event("response.in_progress", JSON.createObjectNode().set("response", resp.deepCopy()));
                while (!gen.done()) {
                    Generation.Out o = gen.next(1000);
                    if (o == null) continue;
                    RequestOutput r = o.output();
                    if (r.error() != null) {
                        if (sse == null)
                            throw new ApiException(r.errorStatus(), r.errorStatus() >= 500 ? "InternalServerError" : "BadRequestError", r.error(), null);
                        fail(output, resp, r.error());
                        return;
                    }
                    for (RequestOutput.SeqDelta d : r.seqs()) {
                        text.append(d.text());
                        outputTokens = d.outputTokens();
                        if (d.finished()) finish = d.finishReason();
                        if (tools.mode() == ToolCalls.Mode.NAMED) {
                            if (!output.isOpen()) output.call(tools.ids().get(), tools.name());
                            output.arguments(d.text());
                        } else if (!buffered) {
                            output.text(d.text());
                        }
                    }
                }

                // 4. the finished output: parse buffered calls, close the open item, the final status and usage
                boolean cut = "length".equals(finish);
                String itemStatus = cut ? "incomplete" : "completed";
                if (buffered) {
                    ToolCallStream.Parsed parsed = ToolCalls.parse(tools, text.toString());  // at most one call without parallel_tool_calls
                    List<ToolCalls.Call> calls = parsed.calls();
                    if (parsed.content() != null && (!parsed.content().isEmpty() || calls.isEmpty())) output.text(parsed.content());
                    for (ToolCalls.Call c : calls) {
                        output.call(c.id(), c.name());
                        output.arguments(c.arguments());
                    }
                } else if (!output.isOpen()) {
                    if (tools.mode() == ToolCalls.Mode.NAMED) output.call(tools.ids().get(), tools.name());
                    else output.text("");  // no text at all: still one (empty) message
                }
                output.close(itemStatus);
                finish(resp, output.items, cut, prompt.ids().length, outputTokens);
                if (storeIt) store.put(new ResponseStore.Stored(resp, t.conversation()));
                if (sse != null) output.event(cut ? "response.incomplete" : "response.completed", JSON.createObjectNode().set("response", resp));
                else out.json(200, resp);
            } finally {
                if (sse != null) sse.close();
            }
        }
    }

    /** The Response object as created: status in_progress, no output yet; the request's settings echoed. */
    private ObjectNode response(String id, String model, Fields f, SamplingParams params) {
        ObjectNode r = JSON.createObjectNode();
        r.put("id", id).put("object", "response").put("created_at", System.currentTimeMillis() / 1000).put("status", "in_progress");
        r.putNull("completed_at");
        r.put("background", false);
        r.putNull("error");
        r.putNull("incomplete_details");
        putOrNull(r, "instructions", f.raw("instructions"));
        putOrNull(r, "max_output_tokens", f.raw("max_output_tokens"));
        r.put("model", model);
        r.putArray("output");
        r.put("parallel_tool_calls", f.bool("parallel_tool_calls", true));
        putOrNull(r, "previous_response_id", f.raw("previous_response_id"));
        r.putNull("reasoning");
        r.put("service_tier", "default");
        r.put("store", f.bool("store", true));
        r.put("temperature", params.temperature());
        ObjectNode text = r.putObject("text");
        JsonNode format = f.raw("text") == null ? null : f.raw("text").get("format");
        text.set("format", format == null || format.isNull() ? JSON.createObjectNode().put("type", "text") : format);
        r.set("tool_choice", f.has("tool_choice") ? f.raw("tool_choice") : JSON.getNodeFactory().textNode("auto"));
        r.set("tools", ResponsesInput.echoTools(f.raw("tools")));
        r.put("top_p", params.topP());
        r.put("truncation", "disabled");
        if (f.has("user")) r.put("user", f.string("user", null));  // the schema has no null user: absent when not sent
        r.set("metadata", f.has("metadata") ? f.raw("metadata") : JSON.createObjectNode());
        return r;
    }

    private static void putOrNull(ObjectNode r, String name, JsonNode v) {
        r.set(name, v == null ? JSON.nullNode() : v);
    }

    /** Fills in the finished response: output, status (incomplete when max_output_tokens cut it), usage. */
    private static void finish(ObjectNode r, ArrayNode items, boolean cut, int inputTokens, int outputTokens) {
        r.set("output", items);
        if (cut) {
            r.put("status", "incomplete");
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            r.put("status", "completed");
            r.put("completed_at", System.currentTimeMillis() / 1000);
        }
        ObjectNode u = r.putObject("usage");
        u.put("input_tokens", inputTokens);
        u.putObject("input_tokens_details").put("cached_tokens", 0).put("cache_write_tokens", 0);
        u.put("output_tokens", outputTokens);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", inputTokens + outputTokens);
    }

    /** An engine error after the stream started: response.failed with status failed and the error. */
    private static void fail(ResponseOutput output, ObjectNode resp, String message) throws IOException {
        resp.put("status", "failed");
        resp.putObject("error").put("code", "server_error").put("message", message);
        output.event("response.failed", JSON.createObjectNode().set("response", resp));
    }

    /** GET /v1/responses/{id}: the stored Response object. */
    ObjectNode get(String id) {
        return stored(id).response();
    }

    /** DELETE /v1/responses/{id}. */
    ObjectNode delete(String id) {
        if (!store.remove(id)) throw notFound(id);
        return JSON.createObjectNode().put("id", id).put("object", "response.deleted").put("deleted", true);
    }

    /** POST /v1/responses/{id}/cancel: only background responses can be cancelled, and jllm runs none. */
    ObjectNode cancel(String id) {
        stored(id);
        throw ApiException.badRequest("Cannot cancel a synchronous response: only background responses can be cancelled, "
                + "and jllm does not run background responses.", "response_id");
    }

    private ResponseStore.Stored stored(String id) {
        ResponseStore.Stored s = store.get(id);
        if (s == null) throw notFound(id);
        return s;
    }

    private static ApiException notFound(String id) {
        return new ApiException(404, "NotFoundError", "Response with id '" + LogText.escape(id, 100) + "' not found.", "response_id");
    }
}
