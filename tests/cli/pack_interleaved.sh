#!/usr/bin/env bash
# `oqvl data pack --interleaved` on MMC4/OBELICS-layout fixture shards
# (tools/make_interleaved_fixture.py): every packed sequence (keys, ids, lengths, image counts and
# bytes, truncation) and every count (packed, dropped by reason, images) equal an independent
# Python reimplementation of the reference's rules with HF tokenizers
# (tools/interleaved_pack_reference.py), at the paper's 4096/144 and at 512/16; a malformed shard
# stops the run naming the file and the key; a caption pack folder refuses --interleaved; and a
# few `oqvl train` steps of the tiny model run on the interleaved packs (several images per
# sample, per-sample attention). The training part skips without libtorch.
# Usage: pack_interleaved.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules numpy webdataset PIL tokenizers
oqvl=$1
src=$2
tok="$src/assets/qwen2-tokenizer/tokenizer.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$src/tools/make_interleaved_fixture.py" "$tmp/in" --malformed
shards=("$tmp/in/shard_0.tar" "$tmp/in/shard_1.tar")

# The paper's settings.
"$oqvl" -q data pack --interleaved "${shards[@]}" --out "$tmp/p4096" --threads 2 > "$tmp/summary.txt"
cat "$tmp/summary.txt"
grep -q "^dropped (10 or more images): " "$tmp/summary.txt"
python3 "$src/tools/interleaved_pack_reference.py" "$tmp/p4096" "${shards[@]}" --tokenizer "$tok"

# A small context (cuts more documents) and 16 image tokens: the training data below.
"$oqvl" -q data pack --interleaved "${shards[@]}" --out "$tmp/p512" --context 512 --image-tokens 16 \
  --threads 1 > /dev/null
python3 "$src/tools/interleaved_pack_reference.py" "$tmp/p512" "${shards[@]}" --tokenizer "$tok" \
  --context 512 --image-tokens 16

# Same bytes whatever the thread count; a rerun resumes; a caption pack folder is not mixed with.
"$oqvl" -q data pack --interleaved "${shards[@]}" --out "$tmp/p512b" --context 512 --image-tokens 16 \
  --threads 2 > /dev/null
cmp "$tmp/p512/shard_0.tar" "$tmp/p512b/shard_0.tar"
cmp "$tmp/p512/shard_1.tar" "$tmp/p512b/shard_1.tar"
"$oqvl" data pack --interleaved "${shards[@]}" --out "$tmp/p512" --context 512 --image-tokens 16 \
  > "$tmp/rerun.txt"
grep -q "(2 already complete)" "$tmp/rerun.txt" || { cat "$tmp/rerun.txt"; exit 1; }
set +e
"$oqvl" data pack "${shards[@]}" --out "$tmp/p512" --context 512 --image-tokens 16 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q -- "--interleaved: true before, unset now" "$tmp/err.txt" ||
  { echo "FAIL: caption pack into an interleaved folder: rc $rc"; cat "$tmp/err.txt"; exit 1; }

# Malformed: one error line naming the file and the key, exit 2.
set +e
"$oqvl" data pack --interleaved "$tmp/in/bad.tar" --out "$tmp/bad" 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "oqvl: error: interleaved document 'bad_lengths' (.*bad.tar @ byte " "$tmp/err.txt" &&
  grep -q "'texts' has 2 entries, 'image_info' 1" "$tmp/err.txt" ||
  { echo "FAIL: malformed shard: rc $rc"; cat "$tmp/err.txt"; exit 1; }
[ "$(wc -l < "$tmp/err.txt")" = 1 ] || { cat "$tmp/err.txt"; exit 1; }

# Training on the interleaved packs: the tiny model, a few steps, finite losses, images seen.
require_libtorch "$oqvl"
require_python_modules safetensors
python3 "$src/tools/vlm_reference.py" make-tiny "$tmp/model" 3 > /dev/null
"$oqvl" -q data mix --source "mmc4=$tmp/p512/*.tar" --seed 3 --out "$tmp/manifest.json" > /dev/null
tiny_run_config "$tmp" 512 'attention = "per_sample"'
printf '[batch]\nglobal = 2\nmicro = 1\nmax_steps = 3\n' >> "$tmp/run.toml"
(cd "$tmp" && "$oqvl" train --config run.toml --set run.out=run --quiet --threads 2)
python3 - "$tmp" << 'PY'
import json, math, sys
tmp = sys.argv[1]
steps = [r for r in map(json.loads, open(f"{tmp}/run/metrics.jsonl")) if r.get("kind") == "train"]
assert len(steps) == 3 and all(math.isfinite(r["loss"]) for r in steps), steps
assert all(r["images_per_s"] > 0 for r in steps), steps
print("pack_interleaved: 3 training steps on interleaved packs, losses", [round(r["loss"], 4) for r in steps])
PY
echo "pack_interleaved: ok"
