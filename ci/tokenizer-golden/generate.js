#!/usr/bin/env node
// Regenerates jllm's golden tokenizer ids (an explicit act; the output is checked in):
//   cd ci/tokenizer-golden && npm install && node generate.js [SHARED_DIR]
// Reference: Hugging Face's Rust tokenizers through the npm `tokenizers` package (independent of jllm and DJL),
// on the real tokenizer.json files in SHARED_DIR/tokenizers (default ../../../shared) and on stories260K's
// Llama-2-style SentencePiece vocabulary (SHARED_DIR/models/stories260K-hf).
// Writes engine/src/test/resources/tokenizer-golden/{corpus.json, <vocab>.json}.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const { generate } = require('./corpus');

const shared = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', '..', 'shared'));
const out = path.join(__dirname, '..', '..', 'engine', 'src', 'test', 'resources', 'tokenizer-golden');
const version = require('tokenizers/package.json').version;

// Meta's current Llama 3.x tokenizer.json adds BOS through a TemplateProcessing post-processor; the shared copy
// predates that, so the BOS case is checked on the same vocabulary with Meta's post-processor put back.
const LLAMA3_TEMPLATE = {
  type: 'Sequence',
  processors: [
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } },
    },
  ],
};

// Pre-tokenizers of other byte-level families (their tokenizer.json pre_tokenizer), each put on the Qwen3
// vocabulary without its normalizer, so the GGUF path's tokenizer.ggml.pre regexes are checked against the
// Rust implementation for names whose own vocabularies are not in ../shared.
// DeepSeek LLM's class of cased letters is written as code points: NFC would alter some characters of a literal copy.
const CASED = '0041-005A 0061-007A 00B5 00C0-00D6 00D8-00F6 00F8-01BA 01BC-01BF 01C4-0293 0295-02AF 0370-0373 0376-0377 037B-037D 037F 0386 0388-038A 038C 038E-03A1 03A3-03F5 03F7-0481 048A-052F 0531-0556 10A0-10C5 13A0-13F5 13F8-13FD 1C90-1CBA 1CBD-1CBF 1D00-1D2B 1D6B-1D77 1D79-1D9A 1E00-1F15 1F18-1F1D 1F20-1F45 1F48-1F4D 1F50-1F57 1F59 1F5B 1F5D 1F5F-1F7D 1F80-1FB4 1FB6-1FBC 1FBE 1FC2-1FC4 1FC6-1FCC 1FD0-1FD3 1FD6-1FDB 1FE0-1FEC 1FF2-1FF4 1FF6-1FFC 2102 2107 210A-2113 2115 2119-211D 2124 2126 2128 212A-212D 212F-2134 2139 213C-213F 2145-2149 214E 2183-2184 2C00-2C7B 2C7E-2CE4 2CEB-2CEE 2CF2-2CF3 A640-A66D A680-A69B A722-A76F A771-A787 A78B-A78E AB70-ABBF FB00-FB06 FB13-FB17 FF21-FF3A FF41-FF5A 10400-1044F 104B0-104D3 104D8-104FB 10C80-10CB2 10CC0-10CF2 118A0-118DF 1E900-1E943'.split(' ')
  .map((r) => r.split('-').map((h) => String.fromCodePoint(parseInt(h, 16))).join('-')).join('');
const split = (regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
const byteLevel = (useRegex) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const seq = (...p) => ({ type: 'Sequence', pretokenizers: p });
const UPPER = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]', LOWER = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';
const CJK = '[一-龥ࠀ-一가-퟿]+';
const PRE_TOKENIZERS = {
  'gpt2': seq(byteLevel(true)),
  'smollm': seq({ type: 'Digits', individual_digits: true }, byteLevel(true)),
  'deepseek-v3': seq(split('\\p{N}{1,3}'), split('[一-龥\u3040-ゟ゠-ヿ]+'),
    split('[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+'),
    byteLevel(false)),
  'deepseek-llm': seq(split('[\r\n]'),
    split(`\\s?[${CASED}]+`),
    split('\\s?[!-/:-~！-／：-～‘-‟　-。]+'), split('\\s+$'), split(CJK), split('\\p{N}+'), byteLevel(false)),
  'deepseek-coder': seq(split('[\r\n]'), split('\\s?\\p{L}+'), split('\\s?\\p{P}+'), split(CJK), split('\\p{N}'), byteLevel(false)),
  'gpt-4o': seq(split(`[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`), byteLevel(false)),
  'tekken': seq(split(`[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+|[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`), byteLevel(false)),
};

async function preTokenizerGolden(shared, texts) {
  const base = JSON.parse(fs.readFileSync(path.join(shared, 'tokenizers', 'qwen3', 'tokenizer.json'), 'utf8'));
  const sample = texts.filter((_, i) => i % 2 === 0);
  const cases = {};
  for (const [name, pre] of Object.entries(PRE_TOKENIZERS)) {
    const tj = { ...base, normalizer: null, pre_tokenizer: pre, model: { ...base.model, ignore_merges: name === 'tekken' } };
    const tok = Tokenizer.fromString(JSON.stringify(tj));
    cases[name] = [];
    for (const t of sample) cases[name].push(Array.from((await tok.encode(t, null, { addSpecialTokens: false })).getIds()));
  }
  const golden = { vocabulary: 'qwen3 without normalizer', texts: 'corpus.json texts at even indices', reference: `npm tokenizers ${version}`,
    pre_tokenizers: PRE_TOKENIZERS, ids: cases };
  fs.writeFileSync(path.join(out, 'pre-tokenizers.json'), JSON.stringify(golden) + '\n');
  console.log(`pre-tokenizers: ${Object.keys(cases).join(', ')} on ${sample.length} texts`);
}

async function main() {
  const texts = generate();
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'corpus.json'), JSON.stringify({ texts }, null, 0) + '\n');
  const dirs = { llama3: 'tokenizers/llama3', qwen3: 'tokenizers/qwen3', gemma3: 'tokenizers/gemma3', stories260K: 'models/stories260K-hf' };
  for (const [name, dir] of Object.entries(dirs)) {
    const json = fs.readFileSync(path.join(shared, dir, 'tokenizer.json'), 'utf8');
    const tok = Tokenizer.fromString(json);
    const ids = [];
    for (const t of texts) ids.push(Array.from((await tok.encode(t, null, { addSpecialTokens: false })).getIds()));
    const withSpecial = {};
    for (const t of ['Hello', 'Hello world']) withSpecial[t] = Array.from((await tok.encode(t, null, { addSpecialTokens: true })).getIds());
    const golden = { tokenizer: name, reference: `npm tokenizers ${version}`, with_special_tokens: withSpecial, ids };
    if (name === 'llama3') {
      const meta = JSON.parse(json);
      meta.post_processor = LLAMA3_TEMPLATE;
      const t2 = Tokenizer.fromString(JSON.stringify(meta));
      golden.with_template_processing = { post_processor: LLAMA3_TEMPLATE, with_special_tokens: {} };
      for (const t of ['Hello', 'Hello world']) golden.with_template_processing.with_special_tokens[t] = Array.from((await t2.encode(t, null, { addSpecialTokens: true })).getIds());
    }
    fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify(golden) + '\n');
    console.log(`${name}: ${texts.length} texts, ${ids.reduce((a, x) => a + x.length, 0)} ids`);
  }
  await preTokenizerGolden(shared, texts);
}

main().catch((e) => { console.error(e); process.exit(1); });
