#!/usr/bin/env bash
# The quick-start job on the embedded default data: sets up and builds (idempotent), turns
# Debian's Fashion-MNIST into WebDataset shards with captions, then runs the data commands on
# them: inspect, stats, filter, pack, mix. Usage: scripts/demo.sh [OUT_DIR]   (default: demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
bash scripts/setup.sh
oqvl=./${OQVL_BUILD_DIR:-build}/oqvl

echo "== oqvl data make-demo: Fashion-MNIST -> WebDataset shards in $out/"
$oqvl data make-demo --out "$out"
echo "== oqvl data inspect (first train shard)"
$oqvl data inspect --samples 3 "$out/train/00000.tar"
echo "== oqvl data stats (all shards)"
$oqvl data stats "$out/train/*.tar" "$out/test/*.tar"
echo "== oqvl tokenize (Open-Qwen2VL layout: <s> = 128245, <|im_end|> = 151645)"
$oqvl tokenize -- "<s>a photo of a sneaker<|im_end|>"
echo "== oqvl data filter: caption and image rules, dedup by uid and image bytes"
$oqvl data filter "$out/train/*.tar" --out "$out/filtered" \
  --keep 'caption_words >= 6 and image_min_side >= 28' --dedup uid,image
echo "== oqvl data pack: first-fit-decreasing into 4096-token sequences, 144 tokens per image"
$oqvl data pack "$out/filtered/*.tar" --out "$out/packed"
echo "== oqvl data mix: a seeded training manifest over the packed shards"
$oqvl data mix --source "demo=$out/packed/*.tar" --seed 7 --out "$out/manifest.json"
echo "== oqvl data preprocess-bench (decode + SigLIP 384x384 preprocessing)"
$oqvl data preprocess-bench --repeat 1 "$out/test/00000.tar"
