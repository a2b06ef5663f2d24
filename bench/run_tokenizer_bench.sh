#!/usr/bin/env bash
# Runs the tokenizer benchmark for oqvl and Hugging Face tokenizers on the same captions and
# prints tokens/s and the oqvl/HF ratios. Usage (repo root, after building into build/):
#   bash bench/run_tokenizer_bench.sh [build-dir] [captions|all] [copies]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
BUILD=${1:-build}
SET=${2:-captions}
COPIES=${3:-50}
TOK=assets/qwen2-tokenizer/tokenizer.json
CORPUS=tests/fixtures/tokenizer/corpus.jsonl
THREADS=$(nproc)
ours1=$("$BUILD/bench/tokenizer_bench" "$TOK" "$CORPUS" 1 "$COPIES" "$SET")
oursN=$("$BUILD/bench/tokenizer_bench" "$TOK" "$CORPUS" "$THREADS" "$COPIES" "$SET")
hf1=$(RAYON_NUM_THREADS=1 python3 bench/tokenizer_bench.py "$TOK" "$CORPUS" "$COPIES" "$SET")
hfN=$(python3 bench/tokenizer_bench.py "$TOK" "$CORPUS" "$COPIES" "$SET")
python3 - "$ours1" "$oursN" "$hf1" "$hfN" "$THREADS" "$SET x $COPIES" <<'PY'
import json, sys
o1, oN, h1, hN = (json.loads(a) for a in sys.argv[1:5])
threads = sys.argv[5]
assert o1["tokens"] == h1["tokens"] and o1["checksum"] == h1["checksum"], "ids differ from HF!"
mb = o1["bytes"] / 1e6
print(f"{o1['texts']} texts ({sys.argv[6]}), {mb:.2f} MB, {o1['tokens']} tokens (ids identical to HF: yes)")
rows = [
    ("load tokenizer.json (s)", o1["load_s"], h1["load_s"], h1["load_s"] / o1["load_s"]),
    ("single thread: oqvl encode vs HF encode() per text, tokens/s", o1["single_tokens_per_s"],
     h1["single_tokens_per_s"], o1["single_tokens_per_s"] / h1["single_tokens_per_s"]),
    ("single thread: oqvl encode vs HF encode_batch (RAYON_NUM_THREADS=1), tokens/s",
     o1["single_tokens_per_s"], h1["batch_tokens_per_s"], o1["single_tokens_per_s"] / h1["batch_tokens_per_s"]),
    (f"batch, {threads} threads: encode_batch, tokens/s", oN["batch_tokens_per_s"], hN["batch_tokens_per_s"],
     oN["batch_tokens_per_s"] / hN["batch_tokens_per_s"]),
]
print(f"{'':78s} {'oqvl':>12s} {'HF':>12s} {'oqvl/HF':>8s}")
for name, a, b, r in rows:
    print(f"{name:78s} {a:12,.3f} {b:12,.3f} {r:7.2f}x" if "load" in name else f"{name:78s} {a:12,.0f} {b:12,.0f} {r:7.2f}x")
print("(load row: HF/oqvl time ratio, >1 means oqvl loads faster)")
PY
