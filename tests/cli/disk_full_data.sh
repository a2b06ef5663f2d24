#!/usr/bin/env bash
# A disk that fills mid-write, for the data writers (make-demo, filter, pack, mix): on a small
# tmpfs with about half of each command's output size free, the command exits non-zero with one
# "oqvl: error:" line saying "No space left on device" and naming the file; every file it left
# under a final name has the bytes of an unfailed run's (finished shards stay, nothing truncated
# looks complete) and no temporaries remain; after the space is freed, the same command line
# finishes the job with the same bytes as the unfailed run. Needs root (mount); skipped
# otherwise. Usage: disk_full_data.sh OQVL REPO
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
echo "disk full: make-demo, filter, pack and mix fail cleanly and finish on a rerun"
