#!/usr/bin/env bash
# `oqvl data filter` throughput (samples/s) with 1 and 2 threads, and the Python baseline
# (bench/filter_bench.py) on the same demo shards and recipe; prints rates and ratios. The kept
# counts of both must agree (a cross-check of the rules). Data is made in a temporary folder.
# Usage: bench/run_filter_bench.sh [BUILD_DIR=build] [SAMPLES=20000] [REPEAT=3]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
build=${1:-build}
samples=${2:-20000}
repeat=${3:-3}
oqvl=$build/oqvl
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples "$samples" --test-samples 10 --shard-size 1000 >/dev/null
python3 "$here/../tools/make_filter_fixtures.py" demo "$tmp/t" "$tmp"/demo/train/*.tar
cat "$tmp"/demo/train/*.tar > /dev/null  # warm page cache for both sides
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%F)"
echo "input: $(ls "$tmp"/demo/train/*.tar | wc -l) shards, $samples samples, $(du -sm "$tmp/demo/train" | cut -f1) MB"

rate() {  # rate THREADS: best samples/s of $repeat runs (fresh output folder each run)
  local best=0 r kept=0
  for _ in $(seq "$repeat"); do
    rm -rf "$tmp/out"
    r=$("$oqvl" -q data filter "$tmp"/demo/train/*.tar --out "$tmp/out" --threads "$1" \
        --scores "$tmp/t/scores.csv:key=uid" --keep "semantic_understanding >= 85 or uid in $tmp/t/dfn.npy" \
        --keep "caption_words >= 1 and image_min_side >= 28 and image_aspect_ratio <= 3" \
        --dedup uid,image,url_caption --clean-captions --json |
        python3 -c "import json,sys; r=json.load(sys.stdin); print(r['samples_per_second'], r['kept'])")
    kept=${r#* }
    best=$(python3 -c "print(max($best, ${r% *}))")
  done
  echo "$best $kept"
}
r1=$(rate 1)
r2=$(rate 2)
t1=${r1% *}
t2=${r2% *}
cpp_kept=${r1#* }
[ "$cpp_kept" = "${r2#* }" ] || { echo "kept differs between 1 and 2 threads"; exit 1; }
echo "C++ 1 thread:  ${t1%.*} samples/s"
echo "C++ 2 threads: ${t2%.*} samples/s (scaling $(python3 -c "print(f'{$t2/$t1:.2f}')")x), kept $cpp_kept"
py_out=$(python3 "$here/filter_bench.py" --repeat "$repeat" --scores "$tmp/t/scores.csv" --dfn "$tmp/t/dfn.npy" "$tmp"/demo/train/*.tar)
echo "$py_out" | head -1
py=$(echo "$py_out" | sed -n 's/^py_samples_per_s=//p')
py_kept=$(echo "$py_out" | sed -n 's/^py_kept=//p')
[ "$py_kept" = "$cpp_kept" ] || { echo "kept counts differ: C++ $cpp_kept, Python $py_kept"; exit 1; }
python3 -c "print(f'Python 1 process: {$py:.0f} samples/s; ratio C++/Python: {$t1/$py:.1f}x (1 thread), {$t2/$py:.1f}x (2 threads)')"
