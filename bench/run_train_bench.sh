#!/usr/bin/env bash
# `oqvl train` vs the PyTorch reference loop (tools/train_reference.py: HF modules,
# torch.optim.AdamW, the same schedule, clipping, accumulation and batches) on CPU: the same
# random model (oqvl init), packed Fashion-MNIST rows and config, one after the other in one run.
# Prints the median step time of each (steps after the first two), the ratio, and the peak
# resident memory of each process; the losses must agree (the fidelity test's tolerance).
# Usage (repo root, after building): bash bench/run_train_bench.sh [build-dir] [threads] [steps]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
source "$(dirname "$0")/train_bench_data.sh"
BUILD=${1:-build} THREADS=${2:-2} STEPS=${3:-12}
oqvl=$(realpath "$BUILD/oqvl")
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
train_bench_data "$oqvl" "$THREADS"
cat > run.toml <<TOML
[run]
stage = "pretrain"
out = "run"
device = "cpu"
precision = "fp32"
[model]
path = "model"
image_tokens = 16
train_vision = true
[data]
manifest = "manifest.json"
context = 512
[optim]
lr = 1e-3
warmup_steps = 2
[batch]
global = 8
micro = 4
max_steps = $STEPS
TOML
python3 - "$oqvl" "$repo" "$THREADS" "$STEPS" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
oqvl, repo, threads, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)

def peak_of(cmd):
    """Runs cmd; returns its wall time and peak RSS in MB (a fresh child each, measured by wait4)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024

wall_o, mem_o = peak_of([oqvl, "train", "--config", "run.toml", "--quiet", "--threads", threads])
wall_r, mem_r = peak_of([sys.executable, f"{repo}/tools/train_reference.py", "run.toml", "--steps", str(steps),
                         "--out", "ref.json"])
ours = [json.loads(l) for l in open("run/metrics.jsonl")]
ref = json.load(open("ref.json"))
# oqvl logs elapsed_s cumulatively per step.
el = [o["elapsed_s"] for o in ours]
step_o = [b - a for a, b in zip([0.0] + el[:-1], el)][2:]
step_r = ref["step_seconds"][2:]
worst = max(abs(o["loss"] - r) / abs(r) for o, r in zip(ours, ref["losses"]))
mo, mr = statistics.median(step_o), statistics.median(step_r)
print(f"train step, CPU, {threads} thread(s), {steps} steps (median of steps 3..): "
      f"oqvl {mo * 1000:.0f} ms, PyTorch reference {mr * 1000:.0f} ms -> oqvl x{mr / mo:.2f}; "
      f"peak RSS oqvl {mem_o:.0f} MB, reference {mem_r:.0f} MB; whole process oqvl {wall_o:.1f} s, "
      f"reference {wall_r:.1f} s; worst loss relative difference {worst:.1e}")
PY
