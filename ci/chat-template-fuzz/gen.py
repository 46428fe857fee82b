# Differential chat-template test data: random conversations (every message shape the OpenAI API accepts: null or
# absent content with tool calls, content parts, names, tool results, string or object arguments, reasoning, Unicode
# and whitespace edge cases; tools, documents and template kwargs) rendered with Python jinja2 configured as
# transformers' apply_chat_template configures it (../shared/chat-templates/README.md), written in the layout of
# one JSON file that ChatTemplateFuzzTest reads to compare jllm's renderer with it pair by pair (the templates
# themselves are read from ../shared at test time). Regenerating is an explicit act; the output is checked in:
#
#   python3 ci/chat-template-fuzz/gen.py ../shared/chat-templates \
#       engine/src/test/resources/chat-template-fuzz/fuzz.json 40 20261130
import json, os, random, shutil, sys, hashlib
import jinja2, jinja2.ext
from datetime import datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import Extension
from jinja2 import nodes

class GenerationTag(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)
    def _render(self, caller):
        return caller()

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def strftime_now(fmt):
    return datetime(2024, 7, 26, 0, 0, 0).strftime(fmt)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

SRC = sys.argv[1]; OUT = sys.argv[2]; N = int(sys.argv[3]); seed = int(sys.argv[4])
rng = random.Random(seed)
TEXTS = ["Hello!", "  padded  ", "line1\nline2\n", "tab\there", "{{ not a tag }} {% raw %}", "quote \" and ' and \\ back",
         "émoji 👩‍👩‍👧 ✓ 中文 العربية", "\u00a0nbsp\u2003em ", "", "trailing newline\n\n", "<|im_end|> spelled",
         "json {\"a\": [1, 2]}", "x" * 3, "Tab\r\nCRLF", "  ", "ends with space "]
def text(): return rng.choice(TEXTS)
def parts():
    k = rng.randint(1, 3)
    return [{"type": "text", "text": text()} for _ in range(k)]
def content(allow_none=False):
    r = rng.random()
    if allow_none and r < 0.15: return None
    if r < 0.3: return parts()
    return text()
TOOLS = [
 {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
   "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City"},
     "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}},
 {"type": "function", "function": {"name": "search", "description": "Search the web — unicode ✓",
   "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer", "minimum": 1},
     "filters": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}}}, "required": ["q"]}}},
 {"type": "function", "function": {"name": "noargs", "description": "", "parameters": {"type": "object", "properties": {}}}},
]
def tool_call(i):
    args = rng.choice([{"city": "Paris"}, {"q": "a \"b\"", "n": 3}, {}, {"filters": [{"k": "v"}], "q": "x"}])
    if rng.random() < 0.3: args = json.dumps(args)
    tc = {"id": f"call_{i}", "type": "function", "function": {"name": rng.choice(["get_weather", "search", "noargs"]), "arguments": args}}
    if rng.random() < 0.2: del tc["id"]
    return tc
def conversation():
    msgs = []
    if rng.random() < 0.5:
        msgs.append({"role": "system", "content": content()})
    turns = rng.randint(1, 4)
    for t in range(turns):
        m = {"role": "user", "content": content()}
        if rng.random() < 0.1: m["name"] = "alice"
        msgs.append(m)
        if t == turns - 1 and rng.random() < 0.6: break
        r = rng.random()
        if r < 0.35:
            n = rng.randint(1, 2)
            a = {"role": "assistant", "content": rng.choice([None, "", "Let me check."]) , "tool_calls": [tool_call(i) for i in range(n)]}
            if rng.random() < 0.3: del a["content"]
            msgs.append(a)
            for i in range(n):
                tm = {"role": "tool", "tool_call_id": f"call_{i}", "content": rng.choice(["sunny", "{\"temp\": 20}", "", "multi\nline"])}
                if rng.random() < 0.3: tm["name"] = "get_weather"
                msgs.append(tm)
            if rng.random() < 0.7: msgs.append({"role": "assistant", "content": content()})
        else:
            a = {"role": "assistant", "content": content()}
            if rng.random() < 0.15: a["reasoning_content"] = "thinking..."
            msgs.append(a)
    return msgs

templates = sorted(f[:-6] for f in os.listdir(SRC + "/templates") if f.endswith(".jinja"))
cases, pairs = {}, []
for ci in range(N):
    kase = {"name": f"fuzz{ci}", "messages": conversation(), "tools": rng.choice([None, None, TOOLS[:rng.randint(1, 3)]]),
            "documents": rng.choice([None, None, None, [{"title": "Doc", "text": "Body ✓"}]]),
            "add_generation_prompt": rng.random() < 0.7,
            "template_kwargs": rng.choice([{}, {}, {"enable_thinking": False}, {"enable_thinking": True}, {"date_string": "01 Jan 2025"}, {"reasoning_effort": "high"}])}
    if kase["messages"][-1]["role"] == "assistant" and rng.random() < 0.3: kase["add_generation_prompt"] = False
    cases[kase["name"]] = kase
    for t in templates:
        src = open(f"{SRC}/templates/{t}.jinja", encoding="utf-8").read()
        tok = json.load(open(f"{SRC}/templates/{t}.json"))
        ctx = {}
        for k in ("bos_token", "eos_token"):
            if tok.get(k) is not None: ctx[k] = tok[k]
        ctx.update(kase["template_kwargs"])
        ctx.update(messages=kase["messages"], tools=kase["tools"], documents=kase["documents"], add_generation_prompt=kase["add_generation_prompt"])
        try:
            out = env.from_string(src).render(**ctx); outcome = "ok"
        except jinja2.exceptions.TemplateError as e:
            outcome = "raise_exception" if type(e) is jinja2.exceptions.TemplateError else "error"; out = str(e)
        except Exception as e:
            outcome = "error"; out = str(e)
        pairs.append({"template": t, "case": kase["name"], "outcome": outcome, "text": out})
os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as f:
    json.dump({"reference": f"Python {sys.version.split()[0]}, jinja2 {jinja2.__version__}", "seed": seed,
               "cases": cases, "pairs": pairs}, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
from collections import Counter
print(len(pairs), Counter(p["outcome"] for p in pairs))
