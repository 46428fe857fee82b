package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * Translates an Anthropic Messages request (POST /v1/messages, /v1/messages/count_tokens) into the chat-completions
 * request jllm already serves, so rendering, tokenizing, sampling validation and tool constraints are the chat
 * pipeline's own:
 * <ul>
 * <li>{@code system} (a string or text blocks) → a leading system message;</li>
 * <li>user {@code text} blocks → one user message; {@code tool_result} blocks → tool messages (before that text);</li>
 * <li>assistant {@code text} → content; {@code tool_use} → tool_calls; {@code thinking} blocks are dropped;</li>
 * <li>a final assistant message is a prefill: continue_final_message, as Anthropic continues it;</li>
 * <li>tools → functions; tool_choice auto → the server's auto mode (none without --tool-call-parser), any →
 * "required", tool → the named function, none → "none";</li>
 * <li>stop_sequences → stop; max_tokens, temperature, top_p, top_k as they are.</li>
 * </ul>
 * {@code thinking} is accepted and ignored (no thinking blocks are produced); {@code metadata} is ignored; image and
 * document blocks are refused (text-only models).
 */
final class AnthropicRequest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> KNOWN = Set.of("model", "messages", "system", "max_tokens", "stop_sequences", "temperature",
            "top_p", "top_k", "metadata", "stream", "tools", "tool_choice", "thinking", "service_tier");

    private AnthropicRequest() {}

    /** The chat-completions body for a Messages body; countOnly (count_tokens) does not require max_tokens. */
    static ObjectNode toChat(JsonNode body, boolean countOnly) {
        Fields f = new Fields(body);
        f.logUnknown(KNOWN, countOnly ? "/v1/messages/count_tokens" : "/v1/messages");
        ObjectNode chat = JSON.createObjectNode();
        if (f.has("model")) chat.put("model", f.string("model", null));
        // 1. the conversation
        ArrayNode msgs = chat.putArray("messages");
        system(f.raw("system"), msgs);
        JsonNode in = f.raw("messages");
        if (in == null || !in.isArray() || in.isEmpty()) throw ApiException.badRequest("messages: a non-empty list of messages is required.", "messages");
        for (int i = 0; i < in.size(); i++) message(in.get(i), i, msgs);
        JsonNode last = in.get(in.size() - 1);
        if ("assistant".equals(last.path("role").asText()) && !hasToolUse(last)) {
            if (msgs.get(msgs.size() - 1).path("content").asText().isEmpty()) {
                msgs.remove(msgs.size() - 1);  // an empty prefill: a plain reply
            } else {
                chat.put("continue_final_message", true);  // a prefill: the reply continues it
                chat.put("add_generation_prompt", false);
            }
        }
        // 2. sampling
        if (!countOnly) {
            if (!f.has("max_tokens")) throw ApiException.badRequest("max_tokens: Field required.", "max_tokens");
            chat.put("max_tokens", f.integer("max_tokens", null));
        }
        for (String name : new String[] {"temperature", "top_p"}) if (f.has(name)) chat.put(name, f.number(name, 0f));
        if (f.has("top_k")) chat.put("top_k", f.integer("top_k", null));
        JsonNode stop = f.raw("stop_sequences");
        if (stop != null) {
            if (!stop.isArray()) throw ApiException.badRequest("stop_sequences must be a list of strings.", "stop_sequences");
            for (JsonNode s : stop)
                if (!s.isTextual() || s.asText().isEmpty()) throw ApiException.badRequest("stop_sequences must be a list of non-empty strings.", "stop_sequences");
            chat.set("stop", stop);
        }
        if (f.has("stream")) chat.put("stream", f.bool("stream", false));
        JsonNode meta = f.raw("metadata"), thinking = f.raw("thinking");
        if (meta != null && !meta.isObject()) throw ApiException.badRequest("metadata must be an object.", "metadata");
        if (thinking != null && !thinking.isObject()) throw ApiException.badRequest("thinking must be an object.", "thinking");
        // 3. tools
        tools(f.raw("tools"), f.raw("tool_choice"), chat);
        return chat;
    }

    private static boolean hasToolUse(JsonNode msg) {
        for (JsonNode b : msg.path("content")) if ("tool_use".equals(b.path("type").asText())) return true;
        return false;
    }

    private static void system(JsonNode sys, ArrayNode msgs) {
        if (sys == null) return;
        String text = sys.isTextual() ? sys.asText() : text(sys, "system");
        if (!text.isEmpty()) msgs.addObject().put("role", "system").put("content", text);
    }

    /** The text of a list of text blocks (joined by newlines); anything else in it is a 400 naming its type. */
    private static String text(JsonNode blocks, String param) {
        if (!blocks.isArray()) throw ApiException.badRequest(param + " must be a string or a list of text blocks.", param);
        StringBuilder sb = new StringBuilder();
        for (JsonNode b : blocks) {
            String type = blockType(b, param);
            if (!type.equals("text")) throw unsupported(type, param);
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(blockText(b, param));
        }
        return sb.toString();
    }

    private static String blockType(JsonNode b, String param) {
        if (!b.isObject() || !b.path("type").isTextual()) throw ApiException.badRequest(param + ": each content block must be an object with a string 'type'.", param);
        return b.get("type").asText();
    }

    private static String blockText(JsonNode b, String param) {
        if (!b.path("text").isTextual()) throw ApiException.badRequest(param + ": a text block needs a string 'text'.", param);
        return b.get("text").asText();
    }

    private static ApiException unsupported(String type, String param) {
        if (type.equals("image") || type.equals("document"))
            return ApiException.badRequest(param + ": content block type '" + type + "' is not supported: this model takes text only.", param);
        return ApiException.badRequest(param + ": content block type '" + type + "' is not supported here.", param);
    }

    /** One Anthropic message as one or more chat messages (tool results become tool messages). */
    private static void message(JsonNode m, int i, ArrayNode out) {
        String param = "messages[" + i + "]";
        if (!m.isObject()) throw ApiException.badRequest(param + " must be an object with 'role' and 'content'.", "messages");
        String role = m.path("role").asText("");
        if (!role.equals("user") && !role.equals("assistant"))
            throw ApiException.badRequest(param + ".role must be \"user\" or \"assistant\", got " + m.path("role") + ".", "messages");
        JsonNode content = m.get("content");
        if (content != null && content.isTextual()) {
            out.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (content == null || !content.isArray()) throw ApiException.badRequest(param + ".content must be a string or a list of content blocks.", "messages");
        StringBuilder text = new StringBuilder();
        ArrayNode calls = JSON.createArrayNode();
        for (JsonNode b : content) {
            String type = blockType(b, param);
            switch (type) {
                case "text" -> {
                    if (!text.isEmpty()) text.append('\n');
                    text.append(blockText(b, param));
                }
                case "tool_use" -> {
                    if (!role.equals("assistant")) throw ApiException.badRequest(param + ": tool_use blocks belong in assistant messages.", "messages");
                    if (!b.path("id").isTextual() || !b.path("name").isTextual() || !b.path("input").isObject())
                        throw ApiException.badRequest(param + ": a tool_use block needs a string 'id' and 'name' and an object 'input'.", "messages");
                    ObjectNode call = calls.addObject().put("id", b.get("id").asText()).put("type", "function");
                    call.putObject("function").put("name", b.get("name").asText()).put("arguments", b.get("input").toString());
                }
                case "tool_result" -> {
                    if (!role.equals("user")) throw ApiException.badRequest(param + ": tool_result blocks belong in user messages.", "messages");
                    if (!b.path("tool_use_id").isTextual()) throw ApiException.badRequest(param + ": a tool_result block needs a string 'tool_use_id'.", "messages");
                    JsonNode c = b.get("content");
                    String result = c == null || c.isNull() ? "" : c.isTextual() ? c.asText() : text(c, param + ".tool_result.content");
                    out.addObject().put("role", "tool").put("tool_call_id", b.get("tool_use_id").asText()).put("content", result);
                }
                case "thinking", "redacted_thinking" -> {
                    // earlier turns' reasoning: not rendered (this server produces none)
                }
                default -> throw unsupported(type, param);
            }
        }
        if (!calls.isEmpty()) {
            ObjectNode msg = out.addObject().put("role", "assistant").put("content", text.toString());
            msg.set("tool_calls", calls);
        } else if (!text.isEmpty() || role.equals("assistant") || out.isEmpty() || !out.get(out.size() - 1).path("role").asText().equals("tool")) {
            out.addObject().put("role", role).put("content", text.toString());
        }
    }

    /** Anthropic tools and tool_choice as chat's functions and tool_choice. */
    private static void tools(JsonNode tools, JsonNode choice, ObjectNode chat) {
        if (tools != null) {
            if (!tools.isArray()) throw ApiException.badRequest("tools must be a list.", "tools");
            ArrayNode fns = chat.putArray("tools");
            for (JsonNode t : tools) {
                if (!t.isObject() || !t.path("name").isTextual())
                    throw ApiException.badRequest("Each tool must be an object with a string 'name' and an 'input_schema'.", "tools");
                String type = t.path("type").asText("custom");
                if (!type.equals("custom"))
                    throw ApiException.badRequest("Tool type '" + type + "' (a server tool) is not supported; only custom tools {name, description, input_schema}.", "tools");
                JsonNode schema = t.get("input_schema");
                if (schema == null || !schema.isObject()) throw ApiException.badRequest("Tool '" + t.get("name").asText() + "' needs an object 'input_schema'.", "tools");
                ObjectNode fn = fns.addObject().put("type", "function").putObject("function");
                fn.put("name", t.get("name").asText());
                if (t.path("description").isTextual()) fn.put("description", t.get("description").asText());
                fn.set("parameters", schema);
            }
        }
        if (choice == null) return;
        if (!choice.isObject() || !choice.path("type").isTextual())
            throw ApiException.badRequest("tool_choice must be an object with a 'type' (auto, any, tool or none).", "tool_choice");
        JsonNode dp = choice.get("disable_parallel_tool_use");  // one call is all jllm makes in any mode
        if (dp != null && !dp.isBoolean()) throw ApiException.badRequest("tool_choice.disable_parallel_tool_use must be a boolean.", "tool_choice");
        switch (choice.get("type").asText()) {
            case "auto" -> { }  // the server's default with tools: parsed by --tool-call-parser when set
            case "none" -> chat.put("tool_choice", "none");
            case "any" -> {
                if (tools == null) throw ApiException.badRequest("tool_choice 'any' requires tools.", "tool_choice");
                chat.put("tool_choice", "required");
            }
            case "tool" -> {
                if (!choice.path("name").isTextual()) throw ApiException.badRequest("tool_choice of type 'tool' needs a string 'name'.", "tool_choice");
                if (tools == null) throw ApiException.badRequest("tool_choice 'tool' requires tools.", "tool_choice");
                chat.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.get("name").asText());
            }
            default -> throw ApiException.badRequest("tool_choice.type must be auto, any, tool or none, got '" + choice.get("type").asText() + "'.", "tool_choice");
        }
    }
}
