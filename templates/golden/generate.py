#!/usr/bin/env python3
"""Regenerates templates/golden/: each bundled template rendered with Python jinja2 configured as transformers
configures it (see ../shared/chat-templates/README.md), over the conversations of ../shared/chat-templates/cases
whose contents are plain strings. Regenerating is an explicit, reviewed act: run it, read the diff, commit."""
import glob, json, os, sys
import jinja2, jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))
templates = os.path.dirname(here)
cases_dir = os.path.join(templates, "..", "..", "shared", "chat-templates", "cases")

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

for path in sorted(glob.glob(os.path.join(templates, "*.jinja"))):
    name = os.path.basename(path)[:-6]
    source = open(path, encoding="utf-8").read()
    tokens = json.load(open(os.path.join(templates, name + ".json")))
    template = env.from_string(source)
    for case_path in sorted(glob.glob(os.path.join(cases_dir, "*.json"))):
        case = json.load(open(case_path, encoding="utf-8"))
        if not all(isinstance(m.get("content"), str) for m in case["messages"]):
            continue
        ctx = {k: v for k, v in tokens.items() if v is not None}
        ctx.update(case.get("template_kwargs") or {})
        ctx.update(messages=case["messages"], tools=case.get("tools"), documents=case.get("documents"),
                   add_generation_prompt=case["add_generation_prompt"])
        base = os.path.join(here, name + "__" + case["name"])
        try:
            out, suffix = template.render(**ctx), ".txt"
        except jinja2.exceptions.TemplateError as e:
            out, suffix = str(e), ".error.txt"
        with open(base + suffix, "w", encoding="utf-8", newline="") as f:
            f.write(out)
print("wrote", len(glob.glob(os.path.join(here, "*.txt"))), "renderings", file=sys.stderr)
