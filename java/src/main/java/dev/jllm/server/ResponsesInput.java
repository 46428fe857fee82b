package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Responses API request (POST /v1/responses) translated into the chat-completions body that ChatHandler.render,
 * SamplingFields and ToolCalls read, so both endpoints share one pipeline: input items → chat messages, flat function
 * tools → chat tools, tool_choice → chat tool_choice, text.format → response_format, max_output_tokens → max_tokens.
 * Whatever jllm cannot do (built-in tools, images, files, audio, reasoning items) is a 400 that names the item type.
 */
final class ResponsesInput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResponsesInput() {}

    /** Request fields with the same name and meaning in chat completions (vLLM's extra sampling fields included). */
    static final List<String> PASSTHROUGH = List.of("model", "temperature", "top_p", "top_k", "min_p", "presence_penalty",
            "frequency_penalty", "repetition_penalty", "seed", "stop", "stop_token_ids", "include_stop_str_in_output",
            "ignore_eos", "min_tokens", "skip_special_tokens", "spaces_between_special_tokens", "logit_bias",
            "guided_json", "guided_regex", "guided_choice", "guided_grammar", "guided_decoding_backend",
            "guided_whitespace_pattern", "structured_outputs", "chat_template", "chat_template_kwargs", "parallel_tool_calls");

    /** Content part types that carry text: input_text / output_text ("text"), refusal ("refusal"). */
    private static final Set<String> MEDIA_PARTS = Set.of("input_image", "input_file", "input_audio", "image_url", "image", "file");

    /**
     * `input` as a list of items: a string is one user message; a list is checked item by item. Items keep their
     * Responses shape (they are stored that way for previous_response_id).
     */
    static ArrayNode items(JsonNode input, java.util.function.Function<String, JsonNode> stored) {
        ArrayNode items = JSON.createArrayNode();
        if (input == null) throw ApiException.badRequest("'input' is required: a string or a list of input items.", "input");
        if (input.isTextual()) {
            items.addObject().put("type", "message").put("role", "user").put("content", input.asText());
            return items;
        }
        if (!input.isArray() || input.isEmpty()) throw ApiException.badRequest("'input' must be a string or a non-empty list of input items.", "input");
        for (JsonNode item : input) {
            if (!item.isObject()) throw ApiException.badRequest("Each input item must be an object.", "input");
            if (item.path("type").asText("").equals("item_reference")) item = reference(item, stored);
            String type = itemType(item);
            switch (type) {
                case "message" -> {
                    String role = item.path("role").asText("");
                    if (!Set.of("user", "system", "developer", "assistant").contains(role))
                        throw ApiException.badRequest("A message item's role must be user, system, developer or assistant, got '" + role + "'.", "input");
                    text(item.get("content"), "message");  // checks the parts now
                }
                case "function_call" -> {
                    if (!item.path("call_id").isTextual() || !item.path("name").isTextual() || !item.path("arguments").isTextual())
                        throw ApiException.badRequest("A function_call item needs string 'call_id', 'name' and 'arguments'.", "input");
                }
                case "function_call_output" -> {
                    if (!item.path("call_id").isTextual())
                        throw ApiException.badRequest("A function_call_output item needs a string 'call_id'.", "input");
                    text(item.get("output"), "function_call_output");
                }
                default -> throw ApiException.badRequest("Input item type '" + type + "' is not supported: jllm takes message, "
                        + "function_call, function_call_output and item_reference items.", "input");
            }
            items.add(item);
        }
        return items;
    }

    /** The stored item an item_reference {"type": "item_reference", "id"} names (clients such as the AI SDK send them). */
    private static JsonNode reference(JsonNode ref, java.util.function.Function<String, JsonNode> stored) {
        if (!ref.path("id").isTextual()) throw ApiException.badRequest("An item_reference needs a string 'id'.", "input");
        JsonNode item = stored.apply(ref.get("id").asText());
        if (item == null)
            throw new ApiException(404, "NotFoundError", "Item with id '" + LogText.escape(ref.get("id").asText(), 100)
                    + "' not found (items are kept with their stored response; see --responses-store-size).", "input");
        return item;
    }

    /** An item's type; EasyInputMessage may omit it ({"role", "content"} is a message). */
    private static String itemType(JsonNode item) {
        if (item.path("type").isTextual()) return item.get("type").asText();
        if (item.has("role")) return "message";
        throw ApiException.badRequest("Each input item needs a 'type' (or a 'role' for a message).", "input");
    }

    /** A message's content or a tool output as one string: a string, or text parts joined with "\n". */
    static String text(JsonNode content, String where) {
        if (content == null || content.isNull()) throw ApiException.badRequest("A " + where + " item needs content.", "input");
        if (content.isTextual()) return content.asText();
        if (!content.isArray()) throw ApiException.badRequest("A " + where + " item's content must be a string or a list of content parts.", "input");
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content) {
            String type = part.path("type").asText("");
            String field = switch (type) {
                case "input_text", "output_text", "text" -> "text";
                case "refusal" -> "refusal";
                default -> null;
            };
            if (field == null && MEDIA_PARTS.contains(type))
                throw ApiException.badRequest("Content part type '" + type + "' is not supported: this model takes text only.", "input");
            if (field == null) throw ApiException.badRequest("Unknown content part type '" + type + "' in a " + where + " item.", "input");
            if (!part.path(field).isTextual()) throw ApiException.badRequest("A " + type + " content part needs a string '" + field + "'.", "input");
            if (!out.isEmpty()) out.append("\n");
            out.append(part.get(field).asText());
        }
        return out.toString();
    }

    /**
     * Chat messages for the template: `instructions` first as a system message, then the items in order. Consecutive
     * function_call items become one assistant message's tool_calls (joined to the assistant message just before
     * them, as a model writes text and then calls); developer turns render as system turns, as most templates know
     * only system.
     */
    static ArrayNode messages(String instructions, ArrayNode items) {
        ArrayNode out = JSON.createArrayNode();
        if (instructions != null) out.addObject().put("role", "system").put("content", instructions);
        Map<String, String> callNames = new HashMap<>();
        ObjectNode assistant = null;  // the message function_call items attach to, or null
        for (JsonNode item : items) {
            switch (itemType(item)) {
                case "message" -> {
                    String role = item.get("role").asText();
                    ObjectNode m = out.addObject().put("role", role.equals("developer") ? "system" : role).put("content", text(item.get("content"), "message"));
                    assistant = role.equals("assistant") ? m : null;
                }
                case "function_call" -> {
                    if (assistant == null) {
                        assistant = out.addObject().put("role", "assistant");
                        assistant.putNull("content");
                    }
                    ObjectNode call = assistant.withArray("tool_calls").addObject();
                    call.put("id", item.get("call_id").asText()).put("type", "function");
                    call.putObject("function").put("name", item.get("name").asText()).put("arguments", item.get("arguments").asText());
                    callNames.put(item.get("call_id").asText(), item.get("name").asText());
                }
                case "function_call_output" -> {
                    String callId = item.get("call_id").asText();
                    ObjectNode m = out.addObject().put("role", "tool").put("tool_call_id", callId).put("content", text(item.get("output"), "function_call_output"));
                    if (callNames.containsKey(callId)) m.put("name", callNames.get(callId));
                    assistant = null;
                }
                default -> throw new IllegalStateException("items() admits no other type");
            }
        }
        return out;
    }

    /** Flat Responses function tools {type, name, description, parameters, strict} → chat tools {type, function}. */
    static ArrayNode tools(JsonNode tools) {
        ArrayNode out = JSON.createArrayNode();
        if (!tools.isArray()) throw ApiException.badRequest("tools must be a list.", "tools");
        for (JsonNode t : tools) {
            String type = t.path("type").asText("");
            if (!type.equals("function"))
                throw ApiException.badRequest("Tool type '" + type + "' is not supported: jllm runs function tools only (no built-in tools).", "tools");
            if (!t.path("name").isTextual()) throw ApiException.badRequest("A function tool needs a string 'name'.", "tools");
            JsonNode params = t.get("parameters");
            if (params != null && !params.isNull() && !params.isObject()) throw ApiException.badRequest("A function tool's 'parameters' must be a JSON schema object.", "tools");
            ObjectNode fn = out.addObject().put("type", "function").putObject("function");
            fn.put("name", t.get("name").asText());
            if (t.path("description").isTextual()) fn.put("description", t.get("description").asText());
            if (params != null && params.isObject()) fn.set("parameters", params);
        }
        return out;
    }

    /** The tool list as a Response echoes it: FunctionTool with parameters and strict (null when not given). */
    static ArrayNode echoTools(JsonNode tools) {
        ArrayNode out = JSON.createArrayNode();
        if (tools == null) return out;
        for (JsonNode t : tools) {
            ObjectNode o = out.addObject().put("type", "function").put("name", t.get("name").asText());
            if (t.path("description").isTextual()) o.put("description", t.get("description").asText());
            else o.putNull("description");
            o.set("parameters", t.has("parameters") ? t.get("parameters") : JSON.nullNode());
            o.set("strict", t.path("strict").isBoolean() ? t.get("strict") : JSON.nullNode());
        }
        return out;
    }

    /** tool_choice: "none" | "auto" | "required" as they are; {type: "function", name} → chat's {type, function: {name}}. */
    static JsonNode toolChoice(JsonNode choice) {
        if (choice.isTextual() && Set.of("none", "auto", "required").contains(choice.asText())) return choice;
        if (choice.isObject() && choice.path("type").asText("").equals("function") && choice.path("name").isTextual()) {
            ObjectNode c = JSON.createObjectNode().put("type", "function");
            c.putObject("function").put("name", choice.get("name").asText());
            return c;
        }
        throw ApiException.badRequest("tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": ...}; got "
                + LogText.escape(choice.toString(), 100) + ".", "tool_choice");
    }

    /** text.format → chat's response_format; null for plain text. */
    static JsonNode responseFormat(JsonNode text) {
        if (!text.isObject()) throw ApiException.badRequest("'text' must be an object.", "text");
        JsonNode verbosity = text.get("verbosity");
        if (verbosity != null && !verbosity.isNull())
            throw ApiException.badRequest("text.verbosity is not supported.", "text.verbosity");
        JsonNode format = text.get("format");
        if (format == null || format.isNull()) return null;
        String type = format.path("type").asText("");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JSON.createObjectNode().put("type", "json_object");
            case "json_schema" -> {
                if (!format.path("schema").isObject())
                    throw ApiException.badRequest("text.format json_schema needs a 'schema' object (and a 'name').", "text.format");
                ObjectNode rf = JSON.createObjectNode().put("type", "json_schema");
                ObjectNode js = rf.putObject("json_schema");
                js.put("name", format.path("name").asText("response"));
                js.set("schema", format.get("schema"));
                if (format.path("strict").isBoolean()) js.set("strict", format.get("strict"));
                yield rf;
            }
            default -> throw ApiException.badRequest("text.format type must be text, json_object or json_schema, got '" + type + "'.", "text.format");
        };
    }

    /**
     * Refuses what jllm does not do rather than ignore it: background runs, conversations, stored prompts, automatic
     * truncation, `include`d extras, logprobs, reasoning settings.
     */
    static void refuseUnsupported(Fields f) {
        if (f.bool("background", false))
            throw ApiException.badRequest("background responses are not supported: jllm answers in the request (use stream: true for progress).", "background");
        if (f.has("conversation")) throw ApiException.badRequest("'conversation' is not supported; chain responses with previous_response_id.", "conversation");
        if (f.has("prompt")) throw ApiException.badRequest("Stored prompts ('prompt') are not supported; send 'input' and 'instructions'.", "prompt");
        String truncation = f.string("truncation", "disabled");
        if (!truncation.equals("disabled"))
            throw ApiException.badRequest("truncation '" + truncation + "' is not supported: only \"disabled\" (an input over the context is a 400).", "truncation");
        JsonNode include = f.raw("include");
        if (include != null && (!include.isArray() || !include.isEmpty()))
            throw ApiException.badRequest("'include' is not supported (no extra output data such as logprobs or encrypted reasoning).", "include");
        Integer top = f.integer("top_logprobs", null);
        if (top != null && top != 0) throw ApiException.badRequest("top_logprobs is not supported on /v1/responses; use /v1/chat/completions.", "top_logprobs");
        JsonNode reasoning = f.raw("reasoning");
        if (reasoning != null && (!reasoning.path("effort").isMissingNode() && !reasoning.path("effort").isNull()
                || !reasoning.path("summary").isMissingNode() && !reasoning.path("summary").isNull()))
            throw ApiException.badRequest("reasoning settings are not supported: this model does not reason.", "reasoning");
        JsonNode metadata = f.raw("metadata");
        if (metadata != null) {
            if (!metadata.isObject() || metadata.size() > 16)
                throw ApiException.badRequest("metadata must be an object of at most 16 string values.", "metadata");
            for (var it = metadata.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isTextual() || e.getKey().length() > 64 || e.getValue().asText().length() > 512)
                    throw ApiException.badRequest("metadata values must be strings of at most 512 characters, keys at most 64.", "metadata");
            }
        }
    }
}
