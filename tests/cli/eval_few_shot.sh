#!/usr/bin/env bash
# `oqvl eval --shots K --seeds S` (few-shot in-context evaluation, the paper's Table 5) on easy-vqa
# in the VQAv2 layout with a tiny random model: K = 2 demonstrations, 2 seeds; each seed's
# predictions and scores identical to the Hugging Face reference harness given the same seed
# (tools/eval_reference.py --shots K --seed S: the same seeded draw, demonstration blocks ending in
# <|endofchunk|>, images spliced at their placeholders); metrics.json has the per-seed scores with
# their mean and spread; reusing the demonstrations' KV cache (the default) and --no-prefix-cache
# give identical predictions; a prompt that does not fit the context and --shots on a multiple-choice
# benchmark are refused (exit 2). Usage: eval_few_shot.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL easy_vqa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 4 >/dev/null
d="$work/vqav2"
python3 "$repo/tools/easy_vqa_to_vqa_json.py" --layout vqav2 --sample 12 --seed 8 --out "$d" >/dev/null
"$oqvl" -q eval --model "$work/model" --bench "$d/questions.json" --annotations "$d/annotations.json" \
  --images "$d/images" --shots 2 --seeds 2 --out "$work/fs" --threads 2 --batch-size 4 >"$work/table.txt"
grep -q "2 shots over 2 seeds" "$work/table.txt"
for seed in 0 1; do
  python3 "$repo/tools/eval_reference.py" "$work/model" "$d/questions.json" "$work/ref$seed.jsonl" 4 \
    "$d/annotations.json" "$d/images" --shots 2 --seed $seed >/dev/null
done
python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
m = json.load(open(f"{work}/fs/metrics.json"))
assert m["shots"] == 2 and len(m["seeds"]) == 2, m
scores = []
for seed in (0, 1):
    ours = [json.loads(l) for l in open(f"{work}/fs/seed-{seed}/predictions.jsonl", encoding="utf-8")]
    ref = [json.loads(l) for l in open(f"{work}/ref{seed}.jsonl", encoding="utf-8")]
    assert len(ours) == len(ref) == 12
    for o, r in zip(ours, ref):
        assert o["index"] == r["index"] and o["prediction"] == r["prediction"], (seed, o, r)
        assert o["correct"] == r["correct"] and abs(o["score"] - r["score"]) < 1e-12, (seed, o, r)
    score = sum(r["score"] for r in ref) / 12
    assert abs(m["seeds"][seed]["score"] - score) < 1e-12, (m["seeds"][seed], score)
    assert len(m["seeds"][seed]["demonstrations"]) == 2
    scores.append(score)
assert m["seeds"][0]["demonstrations"] != m["seeds"][1]["demonstrations"], m["seeds"]
assert abs(m["mean"] - statistics.mean(scores)) < 1e-12 and abs(m["std"] - statistics.stdev(scores)) < 1e-12, m
print(f"eval_few_shot: 2 shots x 2 seeds: 24/24 predictions identical to the HF reference; mean {m['mean']:.4f}")
PY
# The shared demonstration prefix is computed once per seed and its KV cache reused (the default);
# --no-prefix-cache runs every whole prompt. Both give the same predictions, scores and tokens,
# at 2 shots (above) and 8 shots (batch 4, prompts of different lengths after the prefix).
"$oqvl" -q eval --model "$work/model" --bench "$d/questions.json" --annotations "$d/annotations.json" \
  --images "$d/images" --shots 2 --seeds 2 --out "$work/fs_off" --threads 2 --batch-size 4 --no-prefix-cache >/dev/null
for k in 8; do
  for flag in "" --no-prefix-cache; do
    "$oqvl" -q eval --model "$work/model" --bench "$d/questions.json" --annotations "$d/annotations.json" \
      --images "$d/images" --shots $k --seeds 1 --out "$work/fs${k}${flag:+_off}" --threads 2 --batch-size 4 \
      $flag >/dev/null
  done
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
n = 0
for on, off, seeds in (("fs", "fs_off", 2), ("fs8", "fs8_off", 1)):
    mon, moff = (json.load(open(f"{work}/{x}/metrics.json")) for x in (on, off))
    for s in range(seeds):
        a, b = mon["seeds"][s], moff["seeds"][s]
        assert a["prefix_cache"]["reused"] == 12 and a["prefix_cache"]["recomputed"] == 0, a
        assert a["prefix_cache"]["positions"] > 0, a
        assert b["prefix_cache"]["reused"] == 0 and b["prefix_cache"]["recomputed"] == 12, b
        assert a["score"] == b["score"] and a["demonstrations"] == b["demonstrations"], (a, b)
        ours = [json.loads(l) for l in open(f"{work}/{on}/seed-{s}/predictions.jsonl", encoding="utf-8")]
        ref = [json.loads(l) for l in open(f"{work}/{off}/seed-{s}/predictions.jsonl", encoding="utf-8")]
        assert len(ours) == len(ref) == 12
        for o, r in zip(ours, ref):
            assert o == r, (on, s, o, r)
            n += 1
print(f"eval_few_shot: prefix reuse on/off: {n}/{n} predictions identical (2 shots x 2 seeds, 8 shots x 1 seed)")
PY
expect_error() {  # expect_error PATTERN ARGS...
  local pattern=$1 rc=0
  shift
  "$oqvl" -q eval --model "$work/model" "$@" >"$work/bad.txt" 2>&1 || rc=$?
  [ $rc -eq 2 ] && grep -q -- "$pattern" "$work/bad.txt" || { cat "$work/bad.txt"; echo "expected exit 2 and '$pattern', got $rc"; exit 1; }
}
expect_error "with 2 demonstrations the prompt takes .* more than the context of 60" --bench "$d/questions.json" \
  --annotations "$d/annotations.json" --images "$d/images" --shots 2 --context 60
expect_error "2000 demonstrations asked, the support set has 12" --bench "$d/questions.json" \
  --annotations "$d/annotations.json" --images "$d/images" --shots 2000
expect_error "needs an open-answer benchmark" --bench "$repo/tests/fixtures/eval/easy_vqa_test_40.tsv" --shots 2
echo "eval_few_shot.sh: OK"
