#!/usr/bin/env bash
# SIGTERM during `oqvl train` (a Slurm preemption): the run saves a checkpoint at the end of the
# step it is in, exits 143 with one "oqvl: interrupted (SIGTERM): train saved ..." line, and
# `--resume` continues from that checkpoint: the losses of all 30 steps and the final weights
# equal an uninterrupted run's bit for bit. Then 2 ranks under `oqvl launch` (with Gloo): SIGTERM
# to the launcher reaches both ranks, which agree (through the step's reduction) on the step to
# stop after, save it and exit; the launcher exits 143 and `--resume` finishes the run bit for bit
# as an uninterrupted 2-rank run.
# Usage: interrupt_train.sh OQVL REPO
set -uo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules safetensors numpy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set -e
tiny_packed_run "$oqvl" "$repo" "$work" 300 4 'attention = "per_sample"'
printf '[batch]\nglobal = 4\nmicro = 2\nmax_steps = 30\n[checkpoint]\nevery = 10\nkeep = 2\n' >> "$work/run.toml"
cd "$work"
"$oqvl" train --config run.toml --set run.out=straight --quiet > /dev/null
# Mid-way: after the third step's metrics line (steps take ~0.1 s; the run is 30).
third_step() { [ -f stopped/metrics.jsonl ] && [ "$(wc -l < stopped/metrics.jsonl)" -ge 3 ]; }
signal_when TERM third_step stop.err "$oqvl" train --config run.toml --set run.out=stopped --quiet
expect_interrupted stop.err "$SIGNAL_RC" TERM
grep -q "^oqvl: interrupted (SIGTERM): train saved .*step-0*\([0-9]*\) (step [0-9]*); rerun with --resume" stop.err ||
  { cat stop.err; exit 1; }
last=$(readlink stopped/checkpoints/last)
step=$((10#${last#step-}))
[ "$step" -ge 3 ] && [ "$step" -lt 30 ] || { echo "stopped at step $step (expected mid-way)"; exit 1; }
[ -f "stopped/checkpoints/$last/trainer_state.json" ] || { echo "the stop's checkpoint is incomplete"; exit 1; }
[ -z "$(find stopped -name '*.tmp-*')" ] || { echo "temporaries left behind"; exit 1; }
"$oqvl" train --config run.toml --set run.out=stopped --quiet --resume > /dev/null
same_training straight stopped 30
echo "ok   train: SIGTERM -> checkpoint at step $step, exit 143; resumed, 30 losses and the final weights equal the uninterrupted run's"

if ! "$oqvl" version | grep -q "^distributed: gloo"; then
  echo "skip the distributed part: this oqvl build has no Gloo"
  exit 0
fi
printf '[dist]\ntimeout_s = 60\n' >> run.toml
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=ranks-straight --quiet > /dev/null 2>&1
after_7() { [ -f ranks/metrics.jsonl ] && [ "$(wc -l < ranks/metrics.jsonl)" -ge 7 ]; }
signal_when TERM after_7 launch.err "$oqvl" launch --nproc 2 -- oqvl train --config run.toml \
  --set run.out=ranks --quiet
expect_interrupted launch.err "$SIGNAL_RC" TERM
saved=$(sed -n 's/^\[rank [01]\] oqvl: interrupted (SIGTERM): train saved .* (step \([0-9]*\)); rerun.*/\1/p' launch.err | sort -u)
[ "$(grep -c "^\[rank [01]\] oqvl: interrupted (SIGTERM): train saved" launch.err)" -eq 2 ] && [ "$(echo "$saved" | wc -l)" -eq 1 ] ||
  { echo "expected both ranks to save the same step:"; cat launch.err; exit 1; }
[ "$saved" -ge 7 ] && [ "$saved" -lt 30 ] || { echo "stopped at step $saved (expected mid-way)"; exit 1; }
[ -f "ranks/checkpoints/step-$(printf %08d "$saved")/trainer_state.json" ] || { echo "the stop's checkpoint is incomplete"; exit 1; }
[ -z "$(find ranks -name '*.tmp-*')" ] || { echo "temporaries left behind"; exit 1; }
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=ranks --quiet --resume > /dev/null 2> resume.err ||
  { cat resume.err; exit 1; }
same_training ranks-straight ranks 30
echo "ok   train under launch: SIGTERM -> both ranks saved step $saved, launcher exit 143; resumed, equal to the uninterrupted 2-rank run bit for bit"
