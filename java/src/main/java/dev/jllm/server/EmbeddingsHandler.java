package dev.jllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.api.PoolingConfig;
import dev.jllm.engine.RequestRejected;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * POST /v1/embeddings (OpenAI's shape, vLLM's extras): input as a string, a list of strings, a list of token ids or
 * a list of token-id lists; encoding_format float or base64 (little-endian float32); dimensions (Matryoshka:
 * the first N values, renormalized when the model normalizes); truncate_prompt_tokens (keeps the last N tokens).
 */
final class EmbeddingsHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KNOWN = Set.of("model", "input", "encoding_format", "dimensions", "user",
            "truncate_prompt_tokens", "add_special_tokens", "normalize");
    static final int MAX_INPUTS = 2048;  // OpenAI's limit of inputs per request

    private final ServerContext ctx;
    private final PoolingConfig pooling;  // null: the served model is generative

    EmbeddingsHandler(ServerContext ctx, PoolingConfig pooling) {
        this.ctx = ctx;
        this.pooling = pooling;
    }

    ObjectNode handle(JsonNode body) throws InterruptedException {
        // 1. fields
        Fields f = new Fields(body);
        f.logUnknown(KNOWN, "/v1/embeddings");
        String model = ctx.resolveModel(f.string("model", null));
        if (pooling == null)
            throw ApiException.badRequest("The model `" + model + "` is a generative model and does not support the embeddings API; "
                    + "serve an embedding model (or start jllm with --task embed).", "model");
        String format = f.string("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64"))
            throw ApiException.badRequest("encoding_format must be 'float' or 'base64', got '" + format + "'.", "encoding_format");
        Integer dims = f.integer("dimensions", null);
        if (dims != null && (dims < 1 || dims > pooling.hiddenSize()))
            throw ApiException.badRequest("dimensions must be between 1 and the model's embedding size " + pooling.hiddenSize()
                    + ", got " + dims + ".", "dimensions");
        Integer truncate = Fields.atLeastOne(f.integer("truncate_prompt_tokens", null), "truncate_prompt_tokens");
        boolean normalize = f.bool("normalize", pooling.normalize());
        ctx.engine().checkAdmission();

        // 2. inputs as token ids
        List<int[]> inputs = inputs(f.raw("input"), ctx.tokenizer(), f.bool("add_special_tokens", true));
        if (truncate != null) inputs.replaceAll(p -> p.length > truncate ? Arrays.copyOfRange(p, p.length - truncate, p.length) : p);
        int promptTokens = inputs.stream().mapToInt(p -> p.length).sum();

        // 3. the engine pools; Matryoshka truncation, then normalization, here
        float[][] vectors;
        try {
            vectors = ctx.engine().embed(inputs, pooling.pooling()).get();
        } catch (RequestRejected r) {
            throw ApiException.of(r);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RequestRejected r) throw ApiException.of(r);
            throw new IllegalStateException("embedding failed: " + e.getCause(), e.getCause());
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("id", "embd-" + UUID.randomUUID().toString().replace("-", ""));
        out.put("object", "list");
        out.put("created", System.currentTimeMillis() / 1000);
        out.put("model", model);
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < vectors.length; i++) {
            float[] v = dims == null ? vectors[i] : Arrays.copyOf(vectors[i], dims);
            if (normalize) dev.jllm.api.Jllm.normalize(v);
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) b.putFloat(x);
                d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode e = d.putArray("embedding");
                for (float x : v) e.add(x);
            }
        }
        out.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return out;
    }

    private List<int[]> inputs(JsonNode in, Tokenizer tok, boolean addSpecial) {
        if (in == null || in.isNull()) throw ApiException.badRequest("'input' is required.", "input");
        List<int[]> out = new ArrayList<>();
        if (in.isTextual()) {
            out.add(text(in.asText(), tok, addSpecial));
            return out;
        }
        if (!in.isArray()) throw ApiException.badRequest("'input' must be a string, a list of strings, a list of token ids or a list of lists of token ids.", "input");
        if (in.isEmpty()) throw ApiException.badRequest("'input' is an empty list; provide at least one input.", "input");
        if (in.size() > MAX_INPUTS) throw ApiException.badRequest("'input' has " + in.size() + " items; the limit is " + MAX_INPUTS + ".", "input");
        if (in.get(0).isNumber()) {
            out.add(ids(in, tok));
            return out;
        }
        for (JsonNode x : in) {
            if (x.isTextual()) out.add(text(x.asText(), tok, addSpecial));
            else if (x.isArray()) out.add(ids(x, tok));
            else throw ApiException.badRequest("'input' lists must hold only strings or only token-id lists.", "input");
        }
        return out;
    }

    private int[] text(String s, Tokenizer tok, boolean addSpecial) {
        if (s.isEmpty()) throw ApiException.badRequest("An input is an empty string; every input needs at least one token.", "input");
        ctx.prompts().checkLength(s.length(), ctx.maxModelLen(), "input", "input");
        return tok.encode(s, addSpecial, false);
    }

    private static int[] ids(JsonNode arr, Tokenizer tok) {
        if (arr.isEmpty()) throw ApiException.badRequest("A token-id input is empty.", "input");
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode x = arr.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw ApiException.badRequest("Token-id inputs must hold only integers.", "input");
            ids[i] = x.asInt();
            if (ids[i] < 0 || ids[i] >= tok.vocabSize())
                throw ApiException.badRequest("Token id " + ids[i] + " is outside the vocabulary (0.." + (tok.vocabSize() - 1) + ").", "input");
        }
        return ids;
    }
}
