#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM during the model commands that read data for long: `score clip`,
# `score mlm` (a score table per shard) and `eval` (predictions and metrics at the end): each
# exits 130 / 143 with one "oqvl: interrupted (SIG...)" line; the tables of finished shards stay
# with the bytes of an uninterrupted run's, no partial table or temporary remains, and the same
# command line run again skips the finished shards and ends with the uninterrupted run's bytes
# (eval, which keeps nothing mid-way, starts over). OQVL_FAULT_POLL_SLEEP_US slows each sample or
# batch (core/interrupt.h) so the jobs are mid-way when signalled on any machine.
# Usage: interrupt_model.sh OQVL REPO
set -uo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors
require_fashion_mnist
work=$(mktemp -d)
on_exit 'rm -rf "$work"'
set -e

"$oqvl" -q data make-demo --out "$work/demo" --train-samples 400 --test-samples 10 --shard-size 100 --threads 2 > /dev/null
shards="$work/demo/train/*.tar"
any_table() { compgen -G "$1/*.$2" > /dev/null; }

clip() {
  cmd=("$oqvl" -q score clip --model "$repo/tests/fixtures/model/siglip_clip" "$shards" --out "$1" --batch-size 16 --threads 2)
}
clip_ready() { any_table "$1" clip.csv; }
if have_score_clip "$oqvl" "$repo" "$work/demo/test/*.tar" "$work/probe"; then
  interrupt_case "$work" score-clip TERM clip_ready clip
fi

# score mlm and eval: a tiny random model with Qwen2's vocabulary (tools/vlm_reference.py).
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/vlm" 5 > /dev/null
mlm() {
  cmd=("$oqvl" -q score mlm --model "$work/vlm" "$shards" --out "$1" --metric image_text_matching --batch-size 16 --threads 2)
}
mlm_ready() { any_table "$1" mlm.jsonl; }
interrupt_case "$work" score-mlm INT mlm_ready mlm

# eval: 40 questions one per batch, each batch 0.1 s slower; signalled once the model is loaded
# (its "loaded ..." line, without -q).
evaluate() {
  cmd=("$oqvl" eval --model "$work/vlm" --bench "$repo/tests/fixtures/eval/easy_vqa_test_40.tsv" --out "$1"
       --batch-size 1 --threads 2)
}
eval_ready() { grep -q '^loaded ' "$2"; }
interrupt_case "$work" eval TERM eval_ready evaluate 100000
echo "interrupt: score clip (SIGTERM), score mlm (SIGINT) and eval (SIGTERM) stop cleanly and finish on a rerun"
