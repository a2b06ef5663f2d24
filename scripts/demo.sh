#!/usr/bin/env bash
# The quick-start job on the embedded default data: sets up and builds (idempotent), turns
# Debian's Fashion-MNIST into WebDataset shards with captions, then runs the data commands on
# them. Usage: scripts/demo.sh [OUT_DIR]   (default: demo/)
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
echo "== oqvl data preprocess-bench (decode + SigLIP 384x384 preprocessing)"
$oqvl data preprocess-bench --repeat 1 "$out/test/00000.tar"
