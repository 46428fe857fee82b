package dev.jllm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a Hugging Face chat template with Jinjava, configured as transformers configures jinja2
 * (trim_blocks, lstrip_blocks) and with its globals raise_exception and strftime_now.
 */
public final class ChatTemplate {
    /** raise_exception(msg) from a template: the chat request fails with exactly this message. */
    public static final class TemplateRaised extends RuntimeException {
        public TemplateRaised(String message) {
            super(message);
        }
    }

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();
    private static final ThreadLocal<java.util.function.Supplier<LocalDateTime>> CLOCK = new ThreadLocal<>();
    private final String source;
    private final Jinjava jinjava;
    private final java.util.function.Supplier<LocalDateTime> clock;

    public ChatTemplate(String source) {
        this(source, LocalDateTime::now);
    }

    /** clock: the time strftime_now reports (render-chat --date fixes it). */
    public ChatTemplate(String source, java.util.function.Supplier<LocalDateTime> clock) {
        this.source = source;
        this.clock = clock;
        // jinja2 semantics where Jinjava offers them: Python-style str() of lists/dicts, natural operator
        // precedence (`not x is defined`), strict whitespace control, no re-rendering of strings that look like
        // templates (message content is data), keep_trailing_newline=False.
        java.util.Set<String> f = java.util.Set.of(System.getProperty("jllm.jinja", "trimming,nonest,keepnl").split(","));
        com.hubspot.jinjava.LegacyOverrides legacy = com.hubspot.jinjava.LegacyOverrides.newBuilder()
                .withUsePyishObjectMapper(f.contains("pyish")).withUseNaturalOperatorPrecedence(f.contains("natural"))
                .withParseWhitespaceControlStrictly(f.contains("strictws")).withAllowAdjacentTextNodes(f.contains("adjacent"))
                .withUseTrimmingForNotesAndExpressions(f.contains("trimming")).withKeepNullableLoopValues(f.contains("nullable"))
                .withHandleBackslashInQuotesOnly(f.contains("backslash")).withEvaluateMapKeys(f.contains("evalkeys")).withIterateOverMapKeys(f.contains("iterkeys"))
                .withDefaultKeepTrailingNewlineBehavior(f.contains("keepnl")).build();
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(!f.contains("nonest")).withLegacyOverrides(legacy)
                .withMaxOutputSize(64L << 20).build();
        jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new TojsonFilter());
        jinjava.getGlobalContext().registerFilter(new TrimFilter());
    }

    public String source() {
        return source;
    }

    public static String raiseException(String message) {
        if (RAISED.get() == null) RAISED.set(message);  // the first raise stops jinja2; Jinjava goes on
        throw new TemplateRaised(message);
    }

    /** Python strftime subset over the local clock. */
    public static String strftimeNow(String format) {
        java.util.function.Supplier<LocalDateTime> clockNow = CLOCK.get();
        LocalDateTime now = clockNow == null ? LocalDateTime.now() : clockNow.get();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) { out.append(c); continue; }
            char f = format.charAt(++i);
            out.append(switch (f) {
                case 'Y' -> String.valueOf(now.getYear());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'B' -> now.format(DateTimeFormatter.ofPattern("MMMM", java.util.Locale.ENGLISH));
                case 'b' -> now.format(DateTimeFormatter.ofPattern("MMM", java.util.Locale.ENGLISH));
                case 'H' -> String.format("%02d", now.getHour());
                case 'M' -> String.format("%02d", now.getMinute());
                case 'S' -> String.format("%02d", now.getSecond());
                case '%' -> "%";
                default -> "%" + f;
            });
        }
        return out.toString();
    }

    /** Renders the conversation; throws TemplateRaised (raise_exception) or IllegalArgumentException (bad template). */
    public String render(List<Map<String, Object>> messages, Object tools, Object documents, boolean addGenerationPrompt,
                         Map<String, Object> kwargs, String bosToken, String eosToken) {
        Map<String, Object> ctx = new HashMap<>();
        if (bosToken != null) ctx.put("bos_token", bosToken);  // transformers passes only the tokens a tokenizer sets
        if (eosToken != null) ctx.put("eos_token", eosToken);
        if (kwargs != null) for (var e : kwargs.entrySet()) ctx.put(e.getKey(), PyValues.convert(e.getValue()));
        ctx.put("messages", PyValues.convert(messages));
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("tools", PyValues.convert(tools));
        ctx.put("documents", PyValues.convert(documents));
        RAISED.remove();
        CLOCK.set(clock);
        RenderResult r;
        try {
            r = jinjava.renderForResult(source, ctx);
        } finally {
            CLOCK.remove();
        }
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) throw new TemplateRaised(raised);
        for (TemplateError e : r.getErrors())
            if (e.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new IllegalArgumentException("chat template error: " + e.getMessage());
        return r.getOutput();
    }

    /** tojson as transformers defines it (json.dumps, ensure_ascii=False), with indent and sort_keys. */
    static final class TojsonFilter implements com.hubspot.jinjava.lib.filter.Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
            Integer ind = indent == null ? null : ((Number) (indent instanceof String s ? Long.parseLong(s) : indent)).intValue();
            boolean sort = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            return PyJson.dumps(var, ind, sort);
        }
    }

    /** trim as jinja2 defines it: Python's str.strip(), which also removes Unicode spaces such as U+00A0. */
    static final class TrimFilter implements com.hubspot.jinjava.lib.filter.Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            return var == null ? null : PyValues.strip(var.toString(), true, true);
        }
    }
}
