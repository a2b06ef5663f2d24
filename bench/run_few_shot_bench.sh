#!/usr/bin/env bash
# Few-shot `oqvl eval --shots K --seeds S` with the shared demonstration prefix's KV cache reused
# (the default), with it recomputed for every question (--no-prefix-cache), and the Hugging Face
# reference of the paper's harness (tools/eval_reference.py --shots K --seed s, which recomputes
# it too), on the same tiny random model, easy-vqa questions in the VQAv2 layout and thread count.
# questions/s = the generation loop as each prints it (oqvl: run_benchmark, prefix build, image
# decoding and scoring-free; the reference: its generate loop); the whole process's wall time
# beside it. Every run's predictions must be identical. Usage (repo root, after building):
#   bash bench/run_few_shot_bench.sh [build-dir] [shots] [seeds] [questions] [threads] [repeats] [tiny|mid]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
BUILD=${1:-build} K=${2:-8} S=${3:-3} N=${4:-40} THREADS=${5:-2} REPEATS=${6:-2} SIZE=${7:-tiny}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tools/vlm_reference.py make-tiny "$work/model" 4 "$SIZE" >/dev/null
d="$work/vqav2"
python3 tools/easy_vqa_to_vqa_json.py --layout vqav2 --sample "$N" --seed 8 --out "$d" >/dev/null
bench=(--bench "$d/questions.json" --annotations "$d/annotations.json" --images "$d/images")
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
for r in $(seq 1 "$REPEATS"); do
  for mode in on off; do
    flag=(); [ $mode = on ] || flag=(--no-prefix-cache)
    t0=$(date +%s.%N)
    "$BUILD/oqvl" eval --model "$work/model" "${bench[@]}" --shots "$K" --seeds "$S" --batch-size 8 \
      --threads "$THREADS" --out "$work/$mode$r" "${flag[@]}" >/dev/null 2>"$work/$mode$r.log"
    t1=$(date +%s.%N)
    echo "$t0 $t1" >"$work/$mode$r.wall"
  done
  t0=$(date +%s.%N)
  for s in $(seq 0 $((S - 1))); do
    python3 tools/eval_reference.py "$work/model" "$d/questions.json" "$work/ref$r-$s.jsonl" 8 \
      "$d/annotations.json" "$d/images" --shots "$K" --seed "$s" >/dev/null 2>>"$work/ref$r.log"
  done
  t1=$(date +%s.%N)
  echo "$t0 $t1" >"$work/ref$r.wall"
done
python3 - "$work" "$K" "$S" "$N" "$THREADS" "$REPEATS" "$SIZE" <<'PY'
import json, re, sys
work, K, S, N, threads, repeats, size = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
def wall(name):
    a, b = map(float, open(f"{work}/{name}.wall").read().split())
    return b - a
def preds(path):
    return [json.loads(l)["prediction"] for l in open(path, encoding="utf-8")]
rows = {"on": [], "off": [], "ref": []}
same = total = 0
hits = None
for r in range(1, repeats + 1):
    for mode in ("on", "off"):
        log = open(f"{work}/{mode}{r}.log").read()
        m = re.search(r"in ([0-9.]+) s \(([0-9.]+) questions/s\)", log)
        rows[mode].append((float(m.group(2)), wall(f"{mode}{r}")))
        if mode == "on":
            h = re.search(r"reused by (\d+) of (\d+) questions", log)
            hits = (int(h.group(1)), int(h.group(2)))
    secs = [float(x) for x in re.findall(r"questions in ([0-9.]+) s", open(f"{work}/ref{r}.log").read())]
    assert len(secs) == S, secs
    rows["ref"].append((N * S / sum(secs), wall(f"ref{r}")))
    for s in range(S):
        ref = preds(f"{work}/ref{r}-{s}.jsonl")
        for mode in ("on", "off"):
            ours = preds(f"{work}/{mode}{r}/seed-{s}/predictions.jsonl")
            assert len(ours) == len(ref) == N
            same += sum(a == b for a, b in zip(ours, ref))
            total += N
m = json.load(open(f"{work}/on1/metrics.json"))
positions = m["seeds"][0]["prefix_cache"]["positions"]
def span(v):
    return f"{min(v):.1f}-{max(v):.1f}" if len(v) > 1 else f"{v[0]:.1f}"
print(f"{size} model, {K} shots x {S} seeds x {N} questions, batch 8, {threads} thread(s), {repeats} repeat(s); "
      f"prefix {positions} positions, reused by {hits[0]}/{hits[1]} questions")
print(f"{'':24} {'questions/s':>12} {'process s':>10}")
for name, label in (("on", "oqvl, prefix reused"), ("off", "oqvl --no-prefix-cache"), ("ref", "HF reference")):
    print(f"{label:24} {span([q for q, _ in rows[name]]):>12} {span([w for _, w in rows[name]]):>10}")
# Ratios within a repeat (the three ran back to back, under the same load).
reuse = [a[0] / b[0] for a, b in zip(rows["on"], rows["off"])]
vs_ref = [a[0] / b[0] for a, b in zip(rows["on"], rows["ref"])]
print(f"per repeat: reuse vs recompute x{', x'.join(f'{x:.2f}' for x in reuse)}; "
      f"vs HF reference x{', x'.join(f'{x:.2f}' for x in vs_ref)}")
print(f"identical predictions {same}/{total} (both oqvl modes vs the reference)")
assert same == total, "predictions differ"
PY
