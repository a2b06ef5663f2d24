#!/usr/bin/env bash
# `oqvl data download` vs img2dataset (PyPI) on the same loopback server and URL list of real
# photos (bench/make_image_bench_data.py: JPEGs with shorter side 512 from the skimage/matplotlib
# photos), same resize settings (border, 256, JPEG quality 95, sha256), one process each.
# Prints wall time, CPU seconds of the downloader (user + sys, children included), samples per
# CPU second ("per core", independent of how fast the Python test server answers) and max RSS.
# img2dataset runs from its own virtual environment (its pins clash with the project's .venv):
# IMG2DATASET_PYTHON=/path/to/python, else build/img2dataset-venv is made with pip.
# Usage: bench/run_download_bench.sh [BUILD_DIR=build] [ROWS=2000] [CONNECTIONS=64]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
build=${1:-build}
rows=${2:-2000}
conns=${3:-64}
oqvl=$build/oqvl
here=$(cd "$(dirname "$0")" && pwd)
i2d_py=${IMG2DATASET_PYTHON:-}
if [ -z "$i2d_py" ]; then
  i2d_py=$build/img2dataset-venv/bin/python
  if ! "$i2d_py" -c 'import img2dataset' 2> /dev/null; then
    /usr/bin/python3 -m venv "$build/img2dataset-venv"
    "$i2d_py" -m pip install -q --disable-pip-version-check img2dataset==1.47.0
  fi
fi
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$here/make_image_bench_data.py" "$tmp/photos" 100 0 > /dev/null
python3 "$here/../tests/cli/download_server.py" "$tmp/photos" "$tmp/port" "$tmp/requests.log" &
server_pid=$!
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
python3 - "$tmp" "$port" "$rows" << 'PY'
import csv, os, sys
tmp, port, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
photos = sorted(os.listdir(f"{tmp}/photos"))
with open(f"{tmp}/list.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["url", "caption"])
    for i in range(rows):
        w.writerow([f"http://127.0.0.1:{port}/img/{photos[i % len(photos)]}?i={i}", f"photo number {i}"])
PY
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%F)"
echo "input: $rows URLs over $(ls "$tmp/photos" | wc -l) JPEGs ($(du -sm "$tmp/photos" | cut -f1) MB), $conns connections"

measure() {  # measure NAME OUT_DIR COMMAND...: one line of numbers
  local name=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time.txt" "$@" > "$tmp/$name.log" 2>&1 ||
    { cat "$tmp/$name.log"; exit 1; }
  read -r wall user sys rss < "$tmp/time.txt"
  local ok
  ok=$(python3 -c "
import glob, tarfile, sys
print(sum(1 for t in glob.glob('$out/*.tar') for m in tarfile.open(t) if m.name.endswith('.jpg')))")
  python3 -c "
wall, cpu, ok, rss = $wall, $user + $sys, $ok, $rss
print(f'$name: {ok} images, wall {wall:.1f} s ({ok / wall:.0f}/s), cpu {cpu:.1f} s, {ok / cpu:.0f} samples per cpu-second, max RSS {rss / 1024:.0f} MB')"
}

measure oqvl "$tmp/o" "$oqvl" -q data download "$tmp/list.csv" --out "$tmp/o" --shard-size 1000 \
  --connections "$conns" --threads 1 --image-size 256 --resize-mode border --timeout 30
measure img2dataset "$tmp/i" env NO_ALBUMENTATIONS_UPDATE=1 "$(dirname "$i2d_py")/img2dataset" --url_list "$tmp/list.csv" --input_format csv \
  --url_col url --caption_col caption --output_format webdataset --output_folder "$tmp/i" \
  --processes_count 1 --thread_count "$conns" --image_size 256 --resize_mode border \
  --number_sample_per_shard 1000 --timeout 30 --retries 0 --enable_wandb False --compute_hash sha256 \
  --distributor multiprocessing
