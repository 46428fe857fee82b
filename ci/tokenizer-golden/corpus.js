// The tokenizer test corpus: ~1,600 texts built deterministically (seeded PRNG) from hand-written pools of
// prose, code, digit runs, whitespace runs, emoji sequences, CJK, Arabic, Devanagari, combining marks and text
// that spells special tokens. Used only by generate.js; the texts are checked in with the golden ids.
'use strict';

function rng(seed) {  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROSE = [
  'The quick brown fox jumps over the lazy dog.', "It's a truth universally acknowledged that we'll never know.",
  'She said, "Don\'t touch that!" and left.', "They'RE here; I'VE seen them, and you'D agree.",
  'Once upon a time, in a land far away, there lived a little girl named Lily.',
  'In 1969, Apollo 11 landed on the Moon — a giant leap for mankind.', 'Mr. Smith paid $1,234.56 for 3.5 kg of apples (≈ 7.7 lb).',
  'Visit https://example.com/path?q=tokens&lang=en#section or mail me at jane.doe+test@example.org.',
  'Ça va? Très bien, merci! Où est la bibliothèque?', 'Größere Straßen führen über die Brücke nach Köln.',
  '¿Dónde está el baño? ¡Qué día tan bonito!', 'Съешь же ещё этих мягких французских булок, да выпей чаю.',
  'Γαζέες καὶ μυρτιὲς δὲν θὰ βρῶ πιὰ στὸ χρυσαφὶ ξέφωτο.', 'Pchnąć w tę łódź jeża lub ośm skrzyń fig.',
  'Tôi có thể ăn thủy tinh mà không hại gì.', 'İstanbul’da ılık bir sabah; şehir uyanıyor.',
  'Markdown: **bold**, _italic_, `code`, [link](http://x.y) and > quotes.', '- item one\n- item two\n  - nested item',
  'TL;DR: use A/B tests; p < 0.05 => significant. E=mc², ∑x² ≥ 0, ∞ ≠ −1.', 'HELLO WORLD!!! WHY ARE YOU SHOUTING???',
  "rock'n'roll, o'clock, y'all, ma'am — and the dog's bone's gone.", '…and then—silence. “Quoted” ‘text’ «guillemets» „low“.',
];
const CODE = [
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'public static void main(String[] args) {\n\tSystem.out.println("Hello, " + args[0]);\n}\n',
  'const xs = [1, 2, 3].map((x) => x * 2).filter(Boolean);\nconsole.log(`sum=${xs.reduce((a, b) => a + b, 0)}`);',
  '#include <stdio.h>\nint main(void) {\n    for (int i = 0; i < 10; ++i) printf("%d\\n", i);\n    return 0;\n}\n',
  '{"name": "jllm", "version": "0.1.0", "tags": ["llm", "java"], "nested": {"a": null, "b": true, "c": 3.14}}',
  '<html>\n  <body>\n    <div class="main" id=\'x\'>&lt;p&gt; &amp; text</div>\n  </body>\n</html>',
  'SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 100 GROUP BY u.id;',
  'fn main() -> Result<(), Box<dyn Error>> {\n    let v: Vec<u8> = vec![0xde, 0xad, 0xbe, 0xef];\n    Ok(())\n}',
  'if [[ -z "$HOME" ]]; then echo "no home" >&2; exit 1; fi\nfor f in *.txt; do wc -l "$f"; done',
  'x = {k: v for k, v in zip(keys, values) if v is not None}  # dict comprehension\nprint(f"{x!r:>20}")',
  '    \t  indented_with_tabs_and_spaces = 1\r\n\r\n\t\t\treturn  None  \n',
  'regex = r"^(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$"',
];
const EMOJI = ['👨‍👩‍👧‍👦', '👍🏽', '👋🏿', '🧑🏻‍💻', '👩🏾‍🚀', '🏳️‍🌈', '🏴‍☠️', '❤️‍🔥', '🇺🇸', '🇯🇵', '🇩🇪', '1️⃣', '#️⃣', '😀', '🤖', '🙂',
  '🫶🏼', '🧔‍♂️', '👨‍❤️‍💋‍👨', '🐕‍🦺', '✌🏻', '🤌', '⚽', '☕', '🦀', '🎉', '😶‍🌫️', '🧑‍🤝‍🧑', '👁️‍🗨️', '©️', '™'];
const CJK = ['你好，世界！今天天气很好。', '我们在北京的一家小饭馆吃了饺子和面条。', '機械学習は人工知能の一分野です。',
  'ひらがなとカタカナ、そして漢字を混ぜて書きます。', '東京タワーの高さは３３３メートルです。', '안녕하세요, 만나서 반갑습니다.',
  '한국어 문장은 띄어쓰기를 사용합니다.', '繁體中文與簡體中文有些不同。', '「これはテストです」と彼は言った。', '中文标点：，。！？；：“”（）【】'];
const SCRIPTS = ['مرحبا بالعالم! كيف حالك اليوم؟', 'اللُّغَةُ العَرَبِيَّةُ جَمِيلَةٌ جِدًّا', 'هذا نص عربي مع أرقام ١٢٣٤٥٦٧٨٩٠ و 2024.',
  'नमस्ते दुनिया! आप कैसे हैं?', 'हिन्दी भाषा देवनागरी लिपि में लिखी जाती है। क्षत्रिय, ज्ञान, श्री',
  'संस्कृतम् एका प्राचीना भाषा अस्ति।', 'שלום עולם, מה שלומך?', 'สวัสดีครับ ยินดีที่ได้รู้จัก', 'বাংলা ভাষা খুব সুন্দর।',
  'தமிழ் ஒரு பழமையான மொழி.', 'Ἐν ἀρχῇ ἦν ὁ λόγος', 'ქართული ენა', 'Հայերեն լեզու', 'ᚠᚢᚦᚨᚱᚲ ᛗᛁᛞᚷᚠᚱᛟ', 'ⲧⲙⲛⲧⲣⲙⲛⲕⲏⲙⲉ'];
const COMBINING = ['e\u0301', 'a\u0308o\u0308u\u0308', 'n\u0303', 'Z\u0351\u036b\u0343a\u0310\u0352l\u0357g\u0312o\u0301\u0346',
  'Vie\u0323\u0302t Nam', 'A\u030a', '\u1100\u1161\u11a8', 'q\u0307\u0323', 'x\u0336\u0336', 'ﬁ ﬂ ﬀ', 'Å Å Å', 'ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３',
  '\u0915\u094d\u0937', 'cafe\u0301 na\u0308ive', '\u00e9\u0301\u0302', 'o\u0328\u0304'];
const SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>',
  '<|reserved_special_token_5|>', '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>',
  '</tool_call>', '<|fim_prefix|>', '<bos>', '<eos>', '<start_of_turn>', '<end_of_turn>', '<unused7>', '<mask>', '<pad>',
  '<table>', '</td>', '<s>', '</s>', '[INST]', '[/INST]', '<unk>', '<｜end▁of▁sentence｜>', '<|im_start', 'im_end|>',
  '<|eot_id', '<think', '<<SYS>>', '<|', '|>', '<start_of_image>'];
