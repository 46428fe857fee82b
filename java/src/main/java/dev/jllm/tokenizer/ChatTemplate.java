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
    private final String source;
    private final Jinjava jinjava;

    public ChatTemplate(String source) {
        this.source = source;
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build();
        jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
    }

    public String source() {
        return source;
    }

    public static String raiseException(String message) {
        RAISED.set(message);
        throw new TemplateRaised(message);
    }

    /** Python strftime subset over the local clock. */
    public static String strftimeNow(String format) {
        LocalDateTime now = LocalDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) { out.append(c); continue; }
            char f = format.charAt(++i);
            out.append(switch (f) {
                case 'Y' -> String.valueOf(now.getYear());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'B' -> now.format(DateTimeFormatter.ofPattern("MMMM"));
                case 'b' -> now.format(DateTimeFormatter.ofPattern("MMM"));
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
        ctx.put("bos_token", bosToken == null ? "" : bosToken);
        ctx.put("eos_token", eosToken == null ? "" : eosToken);
        if (kwargs != null) ctx.putAll(kwargs);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        if (tools != null) ctx.put("tools", tools);
        if (documents != null) ctx.put("documents", documents);
        RAISED.remove();
        RenderResult r = jinjava.renderForResult(source, ctx);
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) throw new TemplateRaised(raised);
        for (TemplateError e : r.getErrors())
            if (e.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new IllegalArgumentException("chat template error: " + e.getMessage());
        return r.getOutput();
    }
}
