#!/usr/bin/env node
// Regenerates jllm's golden tokenizer ids (an explicit act; the output is checked in):
//   cd ci/tokenizer-golden && npm install && node generate.js [SHARED_DIR]
// Reference: Hugging Face's Rust tokenizers through the npm `tokenizers` package (independent of jllm and DJL),
// on the real tokenizer.json files in SHARED_DIR/tokenizers (default ../../../shared) and on stories260K's
// Llama-2-style SentencePiece vocabulary (SHARED_DIR/models/stories260K-hf).
// Writes java/src/test/resources/tokenizer-golden/{corpus.json, <vocab>.json}.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const { generate } = require('./corpus');

const shared = path.resolve(process.argv[2] || path.join(__dirname, '..', '..', '..', 'shared'));
const out = path.join(__dirname, '..', '..', 'java', 'src', 'test', 'resources', 'tokenizer-golden');
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
}

main().catch((e) => { console.error(e); process.exit(1); });
