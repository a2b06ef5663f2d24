#!/usr/bin/env bash
# Tar reading, C++ vs Python webdataset, on the same shards in one run; prints both rates and
# the ratio. Shards are generated into a temporary folder (not kept).
# Usage: bench/run_tar_bench.sh [BUILD_DIR=build] [SHARDS=4] [SAMPLES=1000] [IMAGE_BYTES=50000]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
build=${1:-build}
shards=${2:-4}
samples=${3:-1000}
image_bytes=${4:-50000}
bench=$build/bench/tar_bench
[ -x "$bench" ] || { echo "no $bench: build with -DOQVL_BUILD_BENCH=ON first"; exit 1; }
python3 -c "import webdataset" 2>/dev/null || { echo "Python's webdataset is not importable (scripts/setup.sh)"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bench" make "$tmp" "$shards" "$samples" "$image_bytes"
cat "$tmp"/*.tar > /dev/null  # page cache: both readers then see warm-cache data
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%F)"
cpp_out=$("$bench" read --repeat 5 "$tmp"/*.tar)
echo "$cpp_out" | grep -v '_mb_per_s='
py_out=$(python3 "$here/tar_bench.py" --repeat 3 "$tmp"/*.tar)
echo "$py_out" | grep -v '_mb_per_s='
cpp=$(echo "$cpp_out" | sed -n 's/^cpp_mb_per_s=//p')
py=$(echo "$py_out" | sed -n 's/^py_mb_per_s=//p')
python3 -c "print(f'ratio (C++ / fastest Python, warm cache): {$cpp / $py:.1f}x')"
