package dev.jllm.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny embedding models written by the tests from seeded random weights (no model files exist here): a BERT encoder
 * and a Qwen3-shaped decoder in the Hugging Face layout (config.json, F32 model.safetensors, a WordPiece
 * tokenizer.json, sentence-transformers modules.json + 1_Pooling/config.json), plus an independent naive reference
 * forward of each in double precision that shares no code with the engine.
 */
public final class TinyEmbeddingModels {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The WordPiece vocabulary: ids are list positions. */
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "quick", "brown",
            "fox", "jumps", "over", "lazy", "dog", "hello", "world", "embed", "##s", "##ding", "a", "cat", ".", ",", "is", "on");
    static final int VOCAB_SIZE = 32;  // the model's rows (>= the tokenizer's)

    // ---- weights -----------------------------------------------------------------------------------------------

    /** Named tensors in file order: shape and values. */
    public static final class Weights {
        final Map<String, int[]> shapes = new LinkedHashMap<>();
        final Map<String, float[]> values = new LinkedHashMap<>();
        final Random rnd;

        Weights(long seed) {
            rnd = new Random(seed);
        }

        float[] random(String name, float scale, float offset, int... shape) {
            int n = 1;
            for (int d : shape) n *= d;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = offset + scale * (float) rnd.nextGaussian();
            shapes.put(name, shape);
            values.put(name, v);
            return v;
        }

        float[] get(String name) {
            return values.get(name);
        }

        /** safetensors: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}}, then the data. */
        void write(Path file) throws IOException {
            ObjectNode header = JSON.createObjectNode();
            long off = 0;
            for (var e : shapes.entrySet()) {
                ObjectNode t = header.putObject(e.getKey());
                t.put("dtype", "F32");
                var shape = t.putArray("shape");
                for (int d : e.getValue()) shape.add(d);
                long bytes = 4L * values.get(e.getKey()).length;
                t.putArray("data_offsets").add(off).add(off + bytes);
                off += bytes;
            }
            byte[] h = JSON.writeValueAsBytes(header);
            ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) off).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h);
            for (float[] v : values.values()) for (float x : v) b.putFloat(x);
            Files.write(file, b.array());
        }
    }

    // ---- files ---------------------------------------------------------------------------------------------------

    /** A BERT WordPiece tokenizer.json: lowercasing BertNormalizer, BertPreTokenizer, [CLS] text [SEP]. */
    static void writeTokenizer(Path dir) throws IOException {
        StringBuilder vocab = new StringBuilder(), added = new StringBuilder();
        for (int i = 0; i < VOCAB.size(); i++) {
            vocab.append(i == 0 ? "" : ",").append('"').append(VOCAB.get(i)).append("\":").append(i);
            if (i < 5) added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"").append(VOCAB.get(i))
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
        }
        String json = """
                {"version":"1.0","truncation":null,"padding":null,"added_tokens":[%s],
                 "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
                 "pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"TemplateProcessing",
                   "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}}],
                   "pair":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}},{"Sequence":{"id":"B","type_id":1}},{"SpecialToken":{"id":"[SEP]","type_id":1}}],
                   "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
                 "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{%s}}}
                """.formatted(added, vocab);
        Files.writeString(dir.resolve("tokenizer.json"), json);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"cls_token\":\"[CLS]\",\"sep_token\":\"[SEP]\",\"unk_token\":\"[UNK]\",\"pad_token\":\"[PAD]\",\"do_lower_case\":true}");
    }

    /** sentence-transformers: modules.json (Transformer, Pooling, optional Normalize) and 1_Pooling/config.json. */
    static void writeSentenceTransformers(Path dir, int hidden, String mode, boolean normalize) throws IOException {
        String modules = "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}"
                + (normalize ? ",{\"idx\":2,\"name\":\"2\",\"path\":\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}" : "") + "]";
        Files.writeString(dir.resolve("modules.json"), modules);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\":" + hidden
                + ",\"pooling_mode_cls_token\":" + mode.equals("cls") + ",\"pooling_mode_mean_tokens\":" + mode.equals("mean")
                + ",\"pooling_mode_max_tokens\":false,\"pooling_mode_mean_sqrt_len_tokens\":false,\"pooling_mode_lasttoken\":"
                + mode.equals("lasttoken") + "}");
    }

    // ---- BERT --------------------------------------------------------------------------------------------------

    static final int BH = 32, BHEADS = 4, BI = 64, BLAYERS = 2, BMAXPOS = 40;

    /** A BertModel (tensor names under `prefix`, "" or "bert.") with random weights; returns them for the reference. */
    public static Weights writeBert(Path dir, String prefix, long seed) throws IOException {
        return writeBert(dir, prefix, seed, "BertModel");
    }

    /** The same for `arch` BertModel or RobertaModel (whose positions start at pad_token_id + 1 = 2). */
    static Weights writeBert(Path dir, String prefix, long seed, String arch) throws IOException {
        boolean roberta = arch.equals("RobertaModel");
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["%s"],"model_type":"%s","vocab_size":%d,"hidden_size":%d,"num_hidden_layers":%d,
                 "num_attention_heads":%d,"intermediate_size":%d,"hidden_act":"gelu","max_position_embeddings":%d,
                 "type_vocab_size":2,"layer_norm_eps":1e-12,"position_embedding_type":"absolute","pad_token_id":%d}
                """.formatted(arch, roberta ? "roberta" : "bert", VOCAB_SIZE, BH, BLAYERS, BHEADS, BI, BMAXPOS, roberta ? 1 : 0));
        Weights w = new Weights(seed);
        String p = prefix;
        w.random(p + "embeddings.word_embeddings.weight", 0.5f, 0, VOCAB_SIZE, BH);
        w.random(p + "embeddings.position_embeddings.weight", 0.5f, 0, BMAXPOS, BH);
        w.random(p + "embeddings.token_type_embeddings.weight", 0.5f, 0, 2, BH);
        w.random(p + "embeddings.LayerNorm.weight", 0.1f, 1, BH);
        w.random(p + "embeddings.LayerNorm.bias", 0.1f, 0, BH);
        for (int l = 0; l < BLAYERS; l++) {
            String q = p + "encoder.layer." + l + ".";
            for (String n : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                w.random(q + n + ".weight", 0.25f, 0, BH, BH);
                w.random(q + n + ".bias", 0.1f, 0, BH);
            }
            w.random(q + "attention.output.LayerNorm.weight", 0.1f, 1, BH);
            w.random(q + "attention.output.LayerNorm.bias", 0.1f, 0, BH);
            w.random(q + "intermediate.dense.weight", 0.25f, 0, BI, BH);
            w.random(q + "intermediate.dense.bias", 0.1f, 0, BI);
            w.random(q + "output.dense.weight", 0.2f, 0, BH, BI);
            w.random(q + "output.dense.bias", 0.1f, 0, BH);
            w.random(q + "output.LayerNorm.weight", 0.1f, 1, BH);
            w.random(q + "output.LayerNorm.bias", 0.1f, 0, BH);
        }
        w.random(p + "pooler.dense.weight", 0.1f, 0, BH, BH);  // present in BertModel checkpoints, unused
        w.write(dir.resolve("model.safetensors"));
        writeTokenizer(dir);
        return w;
    }

    /** Naive BERT forward of one sequence in double: the final hidden states [T][H]. */
    static double[][] bertReference(Weights w, String p, int[] ids) {
        return bertReference(w, p, ids, 0);
    }

    /** posOffset: the position id of the first token (RoBERTa: 2). */
    static double[][] bertReference(Weights w, String p, int[] ids, int posOffset) {
        int T = ids.length;
        double[][] x = new double[T][BH];
        float[] we = w.get(p + "embeddings.word_embeddings.weight"), pe = w.get(p + "embeddings.position_embeddings.weight"),
                te = w.get(p + "embeddings.token_type_embeddings.weight");
        for (int t = 0; t < T; t++) for (int i = 0; i < BH; i++) x[t][i] = we[ids[t] * BH + i] + pe[(t + posOffset) * BH + i] + te[i];
        layerNorm(x, w.get(p + "embeddings.LayerNorm.weight"), w.get(p + "embeddings.LayerNorm.bias"));
        int hd = BH / BHEADS;
        for (int l = 0; l < BLAYERS; l++) {
            String q = p + "encoder.layer." + l + ".";
            double[][] qs = linear(x, w.get(q + "attention.self.query.weight"), w.get(q + "attention.self.query.bias"), BH);
            double[][] ks = linear(x, w.get(q + "attention.self.key.weight"), w.get(q + "attention.self.key.bias"), BH);
            double[][] vs = linear(x, w.get(q + "attention.self.value.weight"), w.get(q + "attention.self.value.bias"), BH);
            double[][] att = new double[T][BH];
            for (int h = 0; h < BHEADS; h++)
                for (int t = 0; t < T; t++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int u = 0; u < T; u++) {  // every position: bidirectional
                        for (int i = 0; i < hd; i++) s[u] += qs[t][h * hd + i] * ks[u][h * hd + i];
                        s[u] /= Math.sqrt(hd);
                        max = Math.max(max, s[u]);
                    }
                    for (int u = 0; u < T; u++) sum += s[u] = Math.exp(s[u] - max);
                    for (int u = 0; u < T; u++) for (int i = 0; i < hd; i++) att[t][h * hd + i] += s[u] / sum * vs[u][h * hd + i];
                }
            double[][] o = linear(att, w.get(q + "attention.output.dense.weight"), w.get(q + "attention.output.dense.bias"), BH);
            for (int t = 0; t < T; t++) for (int i = 0; i < BH; i++) x[t][i] += o[t][i];
            layerNorm(x, w.get(q + "attention.output.LayerNorm.weight"), w.get(q + "attention.output.LayerNorm.bias"));
            double[][] mid = linear(x, w.get(q + "intermediate.dense.weight"), w.get(q + "intermediate.dense.bias"), BI);
            for (double[] r : mid) for (int i = 0; i < BI; i++) r[i] = 0.5 * r[i] * (1 + erf(r[i] / Math.sqrt(2)));
            double[][] out = linear(mid, w.get(q + "output.dense.weight"), w.get(q + "output.dense.bias"), BH);
            for (int t = 0; t < T; t++) for (int i = 0; i < BH; i++) x[t][i] += out[t][i];
            layerNorm(x, w.get(q + "output.LayerNorm.weight"), w.get(q + "output.LayerNorm.bias"));
        }
        return x;
    }

    // ---- nomic-bert ------------------------------------------------------------------------------------------------

    static final int NI = 48;

    /** A NomicBertModel (nomic-embed-text's layout): rotary q/k (base 1000), fused Wqkv, SwiGLU, no biases. */
    static Weights writeNomic(Path dir, long seed) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["NomicBertModel"],"model_type":"nomic_bert","vocab_size":%d,"n_embd":%d,"n_layer":%d,
                 "n_head":%d,"n_inner":%d,"n_positions":64,"max_trained_positions":40,"activation_function":"swiglu",
                 "rotary_emb_base":1000,"rotary_emb_fraction":1.0,"rotary_emb_interleaved":false,"rotary_emb_scale_base":null,
                 "rotary_scaling_factor":null,"qkv_proj_bias":false,"mlp_fc1_bias":false,"mlp_fc2_bias":false,
                 "layer_norm_epsilon":1e-12,"type_vocab_size":2,"prenorm":false,"causal":false}
                """.formatted(VOCAB_SIZE, BH, BLAYERS, BHEADS, NI));
        Weights w = new Weights(seed);
        w.random("embeddings.word_embeddings.weight", 0.5f, 0, VOCAB_SIZE, BH);
        w.random("embeddings.token_type_embeddings.weight", 0.5f, 0, 2, BH);
        w.random("emb_ln.weight", 0.1f, 1, BH);
        w.random("emb_ln.bias", 0.1f, 0, BH);
        for (int l = 0; l < BLAYERS; l++) {
            String q = "encoder.layers." + l + ".";
            w.random(q + "attn.Wqkv.weight", 0.25f, 0, 3 * BH, BH);
            w.random(q + "attn.out_proj.weight", 0.25f, 0, BH, BH);
            w.random(q + "mlp.fc11.weight", 0.25f, 0, NI, BH);
            w.random(q + "mlp.fc12.weight", 0.25f, 0, NI, BH);
            w.random(q + "mlp.fc2.weight", 0.2f, 0, BH, NI);
            for (String n : new String[] {"norm1", "norm2"}) {
                w.random(q + n + ".weight", 0.1f, 1, BH);
                w.random(q + n + ".bias", 0.1f, 0, BH);
            }
        }
        w.write(dir.resolve("model.safetensors"));
        writeTokenizer(dir);
        return w;
    }

    /** Naive nomic-bert forward of one sequence in double (post-norm, rotate_half rope base 1000, y = fc11 x * silu(fc12 x)). */
    static double[][] nomicReference(Weights w, int[] ids) {
        int T = ids.length, hd = BH / BHEADS, half = hd / 2;
        double[][] x = new double[T][BH];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < BH; i++)
                x[t][i] = w.get("embeddings.word_embeddings.weight")[ids[t] * BH + i] + w.get("embeddings.token_type_embeddings.weight")[i];
        layerNorm(x, w.get("emb_ln.weight"), w.get("emb_ln.bias"));
        for (int l = 0; l < BLAYERS; l++) {
            String p = "encoder.layers." + l + ".";
            double[][] qkv = linear(x, w.get(p + "attn.Wqkv.weight"), null, 3 * BH);  // rows: q, then k, then v
            for (int t = 0; t < T; t++)
                for (int part = 0; part < 2; part++)
                    for (int h = 0; h < BHEADS; h++)
                        for (int i = 0; i < half; i++) {
                            int a = part * BH + h * hd + i, b = a + half;
                            double ang = t * Math.pow(1000.0, -2.0 * i / hd), c = Math.cos(ang), s = Math.sin(ang);
                            double xa = qkv[t][a], xb = qkv[t][b];
                            qkv[t][a] = xa * c - xb * s;
                            qkv[t][b] = xb * c + xa * s;
                        }
            double[][] att = new double[T][BH];
            for (int h = 0; h < BHEADS; h++)
                for (int t = 0; t < T; t++) {
                    double[] sc = new double[T];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int u = 0; u < T; u++) {
                        for (int i = 0; i < hd; i++) sc[u] += qkv[t][h * hd + i] * qkv[u][BH + h * hd + i];
                        sc[u] /= Math.sqrt(hd);
                        max = Math.max(max, sc[u]);
                    }
                    for (int u = 0; u < T; u++) sum += sc[u] = Math.exp(sc[u] - max);
                    for (int u = 0; u < T; u++) for (int i = 0; i < hd; i++) att[t][h * hd + i] += sc[u] / sum * qkv[u][2 * BH + h * hd + i];
                }
            double[][] o = linear(att, w.get(p + "attn.out_proj.weight"), null, BH);
            for (int t = 0; t < T; t++) for (int i = 0; i < BH; i++) x[t][i] += o[t][i];
            layerNorm(x, w.get(p + "norm1.weight"), w.get(p + "norm1.bias"));
            double[][] up = linear(x, w.get(p + "mlp.fc11.weight"), null, NI), gate = linear(x, w.get(p + "mlp.fc12.weight"), null, NI);
            for (int t = 0; t < T; t++) for (int i = 0; i < NI; i++) up[t][i] *= gate[t][i] / (1 + Math.exp(-gate[t][i]));
            double[][] d = linear(up, w.get(p + "mlp.fc2.weight"), null, BH);
            for (int t = 0; t < T; t++) for (int i = 0; i < BH; i++) x[t][i] += d[t][i];
            layerNorm(x, w.get(p + "norm2.weight"), w.get(p + "norm2.bias"));
        }
        return x;
    }

    // ---- Qwen3-shaped decoder ------------------------------------------------------------------------------------

    static final int QH = 32, QHEADS = 4, QKV = 2, QHD = 8, QI = 48, QLAYERS = 2;

    /** A Qwen3 decoder saved as a bare Qwen3Model (no "model." prefix, no lm_head), as Qwen3-Embedding ships. */
    static Weights writeQwen3(Path dir, long seed) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["Qwen3ForCausalLM"],"model_type":"qwen3","vocab_size":%d,"hidden_size":%d,"num_hidden_layers":%d,
                 "num_attention_heads":%d,"num_key_value_heads":%d,"head_dim":%d,"intermediate_size":%d,"hidden_act":"silu",
                 "max_position_embeddings":64,"rms_norm_eps":1e-6,"rope_theta":10000.0,"tie_word_embeddings":true,"torch_dtype":"float32"}
                """.formatted(VOCAB_SIZE, QH, QLAYERS, QHEADS, QKV, QHD, QI));
        Weights w = new Weights(seed);
        w.random("embed_tokens.weight", 0.5f, 0, VOCAB_SIZE, QH);
        for (int l = 0; l < QLAYERS; l++) {
            String p = "layers." + l + ".";
            w.random(p + "input_layernorm.weight", 0.1f, 1, QH);
            w.random(p + "self_attn.q_proj.weight", 0.25f, 0, QHEADS * QHD, QH);
            w.random(p + "self_attn.k_proj.weight", 0.25f, 0, QKV * QHD, QH);
            w.random(p + "self_attn.v_proj.weight", 0.25f, 0, QKV * QHD, QH);
            w.random(p + "self_attn.o_proj.weight", 0.25f, 0, QH, QHEADS * QHD);
            w.random(p + "self_attn.q_norm.weight", 0.1f, 1, QHD);
            w.random(p + "self_attn.k_norm.weight", 0.1f, 1, QHD);
            w.random(p + "post_attention_layernorm.weight", 0.1f, 1, QH);
            w.random(p + "mlp.gate_proj.weight", 0.25f, 0, QI, QH);
            w.random(p + "mlp.up_proj.weight", 0.25f, 0, QI, QH);
            w.random(p + "mlp.down_proj.weight", 0.2f, 0, QH, QI);
        }
        w.random("norm.weight", 0.1f, 1, QH);
        w.write(dir.resolve("model.safetensors"));
        writeTokenizer(dir);
        return w;
    }

    /** Naive Qwen3 forward of one sequence in double (causal, GQA, per-head q/k RMSNorm, rotate_half rope): final-normed hidden states. */
    static double[][] qwen3Reference(Weights w, int[] ids) {
        int T = ids.length, group = QHEADS / QKV;
        double[][] x = new double[T][QH];
        for (int t = 0; t < T; t++) for (int i = 0; i < QH; i++) x[t][i] = w.get("embed_tokens.weight")[ids[t] * QH + i];
        for (int l = 0; l < QLAYERS; l++) {
            String p = "layers." + l + ".";
            double[][] h = rmsNorm(x, w.get(p + "input_layernorm.weight"), QH);
            double[][] q = linear(h, w.get(p + "self_attn.q_proj.weight"), null, QHEADS * QHD);
            double[][] k = linear(h, w.get(p + "self_attn.k_proj.weight"), null, QKV * QHD);
            double[][] v = linear(h, w.get(p + "self_attn.v_proj.weight"), null, QKV * QHD);
            for (int t = 0; t < T; t++) {
                headNormAndRope(q[t], QHEADS, w.get(p + "self_attn.q_norm.weight"), t);
                headNormAndRope(k[t], QKV, w.get(p + "self_attn.k_norm.weight"), t);
            }
            double[][] att = new double[T][QHEADS * QHD];
            for (int hh = 0; hh < QHEADS; hh++) {
                int g = hh / group;
                for (int t = 0; t < T; t++) {
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int u = 0; u <= t; u++) {  // causal
                        for (int i = 0; i < QHD; i++) s[u] += q[t][hh * QHD + i] * k[u][g * QHD + i];
                        s[u] /= Math.sqrt(QHD);
                        max = Math.max(max, s[u]);
                    }
                    for (int u = 0; u <= t; u++) sum += s[u] = Math.exp(s[u] - max);
                    for (int u = 0; u <= t; u++) for (int i = 0; i < QHD; i++) att[t][hh * QHD + i] += s[u] / sum * v[u][g * QHD + i];
                }
            }
            double[][] o = linear(att, w.get(p + "self_attn.o_proj.weight"), null, QH);
            for (int t = 0; t < T; t++) for (int i = 0; i < QH; i++) x[t][i] += o[t][i];
            h = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"), QH);
            double[][] gate = linear(h, w.get(p + "mlp.gate_proj.weight"), null, QI), up = linear(h, w.get(p + "mlp.up_proj.weight"), null, QI);
            for (int t = 0; t < T; t++) for (int i = 0; i < QI; i++) gate[t][i] = gate[t][i] / (1 + Math.exp(-gate[t][i])) * up[t][i];
            double[][] d = linear(gate, w.get(p + "mlp.down_proj.weight"), null, QH);
            for (int t = 0; t < T; t++) for (int i = 0; i < QH; i++) x[t][i] += d[t][i];
        }
        return rmsNorm(x, w.get("norm.weight"), QH);
    }

    private static void headNormAndRope(double[] v, int heads, float[] normW, int pos) {
        int half = QHD / 2;
        for (int h = 0; h < heads; h++) {
            double ss = 0;
            for (int i = 0; i < QHD; i++) ss += v[h * QHD + i] * v[h * QHD + i];
            double inv = 1 / Math.sqrt(ss / QHD + 1e-6);
            for (int i = 0; i < QHD; i++) v[h * QHD + i] = v[h * QHD + i] * inv * normW[i];
            for (int i = 0; i < half; i++) {
                double ang = pos * Math.pow(10000.0, -2.0 * i / QHD), c = Math.cos(ang), s = Math.sin(ang);
                double a = v[h * QHD + i], b = v[h * QHD + i + half];
                v[h * QHD + i] = a * c - b * s;
                v[h * QHD + i + half] = b * c + a * s;
            }
        }
    }

    // ---- shared naive pieces ---------------------------------------------------------------------------------------

    /** y[t][n] = sum_k x[t][k] w[n, k] (+ b[n]); w [out, in] row-major. */
    static double[][] linear(double[][] x, float[] w, float[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int n = 0; n < out; n++) {
                double s = b == null ? 0 : b[n];
                for (int k = 0; k < in; k++) s += x[t][k] * w[n * in + k];
                y[t][n] = s;
            }
        return y;
    }

    static void layerNorm(double[][] x, float[] g, float[] b) {
        for (double[] r : x) {
            double mean = 0, var = 0;
            for (double v : r) mean += v;
            mean /= r.length;
            for (double v : r) var += (v - mean) * (v - mean);
            var /= r.length;
            for (int i = 0; i < r.length; i++) r[i] = (r[i] - mean) / Math.sqrt(var + 1e-12) * g[i] + b[i];
        }
    }

    static double[][] rmsNorm(double[][] x, float[] g, int dim) {
        double[][] y = new double[x.length][dim];
        for (int t = 0; t < x.length; t++) {
            double ss = 0;
            for (double v : x[t]) ss += v * v;
            double inv = 1 / Math.sqrt(ss / dim + 1e-6);
            for (int i = 0; i < dim; i++) y[t][i] = x[t][i] * inv * g[i];
        }
        return y;
    }

    /** erf by its Maclaurin series (|x| < 3) or the continued-fraction tail; far below the tests' tolerance. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax > 6) return Math.signum(x);
        if (ax < 3) {
            double sum = 0, term = ax;
            for (int n = 0; n < 200; n++) {
                sum += term / (2 * n + 1);
                term *= -ax * ax / (n + 1);
            }
            return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = 0;  // erfc continued fraction
        for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
        return Math.signum(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
    }

    /** Pooling + optional normalization of reference hidden states. */
    static double[] pool(double[][] x, String mode, boolean normalize) {
        int dim = x[0].length;
        double[] v = new double[dim];
        switch (mode) {
            case "cls" -> v = x[0].clone();
            case "lasttoken" -> v = x[x.length - 1].clone();
            default -> {
                for (double[] r : x) for (int i = 0; i < dim; i++) v[i] += r[i] / x.length;
            }
        }
        return normalize ? normalized(v) : v;
    }

    static double[] normalized(double[] v) {
        double n = 0;
        for (double x : v) n += x * x;
        n = Math.sqrt(n);
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i] / n;
        return o;
    }

    static List<Integer> list(int... ids) {
        List<Integer> l = new ArrayList<>();
        for (int i : ids) l.add(i);
        return l;
    }
}
