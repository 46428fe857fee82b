package dev.jllm.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizer a GGUF byte-level BPE vocabulary names in tokenizer.ggml.pre: a sequence of regexes, each
 * splitting every piece of the previous one into matches and the text between them (Hugging Face's
 * Split(behavior=Isolated), llama.cpp's unicode_regex_split), plus the normalizer the family's tokenizer.json has.
 * The regexes are the ones in the families' tokenizer.json files; unknown names are refused.
 */
record BpePreTokenizer(String name, List<Pattern> regexes, boolean nfc, boolean ignoreMerges) {
    private static final String CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String UPPER = "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]", LOWER = "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "*" + LOWER + "+" + CONTRACTIONS + "?"
            + "|[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "+" + LOWER + "*" + CONTRACTIONS + "?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "*" + LOWER + "+|[^\\r\\n\\p{L}\\p{N}]?" + UPPER + "+" + LOWER
            + "*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String DEEPSEEK_V3 = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
            + "|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    // the cased letters (Unicode LC) of DeepSeek LLM's tokenizer.json, as code points (NFC would alter a literal copy)
    private static final String DEEPSEEK_LATIN = "\\s?["
            + "\\x{0041}-\\x{005A}\\x{0061}-\\x{007A}\\x{00B5}\\x{00C0}-\\x{00D6}\\x{00D8}-\\x{00F6}\\x{00F8}-\\x{01BA}"
            + "\\x{01BC}-\\x{01BF}\\x{01C4}-\\x{0293}\\x{0295}-\\x{02AF}\\x{0370}-\\x{0373}\\x{0376}-\\x{0377}\\x{037B}-\\x{037D}"
            + "\\x{037F}\\x{0386}\\x{0388}-\\x{038A}\\x{038C}\\x{038E}-\\x{03A1}\\x{03A3}-\\x{03F5}\\x{03F7}-\\x{0481}"
            + "\\x{048A}-\\x{052F}\\x{0531}-\\x{0556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
            + "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}"
            + "\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}"
            + "\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}"
            + "\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}"
            + "\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}"
            + "\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}-\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
            + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}-\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}"
            + "\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}"
            + "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
            + "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+";
    private static final String CJK = "[一-龥ࠀ-一가-퟿]+";

    /** The pre-tokenizer for a tokenizer.ggml.pre value; IllegalArgumentException naming it when unknown. */
    static BpePreTokenizer forName(String pre) {
        if (pre == null) throw new IllegalArgumentException("the GGUF file has no tokenizer.ggml.pre; "
                + "pass --tokenizer with the model's Hugging Face tokenizer directory");
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe", "chatglm-bpe" -> of(pre, false, true, LLAMA3);
            case "qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan", "grok-2" -> of(pre, pre.startsWith("qwen") || pre.startsWith("deepseek"), false, QWEN2);
            case "gpt2", "gpt-2", "mpt", "olmo", "jais", "trillion" -> of(pre, false, false, GPT2);
            case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b" -> of(pre, false, false, "\\p{N}", GPT2);
            case "gpt-4o", "minimax-m2" -> of(pre, false, false, GPT4O);
            case "tekken" -> of(pre, false, true, TEKKEN);
            case "deepseek-v3", "hunyuan-dense" -> of(pre, false, false, "\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", DEEPSEEK_V3);
            case "deepseek-llm" -> of(pre, false, false, "[\\r\\n]", DEEPSEEK_LATIN, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", CJK, "\\p{N}+");
            case "deepseek-coder" -> of(pre, false, false, "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}");
            default -> throw new IllegalArgumentException("GGUF tokenizer.ggml.pre '" + pre + "' is not supported (supported: llama3/"
                    + "llama-bpe, qwen2, gpt2, smollm, gpt-4o, tekken, deepseek-llm, deepseek-coder, deepseek-v3 and their aliases); "
                    + "pass --tokenizer with the model's Hugging Face tokenizer directory");
        };
    }

    private static BpePreTokenizer of(String name, boolean nfc, boolean ignoreMerges, String... regexes) {
        List<Pattern> ps = new ArrayList<>();
        for (String r : regexes) ps.add(Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS));
        return new BpePreTokenizer(name, List.copyOf(ps), nfc, ignoreMerges);
    }

    /** Feeds the pieces of text, in order, to out; together they spell the (normalized) text exactly. */
    void split(String text, Consumer<String> out) {
        if (nfc) text = Normalizer.normalize(text, Normalizer.Form.NFC);
        split(text, 0, out);
    }

    private void split(String piece, int level, Consumer<String> out) {
        if (level == regexes.size()) { out.accept(piece); return; }
        Matcher m = regexes.get(level).matcher(piece);
        int at = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;  // empty matches split nothing
            if (m.start() > at) split(piece.substring(at, m.start()), level + 1, out);
            split(m.group(), level + 1, out);
            at = m.end();
        }
        if (at < piece.length()) split(piece.substring(at), level + 1, out);
    }
}
