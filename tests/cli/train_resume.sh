#!/usr/bin/env bash
# Exact resume on CPU: a run stopped after 3 steps and resumed gives, for steps 4-8, losses equal
# bit for bit to the uninterrupted run's, and the same final weights; a run killed (SIGKILL)
# while writing its step-6 checkpoint resumes from step 4's and also ends identical. Per-sample
# attention is used here (the fidelity test covers causal). Usage: train_resume.sh OQVL REPO
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules safetensors numpy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tiny_packed_run "$oqvl" "$repo" "$work" 300 3 'attention = "per_sample"'
cat >> "$work/run.toml" <<TOML
[batch]
global = 4
micro = 2
max_steps = 8
[checkpoint]
every = 2
keep = 2
TOML
cd "$work"
"$oqvl" train --config run.toml --set run.out=straight --quiet
"$oqvl" train --config run.toml --set run.out=resumed --quiet --stop-after 3
[ -d resumed/checkpoints/step-00000003 ] || { echo "no checkpoint at the stop"; exit 1; }
# Without --resume an existing run is refused.
if "$oqvl" train --config run.toml --set run.out=resumed --quiet 2> err.txt; then
  echo "a second start into a run with checkpoints was not refused"; exit 1
fi
grep -q -- "--resume" err.txt
"$oqvl" train --config run.toml --set run.out=resumed --quiet --resume
# Killed during the step-6 save: the temporary checkpoint is never taken for a complete one.
if OQVL_FAULT_KILL_IN_SAVE=6 "$oqvl" train --config run.toml --set run.out=killed --quiet; then
  echo "the fault injection did not kill the run"; exit 1
fi
[ ! -d killed/checkpoints/step-00000006 ] || { echo "a half-written checkpoint looks complete"; exit 1; }
"$oqvl" train --config run.toml --set run.out=killed --quiet --resume
same_training straight resumed 8
same_training straight killed 8
echo "train resume: 8 steps, stopped/resumed and killed-in-save runs equal the straight run bit for bit"
