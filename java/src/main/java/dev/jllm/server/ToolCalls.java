package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.TokenConstraint;
import dev.jllm.structured.Constraints;
import dev.jllm.tokenizer.Tokenizer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Tool calling for chat: tool_choice "none" (tools only reach the template), a named function (the output is
 * constrained to its parameters schema), "required" (constrained to {"name", "arguments"} of any one tool), and
 * "auto", the default when tools are given (the model's own text read by a {@link ToolParser}: the one
 * --tool-call-parser names, else the one the chat template implies). ToolCallStream splits replies into content and
 * calls, streamed or whole, the same way.
 */
final class ToolCalls {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    enum Mode { NONE, NAMED, REQUIRED, AUTO }

    /**
     * What a request asks: mode; name (NAMED); the output constraint (NAMED, REQUIRED); the parser of the reply (AUTO:
     * the server's, REQUIRED: BARE, else null); maxCalls (1 with parallel_tool_calls false, or for NAMED/REQUIRED);
     * functions: the request's function names, the only ones a parsed call may name (ToolCallStream: others stay text).
     */
    record Plan(Mode mode, String name, TokenConstraint constraint, ToolParser parser, int maxCalls, Supplier<String> ids,
                Set<String> functions) {
        /** A splitter of one reply into content and calls, or null where the reply is not read (NONE, NAMED). */
        ToolCallStream stream() {
            return parser == null ? null : new ToolCallStream(parser, maxCalls, ids, functions);
        }
    }

    record Call(String id, String name, String arguments) {}

