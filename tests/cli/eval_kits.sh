#!/usr/bin/env bash
# `oqvl eval` on the VLMEvalKit layouts of POPE, AI2D, TextVQA val (with OCR tokens) and MMMU val
# (multi-image questions), written from PyPI easy-vqa by tools/easy_vqa_to_kits.py, with a tiny
# random model, against the Hugging Face reference of the paper's harness (tools/eval_reference.py):
#   every kind: identical predictions on every question (AI2D: the same most likely letter);
#   POPE: accuracy / precision / recall / F1 / yes-ratio per split and the final means recomputed
#     here from the reference's labels; TextVQA: the same m4c scores; MMMU: multi-image rows present.
# Usage: eval_kits.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL easy_vqa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 9 >/dev/null
declare -A file=([pope]=POPE.tsv [ai2d]=AI2D_TEST.tsv [textvqa]=TextVQA_VAL.tsv [mmmu]=MMMU_DEV_VAL.tsv)
for kind in pope ai2d textvqa mmmu; do
  bench="$work/${file[$kind]}"
  python3 "$repo/tools/easy_vqa_to_kits.py" --kind $kind --sample 18 --seed 5 --out "$bench" >/dev/null
  "$oqvl" -q eval --model "$work/model" --bench "$bench" --out "$work/$kind" --threads 2 --batch-size 8 >"$work/$kind.txt"
  python3 "$repo/tools/eval_reference.py" "$work/model" "$bench" "$work/$kind.ref.jsonl" 8 >/dev/null
  python3 - "$work" $kind <<'PY'
import json, sys
work, kind = sys.argv[1], sys.argv[2]
ours = [json.loads(l) for l in open(f"{work}/{kind}/predictions.jsonl", encoding="utf-8")]
ref = [json.loads(l) for l in open(f"{work}/{kind}.ref.jsonl", encoding="utf-8")]
m = json.load(open(f"{work}/{kind}/metrics.json"))
assert m["kind"] == kind, m["kind"]
assert len(ours) == len(ref) == 18 == m["overall"]["total"], (len(ours), len(ref), m["overall"])
for o, r in zip(ours, ref):
    assert o["index"] == r["index"], (o["index"], r["index"])
    assert o["prediction"] == r["prediction"], f"{kind} {o['index']}: oqvl {o['prediction']!r} != reference {r['prediction']!r}"
    if r["correct"] is not None:
        assert o["correct"] == r["correct"], (kind, o, r)
    if "score" in r:
        assert abs(o["score"] - r["score"]) < 1e-12, (o, r)
if kind == "pope":
    splits = {}
    for r in ref:
        label = r["prediction"].strip(",").strip(".").lower()
        s = splits.setdefault(r["split"], {"n": 0, "right": 0, "tp": 0, "fp": 0, "fn": 0, "yes": 0})
        s["n"] += 1
        s["right"] += label == r["answer"]
        s["yes"] += label == "yes"
        s["tp"] += label == "yes" and r["answer"] == "yes"
        s["fp"] += label == "yes" and r["answer"] != "yes"
        s["fn"] += label != "yes" and r["answer"] == "yes"
    pope = m["pope"]
    assert sorted(pope["splits"]) == ["adversarial", "popular", "random"], pope["splits"].keys()
    accs, f1s = [], []
    for name, s in splits.items():
        got = pope["splits"][name]
        p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 0.0
        rc = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 0.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        for key, want in (("accuracy", s["right"] / s["n"]), ("precision", p), ("recall", rc), ("f1", f1),
                          ("yes_ratio", s["yes"] / s["n"])):
            assert abs(got[key] - want) < 1e-12, (name, key, got[key], want)
        accs.append(s["right"] / s["n"])
        f1s.append(f1)
    assert abs(pope["accuracy"] - sum(accs) / 3) < 1e-12 and abs(pope["f1"] - sum(f1s) / 3) < 1e-12, pope
if kind == "textvqa":
    assert "vqa_accuracy" in m["overall"]
print(f"eval_kits: {kind}: 18/18 predictions identical to the HF reference")
PY
done
grep -q "pope split" "$work/pope.txt"
# MMMU: some questions show two images (image cell = a list of base64 images).
python3 -c "
import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8'), delimiter='\t'))
assert sum(r['image'].startswith('[') for r in rows) >= 4 and sum(r['question_type'] == 'open' for r in rows) >= 3
" "$work/MMMU_DEV_VAL.tsv"
# TextVQA without the OCR tokens (the harness's "Pure" run) runs too and asks other prompts.
"$oqvl" -q eval --model "$work/model" --bench "$work/TextVQA_VAL.tsv" --no-ocr --out "$work/pure" --threads 2 >/dev/null
# POPE: an answer that is neither yes nor no is refused with its line.
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
lines = open(f"{work}/POPE.tsv", encoding="utf-8").read().split("\n")
cells = lines[2].split("\t")
cells[2] = "maybe"
lines[2] = "\t".join(cells)
open(f"{work}/bad_POPE.tsv", "w", encoding="utf-8").write("\n".join(lines))
PY
rc=0
"$oqvl" -q eval --model "$work/model" --bench "$work/bad_POPE.tsv" 2>"$work/err" || rc=$?
[ $rc -eq 2 ] && grep -q "bad_POPE.tsv: line 3: POPE answer 'maybe' is neither yes nor no" "$work/err" ||
  { cat "$work/err"; echo "expected exit 2 naming line 3, got $rc"; exit 1; }
echo "eval_kits.sh: OK"
