#!/usr/bin/env bash
# End-to-end checks run by `./jllm test` after the unit tests:
#  1. the jlink image starts `serve` with no JDK on PATH (env -i) and answers /v1/models;
#  2. every curl example in README.md (blocks after a "<!-- example -->" line) runs against it and succeeds;
#  3. the official OpenAI Node SDK (npm "openai") passes ci/sdk/sdk-test.mjs, streaming included;
#     the official Anthropic Node SDK (npm "@anthropic-ai/sdk") passes ci/sdk/anthropic-test.mjs;
#  4. a second server on the same port fails at once with a clear message.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="$(cd "$ROOT/../shared" && pwd)"
IMAGE="$ROOT/build/image"
PORT="${JLLM_E2E_PORT:-18431}"
LOG="$(mktemp)"
passed=0; failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

bash "$ROOT/jlink/build-image.sh" "$IMAGE"
echo "image size: $(du -sh "$IMAGE" | cut -f1)"

start=$(date +%s.%N)
env -i PATH=/usr/bin:/bin HOME="$(mktemp -d)" "$IMAGE/bin/jllm" serve --model "$SHARED/models/stories260K-hf" \
  --served-model-name stories --chat-template chatml --tool-call-parser hermes --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
echo "server ready in $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $start}") s"
if curl -sf "http://127.0.0.1:$PORT/v1/models" | grep -q '"id":"stories"'; then ok "image serves /v1/models without a JDK"; else bad "image /v1/models"; cat "$LOG"; fi

# README examples: each fenced block after "<!-- example -->" is run with bash; localhost:8000 → the test port.
n=0
while IFS= read -r -d '' block; do
  n=$((n + 1))
  cmd="${block//localhost:8000/127.0.0.1:$PORT}"
  if out=$(bash -euo pipefail -c "$cmd" 2>&1) && [ -n "$out" ] && ! grep -q '"error"' <<<"$out"; then ok "README example $n"
  else bad "README example $n: $cmd"; echo "$out" | head -20; fi
done < <(python3 - "$ROOT/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for m in re.finditer(r"<!-- example -->\s*```(?:bash|sh)\n(.*?)```", text, re.S):
    sys.stdout.write(m.group(1) + "\0")
PY
)
[ "$n" -gt 0 ] || bad "no README examples found"

# The official Node SDK.
(cd "$ROOT/ci/sdk" && { [ -d node_modules/openai ] || npm install --no-audit --no-fund >/dev/null; }) || bad "npm install openai"
if JLLM_URL="http://127.0.0.1:$PORT/v1" node "$ROOT/ci/sdk/sdk-test.mjs"; then ok "OpenAI Node SDK"; else bad "OpenAI Node SDK"; fi
# The official Anthropic Node SDK on /v1/messages.
(cd "$ROOT/ci/sdk" && { [ -d node_modules/@anthropic-ai/sdk ] || npm install --no-audit --no-fund >/dev/null; }) || bad "npm install @anthropic-ai/sdk"
if JLLM_URL="http://127.0.0.1:$PORT/v1" node "$ROOT/ci/sdk/anthropic-test.mjs"; then ok "Anthropic Node SDK"; else bad "Anthropic Node SDK"; fi

# render-chat reproduces a Python-jinja2 rendering from ../shared byte for byte.
CT="$SHARED/chat-templates"
if "$IMAGE/bin/jllm" render-chat --chat-template "$CT/templates/llama3.2-3b-instruct.jinja" --bos-token '<|begin_of_text|>' \
    --date 2024-07-26 --request "$CT/cases/tools.json" | cmp -s - "$CT/expected/llama3.2-3b-instruct__tools.txt"; then
  ok "render-chat matches the reference rendering"; else bad "render-chat llama3.2 tools"; fi

# JBang from Maven Central runs the catalog alias of this checkout: `jbang jllm@<checkout> serve ...`.
JB="$ROOT/build/jbang"
if [ ! -d "$JB" ]; then (cd "$ROOT/ci/jbang" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$JB") || bad "fetch JBang"; fi
JPORT=$((PORT + 1))
# jbang-cli as a library prints the command to run and exits 255 (its shell wrapper would exec it)
jcmd=$("$JAVA_HOME/bin/java" -cp "$JB/*" dev.jbang.Main "jllm@$ROOT" serve --model "$SHARED/models/stories260K-hf" \
  --served-model-name stories --host 127.0.0.1 --port "$JPORT" 2>/dev/null | tail -1) || true
if [ -n "$jcmd" ]; then
  bash -c "exec $jcmd" >"$LOG.jbang" 2>&1 &
  JSERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$JPORT/health" >/dev/null 2>&1 && break; sleep 0.2; done
  if curl -sf "http://127.0.0.1:$JPORT/v1/models" | grep -q '"id":"stories"'; then ok "jbang jllm@<checkout> serve answers /v1/models"
  else bad "jbang server"; cat "$LOG.jbang"; fi
  kill "$JSERVER" 2>/dev/null || true
else
  bad "jbang printed no command"
fi

# The library: `mvn install` (sources + javadoc jars; javadoc warnings on dev.jllm.api fail it), then the README's
# JBang example runs with only the installed jllm-engine (libjllm inside it) and prints the reference greedy text.
if (cd "$ROOT" && mvn -q -B install -DskipTests >"$LOG.install" 2>&1); then
  ok "mvn install (sources, javadoc)"
  gcmd=$(cd /tmp && "$JAVA_HOME/bin/java" -cp "$JB/*" dev.jbang.Main "$ROOT/examples/Generate.java" \
    "$SHARED/models/stories260K/stories260K.gguf" 2>/dev/null | tail -1) || true
  want=$(python3 -c "import json,sys; print([c for c in json.load(open(sys.argv[1]))['cases'] if c['prompt']=='Once upon a time'][0]['greedy_text'])" \
    "$SHARED/reference/stories260K-greedy.json")
  got=$(cd /tmp && bash -c "exec $gcmd" 2>/dev/null) || true
  if [ -n "$got" ] && [[ "$want" == "$got"* ]]; then ok "JBang examples/Generate.java on the installed jllm-engine"
  else bad "JBang library example: got '$got'"; fi
else
  bad "mvn install"; tail -30 "$LOG.install"
fi

# A second server on the same port fails fast with a clear message.
if out=$(timeout 60 "$IMAGE/bin/jllm" serve --model "$SHARED/models/stories260K-hf" --host 127.0.0.1 --port "$PORT" 2>&1); then
  bad "second server on a taken port should fail"
elif grep -q "cannot listen" <<<"$out"; then ok "occupied port is refused clearly"; else bad "occupied port message: $out"; fi

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
