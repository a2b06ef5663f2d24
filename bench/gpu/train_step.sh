#!/usr/bin/env bash
# The full-size pre-training step on the GPU machine (H100/H200, torch 2.11 cu130), beside the
# PyTorch reference (../shared/bench/torch_baseline.py, eager and --compile) in one call:
# tokens/s, MFU (the baseline's FLOP formula, so the ratio of tokens/s is the ratio of MFU) and
# peak memory of each. oqvl runs Open-Qwen2VL's shapes (oqvl init --preset 1.5b, random weights:
# throughput does not depend on them) on packed 4096-position rows of demo photos, 144 tokens per
# image, bf16 autocast with fp32 master weights, vision frozen, micro-batch 4, plain causal.
# Prepare here first: bash bench/gpu/prepare.sh; then, with the device tool:
#   run(command="bash bench/gpu/train_step.sh", carry=[".gpu-carry"], timeout_s=480)
# Results go to stdout and $OUT/ (metrics, logs). Target (issue): >= 1.3x the compiled
# reference's tokens/s at no more memory.
set -uo pipefail
cd "$(dirname "$0")/../.."
carry=$PWD/.gpu-carry
out=${OUT:-/tmp/oqvl-gpu-out}; mkdir -p "$out"
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$carry/lib:$torch_lib:${LD_LIBRARY_PATH:-}"
oqvl="$carry/bin/oqvl"
work=$(mktemp -d)
nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.max.sm --format=csv | tee "$out/gpu.txt"
"$oqvl" version | tee "$out/version.txt" || { echo "oqvl does not start here (see above)"; exit 1; }
# Data: demo photos (upscaled to 384 by the SigLIP preprocessing), packed into 4096-position rows.
"$oqvl" -q data make-demo --out "$work/demo" --train-samples 3000 --test-samples 10 --threads 16 \
  --source "${OQVL_FASHION_MNIST:-$carry/fashion-mnist}" > "$out/data.log" 2>&1 || echo "make-demo failed (is $carry/fashion-mnist there?)"
"$oqvl" -q data pack "$work/demo/train/*.tar" --out "$work/packed" --context 4096 --image-tokens 144 \
  --tokenizer assets/qwen2-tokenizer/tokenizer.json --threads 16 >> "$out/data.log" 2>&1
"$oqvl" -q data mix --source "demo=$work/packed/*.tar" --seed 7 --out "$work/manifest.json" >> "$out/data.log" 2>&1
"$oqvl" -q init --preset 1.5b --seed 0 --dtype bf16 --out "$work/model" > "$out/init.log" 2>&1
run_oqvl() {  # name, extra --set flags (LAUNCH="oqvl launch --nproc 1 --": one NCCL rank)
  local name=$1; shift
  timeout 200 ${LAUNCH:-} "$oqvl" train --config configs/pretrain-1.5b.toml --set run.out="$work/run-$name" \
    --set model.path="$work/model" --set data.manifest="$work/manifest.json" --set batch.global=8 \
    --set batch.micro=4 --set batch.max_steps=10 --set log.every=1 --set checkpoint.every=0 "$@" \
    > "$out/oqvl-$name.log" 2>&1
  cp "$work/run-$name/metrics.jsonl" "$out/oqvl-$name.metrics.jsonl" 2>/dev/null
  python3 - "$work/run-$name/metrics.jsonl" "$name" <<'PY'
import json, statistics, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    print(f"RESULT oqvl {sys.argv[2]} FAILED (see its log)"); sys.exit()
el = [r["elapsed_s"] for r in rows]
steps = [b - a for a, b in zip([0.0] + el[:-1], el)][3:]  # after 3 warm-up steps
toks = statistics.median(r["tokens"] for r in rows)  # valid positions per step (8 packed rows)
dt = statistics.median(steps)
print(f"RESULT oqvl {sys.argv[2]} tokens_per_s={toks / dt:.0f} step_s={dt:.3f} fill={toks / (8 * 4096):.3f} "
      f"peak_mem_GiB={max(r.get('peak_mem_gib', 0) for r in rows):.1f}")
PY
}
run_oqvl ckpt-off --set model.activation_checkpointing=false
run_oqvl ckpt-on --set model.activation_checkpointing=true
# Issue 11: each strategy as one NCCL rank (a real process group of size 1 under the launcher):
# the same step as ckpt-on, plus the collectives' overhead (metrics' `comm` share).
for s in ddp zero2 full_shard; do
  LAUNCH="$oqvl launch --nproc 1 --" run_oqvl nccl1-$s --set model.activation_checkpointing=true --set dist.strategy=$s
done
timeout 150 python3 "$carry/torch_baseline.py" --micro-batch 4 2>&1 | tee "$out/baseline-eager.log" | grep RESULT
timeout 200 python3 "$carry/torch_baseline.py" --compile --micro-batch 4 2>&1 | tee "$out/baseline-compile.log" | grep RESULT
grep -h RESULT "$out"/*.log 2>/dev/null | sort -u
