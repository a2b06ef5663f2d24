#!/usr/bin/env bash
# `oqvl eval` on the public VQA question-file layouts (format vqa-json: VQAv2 / OK-VQA questions +
# annotations, GQA, VizWiz, TextVQA), with real questions from PyPI easy-vqa written in each layout
# by tools/easy_vqa_to_vqa_json.py and a tiny random model:
#  1. every layout: predictions identical to the Hugging Face reference harness
#     (tools/eval_reference.py, which reads the layouts itself) and the same scores;
#  2. VQAv2 with annotations rebuilt from the model's own outputs (0..10 of the 10 annotators
#     agreeing with it): every score and the mean equal the Python VQA accuracy (10 choose 9);
#  3. malformed files: exit 2 with one line naming the file and the entry.
# Usage: eval_vqa_json.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL easy_vqa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 3 >/dev/null

for layout in vqav2 gqa vizwiz textvqa; do
  d="$work/$layout"
  python3 "$repo/tools/easy_vqa_to_vqa_json.py" --layout $layout --sample 16 --seed 3 --out "$d" >/dev/null
  ann=()
  [ $layout = vqav2 ] && ann=(--annotations "$d/annotations.json")
  "$oqvl" -q eval --model "$work/model" --bench "$d/questions.json" "${ann[@]}" --images "$d/images" \
    --out "$d/oqvl" --threads 2 --batch-size 8 >"$d/table.txt"
  python3 "$repo/tools/eval_reference.py" "$work/model" "$d/questions.json" "$d/reference.jsonl" 8 \
    "${ann[1]:--}" "$d/images" >/dev/null
  python3 - "$d" $layout <<'PY'
import json, sys
d, layout = sys.argv[1], sys.argv[2]
ours = [json.loads(l) for l in open(f"{d}/oqvl/predictions.jsonl", encoding="utf-8")]
ref = [json.loads(l) for l in open(f"{d}/reference.jsonl", encoding="utf-8")]
assert len(ours) == len(ref) == 16, (len(ours), len(ref))
for o, r in zip(ours, ref):
    assert o["index"] == r["index"], (o["index"], r["index"])
    assert o["prediction"] == r["prediction"], f"{layout} {o['index']}: oqvl {o['prediction']!r} != reference {r['prediction']!r}"
    assert o["correct"] == r["correct"] and abs(o["score"] - r["score"]) < 1e-12, (o, r)
m = json.load(open(f"{d}/oqvl/metrics.json"))
assert m["kind"] == ("textvqa" if layout == "textvqa" else "open") and m["overall"]["total"] == 16, m
assert abs(m["overall"]["vqa_accuracy"] - sum(r["score"] for r in ref) / 16) < 1e-12
print(f"eval_vqa_json: {layout}: 16/16 predictions identical to the HF reference")
PY
done

# 2. The official accuracy end to end: annotators agreeing with the model's output 0..10 times.
d="$work/vqav2"
python3 - "$d" "$repo" <<'PY'
import json, sys
d, repo = sys.argv[1], sys.argv[2]
preds = {p["index"]: p["prediction"] for p in map(json.loads, open(f"{d}/oqvl/predictions.jsonl", encoding="utf-8"))}
ann = json.load(open(f"{d}/annotations.json", encoding="utf-8"))
for k, a in enumerate(ann["annotations"]):
    agree = k % 11
    words = [preds[str(a["question_id"])]] * agree + ["other %d" % j for j in range(10 - agree)]
    for x, w in zip(a["answers"], words):
        x["answer"] = w.upper() if k % 4 == 1 else w  # upper case: normalised only when annotators disagree
json.dump(ann, open(f"{d}/annotations2.json", "w", encoding="utf-8"))
PY
"$oqvl" -q eval --model "$work/model" --bench "$d/questions.json" --annotations "$d/annotations2.json" \
  --images "$d/images" --out "$d/oqvl2" --threads 2 --batch-size 8 >/dev/null
python3 - "$d" "$repo" <<'PY'
import json, sys
d, repo = sys.argv[1], sys.argv[2]
sys.path.insert(0, f"{repo}/tools")
from make_vqa_answer_goldens import score_open
ann = {str(a["question_id"]): [x["answer"] for x in a["answers"]]
       for a in json.load(open(f"{d}/annotations2.json", encoding="utf-8"))["annotations"]}
ours = [json.loads(l) for l in open(f"{d}/oqvl2/predictions.jsonl", encoding="utf-8")]
total, seen = 0.0, set()
for o in ours:
    _, exact, score = score_open(o["prediction"], ann[o["index"]])
    assert o["correct"] == exact and abs(o["score"] - score) < 1e-12, (o, ann[o["index"]], score)
    total += score
    seen.add(round(score, 4))
m = json.load(open(f"{d}/oqvl2/metrics.json"))
assert abs(m["overall"]["vqa_accuracy"] - total / len(ours)) < 1e-12, (m["overall"], total)
assert len(seen) >= 4, seen  # several levels of agreement were scored
print(f"eval_vqa_json: VQA accuracy {total / len(ours):.4f} over {len(ours)} questions equals Python's (scores {sorted(seen)})")
PY

# 3. Malformed files: one line naming the file and the entry, exit 2, nothing written.
expect_error() {  # expect_error PATTERN ARGS...
  local pattern=$1 rc=0
  shift
  "$oqvl" -q eval --model "$work/model" "$@" --out "$work/bad.out" >"$work/bad.txt" 2>&1 || rc=$?
  [ $rc -eq 2 ] || { cat "$work/bad.txt"; echo "expected exit 2, got $rc"; exit 1; }
  grep -q -- "$pattern" "$work/bad.txt" || { cat "$work/bad.txt"; echo "expected '$pattern'"; exit 1; }
  [ ! -e "$work/bad.out/metrics.json" ] || { echo "a report was written"; exit 1; }
}
expect_error "needs its annotations file" --bench "$d/questions.json" --images "$d/images"
python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
q = json.load(open(f"{d}/questions.json"))
del q["questions"][2]["question"]
json.dump(q, open(f"{d}/no_question.json", "w"))
q = json.load(open(f"{d}/questions.json"))
q["questions"][1]["image_id"] = 999
json.dump(q, open(f"{d}/no_image.json", "w"))
a = json.load(open(f"{d}/annotations.json"))
del a["annotations"][3]
json.dump(a, open(f"{d}/short_annotations.json", "w"))
open(f"{d}/broken.json", "w").write('{"questions": [\n{"question_id": 1,\n')
PY
expect_error "no_question.json: questions\[2\]: no 'question'" --bench "$d/no_question.json" --annotations "$d/annotations.json" --images "$d/images"
expect_error "no_image.json: questions\[1\]: image file .*000000000999.jpg not found" --bench "$d/no_image.json" --annotations "$d/annotations.json" --images "$d/images"
expect_error "questions\[3\]: question_id .* has no entry in .*short_annotations.json" --bench "$d/questions.json" --annotations "$d/short_annotations.json" --images "$d/images"
expect_error "broken.json: not valid JSON" --bench "$d/broken.json" --format vqa-json
# --skip-malformed: the bad entry is skipped and counted, the rest evaluated.
"$oqvl" eval --model "$work/model" --bench "$d/no_question.json" --annotations "$d/annotations.json" \
  --images "$d/images" --skip-malformed --out "$work/skip.out" --threads 2 >/dev/null 2>"$work/skip.log"
grep -q "skipped 1 malformed" "$work/skip.log"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['overall']['total']==15, m['overall']" "$work/skip.out/metrics.json"
echo "eval_vqa_json.sh: OK"
