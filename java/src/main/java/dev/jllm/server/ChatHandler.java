package dev.jllm.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.RequestOutput;
import dev.jllm.engine.SamplingParams;
import dev.jllm.engine.TokenLogprob;
import dev.jllm.tokenizer.ChatTemplate;
import dev.jllm.tokenizer.ContentFormat;
import dev.jllm.tokenizer.RenderLimits;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** POST /v1/chat/completions (§4, §6, §9). */
final class ChatHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerContext ctx;

    ChatHandler(ServerContext ctx) {
        this.ctx = ctx;
    }

    /** A rendered, tokenized conversation. */
    record Prompt(String text, int[] ids, String role, String lastContent) {}

    /** Messages as a string-format template sees them (see below). */
    static List<Map<String, Object>> messages(JsonNode msgs) {
        return messages(msgs, ContentFormat.STRING);
    }

    /**
     * Messages as the template sees them, every shape OpenAI accepts: content a string, a list of parts (text,
     * refusal; input_text/output_text as the Responses API writes them) or null/absent (assistant turns with
     * tool_calls), `name`, `refusal`, `tool_calls`, `tool_call_id` passed through. For STRING templates content is
     * one text, as vLLM gives it (parts joined with "\n", null as ""); for OPENAI templates a list of parts stays a
     * list of {"type": "text", "text"} parts (vLLM) while a string stays the string, as transformers passes it (vLLM
     * would wrap it in a list, which templates such as Llama 4's print as a Python list where they expect text).
     */
    static List<Map<String, Object>> messages(JsonNode msgs, ContentFormat format) {
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) throw ApiException.badRequest("'messages' must be a non-empty list.", "messages");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : msgs) {
            if (!m.isObject() || !m.path("role").isTextual()) throw ApiException.badRequest("Each message must be an object with a string 'role'.", "messages");
            checkToolCalls(m.get("tool_calls"));
            Map<String, Object> msg = JSON.convertValue(m, new TypeReference<LinkedHashMap<String, Object>>() {});
            JsonNode c = m.get("content");
            if ((c == null || c.isNull()) && !m.path("role").asText().equals("assistant"))
                throw ApiException.badRequest("A '" + m.path("role").asText() + "' message needs 'content' (only assistant messages may omit it).", "messages");
            List<String> texts = contentParts(c);
            if (format == ContentFormat.OPENAI && c != null && c.isArray()) {
                List<Map<String, Object>> parts = new ArrayList<>();
                for (String t : texts) {
                    Map<String, Object> part = new LinkedHashMap<>();
                    part.put("type", "text");
                    part.put("text", t);
                    parts.add(part);
                }
                msg.put("content", parts);
            } else {
                // as vLLM: an assistant turn with only tool_calls renders as empty text, not "None"
                msg.put("content", String.join("\n", texts));
            }
            parseToolCallArguments(msg);
            out.add(msg);
        }
        return out;
    }

    /**
     * A message's tool_calls as OpenAI types them (vLLM answers others with a 400): null, or a list of
     * {"id"?: string, "type": "function", "function": {"name": string, "arguments": string or object}}.
     */
    private static void checkToolCalls(JsonNode calls) {
        if (calls == null || calls.isNull()) return;
        String shape = "a list of {\"id\": string, \"type\": \"function\", \"function\": {\"name\": string, \"arguments\": string}}";
        if (!calls.isArray()) throw ApiException.badRequest("A message's 'tool_calls' must be " + shape + ", got " + LogText.escape(calls.toString(), 80) + ".", "messages");
        for (JsonNode c : calls) {
            JsonNode fn = c.path("function"), args = fn.path("arguments");
            boolean ok = c.isObject() && (c.path("id").isMissingNode() || c.path("id").isNull() || c.path("id").isTextual())
                    && (c.path("type").isMissingNode() || "function".equals(c.path("type").asText(null)))
                    && fn.isObject() && fn.path("name").isTextual()
                    && (args.isMissingNode() || args.isNull() || args.isTextual() || args.isObject());
            if (!ok) throw ApiException.badRequest("A message's 'tool_calls' must be " + shape + ", got the item " + LogText.escape(c.toString(), 80) + ".", "messages");
        }
    }

    /** The texts of a message's content: a string, a list of text parts, or null (none). */
    private static List<String> contentParts(JsonNode c) {
        if (c == null || c.isNull()) return List.of();
        if (c.isTextual()) return List.of(c.asText());
        if (!c.isArray()) throw ApiException.badRequest("Message content must be a string, a list of content parts, or null.", "messages");
        List<String> texts = new ArrayList<>();
        for (JsonNode part : c) {
            String type = part.path("type").asText("");
            String field = switch (type) {
                case "text", "input_text", "output_text" -> "text";
                case "refusal" -> "refusal";
                case "image_url", "input_audio", "image", "input_image", "audio_url", "video_url", "file", "input_file" ->
                        throw ApiException.badRequest("Content part type '" + type + "' is not supported: this model takes text only.", "messages");
                default -> throw ApiException.badRequest("Unknown content part type '" + type + "'.", "messages");
            };
            if (!part.path(field).isTextual()) throw ApiException.badRequest("A " + type + " content part needs a string '" + field + "'.", "messages");
            texts.add(part.path(field).asText());
        }
        return texts;
    }

    /** A message's content as one text (for continue_final_message and echo), whichever format it was given in. */
    @SuppressWarnings("unchecked")
    static String contentText(Object content) {
        if (content instanceof String s) return s;
        if (!(content instanceof List<?> parts)) return "";
        List<String> texts = new ArrayList<>();
        for (Object p : parts) if (p instanceof Map<?, ?> part && part.get("text") instanceof String t) texts.add(t);
        return String.join("\n", texts);
    }

    /**
     * continue_final_message as transformers does it: cut the rendering right after the final message's content,
     * found by its last occurrence stripped of whitespace (templates often trim it); the content's trailing
     * whitespace is kept only where the template kept it. A final message absent from the rendering is a 400.
     */
    static String continueFinalMessage(String rendered, String content) {
        String stripped = content.strip(), lstripped = content.stripLeading();
        int at = rendered.lastIndexOf(stripped);
        if (at < 0)
            throw ApiException.badRequest("continue_final_message: the final message's content does not appear in the rendered chat template.", "continue_final_message");
        // transformers: rendered[at : at + len(lstripped)] == content, i.e. no leading space and the whole content kept
        boolean kept = lstripped.length() == content.length() && rendered.startsWith(content, at);
        return rendered.substring(0, at + (kept ? lstripped.length() : stripped.length()));
    }

    /**
     * Tool-call arguments sent back as a JSON string become the object they spell, as vLLM passes them to templates
     * (templates `tojson` them; a string would render quoted). Arguments that are not a JSON object stay as sent.
     */
    @SuppressWarnings("unchecked")
    private static void parseToolCallArguments(Map<String, Object> msg) {
        if (!(msg.get("tool_calls") instanceof List<?> calls)) return;
        for (Object c : calls) {
            if (!(c instanceof Map<?, ?> call) || !(call.get("function") instanceof Map<?, ?> fn)) continue;
            if (fn.get("arguments") == null || "".equals(fn.get("arguments"))) {
                ((Map<String, Object>) fn).put("arguments", new LinkedHashMap<String, Object>());  // vLLM: no arguments are {}
                continue;
            }
            if (!(fn.get("arguments") instanceof String args)) continue;
            try {
                JsonNode parsed = JSON.readTree(args);
                if (parsed != null && parsed.isObject())
                    ((Map<String, Object>) fn).put("arguments", JSON.convertValue(parsed, new TypeReference<LinkedHashMap<String, Object>>() {}));
            } catch (IOException e) {
                // not JSON: the template sees the string the client sent
            }
        }
    }

    /**
     * Renders and tokenizes a conversation (for chat completions and /tokenize), within the server's render limits;
     * a prompt that cannot fit max_model_len is refused before it is tokenized (PromptOptions).
     */
    Prompt render(Fields f) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        JsonNode kw = f.raw("chat_template_kwargs");
        if (kw != null) {
            if (!kw.isObject()) throw ApiException.badRequest("chat_template_kwargs must be an object.", "chat_template_kwargs");
            kwargs.putAll(JSON.convertValue(kw, new TypeReference<Map<String, Object>>() {}));
        }
        ChatTemplate template = requestTemplate(f, kwargs);
        if (template == null) template = ctx.templateFor(f.has("tools"));
        if (template == null)
            throw ApiException.badRequest("This model has no chat template; start the server with --chat-template (a file, a template string, or a bundled name such as chatml).");
        PromptOptions po = ctx.prompts();
        List<Map<String, Object>> messages = messages(f.raw("messages"), po.contentFormat(template));
        boolean addGen = f.bool("add_generation_prompt", true);
        boolean cont = f.bool("continue_final_message", false);
        if (cont && addGen && f.has("add_generation_prompt"))
            throw ApiException.badRequest("continue_final_message and add_generation_prompt cannot both be true.", "continue_final_message");
        if (cont) addGen = false;
        Object tools = f.has("tools") ? JSON.convertValue(f.raw("tools"), Object.class) : null;
        Object docs = f.has("documents") ? JSON.convertValue(f.raw("documents"), Object.class) : null;
        Tokenizer tok = ctx.tokenizer();
        String text;
        try {
            text = template.render(messages, tools, docs, addGen, kwargs, tok.bosToken(), tok.eosToken(), po.chatLimits(ctx.maxModelLen()));
        } catch (RenderLimits.Exceeded e) {
            if (e.output()) throw po.tooLong(e.chars(), ctx.maxModelLen(), "messages", "messages");
            throw ApiException.badRequest(e.getMessage(), "chat_template");
        } catch (ChatTemplate.TemplateRaised e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (RuntimeException e) {
            throw ApiException.badRequest("Failed to render the chat template: " + e.getMessage());
        }
        Map<String, Object> last = messages.get(messages.size() - 1);
        String lastContent = contentText(last.get("content"));
        if (cont && !lastContent.isEmpty()) text = continueFinalMessage(text, lastContent);
        boolean addSpecial = f.bool("add_special_tokens", false);
        if (addSpecial && tok.bosToken() != null && text.startsWith(tok.bosToken())) addSpecial = false;
        po.checkLength(text.length(), ctx.maxModelLen(), "messages", "messages");
        int[] ids = tok.encode(text, addSpecial, true);
        String role = addGen ? ctx.responseRole() : (String) last.get("role");
        return new Prompt(text, ids, role, lastContent);
    }

    /**
     * The request's own template (`chat_template`, or `chat_template` in chat_template_kwargs, which wins as it does in
     * vLLM), or null; refused unless the server trusts request templates (--trust-request-chat-template), as vLLM does.
     */
    private ChatTemplate requestTemplate(Fields f, Map<String, Object> kwargs) {
        Object fromKwargs = kwargs.remove("chat_template");
        String source = fromKwargs != null ? String.valueOf(fromKwargs) : f.string("chat_template", null);
        if (source == null) return null;
        if (!ctx.prompts().trustRequestChatTemplate())
            throw ApiException.badRequest("Chat template is passed with request, but --trust-request-chat-template is not set. "
                    + "Refused request with untrusted chat template.", "chat_template");
        return new ChatTemplate(source, ctx.prompts().renderLimits());
    }

    void handle(JsonNode body, HttpOut out) throws IOException, InterruptedException {
        // 1. parse: the body's fields, typed and range-checked (unknown ones logged)
        ChatCompletionRequest r = ChatCompletionRequest.parse(body, ctx, "/v1/chat/completions");
        Generation.precheck(ctx.engine());
        // 2. render and tokenize; 3. sampling parameters and tool plan, validated
        Prepared p = prepare(r, false);
        // 4. submit and write
        write(r, p, out);
    }

    /** A chat request ready to submit: its prompt, validated sampling parameters and tool plan. */
    record Prepared(Prompt prompt, SamplingParams params, ToolCalls.Plan tools) {}

    /**
     * Render/tokenize and validate, for every chat-shaped endpoint (chat completions, responses, messages): the
     * conversation rendered and tokenized, the sampling fields (SamplingFields) with the tool plan's constraint and
     * logprobs, max_tokens against the context, all validated by SamplingFields.validate.
     *
     * @param cutToContext max_tokens past the context is cut to the room the prompt leaves (Anthropic's clients send
     *                     large fixed values) instead of refused
     */
    Prepared prepare(ChatCompletionRequest r, boolean cutToContext) {
        Fields f = r.fields();
        Tokenizer tok = ctx.tokenizer();
        Prompt prompt = render(f);
        SamplingParams.Builder b = SamplingFields.read(f, tok, ctx.defaults(), ctx.tokenIdLimit());
        ToolCalls.Plan tools = ToolCalls.plan(f, ctx, tok, b.constraint != null);
        if (tools.constraint() != null) b.constraint = tools.constraint();
        SamplingFields.tokenFilter(f, tok, b, ctx.tokenIdLimit());
        // [TOOL_CALLS] is a special token of Mistral's tokenizers: keep it in the text to read (as vLLM does)
        if (tools.parser() == ToolParser.MISTRAL && !f.has("skip_special_tokens")) b.skipSpecialTokens = false;
        b.logprobs = r.logprobs() ? r.topLogprobs() : null;
        b.promptLogprobs = r.promptLogprobs();
        int promptLen = prompt.ids().length;
        b.maxTokens = cutToContext
                ? Math.min(Fields.atLeastOne(r.maxTokens(), "max_tokens"), SamplingFields.maxTokens(null, promptLen, ctx.maxModelLen(), "messages"))
                : SamplingFields.maxTokens(r.maxTokens(), promptLen, ctx.maxModelLen(), "messages");
        return new Prepared(prompt, SamplingFields.validate(b, 1, ctx.maxLogprobs()), tools);
    }

    /** Submits a prepared request and writes the reply: one JSON object, or server-sent events when streamed. */
    private void write(ChatCompletionRequest req, Prepared p, HttpOut out) throws IOException, InterruptedException {
        String model = req.model();
        boolean stream = req.stream(), logprobs = req.logprobs();
        int topN = req.topLogprobs();
        StreamOptions so = req.streamOptions();
        Prompt prompt = p.prompt();
        SamplingParams params = p.params();
        ToolCalls.Plan tools = p.tools();
        Tokenizer tok = ctx.tokenizer();
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        ctx.logRequest(id, prompt.text(), prompt.ids().length, params);
        int n = params.n();
        String[] callIds = new String[n];
        String echoText = req.echo() && prompt.role().equals(req.lastRole()) ? prompt.lastContent() : "";
        StringBuilder[] texts = new StringBuilder[n];
        List<List<TokenLogprob>> lps = new ArrayList<>();
        String[] finish = new String[n];
        Object[] stopReasons = new Object[n];
        int[] tokens = new int[n];
        // auto and required replies are split into content and tool calls as they come (named: all arguments)
        ToolCallStream[] split = new ToolCallStream[n];
        for (int i = 0; i < n; i++) {
            texts[i] = new StringBuilder(echoText);
            lps.add(new ArrayList<>());
            split[i] = tools.stream();
        }
        boolean fakeStream = stream && (params.bestOf() != n || params.useBeamSearch());
        JsonNode promptLps = null;  // prompt_logprobs, when asked (the whole response's, as vLLM; not streamed)
        try (Generation gen = new Generation(ctx.engine(), id, List.of(prompt.ids()), List.of(params))) {
            out.watch(gen);
            HttpOut.Sse sse = stream && !fakeStream ? out.sse() : null;
            try {
                if (sse != null) {
                    for (int i = 0; i < n; i++) {
                        ObjectNode d = JSON.createObjectNode().put("role", prompt.role()).put("content", "");
                        sse.event(JSON.writeValueAsString(chunk(id, created, model, i, d, null, null, null, so)));
                        if (!echoText.isEmpty())
                            sse.event(JSON.writeValueAsString(chunk(id, created, model, i, JSON.createObjectNode().put("content", echoText), null, null, null, so)));
                    }
                }
                while (!gen.done()) {
                    Generation.Out o = gen.next(1000);
                    if (o == null) continue;
                    RequestOutput r = o.output();
                    if (r.error() != null && Responses.reportError(r, sse)) return;
                    if (req.promptLogprobs() != null && r.promptLogprobs() != null)
                        promptLps = Logprobs.prompt(tok, prompt.ids(), r.promptLogprobs(), params.promptLogprobs());
                    for (RequestOutput.SeqDelta d : r.seqs()) {
                        int i = d.index();
                        texts[i].append(d.text());
                        tokens[i] = d.outputTokens();
                        if (d.logprobs() != null) lps.get(i).addAll(d.logprobs());
                        if (d.finished()) { finish[i] = d.finishReason(); stopReasons[i] = d.stopReason(); }
                        if (sse != null && split[i] != null) {
                            List<ToolCallStream.Event> events = new ArrayList<>(split[i].feed(d.text()));
                            if (d.finished()) events.addAll(split[i].finish());
                            List<ObjectNode> deltas = ToolCalls.deltas(events);
                            ArrayNode content = logprobs && d.logprobs() != null && !d.logprobs().isEmpty() ? Logprobs.chat(tok, d.logprobs(), topN) : null;
                            if (deltas.isEmpty() && content != null) deltas.add(JSON.createObjectNode());
                            for (int k = 0; k < deltas.size(); k++)
                                sse.event(JSON.writeValueAsString(chunk(id, created, model, i, deltas.get(k), k == 0 ? content : null, null, null, so)));
                            if (d.finished())
                                sse.event(JSON.writeValueAsString(chunk(id, created, model, i, JSON.createObjectNode(), null,
                                        ToolCalls.finishReason(split[i].hasCalls(), d.finishReason()), d.stopReason(), so)));
                        } else if (sse != null && tools.mode() == ToolCalls.Mode.NAMED) {
                            if (!d.text().isEmpty() || d.finished()) {
                                ObjectNode delta = JSON.createObjectNode();
                                ObjectNode call = delta.putArray("tool_calls").addObject().put("index", 0);
                                if (callIds[i] == null) {
                                    callIds[i] = tools.ids().get();
                                    call.put("id", callIds[i]).put("type", "function");
                                    call.putObject("function").put("name", tools.name()).put("arguments", d.text());
                                } else {
                                    call.putObject("function").put("arguments", d.text());
                                }
                                String fin = d.finished() ? ("stop".equals(d.finishReason()) ? "tool_calls" : d.finishReason()) : null;
                                sse.event(JSON.writeValueAsString(chunk(id, created, model, i, delta, null, fin, d.finished() ? d.stopReason() : null, so)));
                            }
                        } else if (sse != null && (!d.text().isEmpty() || d.finished() || (d.logprobs() != null && !d.logprobs().isEmpty()))) {
                            ObjectNode delta = JSON.createObjectNode();
                            if (!d.text().isEmpty() || !d.finished()) delta.put("content", d.text());
                            ArrayNode content = logprobs && d.logprobs() != null ? Logprobs.chat(tok, d.logprobs(), topN) : null;
                            sse.event(JSON.writeValueAsString(chunk(id, created, model, i, delta, content,
                                    d.finished() ? d.finishReason() : null, d.finished() ? d.stopReason() : null, so)));
                        }
                    }
                }
                int completion = 0;
                for (int t : tokens) completion += t;
                if (sse != null) {
                    if (so.includeUsage())
                        sse.event(JSON.writeValueAsString(Responses.usageChunk(id, "chat.completion.chunk", created, model, prompt.ids().length, completion)));
                    sse.event("[DONE]");
                    return;
                }
                ObjectNode resp = JSON.createObjectNode();
                resp.put("id", id).put("object", "chat.completion").put("created", created).put("model", model);
                ArrayNode choices = resp.putArray("choices");
                for (int i = 0; i < n; i++) {
                    ObjectNode ch = choices.addObject();
                    ch.put("index", i);
                    ObjectNode msg = ch.putObject("message");
                    ToolCallStream.Parsed parsed = ToolCalls.parse(tools, texts[i].substring(echoText.length()));
                    String content = parsed.content() == null ? (echoText.isEmpty() ? null : echoText) : echoText + parsed.content();
                    msg.put("role", prompt.role());
                    if (content == null) msg.putNull("content");
                    else msg.put("content", content);
                    msg.putNull("refusal");
                    msg.set("tool_calls", ToolCalls.toJson(parsed.calls(), false));
                    finish[i] = ToolCalls.finishReason(!parsed.calls().isEmpty(), finish[i]);
                    if (logprobs) {
                        ObjectNode lo = ch.putObject("logprobs");
                        lo.set("content", Logprobs.chat(tok, lps.get(i), topN));
                        lo.putNull("refusal");
                    }
                    else ch.putNull("logprobs");
                    Responses.putFinish(ch, finish[i], stopReasons[i]);
                }
                resp.set("usage", Responses.usage(prompt.ids().length, completion));
                if (promptLps != null) resp.set("prompt_logprobs", promptLps);
                if (fakeStream) Responses.sendChatAsChunks(out, resp, so.includeUsage());
                else Responses.send(out, resp, false);
            } finally {
                if (sse != null) sse.close();
            }
        }
    }

    private static ObjectNode chunk(String id, long created, String model, int index, ObjectNode delta, ArrayNode logprobs,
                                    String finish, Object stopReason, StreamOptions so) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
        ObjectNode ch = c.putArray("choices").addObject();
        ch.put("index", index);
        ch.set("delta", delta);
        if (logprobs != null) {
            ObjectNode lo = ch.putObject("logprobs");
            lo.set("content", logprobs);
            lo.putNull("refusal");
        }
        else ch.putNull("logprobs");
        Responses.putFinish(ch, finish, stopReason);
        return c;  // usage comes in its own last chunk (OpenAI's schema has no null usage on the others)
    }
}
