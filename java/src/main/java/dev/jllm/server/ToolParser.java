package dev.jllm.server;

import java.util.Locale;

/**
 * The tool-call markups jllm reads from a model's text (tool_choice "auto"), under vLLM's --tool-call-parser names,
 * and the choice of one from a chat template.
 *
 * <ul>
 *   <li>hermes (Qwen 2.5/3, Hermes, ChatML): {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>},
 *       anywhere in the reply, any number of them;</li>
 *   <li>llama3_json (Llama 3.1/3.2/4): the reply is {@code {"name": ..., "parameters": {...}}} (optionally after
 *       {@code <|python_tag|>}), several separated by ';';</li>
 *   <li>mistral: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]} after any text, or (tokenizer v11+)
 *       {@code [TOOL_CALLS]name[ARGS]{...}} for each call; call ids are 9 letters and digits, as Mistral's templates
 *       require of the calls sent back.</li>
 * </ul>
 * BARE is no parser a user can choose: tool_choice "required" constrains the whole reply to one call object.
 */
public enum ToolParser {
    HERMES("hermes", "<tool_call>"),
    LLAMA3_JSON("llama3_json", "<|python_tag|>"),
    MISTRAL("mistral", "[TOOL_CALLS]"),
    BARE("", "");

    /** vLLM's name of the parser (--tool-call-parser). */
    public final String cliName;
    /** The text that opens a call (for llama3_json: optional; a '{' opening the reply also does). */
    final String start;

    ToolParser(String cliName, String start) {
        this.cliName = cliName;
        this.start = start;
    }

    public static final String NAMES = "hermes, llama3_json, mistral";

    /** The parser named by --tool-call-parser; IllegalArgumentException for another name. */
    public static ToolParser named(String name) {
        for (ToolParser p : values())
            if (p != BARE && p.cliName.equals(name.toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("--tool-call-parser " + name + " is not supported (" + NAMES + ")");
    }

    static ToolParser orNull(String name) {
        return name == null ? null : named(name);
    }

    /** The parser a chat template implies, and why; parser null when the template renders no tools or its markup is unknown. */
    public record Choice(ToolParser parser, String reason) {
        public String cliName() {
            return parser == null ? null : parser.cliName;
        }
    }

    /**
     * Reads a template's tool markup: the markup it writes for an assistant's earlier calls, or the format its tool
     * instructions name. A template that never mentions `tools` cannot show tools to the model: no parser.
     */
    public static Choice detect(String template) {
        if (template == null) return new Choice(null, "no chat template");
        if (!template.matches("(?s).*\\btools\\b.*")) return new Choice(null, "the chat template does not render tools");
        if (template.contains("<tool_call>")) return new Choice(HERMES, "the chat template writes <tool_call> markup (Qwen/Hermes)");
        if (template.contains("[TOOL_CALLS]")) return new Choice(MISTRAL, "the chat template writes [TOOL_CALLS] (Mistral)");
        if (template.contains("<|python_tag|>") || template.contains("<|start_header_id|>") || template.contains("<|header_start|>"))
            return new Choice(LLAMA3_JSON, "the chat template is Llama 3.x/4's (JSON function calls)");
        return new Choice(null, "the chat template renders tools in a markup jllm has no parser for");
    }

    /**
     * The server's parser: --tool-call-parser when given, else the template's. --enable-auto-tool-choice (vLLM's
     * switch; auto is jllm's default) is refused only where no parser can be had.
     */
    public static Choice resolve(String flag, boolean enableAuto, String template) {
        if (flag != null) return new Choice(named(flag), "--tool-call-parser " + flag);
        Choice c = detect(template);
        if (enableAuto && c.parser() == null)
            throw new IllegalArgumentException("--enable-auto-tool-choice: " + c.reason() + "; name one with --tool-call-parser (" + NAMES + ")");
        return c;
    }

    /** The start-up banner's line: which parser reads tool calls, and why (or why none does). */
    public static String bannerLine(Choice c) {
        if (c.parser() == null)
            return "off: " + c.reason() + " (tool_choice \"auto\" needs --tool-call-parser; named and \"required\" calls work)";
        return "tool_choice \"auto\" (default with tools): " + c.parser().cliName + " parser, " + c.reason();
    }
}
