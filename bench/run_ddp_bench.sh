#!/usr/bin/env bash
# Data-parallel speed-up on CPU: the same training config (bench/run_train_bench.sh's model and
# rows: 56 px images, 256-wide 4+4 layers, the real 151,936 vocabulary, 8 rows of 512 positions
# per step) as 1 process with T threads and as `oqvl launch --nproc 2` with T/2 threads each for
# every dist.strategy (ddp, zero2, full_shard), each with dist.overlap on (the default:
# collectives behind backward, prefetch) and off (blocking), one after the other. Prints the
# median step time of each (steps after the first two), the speed-up over 1 process, the share of
# the step spent waiting in collectives (metrics.jsonl "comm") and rank 0's peak resident memory.
# Usage (repo root, after building): bash bench/run_ddp_bench.sh [build-dir] [threads] [steps] [repeats]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"
source "$(dirname "$0")/train_bench_data.sh"
BUILD=${1:-build} THREADS=${2:-2} STEPS=${3:-8} REPEATS=${4:-1}
oqvl=$(realpath "$BUILD/oqvl")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
train_bench_data "$oqvl" "$THREADS"
cat > run.toml <<TOML
[run]
device = "cpu"
precision = "fp32"
[model]
path = "model"
image_tokens = 16
train_vision = true
[data]
manifest = "manifest.json"
context = 512
loader_threads = 1
[optim]
lr = 1e-3
warmup_steps = 2
[batch]
global = 8
micro = 2
max_steps = $STEPS
TOML
half=$(( THREADS / 2 > 0 ? THREADS / 2 : 1 ))
"$oqvl" train --config run.toml --set run.out=one --quiet --threads "$THREADS"
# Overlapped and blocking alternate, REPEATS times, so a load that comes and goes hits both alike;
# each reports its fastest repeat.
for s in ddp zero2 full_shard; do
  for rep in $(seq "$REPEATS"); do
    for o in true false; do
      "$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=$s-$o-$rep --set dist.strategy=$s \
        --set dist.overlap=$o --quiet --threads "$half"
    done
  done
done
python3 - "$THREADS" "$half" "$REPEATS" <<'PY'
import json, statistics, sys
def steps(run):
    rows = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
    el = [r["elapsed_s"] for r in rows]
    return [b - a for a, b in zip([0.0] + el[:-1], el)][2:], rows
one, rows1 = steps("one")
m1 = statistics.median(one)
print(f"CPU, 1 process x {sys.argv[1]} threads: {m1 * 1000:.0f} ms/step, peak RSS {rows1[-1]['peak_mem_gib']:.2f} GiB")
for s in ("ddp", "zero2", "full_shard"):
    for o, label in (("true", "overlapped"), ("false", "blocking")):
        runs = [steps(f"{s}-{o}-{k + 1}") for k in range(int(sys.argv[3]))]
        two, rows = min(runs, key=lambda r: statistics.median(r[0]))
        comm = statistics.median(r.get("comm", 0.0) for r in rows[2:])
        m2 = statistics.median(two)
        print(f"{s} {label}: 2 ranks x {sys.argv[2]} thread(s) {m2 * 1000:.0f} ms/step -> speed-up x{m1 / m2:.2f}; "
              f"waiting in collectives {100 * comm:.1f}% of the step; rank 0 peak RSS {rows[-1]['peak_mem_gib']:.2f} GiB")
PY
