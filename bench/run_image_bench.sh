#!/usr/bin/env bash
# Image preprocessing, C++ vs Pillow + numpy, in one run on the same files (JPEGs like
# img2dataset output, generated into a temp folder if missing). Prints both and the ratios.
# Usage: bash bench/run_image_bench.sh [build-dir=build] [data-dir=/tmp/oqvl_image_bench] [repeat=3]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
data=${2:-/tmp/oqvl_image_bench}
repeat=${3:-3}
[ -x "$build/bench/image_bench" ] || { echo "build $build/bench/image_bench first (ninja -C $build image_bench)" >&2; exit 2; }
if ! ls "$data"/*.jpg > /dev/null 2>&1; then
  python3 "$here/make_image_bench_data.py" "$data" 200 0
fi
echo "machine: $(lscpu | grep 'Model name' | sed 's/.*: *//'), $(nproc) cores; $(date -u +%F)"
echo "files: $(ls "$data"/*.jpg | wc -l) JPEGs in $data, repeat $repeat"
# The machine may be shared: alternate the two sides `rounds` times and keep each one's best.
rounds=${ROUNDS:-3}
all=""
for _ in $(seq "$rounds"); do
  all+=$(python3 "$here/image_bench.py" "$data" --threads 1 --repeat "$repeat")$'\n'
  all+=$("$build/bench/image_bench" "$data" --threads 1,2 --repeat "$repeat")$'\n'
  all+=$(python3 "$here/image_bench.py" "$data" --threads 2 --repeat "$repeat")$'\n'
done
echo "$all" | grep -v '^$'
best() { echo "$all" | grep "^$1 threads=$2 " | sed 's/.*per_core=//' | sort -g | tail -1; }
p1=$(best python 1); p2=$(best python 2); c1=$(best cpp 1); c2=$(best cpp 2)
echo "best of $rounds, images/s per core: python 1 thread $p1, 2 threads $p2; C++ 1 thread $c1, 2 threads $c2"
awk -v p1="$p1" -v p2="$p2" -v c1="$c1" -v c2="$c2" 'BEGIN {
  printf "ratio per core (C++ / Pillow): 1 thread %.2fx, 2 threads %.2fx\n", c1 / p1, c2 / p2
  printf "scaling 1 -> 2 threads (total images/s): C++ %.2fx, Pillow %.2fx\n", 2 * c2 / c1, 2 * p2 / p1 }'
