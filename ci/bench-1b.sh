#!/usr/bin/env bash
# 1B-class CPU benchmark, jllm against llama.cpp on the same GGUF files in the same run (issue 11). Prints prefill
# tokens/s, decode tokens/s at batch 1/8/32 and the batch-1 fraction of the memory read rate (weight bytes per
# token x tokens/s / STREAM-style read rate measured by jllm_bench next to it: a pass before each timed jllm step,
# 20 passes before and after each llama-bench run), next to llama-bench's pp and tg.
# A benchmark: it prints figures and never fails on a time.
#
#   ci/bench-1b.sh [--quick] [--models LIST] [--dtypes LIST] [--threads N] [--no-llama]
#     --models: llama-3.2-1b,qwen2.5-0.5b (default both; --quick: llama-3.2-1b)
#     --dtypes: bf16,q8_0,q4_k_m (default all three)
#     --quick:  prefill 128 tokens, 16 decode steps, llama-bench -p 128 -n 32 -r 1 (about 4 minutes quiet)
#     default:  prefill 512 tokens, 32 decode steps, llama-bench -p 512 -n 128 -r 2 (about 12 minutes quiet)
#   env: JLLM_BENCH_DIR (default /tmp/jllm-bench-1b) holds the GGUF files, written once and reused: random weights in
#        the models' real shapes (ci/bench/random_gguf.py writes BF16; llama-quantize makes Q8_0 and Q4_K_M).
#        LLAMA_BIN (default /work/llama/llama.cpp/build/bin): llama-bench and llama-quantize.
# Figures are only as good as the machine is quiet: the load average is printed before and after; rerun on an idle
# machine for figures to quote.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${JLLM_BENCH_DIR:-/tmp/jllm-bench-1b}"
LLAMA_BIN="${LLAMA_BIN:-/work/llama/llama.cpp/build/bin}"
MODELS="" DTYPES="bf16,q8_0,q4_k_m" THREADS="$(nproc)" QUICK=0 LLAMA=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --models) MODELS="$2"; shift ;;
    --dtypes) DTYPES="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --no-llama) LLAMA=0 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then PP=128 TG=32 REPS=1 STEPS=16 MODELS="${MODELS:-llama-3.2-1b}"
else PP=512 TG=128 REPS=2 STEPS=32 MODELS="${MODELS:-llama-3.2-1b,qwen2.5-0.5b}"; fi
mkdir -p "$DIR"
LOG="$DIR/run-$(date +%Y%m%d-%H%M%S)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)   ($(nproc) CPUs, $THREADS threads)"

# 1. GGUF files: BF16 with random weights, then llama-quantize's Q8_0 and Q4_K_M of it
files=()
for model in ${MODELS//,/ }; do
  bf16="$DIR/$model-bf16.gguf"
  if [ ! -s "$bf16" ]; then
    echo "writing $bf16 ..."
    python3 "$ROOT/ci/bench/random_gguf.py" "$model" "$bf16.part" && mv "$bf16.part" "$bf16"
  fi
  for dt in ${DTYPES//,/ }; do
    f="$DIR/$model-$dt.gguf"
    if [ ! -s "$f" ]; then
      echo "llama-quantize $dt -> $f ..."
      "$LLAMA_BIN/llama-quantize" "$bf16" "$f.part" "$(echo "$dt" | tr a-z A-Z)" "$THREADS" >"$f.log" 2>&1 \
        || { echo "llama-quantize failed, see $f.log" >&2; exit 1; }
      mv "$f.part" "$f"
    fi
    files+=("$f")
  done
done

# 2. jllm: the read rate, then each file (one process, so one read-rate figure for all of them)
list="$(IFS=,; echo "${files[*]}")"
echo "jllm_bench --gguf ... --prefill $PP --steps $STEPS --threads $THREADS"
"$ROOT/jllm" bench --gguf "$list" --prefill "$PP" --steps "$STEPS" --threads "$THREADS" 2>&1 | tee "$LOG.jllm" \
  | grep -v '^\[jllm' || true

# 3. llama.cpp on the same files
if [ "$LLAMA" = 1 ]; then
  : >"$LOG.llama"
  for f in "${files[@]}"; do
    echo "llama-bench -m $(basename "$f") -p $PP -n $TG -t $THREADS -r $REPS"
    # the read rate right before and after, so llama.cpp's fraction is taken against the rate of its moment too
    rr1="$("$ROOT/jllm" bench --read-rate --threads "$THREADS" | sed -n 's/^RESULT read_rate read_gbs=\([0-9.]*\).*/\1/p')"
    "$LLAMA_BIN/llama-bench" -m "$f" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" -o jsonl 2>/dev/null >>"$LOG.llama" \
      || echo "llama-bench failed on $f" >&2
    rr2="$("$ROOT/jllm" bench --read-rate --threads "$THREADS" | sed -n 's/^RESULT read_rate read_gbs=\([0-9.]*\).*/\1/p')"
    echo "$(basename "$f") $rr1 $rr2" >>"$LOG.llama-rate"
  done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# 4. one table
python3 - "$LOG.jllm" "$LOG.llama" "$LLAMA" <<'PY'
import json, os, sys
jllm, llama = {}, {}
llama_rate = {}  # file -> mean read rate (GB/s) right before and after its llama-bench run
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "):
        continue
    parts = line.split()
    kv = dict(p.split("=", 1) for p in parts[2:])
    if parts[1] != "read_bandwidth":
        jllm[parts[1]] = kv
if sys.argv[3] == "1" and os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2]):
        r = json.loads(line)
        name = os.path.basename(r["model_filename"])
        kind = "pp" if r["n_prompt"] > 0 and r["n_gen"] == 0 else "tg"
        llama.setdefault(name, {})[kind] = r["avg_ts"]
    if os.path.exists(sys.argv[2] + "-rate"):
        for line in open(sys.argv[2] + "-rate"):
            parts = line.split()
            rates = [float(v) for v in parts[1:] if v]
            if rates:
                llama_rate[parts[0]] = sum(rates) / len(rates)
hdr = f"{'file':28} {'MiB':>7} | {'jllm pp':>8} {'tg b1':>7} {'tg b8':>7} {'tg b32':>7} {'bw frac':>7} {'GB/s':>5} | {'llama pp':>8} {'tg':>7} {'bw frac':>7} {'GB/s':>5}"
print(hdr)
print("-" * len(hdr))
for name, kv in jllm.items():
    pp = next((v for k, v in kv.items() if k.startswith("pp")), "-")
    lm = llama.get(name, {})
    mib = float(kv["weight_mib"])
    lr = llama_rate.get(name)
    lfrac = f"{mib * 1048576 * lm['tg'] / (lr * 1e9):.2f}" if "tg" in lm and lr else "-"
    f = lambda v: f"{float(v):.1f}" if v not in (None, "-") else "-"
    print(f"{name:28} {mib:7.0f} | {f(pp):>8} {f(kv.get('tg_b1')):>7} {f(kv.get('tg_b8')):>7} {f(kv.get('tg_b32')):>7} "
          f"{kv.get('bw_frac', '-'):>7} {f(kv.get('read_gbs')):>5} | {f(lm.get('pp')):>8} {f(lm.get('tg')):>7} {lfrac:>7} "
          f"{f(lr):>5}")
print("(tokens/s; bw frac = weight bytes per token x batch-1 tokens/s / the STREAM-style read rate (GB/s) measured")
print(" next to it: for jllm a pass before each timed step, for llama.cpp 20 passes before and after its run;")
print(" llama.cpp's tg is batch 1)")
PY
echo "logs: $LOG.jllm $LOG.llama"