const WS = [' ', '  ', '   ', '    ', '\t', '\t\t', '\n', '\n\n', '\n\n\n', '\r\n', ' \n', '\n ', '\u00a0', '\u3000', '\u2009',
  '\u200b', '\u2028', '\f', '\v', ' '.repeat(8), ' '.repeat(17), ' '.repeat(33), '\n'.repeat(7), ' \t \t '];

function generate() {
  const r = rng(20261129);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const digits = (n) => { let s = String(int(1, 9)); while (s.length < n) s += int(0, 9); return s; };
  const ws = () => pick(WS);
  const texts = [];
  const add = (t) => { if (t.length > 0 && !texts.includes(t)) texts.push(t); };
  // 1. every pool entry on its own, and with leading/trailing space
  for (const pool of [PROSE, CODE, EMOJI, CJK, SCRIPTS, COMBINING, SPECIALS]) for (const t of pool) { add(t); add(' ' + t); add(t + ' '); }
  // 2. digit runs: lengths 1..80, with separators
  for (let n = 1; n <= 80; n++) add(digits(n));
  for (let i = 0; i < 60; i++) add(`${pick(['Total', 'id', 'x', '$', '#', ''])}${pick(['', ' ', ':'])}${digits(int(1, 40))}${pick(['', '.', ',', ' ', '%'])}${digits(int(1, 12))}`);
  for (let i = 0; i < 30; i++) add(`${int(1, 9999).toLocaleString('en-US')} ${int(1, 9)}.${digits(int(1, 9))}e-${int(1, 30)} +1 (${digits(3)}) ${digits(3)}-${digits(4)}`);
  // 3. whitespace runs in and around words
  for (let i = 0; i < 120; i++) add(`${ws()}${pick(PROSE).split(' ').slice(0, int(1, 5)).join(ws())}${ws()}${pick(['end', '', 'x', '.'])}${ws()}`);
  for (let n = 1; n <= 40; n++) add(' '.repeat(n) + 'x' + ' '.repeat(n % 7));
  // 4. emoji sequences, alone, repeated and in prose
  for (let i = 0; i < 100; i++) {
    let s = '';
    for (let k = int(1, 6); k > 0; k--) s += pick(EMOJI) + (r() < 0.3 ? ' ' : '');
    add(r() < 0.5 ? s : `${pick(PROSE).slice(0, int(5, 40))} ${s} ${pick(['lol', 'ok', '!!', 'thanks'])}`);
  }
  // 5. scripts and combining marks, mixed with Latin, digits and punctuation
  for (let i = 0; i < 150; i++) add(`${pick(CJK.concat(SCRIPTS))}${pick(['', ' ', '\n', ', '])}${pick(PROSE.concat(COMBINING, CJK, SCRIPTS))}`);
  for (let i = 0; i < 100; i++) add(`${pick(COMBINING)}${pick(['', ' ', 'x', '1'])}${pick(COMBINING)} ${pick(PROSE).slice(0, int(3, 30))}`);
  // 6. user-typed special-token text inside ordinary text
  for (let i = 0; i < 250; i++) {
    const parts = [];
    for (let k = int(1, 4); k > 0; k--) parts.push(pick(SPECIALS), pick(['', ' ', '\n', 'user', 'Hello', ' world', '你好', 'é', '🙂', '12345', '\t']));
    add(parts.join(pick(['', '', ' '])));
  }
  // 7. code variations: re-indented, concatenated, with special text in strings
  for (let i = 0; i < 120; i++) {
    const c = pick(CODE);
    add(i % 3 === 0 ? c.replace(/ {4}/g, '\t') : i % 3 === 1 ? c + '\n' + pick(CODE) : c.replace('"', `"${pick(SPECIALS)}`));
  }
  // 8. random mixes of everything, short to medium
  const ALL = [].concat(PROSE, CODE, EMOJI, CJK, SCRIPTS, COMBINING, SPECIALS, WS);
  while (texts.length < 1600) {
    let s = '';
    for (let k = int(1, 8); k > 0; k--) s += pick(ALL) + (r() < 0.4 ? ws() : '') + (r() < 0.15 ? digits(int(1, 20)) : '');
    add(s);
  }
  // 9. a few long texts (several thousand characters)
  for (let i = 0; i < 6; i++) {
    let s = '';
    while (s.length < 3000 + i * 1000) s += pick(ALL) + (r() < 0.5 ? ' ' : ws());
    add(s);
  }
  add('a'.repeat(500));
  add('🙂'.repeat(300));
  add('你'.repeat(400));
  add('1'.repeat(301));
  return texts;
}

module.exports = { generate };
