#!/usr/bin/env bash
# `oqvl eval` on every benchmark layout (MMBench, SEED-Bench, MMStar, MathVista TSVs, JSONL,
# circular MMBench, open answers as JSONL / TSV / TextVQA-like TSV) with a tiny random model: runs, writes predictions.jsonl + metrics.json with
# one prediction per question; malformed files fail with exit 2 and the file:line in the message.
# Usage: eval.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx="$repo/tests/fixtures/eval"
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 2 >/dev/null
for f in mmbench_dev_en_sample.tsv seedbench_img_sample.tsv mmstar_sample.tsv mathvista_mini_sample.tsv \
         mc_sample.jsonl mmbench_circular_sample.tsv open_sample.jsonl open_sample.tsv textvqa_val_sample.tsv; do
  extra=()
  [ "$f" = mmbench_circular_sample.tsv ] && extra=(--circular)
  "$oqvl" -q eval --model "$work/model" --bench "$fx/$f" --out "$work/$f" --threads 2 "${extra[@]}" >/dev/null
  python3 - "$work/$f" "$fx/$f" "${extra[@]}" <<'PY'
import csv, json, sys
out, bench = sys.argv[1], sys.argv[2]
preds = [json.loads(l) for l in open(f"{out}/predictions.jsonl", encoding="utf-8")]
if bench.endswith(".jsonl"):
    n = sum(1 for l in open(bench) if l.strip())
else:
    csv.field_size_limit(1 << 30)
    n = sum(1 for _ in csv.DictReader(open(bench, newline="", encoding="utf-8"), delimiter="\t"))
m = json.load(open(f"{out}/metrics.json"))
assert len(preds) == n == m["overall"]["total"], (bench, len(preds), n, m["overall"])
assert m["overall"]["correct"] == sum(p["correct"] for p in preds)
if len(sys.argv) > 3:
    assert m.get("circular"), m.keys()
PY
done
for f in "$fx"/malformed/*; do
  set +e
  "$oqvl" -q eval --model "$work/model" --bench "$f" 2>"$work/err"; rc=$?
  set -e
  [ "$rc" = 2 ] && grep -q "line [0-9]" "$work/err" || { echo "eval: $f: expected exit 2 with a line number, got $rc"; cat "$work/err"; exit 1; }
done
echo "eval: 9 benchmark layouts evaluated, $(ls "$fx"/malformed | wc -l) malformed files rejected with file:line"
