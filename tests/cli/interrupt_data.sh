#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM during `oqvl data make-demo`, `pack` and `filter`: signalled once
# their first output shard exists, each exits 130 / 143 with one "oqvl: interrupted (SIG...)"
# line; every file left under a final name has the bytes of an uninterrupted run's (finished
# shards stay, no complete-looking partial) and no temporaries remain; the same command line run
# again finishes with the same bytes as the uninterrupted run. OQVL_FAULT_POLL_SLEEP_US slows
# each sample (core/interrupt.h) so the jobs are mid-way when signalled on any machine.
# Usage: interrupt_data.sh OQVL REPO
set -uo pipefail
oqvl=$1
source "$(dirname "$0")/lib.sh"
require_fashion_mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set -e

# interrupt_case NAME SIGNAL READY WRITER: WRITER OUT sets `cmd` to the command line that writes
# to OUT (run as it is, so the signal reaches oqvl itself); READY OUT succeeds once it is
# mid-way. Reference in $work/ref/NAME, the stopped run and its rerun in $work/run/NAME.
interrupt_case() {
  local name=$1 sig=$2 ready=$3 writer=$4 out=$work/run/$1
  "$writer" "$work/ref/$name"
  "${cmd[@]}" > /dev/null
  mkdir -p "$work/run"
  ready_now() { "$ready" "$out"; }
  "$writer" "$out"
  OQVL_FAULT_POLL_SLEEP_US=2000 signal_when "$sig" ready_now "$work/$name.err" "${cmd[@]}"
  expect_interrupted "$work/$name.err" "$SIGNAL_RC" "$sig"
  same_tree "$work/ref/$name" "$out" partial
  local kept
  kept=$(find "$out" -name '*.tar' | wc -l)
  "${cmd[@]}" > /dev/null
  same_tree "$work/ref/$name" "$out"
  echo "ok   $name: SIG$sig -> exit $SIGNAL_RC, $kept finished shards kept, the rerun equals an uninterrupted run"
  echo "     $(grep '^oqvl: interrupted' "$work/$name.err" | sed "s|$work/||g")"
}
any_tar() { compgen -G "$1/$2*.tar" > /dev/null; }

demo() { cmd=("$oqvl" -q data make-demo --out "$1" --train-samples 3000 --test-samples 10 --shard-size 300 --threads 2); }
demo_ready() { any_tar "$1" train/; }
interrupt_case make-demo INT demo_ready demo

# The demo set as input: 10 shards of 300.
in=$work/ref/make-demo/train
pack() { cmd=("$oqvl" -q data pack "$in/*.tar" --out "$1" --context 512 --image-tokens 16 --threads 2); }
pack_ready() { compgen -G "$1/*.stats.json" > /dev/null; }
interrupt_case pack TERM pack_ready pack

filter() { cmd=("$oqvl" -q data filter "$in/*.tar" --out "$1" --keep "caption_words >= 3" --shard-size 300 --threads 2); }
filter_ready() { any_tar "$1" job-; }
interrupt_case filter TERM filter_ready filter
echo "interrupt: make-demo (SIGINT), pack and filter (SIGTERM) stop cleanly and finish on a rerun"
