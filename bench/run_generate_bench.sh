#!/usr/bin/env bash
# Greedy KV-cache generation on CPU: oqvl vs Hugging Face generate on the same random Qwen2
# (bench/generate_bench.cpp, bench/generate_reference.py). Usage (repo root, after building):
#   bash bench/run_generate_bench.sh [build-dir] [threads] [batch] [prompt_len] [new_tokens]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
BUILD=${1:-build}
ARGS="${2:-1} ${3:-1} ${4:-64} ${5:-64} 3"
ours=$("$BUILD/bench/generate_bench" $ARGS)
hf=$(python3 bench/generate_reference.py $ARGS)
python3 - "$ours" "$hf" <<'PY'
import json, sys
o, h = (json.loads(a) for a in sys.argv[1:3])
print(f"threads {o['threads']}, batch {o['batch']}, prompt {o['prompt_len']}, new {o['new_tokens']}")
for k in ("prefill_s", "full_s", "tokens_per_s", "decode_tokens_per_s"):
    r = h[k] / o[k] if k.endswith("_s") and not k.endswith("per_s") else o[k] / h[k]
    print(f"  {k:22s} oqvl {o[k]:10.4f}   HF {h[k]:10.4f}   oqvl speed-up x{r:.2f}")
PY
