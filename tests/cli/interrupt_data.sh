#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM during `oqvl data make-demo`, `pack`, `filter` and `download` (from
# a loopback server, tests/cli/download_server.py): signalled once their first output shard exists,
# each exits 130 / 143 with one "oqvl: interrupted (SIG...)" line; every file left under a final
# name has the bytes of an uninterrupted run's (finished shards stay, no complete-looking partial)
# and no temporaries remain; the same command line run again finishes with the same bytes as the
# uninterrupted run. OQVL_FAULT_POLL_SLEEP_US slows each sample (core/interrupt.h) so the jobs are
# mid-way when signalled on any machine.
# Usage: interrupt_data.sh OQVL REPO
set -uo pipefail
oqvl=$1
source "$(dirname "$0")/lib.sh"
require_fashion_mnist
work=$(mktemp -d)
on_exit 'rm -rf "$work"'
set -e

any_tar() { compgen -G "$1/$2*.tar" > /dev/null; }

demo() { cmd=("$oqvl" -q data make-demo --out "$1" --train-samples 3000 --test-samples 10 --shard-size 300 --threads 2); }
demo_ready() { any_tar "$1" train/; }
interrupt_case "$work" make-demo INT demo_ready demo

# The demo set as input: 10 shards of 300.
in=$work/ref/make-demo/train
pack() { cmd=("$oqvl" -q data pack "$in/*.tar" --out "$1" --context 512 --image-tokens 16 --threads 2); }
pack_ready() { compgen -G "$1/*.stats.json" > /dev/null; }
interrupt_case "$work" pack TERM pack_ready pack

filter() { cmd=("$oqvl" -q data filter "$in/*.tar" --out "$1" --keep "caption_words >= 3" --shard-size 300 --threads 2); }
filter_ready() { any_tar "$1" job-; }
interrupt_case "$work" filter TERM filter_ready filter

# download: 40 photos served after 0.2 s each over 2 connections (~4 s), in shards of 4; SIGINT once
# the first shard is complete. Skipped without libcurl or scikit-image's photos.
if (require_skimage_data > /dev/null) && have_download "$oqvl"; then
  require_skimage_data
  mkdir "$work/photos"
  cp "$OQVL_SKIMAGE_DATA"/{astronaut.png,chelsea.png,coffee.png,camera.png} "$work/photos/"
  start_download_server "$work/photos" "$work/requests.log"
  { echo url,caption; for i in $(seq 0 39); do
    echo "$server_url/slow/$(ls "$work/photos" | sed -n "$((i % 4 + 1))p")?i=$i,photo $i"
  done; } > "$work/urls.csv"
  download() {
    cmd=("$oqvl" -q data download "$work/urls.csv" --out "$1" --shard-size 4 --image-size 64 --connections 2 --threads 2)
  }
  download_ready() { compgen -G "$1/*_stats.json" > /dev/null; }
  interrupt_case "$work" download INT download_ready download
  done_download=", download (SIGINT)"
else
  echo "skip download: no libcurl in this oqvl, or scikit-image's photos are missing"
fi
echo "interrupt: make-demo (SIGINT), pack and filter (SIGTERM)${done_download:-} stop cleanly and finish on a rerun"
