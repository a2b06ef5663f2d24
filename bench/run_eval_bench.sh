#!/usr/bin/env bash
# `oqvl eval` vs the Hugging Face reference of the paper's harness (tools/eval_reference.py) on the
# same random model, benchmark and thread count: wall time of the whole run (load + 40 questions),
# and the predictions must be identical. Usage (repo root, after building):
#   bash bench/run_eval_bench.sh [build-dir] [tiny|mid] [threads]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
BUILD=${1:-build} SIZE=${2:-mid} THREADS=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench=tests/fixtures/eval/easy_vqa_test_40.tsv
python3 tools/vlm_reference.py make-tiny "$work/model" 11 "$SIZE" >/dev/null
t0=$(date +%s.%N)
"$BUILD/oqvl" -q eval --model "$work/model" --bench "$bench" --out "$work/oqvl" --threads "$THREADS" >/dev/null
t1=$(date +%s.%N)
OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS python3 tools/eval_reference.py "$work/model" "$bench" "$work/ref.jsonl" 8 >/dev/null
t2=$(date +%s.%N)
python3 - "$work" "$t0" "$t1" "$t2" "$SIZE" "$THREADS" <<'PY'
import json, sys
work, t0, t1, t2, size, threads = sys.argv[1], *map(float, sys.argv[2:5]), sys.argv[5], sys.argv[6]
ours = [json.loads(l)["prediction"] for l in open(f"{work}/oqvl/predictions.jsonl", encoding="utf-8")]
ref = [json.loads(l)["prediction"] for l in open(f"{work}/ref.jsonl", encoding="utf-8")]
same = sum(a == b for a, b in zip(ours, ref))
print(f"{size} model, {threads} thread(s), 40 questions: oqvl {t1 - t0:.2f} s, HF reference {t2 - t1:.2f} s "
      f"(x{(t2 - t1) / (t1 - t0):.2f}); identical predictions {same}/40")
PY
