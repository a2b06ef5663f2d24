#!/usr/bin/env bash
# A disk that fills mid-write, for the model writers: `convert prismatic` (a model folder),
# `score clip` and `score mlm` (score tables), `eval` (predictions and metrics) and `train`
# (checkpoints). On a small tmpfs with about half of the
# output's size free, each exits non-zero with one "oqvl: error:" line saying "No space left on
# device" and naming the file; what it left under final names has an unfailed run's bytes (no
# truncated file or half checkpoint looks complete) and no temporaries remain; after the space
# is freed the rerun (train: --resume) finishes with the same bytes as an unfailed run (train:
# the same losses and final weights). Needs root (mount) and libtorch; skipped otherwise.
# Usage: disk_full_model.sh OQVL REPO
set -uo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules safetensors numpy transformers
small_disk 256m
set -e

fix=$repo/tests/fixtures/model
convert() {
  "$oqvl" -q convert prismatic --checkpoint "$fix/prismatic/checkpoint.pt" --run-config "$fix/prismatic/run_config.json" \
    --vision "$fix/prismatic/vision_timm.safetensors" --vision-config "$fix/prismatic/vision_config.json" \
    --llm-config "$fix/prismatic/llm_config.json" --bos-id 1 --pad-id 0 --eos-id 2 --dtype f32 --out "$1"
}
full_disk_case "$work" "$disk" convert convert

"$oqvl" -q data make-demo --out "$work/demo" --train-samples 400 --test-samples 10 --shard-size 100 --threads 2 > /dev/null
score() { "$oqvl" -q score clip --model "$fix/siglip_clip" "$work/demo/train/*.tar" --out "$1" --batch-size 16 --threads 2; }
if have_score_clip "$oqvl" "$repo" "$work/demo/train/*.tar" "$work/ref/score-clip"; then
  full_disk_case "$work" "$disk" score-clip score
fi

# score mlm and eval: a tiny random model with Qwen2's vocabulary (tools/vlm_reference.py).
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/vlm" 5 > /dev/null
mlm() {
  "$oqvl" -q score mlm --model "$work/vlm" "$work/demo/train/0000[012].tar" --out "$1" \
    --metric image_text_matching --batch-size 16 --threads 2
}
full_disk_case "$work" "$disk" score-mlm mlm
evaluate() {
  "$oqvl" -q eval --model "$work/vlm" --bench "$repo/tests/fixtures/eval/mc_sample.jsonl" --out "$1" --threads 2
}
full_disk_case "$work" "$disk" eval evaluate

# train: 6 steps, a checkpoint every 2 (2 kept; ~60 MB each, the tiny model's vocabulary is
# Qwen2's): with space for 1.5 checkpoints the step-4 save fails part-way; the rerun with
# --resume goes on from step 2's.
tiny_packed_run "$oqvl" "$repo" "$work" 200 3 'attention = "per_sample"'
printf '[batch]\nglobal = 4\nmicro = 2\nmax_steps = 6\n[checkpoint]\nevery = 2\nkeep = 2\n' >> "$work/run.toml"
cd "$work"
"$oqvl" train --config run.toml --set run.out=ref/train --set checkpoint.keep=3 --quiet  # keeps step 2
free=$(($(du -sb ref/train/checkpoints/step-00000006 | cut -f1) * 3 / 2))
fill_disk "$disk" "$free"
rc=0
"$oqvl" train --config run.toml --set run.out="$disk/train" --quiet 2> train.err || rc=$?
expect_disk_full train.err "$disk/train" "$rc"
# The checkpoints kept are complete and equal the unfailed run's (config.toml and
# trainer_state.json name the run folder, so only the tensors are compared).
same_tree ref/train/checkpoints "$disk/train/checkpoints" partial > same.txt ||
  ! grep -v -e 'config.toml differs' -e 'trainer_state.json differs' same.txt || exit 1
for d in "$disk"/train/checkpoints/step-*; do
  [ -f "$d/trainer_state.json" ] || { echo "$d looks like a checkpoint but is incomplete"; exit 1; }
done
saved=$(ls "$disk/train/checkpoints" | grep -c '^step-' || true)
rm -f "$disk/filler"
"$oqvl" train --config run.toml --set run.out="$disk/train" --quiet --resume
same_training ref/train "$disk/train" 6
echo "ok   train: $(grep '^oqvl: error:' train.err | sed "s|$disk/||g"); $saved checkpoints kept; resumed, the losses and final weights equal an unfailed run's"
echo "disk full: convert, score clip, score mlm, eval and train fail cleanly and finish on a rerun"
