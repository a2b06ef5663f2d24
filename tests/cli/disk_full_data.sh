#!/usr/bin/env bash
# A disk that fills mid-write, for the data writers (make-demo, filter, pack, mix, download): on a small
# tmpfs with about half of each command's output size free, the command exits non-zero with one
# "oqvl: error:" line saying "No space left on device" and naming the file; every file it left
# under a final name has the bytes of an unfailed run's (finished shards stay, nothing truncated
# looks complete) and no temporaries remain; after the space is freed, the same command line
# finishes the job with the same bytes as the unfailed run. Needs root (mount); skipped
# otherwise. download fetches scikit-image's photos from a loopback server (tests/cli/
# download_server.py); that case is skipped without libcurl or the photos. Usage: disk_full_data.sh OQVL REPO
set -uo pipefail
oqvl=$1
source "$(dirname "$0")/lib.sh"
require_fashion_mnist
small_disk 8m
set -e

demo() { "$oqvl" -q data make-demo --out "$1" --train-samples 600 --test-samples 100 --shard-size 200 --threads 2; }
"$oqvl" -q data make-demo --out "$work/in" --train-samples 600 --test-samples 10 --shard-size 200 --threads 2 > /dev/null
filter() { "$oqvl" -q data filter "$work/in/train/*.tar" --out "$1" --keep "caption_words >= 3" --shard-size 100 --threads 2; }
pack() { "$oqvl" -q data pack "$work/in/train/*.tar" --out "$1" --context 512 --image-tokens 16 --threads 2; }
"$oqvl" -q data pack "$work/in/train/*.tar" --out "$work/packed" --context 128 --image-tokens 16 --threads 2 > /dev/null
mix() { "$oqvl" -q data mix --source "demo=$work/packed/*.tar" --seed 3 --out "$1/manifest.json"; }

full_disk_case "$work" "$disk" make-demo demo
full_disk_case "$work" "$disk" filter filter
full_disk_case "$work" "$disk" pack pack
full_disk_case "$work" "$disk" mix mix

# download: 24 photos in shards of 4.
if (require_skimage_data > /dev/null) && have_download "$oqvl"; then
  require_skimage_data
  python3 - "$OQVL_SKIMAGE_DATA" "$work/urls.csv" <<'PY'
import sys
photos = ["astronaut.png", "chelsea.png", "coffee.png", "camera.png", "rocket.jpg", "motorcycle_left.png"]
with open(sys.argv[2], "w") as f:
    f.write("url,caption\n")
    for i in range(24):
        f.write(f"SERVER/img/{photos[i % len(photos)]}?i={i},photo {i}\n")
PY
  mkdir "$work/photos"
  cp "$OQVL_SKIMAGE_DATA"/{astronaut.png,chelsea.png,coffee.png,camera.png,rocket.jpg,motorcycle_left.png} "$work/photos/"
  start_download_server "$work/photos" "$work/requests.log"
  sed -i "s|^SERVER|$server_url|" "$work/urls.csv"
  download() { "$oqvl" -q data download "$work/urls.csv" --out "$1" --shard-size 4 --image-size 64 --threads 2; }
  full_disk_case "$work" "$disk" download download
  done_download=", download"
else
  echo "skip download: no libcurl in this oqvl, or scikit-image's photos are missing"
fi
echo "disk full: make-demo, filter, pack, mix${done_download:-} fail cleanly and finish on a rerun"
