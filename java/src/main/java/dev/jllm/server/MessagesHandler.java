package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.SamplingParams;
import java.io.IOException;
import java.util.List;
import java.util.UUID;

/**
 * Anthropic's Messages API: POST /v1/messages (plain and streamed) and POST /v1/messages/count_tokens. The request is
 * translated into a chat-completions request (AnthropicRequest) and runs through the chat pipeline: ChatHandler's
 * rendering, SamplingFields, ToolCalls' constraints and parsers. Errors are Anthropic-shaped (OpenAiServer maps them).
 */
final class MessagesHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerContext ctx;
    private final ChatHandler chat;

    MessagesHandler(ServerContext ctx, ChatHandler chat) {
        this.ctx = ctx;
        this.chat = chat;
    }

    /** POST /v1/messages/count_tokens: the prompt's tokens as /v1/messages would render them. */
    ObjectNode countTokens(JsonNode body) {
        Fields f = new Fields(AnthropicRequest.toChat(body, true));
        ctx.resolveModel(f.string("model", null));
        return JSON.createObjectNode().put("input_tokens", chat.render(f).ids().length);
    }

    void handle(JsonNode body, HttpOut out) throws IOException, InterruptedException {
        // 1. parse (translated into a chat request by AnthropicRequest), render, tokenize and validate as chat
        //    completions do, all before anything is submitted; max_tokens is required (AnthropicRequest) and cut to
        //    the room the prompt leaves (agent clients send large fixed values)
        ChatCompletionRequest request = ChatCompletionRequest.of(new Fields(AnthropicRequest.toChat(body, false)), ctx);
        Generation.precheck(ctx.engine());
        ChatHandler.Prepared prepared = chat.prepare(request, true);
        String model = request.model();
        boolean stream = request.stream();
        ChatHandler.Prompt prompt = prepared.prompt();
        int inputTokens = prompt.ids().length;
        SamplingParams params = prepared.params();
        ToolCalls.Plan tools = prepared.tools();
        String id = "msg_" + UUID.randomUUID().toString().replace("-", "");
        ctx.logRequest(id, prompt.text(), inputTokens, params);

        // 2. generate; text and a named tool's input stream as they come, parsed calls at the end
        StringBuilder text = new StringBuilder();
        int outputTokens = 0;
        String finish = null;
        Object stopReason = null;
        String namedId = tools.mode() == ToolCalls.Mode.NAMED ? toolUseId() : null;
        try (Generation gen = new Generation(ctx.engine(), id, List.of(prompt.ids()), List.of(params))) {
            out.watch(gen);
            HttpOut.Sse sse = stream ? out.sse() : null;
            try {
                AnthropicEvents.Stream events = sse == null ? null : new AnthropicEvents.Stream(sse);
                if (events != null) {
                    events.start(message(id, model, JSON.createArrayNode(), null, null, inputTokens, 0));
                    if (tools.mode() == ToolCalls.Mode.NONE) events.startBlock(textBlock(""));
                    if (namedId != null) events.startBlock(toolUse(namedId, tools.name(), JSON.createObjectNode()));
                }
                while (!gen.done()) {
                    Generation.Out o = gen.next(1000);
                    if (o == null) continue;
                    RequestOutput r = o.output();
                    if (r.error() != null) {
                        if (events == null) throw new ApiException(r.errorStatus(), "InternalServerError", r.error(), null);
                        events.error(r.errorStatus(), r.error());
                        return;
                    }
                    for (RequestOutput.SeqDelta d : r.seqs()) {
                        text.append(d.text());
                        outputTokens = d.outputTokens();
                        if (d.finished()) {
                            finish = d.finishReason();
                            stopReason = d.stopReason();
                        }
                        if (events == null || d.text().isEmpty()) continue;
                        if (tools.mode() == ToolCalls.Mode.NONE) events.textDelta(d.text());
                        else if (namedId != null) events.jsonDelta(d.text());
                    }
                }

                // 3. the content blocks and why it stopped
                ArrayNode content = JSON.createArrayNode();
                boolean calls = false;
                if (namedId != null) {
                    content.add(toolUse(namedId, tools.name(), AnthropicEvents.input(text.toString())));
                    calls = true;
                } else {
                    ToolCallStream.Parsed parsed = ToolCalls.parse(tools, text.toString());
                    if (parsed.content() != null || parsed.calls().isEmpty()) content.add(textBlock(parsed.content() == null ? "" : parsed.content()));
                    for (ToolCalls.Call c : parsed.calls()) content.add(toolUse(toolUseId(), c.name(), AnthropicEvents.input(c.arguments())));
                    calls = !parsed.calls().isEmpty();
                }
                String stopSequence = "stop".equals(finish) && stopReason instanceof String s ? s : null;
                String why = "length".equals(finish) ? "max_tokens" : calls ? "tool_use" : stopSequence != null ? "stop_sequence" : "end_turn";
                if (events == null) {
                    out.json(200, message(id, model, content, why, stopSequence, inputTokens, outputTokens));
                    return;
                }
                if (tools.mode() == ToolCalls.Mode.REQUIRED || tools.mode() == ToolCalls.Mode.AUTO) replay(events, content);
                events.finish(why, stopSequence, inputTokens, outputTokens);
            } finally {
                if (sse != null) sse.close();
            }
        }
    }

    /** Buffered blocks (parsed tool calls, with their text) sent whole: a start, one delta, a stop each. */
    private static void replay(AnthropicEvents.Stream events, ArrayNode content) throws IOException {
        for (JsonNode block : content) {
            if (block.path("type").asText().equals("text")) {
                events.startBlock(textBlock(""));
                if (!block.path("text").asText().isEmpty()) events.textDelta(block.path("text").asText());
            } else {
                events.startBlock(toolUse(block.get("id").asText(), block.get("name").asText(), JSON.createObjectNode()));
                events.jsonDelta(block.get("input").toString());
            }
        }
    }

    static ObjectNode message(String id, String model, ArrayNode content, String stopReason, String stopSequence, int inputTokens, int outputTokens) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
        m.set("content", content);
        if (stopReason == null) m.putNull("stop_reason");
        else m.put("stop_reason", stopReason);
        if (stopSequence == null) m.putNull("stop_sequence");
        else m.put("stop_sequence", stopSequence);
        m.set("usage", AnthropicEvents.usage(inputTokens, outputTokens));
        return m;
    }

    private static ObjectNode textBlock(String text) {
        return JSON.createObjectNode().put("type", "text").put("text", text);
    }

    private static ObjectNode toolUse(String id, String name, JsonNode input) {
        ObjectNode b = JSON.createObjectNode().put("type", "tool_use").put("id", id).put("name", name);
        b.set("input", input);
        return b;
    }

    /** Anthropic's id form for a tool call: toolu_ and 24 letters and digits. */
    private static String toolUseId() {
        return "toolu_" + ToolCalls.newId().substring("call_".length());
    }
}
