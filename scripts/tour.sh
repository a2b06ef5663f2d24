#!/usr/bin/env bash
# A tour of the individual commands on the embedded data (what `oqvl demo` chains, one at a time,
# plus inspect/stats/tokenize/score on tiny random-weight models): sets up and builds
# (idempotent), then runs them. Usage: scripts/tour.sh [OUT_DIR]   (default: tour/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-tour}
bash scripts/setup.sh
source scripts/python_env.sh  # python3 = the project's .venv (made by setup.sh)
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

# The model commands. No trained weights can be downloaded here, so they run on tiny random-weight
# models (their answers and scores are noise; the point is the pipeline). With a real checkpoint:
# oqvl convert prismatic ... (docs/checkpoints.md), then the same commands.
if "$oqvl" version | grep -q '^libtorch [0-9]'; then
  echo "== a tiny random-weight Open-Qwen2VL-shaped model (tools/vlm_reference.py make-tiny)"
  python3 tools/vlm_reference.py make-tiny "$out/tiny-vlm" 0
  $oqvl convert check --model "$out/tiny-vlm"
  echo "== oqvl generate: <s><image>\\n{prompt}, greedy with a KV cache"
  $oqvl generate --model "$out/tiny-vlm" --image tests/fixtures/images/chelsea.jpg \
    --prompt "What is in the image?" --max-new-tokens 8
  echo "== oqvl data make-bench + oqvl eval: Fashion-MNIST test split as a 4-option benchmark"
  $oqvl data make-bench --fashion-mnist --out "$out/fashion_bench.tsv" --count 200
  $oqvl eval --model "$out/tiny-vlm" --bench "$out/fashion_bench.tsv" --out "$out/eval"
  echo "== oqvl score mlm: MLM-Filter semantic_understanding scores (first 64 pairs of a shard)"
  $oqvl score mlm --model "$out/tiny-vlm" "$out/test/00000.tar" --out "$out/mlm" --limit 64
  echo "== oqvl score clip: SigLIP scores with a tiny random SiglipModel"
  python3 tools/make_siglip_bench_model.py "$out/tiny-siglip" tiny
  $oqvl score clip --model "$out/tiny-siglip" "$out/test/00000.tar" --out "$out/clip"
  $oqvl data filter "$out/test/00000.tar" --out "$out/clip-filtered" \
    --scores "$out/clip/00000.clip.csv:key=uid" --keep 'clip_score >= 0.5'
fi