    /** Reads tools and tool_choice; a constraint for NAMED and REQUIRED. */
    static Plan plan(Fields f, ServerContext ctx, Tokenizer tok, boolean otherConstraint) {
        JsonNode tools = f.raw("tools"), choice = f.raw("tool_choice");
        ToolParser parser = ToolParser.orNull(ctx.toolParser());
        int maxCalls = f.bool("parallel_tool_calls", true) ? Integer.MAX_VALUE : 1;
        // call ids as the server's template takes them back: Mistral's raise on any but 9 letters and digits
        Supplier<String> ids = parser == ToolParser.MISTRAL ? ToolCalls::mistralId : ToolCalls::newId;
        List<JsonNode> functions = new ArrayList<>();
        if (tools != null) {
            if (!tools.isArray()) throw ApiException.badRequest("tools must be a list.", "tools");
            for (JsonNode t : tools) {
                if (!"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual())
                    throw ApiException.badRequest("Each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}.", "tools");
                // every tool_choice (templates render the tools for none and auto too): parameters is a JSON schema object
                JsonNode params = t.get("function").get("parameters");
                if (params != null && !params.isNull() && !params.isObject())
                    throw ApiException.badRequest("Invalid tool parameters schema: the JSON schema must be an object (tool '"
                            + t.get("function").get("name").asText() + "').", "tools");
                functions.add(t.get("function"));
            }
        }
        Set<String> names = new HashSet<>();
        for (JsonNode fn : functions) names.add(fn.get("name").asText());
        // OpenAI's default is "auto" when tools are given; without a parser for this model's markup, "none"
        if (choice == null || choice.isNull())
            return tools != null && parser != null ? new Plan(Mode.AUTO, null, null, parser, maxCalls, ids, names) : new Plan(Mode.NONE, null, null, null, 0, ids, names);
        if (choice.isTextual() && choice.asText().equals("none")) return new Plan(Mode.NONE, null, null, null, 0, ids, names);
        if (tools == null) throw ApiException.badRequest("When using `tool_choice`, `tools` must be set.", "tool_choice");
        if (otherConstraint) throw ApiException.badRequest("Structured output (guided_*, response_format) cannot be combined with tool_choice.", "tool_choice");
        Constraints c = Constraints.of(tok);
        try {
            if (choice.isTextual() && choice.asText().equals("auto")) {
                if (parser == null)
                    throw ApiException.badRequest("\"auto\" tool choice needs a tool-call parser: this model's chat template shows no tool-call "
                            + "markup jllm knows; start the server with --tool-call-parser (" + ToolParser.NAMES + ").", "tool_choice");
                return new Plan(Mode.AUTO, null, null, parser, maxCalls, ids, names);
            }
            if (choice.isTextual() && choice.asText().equals("required")) {
                if (functions.isEmpty()) throw ApiException.badRequest("tool_choice \"required\" needs at least one tool in `tools`.", "tool_choice");
                ArrayNode any = JSON.createArrayNode();
                for (JsonNode fn : functions) {
                    ObjectNode o = any.addObject();
                    o.put("type", "object");
                    ObjectNode props = o.putObject("properties");
                    props.putObject("name").put("const", fn.get("name").asText());
                    props.set("arguments", parameters(fn));
                    o.putArray("required").add("name").add("arguments");
                }
                ObjectNode schema = JSON.createObjectNode();
                schema.set("anyOf", any);
                return new Plan(Mode.REQUIRED, null, c.jsonSchema(schema, null), ToolParser.BARE, 1, ids, names);
            }
            if (choice.isObject() && "function".equals(choice.path("type").asText()) && choice.path("function").path("name").isTextual()) {
                String name = choice.path("function").path("name").asText();
                for (JsonNode fn : functions)
                    if (fn.get("name").asText().equals(name)) return new Plan(Mode.NAMED, name, c.jsonSchema(parameters(fn), null), null, 1, ids, names);
                throw ApiException.badRequest("Tool '" + name + "' has not been passed in `tools`.", "tool_choice");
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("Invalid tool parameters schema: " + e.getMessage(), "tools");
        }
        throw ApiException.badRequest("tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice");
    }

    /**
     * A function's parameters schema; missing, null or empty ({}: any JSON value) is an object with no declared
     * properties, as vLLM takes it, so that arguments are always a JSON object.
     */
    static JsonNode parameters(JsonNode fn) {
        JsonNode p = fn.get("parameters");
        if (p != null && !p.isNull() && !p.isEmpty()) return p;
        ObjectNode o = JSON.createObjectNode().put("type", "object");
        o.putObject("properties");
        return o;
    }

    /** A Mistral tool-call id: 9 letters and digits. */
    static String mistralId() {
        return newId().substring(5, 14);
    }

    static String newId() {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        return b.toString();
    }

    /**
     * The calls and content of a finished reply: NAMED, the whole reply is the call's arguments (partial when cut
     * by max_tokens); REQUIRED and AUTO, split by the plan's parser; NONE, all content.
     */
    static ToolCallStream.Parsed parse(Plan plan, String text) {
        return switch (plan.mode()) {
            case NAMED -> new ToolCallStream.Parsed(List.of(new Call(plan.ids().get(), plan.name(), text)), null);
            case REQUIRED, AUTO -> ToolCallStream.parse(plan.parser(), plan.maxCalls(), text, plan.ids(), plan.functions());
            case NONE -> new ToolCallStream.Parsed(List.of(), text);
        };
    }

    /** OpenAI's finish_reason of a reply: "tool_calls" when it made calls and stopped by itself, else the engine's. */
    static String finishReason(boolean calls, String engineReason) {
        return calls && "stop".equals(engineReason) ? "tool_calls" : engineReason;
    }

    /**
     * The chunk deltas of split events: content as {"content"}, a new call as its first tool_calls delta (index, id,
     * type, function.name, arguments ""), arguments as {"index", "function": {"arguments"}}; neighbouring arguments
     * of one call share a delta.
     */
    static List<ObjectNode> deltas(List<ToolCallStream.Event> events) {
        List<ObjectNode> out = new ArrayList<>();
        ObjectNode lastArgs = null;
        int lastIndex = -1;
        for (ToolCallStream.Event e : events) {
            switch (e) {
                case ToolCallStream.Content c -> {
                    out.add(JSON.createObjectNode().put("content", c.text()));
                    lastArgs = null;
                }
                case ToolCallStream.CallStart c -> {
                    ObjectNode call = JSON.createObjectNode().put("index", c.index()).put("id", c.id()).put("type", "function");
                    call.putObject("function").put("name", c.name()).put("arguments", "");
                    ObjectNode d = JSON.createObjectNode();
                    d.putArray("tool_calls").add(call);
                    out.add(d);
                    lastArgs = (ObjectNode) call.get("function");
                    lastIndex = c.index();
                }
                case ToolCallStream.CallArgs a -> {
                    if (lastArgs == null || lastIndex != a.index()) {
                        ObjectNode call = JSON.createObjectNode().put("index", a.index());
                        lastArgs = call.putObject("function").put("arguments", "");
                        lastIndex = a.index();
                        ObjectNode d = JSON.createObjectNode();
                        d.putArray("tool_calls").add(call);
                        out.add(d);
                    }
                    lastArgs.put("arguments", lastArgs.get("arguments").asText() + a.piece());
                }
            }
        }
        return out;
    }

    static ArrayNode toJson(List<Call> calls, boolean withIndex) {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            ObjectNode o = a.addObject();
            if (withIndex) o.put("index", i);
            o.put("id", c.id()).put("type", "function");
            o.putObject("function").put("name", c.name()).put("arguments", c.arguments());
        }
        return a;
    }
}
