#!/usr/bin/env bash
# `oqvl eval` on open-answer benchmarks: `oqvl data make-bench --fashion-mnist --open` (TSV and
# JSONL), a tiny random model; checks metrics.json / predictions.jsonl structure, re-scores every
# prediction with the Python transcription of the VQA normalisation (tools/make_vqa_answer_goldens.py),
# then a hand-made benchmark built from those predictions (some answers equal to the model's
# output, some wrong, some with 10 annotators) must score exactly as Python says. Last, parity of
# the predictions with the Hugging Face reference harness (tools/eval_reference.py).
# Usage: eval_open.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL
[ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || skip "no Fashion-MNIST (scripts/setup.sh)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 5 >/dev/null
"$oqvl" -q data make-bench --fashion-mnist --open --count 24 --seed 1 --out "$work/fm_open.tsv" | grep -q "24 open-answer questions"
"$oqvl" -q data make-bench --fashion-mnist --open --count 24 --seed 1 --out "$work/fm_open.jsonl" >/dev/null
for f in fm_open.tsv fm_open.jsonl; do
  "$oqvl" -q eval --model "$work/model" --bench "$work/$f" --out "$work/$f.out" --threads 2 --batch-size 8 >"$work/$f.table"
  grep -q "vqa %" "$work/$f.table"
done
cmp "$work/fm_open.tsv.out/predictions.jsonl" "$work/fm_open.jsonl.out/predictions.jsonl"

python3 - "$work" "$repo" <<'PY'
import json, sys
work, repo = sys.argv[1], sys.argv[2]
sys.path.insert(0, f"{repo}/tools")
from make_vqa_answer_goldens import score_open
classes = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"}
out = f"{work}/fm_open.tsv.out"
m = json.load(open(f"{out}/metrics.json"))
preds = [json.loads(l) for l in open(f"{out}/predictions.jsonl", encoding="utf-8")]
assert m["kind"] == "open", m["kind"]
assert m["overall"]["total"] == len(preds) == 24, (m["overall"], len(preds))
assert m["overall"]["correct"] == sum(p["correct"] for p in preds)
assert abs(m["overall"]["vqa_accuracy"] - sum(p["score"] for p in preds) / 24) < 1e-12
assert set(m["categories"]) <= classes and sum(c["total"] for c in m["categories"].values()) == 24, m["categories"]
for p in preds:
    assert {"index", "question", "prediction", "extracted", "answer", "correct", "score", "category"} <= set(p), p
    assert p["answer"] in classes and p["category"] == p["answer"], p
    norm, exact, score = score_open(p["prediction"], [p["answer"]])
    assert (p["extracted"], p["correct"], p["score"]) == (norm, exact, score), (p, norm, exact, score)

# A hand-made benchmark from the same images: answers chosen from the model's own outputs.
rows = [json.loads(l) for l in open(f"{work}/fm_open.jsonl", encoding="utf-8")]
expected = []
with open(f"{work}/handmade.jsonl", "w", encoding="utf-8") as f:
    for k, (r, p) in enumerate(zip(rows, preds)):
        said = p["prediction"] if p["extracted"] else ""
        if k % 3 == 0 and said:
            answers = [said.upper() + "."]            # right after normalisation (unless upper() is lossy)
        elif k % 3 == 1 and said:
            answers = [said] * 2 + ["zz wrong"] * 8   # 10 annotators, 2 agree: VQA accuracy 0.6
        else:
            answers = ["zz wrong"]
        item = {"question_id": 1000 + k, "image": r["image"], "question": r["question"], "answers": answers}
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
        expected.append(score_open(p["prediction"], answers))
json.dump(expected, open(f"{work}/expected.json", "w"))
assert any(e[1] for e in expected), "the model said nothing on every question: no right answer to check"
PY
"$oqvl" -q eval --model "$work/model" --bench "$work/handmade.jsonl" --out "$work/handmade" --threads 2 --batch-size 8 >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
expected = json.load(open(f"{work}/expected.json"))
preds = [json.loads(l) for l in open(f"{work}/handmade/predictions.jsonl", encoding="utf-8")]
m = json.load(open(f"{work}/handmade/metrics.json"))
assert len(preds) == len(expected)
for p, (norm, exact, score) in zip(preds, expected):
    assert (p["extracted"], p["correct"]) == (norm, exact) and abs(p["score"] - score) < 1e-12, (p, norm, exact, score)
right = sum(e[1] for e in expected)
assert m["overall"]["correct"] == right, (m["overall"], right)
assert abs(m["overall"]["vqa_accuracy"] - sum(e[2] for e in expected) / len(expected)) < 1e-12
print(f"eval_open: hand-made benchmark scored as the Python transcription: {right}/{len(expected)} exact, "
      f"vqa accuracy {m['overall']['vqa_accuracy']:.3f}")
PY

# Parity with the HF reference harness on the open TSV.
python3 "$repo/tools/eval_reference.py" "$work/model" "$work/fm_open.tsv" "$work/reference.jsonl" 8 >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
ours = [json.loads(l) for l in open(f"{work}/fm_open.tsv.out/predictions.jsonl", encoding="utf-8")]
ref = [json.loads(l) for l in open(f"{work}/reference.jsonl", encoding="utf-8")]
assert len(ours) == len(ref) == 24
for o, r in zip(ours, ref):
    assert o["index"] == r["index"] and o["prediction"] == r["prediction"], (o, r)
    assert o["correct"] == r["correct"], o["index"]
print("eval_open: 24/24 open-answer predictions identical to the HF reference")
PY
set +e
"$oqvl" -q eval --model "$work/model" --bench "$work/fm_open.tsv" --make-circular 2>"$work/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "open-answer" "$work/err" || { echo "eval_open: --make-circular on open answers: rc $rc"; cat "$work/err"; exit 1; }
echo "eval_open: OK"
