#!/usr/bin/env bash
# `oqvl demo` end to end at toy size (the real run is ~9 minutes: README, docs/demo.md): every
# stage runs, the run folder holds the reports, checkpoints and metrics, the last line is the
# summary, and a rerun reuses the finished stages (no training step runs again).
# Usage: demo.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
  skip "Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
small=(--train-samples 600 --test-samples 40 --threads 2 --pretrain-set batch.max_steps=4
       --sft-set batch.max_steps=4 --sft-set batch.global=16 --sft-set batch.micro=16)
"$oqvl" demo --out "$work/run" "${small[@]}" > "$work/out.txt" 2> "$work/err.txt" ||
  { tail -30 "$work/err.txt"; exit 1; }
tail -1 "$work/out.txt" | grep -Eq '^demo: held-out accuracy [0-9.]+% \(exact match, 40 questions\) in [0-9]+ s$' ||
  { echo "bad summary line: $(tail -1 "$work/out.txt")"; exit 1; }
for f in pretrain/report.html sft/report.html sft/checkpoints/last/config.json sft/metrics.jsonl \
         eval-open/metrics.json eval-mc/metrics.json bench/held-out.jpg; do
  [ -e "$work/run/$f" ] || { echo "missing $f"; exit 1; }
done
grep -q "demo: \[sft\] oqvl train --config" "$work/err.txt"
grep -q "strict letter rule" "$work/err.txt"
lines=$(wc -l < "$work/run/sft/metrics.jsonl")
"$oqvl" demo --out "$work/run" "${small[@]}" > "$work/out2.txt" 2>/dev/null
[ "$(wc -l < "$work/run/sft/metrics.jsonl")" = "$lines" ] || { echo "the rerun trained again"; exit 1; }
diff <(tail -1 "$work/out.txt" | sed 's/ in [0-9]* s$//') <(tail -1 "$work/out2.txt" | sed 's/ in [0-9]* s$//')
echo "demo: all stages ran at toy size; the rerun reused them"
