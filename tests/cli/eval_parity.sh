#!/usr/bin/env bash
# End-to-end parity of `oqvl eval` with a Hugging Face reference of the paper's harness
# (tools/eval_reference.py): a tiny random model with the real Qwen2 vocabulary, the easy-vqa
# questions converted to the MMBench TSV layout; identical predictions on every question and
# identical accuracy. Proves prompt building, image preprocessing, generation and scoring
# together. Usage: eval_parity.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench="$repo/tests/fixtures/eval/easy_vqa_test_40.tsv"
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 11 >/dev/null
"$oqvl" -q eval --model "$work/model" --bench "$bench" --out "$work/oqvl" --threads 2 --batch-size 8 >"$work/table.txt"
python3 "$repo/tools/eval_reference.py" "$work/model" "$bench" "$work/reference.jsonl" 8
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
ours = [json.loads(l) for l in open(f"{work}/oqvl/predictions.jsonl", encoding="utf-8")]
ref = [json.loads(l) for l in open(f"{work}/reference.jsonl", encoding="utf-8")]
assert len(ours) == len(ref) == 40, (len(ours), len(ref))
for o, r in zip(ours, ref):
    assert o["index"] == r["index"], (o["index"], r["index"])
    assert o["prediction"] == r["prediction"], f"question {o['index']}: oqvl {o['prediction']!r} != reference {r['prediction']!r}"
    assert o["correct"] == r["correct"], o["index"]
metrics = json.load(open(f"{work}/oqvl/metrics.json"))
right = sum(r["correct"] for r in ref)
assert metrics["overall"]["correct"] == right and metrics["overall"]["total"] == 40, metrics["overall"]
print(f"eval_parity: 40/40 predictions identical to the HF reference; accuracy {right}/40 on both")
PY
