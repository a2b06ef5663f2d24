#!/usr/bin/env bash
# Data-parallel training on CPU over Gloo (docs/distributed.md): `oqvl launch --nproc 2` vs one
# process with the same global batch (8 rows: 4 micro-batches of 2 on one rank, 2 on each of two):
# the losses of 10 steps and the final weights agree within 1e-6 relative; a 2-rank run stopped
# after 5 steps and resumed at 2 ranks equals the straight 2-rank run bit for bit, and resumed at 1
# rank continues it within 1e-6; a rank killed mid-run (SIGKILL) makes `oqvl launch` exit non-zero
# naming it, and, without the launcher, makes the surviving rank exit non-zero with a message; a
# hung rank makes the other fail after dist.timeout_s; buckets all-reduced inside backward (the
# default dist.overlap) give the bits of one all-reduce after it. Usage: train_ddp.sh OQVL REPO
set -uo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules safetensors numpy
work=$(mktemp -d)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

dist_packed_run "$oqvl" "$repo" "$work"
cd "$work"
T="--threads 1"
"$oqvl" train --config run.toml --set run.out=one --quiet $T > one.log 2>&1 || { bad "one-rank run"; cat one.log; }
if "$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=two --quiet $T > two.log 2>&1; then
  ok two-ranks
else bad two-ranks; cat two.log; fi
# dist.overlap=false (one blocking all-reduce after backward) gives the overlapped run's bits.
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=block --set dist.overlap=false --quiet $T \
  > block.log 2>&1 || { bad "blocking all-reduce"; cat block.log; }
if same_training two block; then ok "overlapped = blocking all-reduce, bit for bit"; else bad "overlap changes bits"; fi
# torchrun sets the same variables: the same 2-rank run, bit for bit.
losses() { python3 -c 'import json,sys; print([json.loads(l)["loss"] for l in open(sys.argv[1])])' "$1/metrics.jsonl"; }
if python3 -m torch.distributed.run --standalone --no-python --nproc-per-node 2 "$oqvl" train --config run.toml \
     --set run.out=torchrun --quiet $T > tr.log 2>&1 && [[ "$(losses torchrun)" == "$(losses two)" ]]; then
  ok torchrun
else bad torchrun; tail -5 tr.log; fi
# Stopped after 5 steps, resumed at 2 ranks and at 1 rank.
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=stop2 --quiet --stop-after 5 $T > s.log 2>&1 ||
  { bad stop; cat s.log; }
cp -r stop2 stop1
"$oqvl" launch --nproc 2 -- oqvl train --config run.toml --set run.out=stop2 --quiet --resume $T > r2.log 2>&1 ||
  { bad resume-2; cat r2.log; }
"$oqvl" train --config run.toml --set run.out=stop1 --quiet --resume $T > r1.log 2>&1 || { bad resume-1; cat r1.log; }

if python3 - > agree.txt 2>&1 <<'PY'
import json, sys
import numpy as np
from safetensors.numpy import load_file
def losses(run):
    by = {}
    for line in open(f"{run}/metrics.jsonl"):
        j = json.loads(line); by[j["step"]] = j["loss"]
    return [by[s] for s in sorted(by)]
def weights(run):
    return load_file(f"{run}/checkpoints/step-00000010/model.safetensors")
def rel(a, b):
    return max(abs(x - y) / abs(x) for x, y in zip(a, b))
def wrel(a, b):
    worst = 0.0
    for k in a:
        d = float(np.linalg.norm(a[k].astype(np.float64) - b[k]) / max(np.linalg.norm(a[k].astype(np.float64)), 1e-30))
        if k.endswith("k_proj.bias"):
            # A key bias shifts every score of a query equally: its exact gradient is zero, both
            # sides get round-off, and Adam turns that into lr-sized steps (train_fidelity.sh too).
            if d > 1e-3: errors.append(f"{k} differs by {d:.2e}")
            continue
        worst = max(worst, d)
    return worst
errors = []
one, two, s2, s1 = (losses(r) for r in ("one", "two", "stop2", "stop1"))
if not (len(one) == len(two) == len(s2) == len(s1) == 10): errors.append(f"step counts {len(one)} {len(two)} {len(s2)} {len(s1)}")
l12, w12 = rel(one, two), wrel(weights("one"), weights("two"))
if l12 > 1e-6 or w12 > 1e-6: errors.append(f"1 vs 2 ranks: loss {l12:.2e} weights {w12:.2e}")
if s2 != two: errors.append("2-rank resume is not bit-exact")
wa, wb = weights("two"), weights("stop2")
if any(not (wa[k] == wb[k]).all() for k in wa): errors.append("2-rank resume weights differ")
l21, w21 = rel(two, s1), wrel(weights("two"), weights("stop1"))
if l21 > 1e-6 or w21 > 1e-6: errors.append(f"2 -> 1 rank resume: loss {l21:.2e} weights {w21:.2e}")
if one[-1] >= one[0]: errors.append(f"loss did not fall: {one[0]} -> {one[-1]}")
print("; ".join(errors) if errors else
      f"1 vs 2 ranks: loss {l12:.1e}, weights {w12:.1e}; resume 2->2 bit-exact; 2->1 loss {l21:.1e}, weights {w21:.1e}")
sys.exit(1 if errors else 0)
PY
then ok "agreement: $(cat agree.txt)"; else bad "agreement: $(cat agree.txt)"; fi

# A rank killed at step 3 under the launcher: non-zero exit naming rank 1, nothing hangs.
start=$(date +%s)
if OQVL_FAULT_RANK=kill:1:3 timeout 120 "$oqvl" launch --nproc 2 --grace 5 -- oqvl train --config run.toml \
   --set run.out=killed --quiet $T > k.log 2>&1; then bad "launch-kill: exit 0"
elif grep -q "rank 1 of 2 was killed by signal 9" k.log; then ok "launch-kill ($(( $(date +%s) - start )) s)"
else bad launch-kill; cat k.log; fi

# Without the launcher: two processes with torchrun's variables; rank 1 dies, rank 0 must fail.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rank() {  # rank R OUT [env...]
  local r=$1 out=$2; shift 2
  env RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" \
    "$oqvl" train --config run.toml --set run.out=$out --set dist.timeout_s=10 --quiet $T
}
rank 0 bare > r0.log 2>&1 & p0=$!; pids+=($p0)
rank 1 bare OQVL_FAULT_RANK=kill:1:3 > r1.log 2>&1 & p1=$!; pids+=($p1)
wait $p0; rc0=$?
if [[ $rc0 != 0 ]] && grep -q "\[rank 0\] oqvl: error: rank 0: " r0.log; then ok "peer-dies (rank 0 exit $rc0)"
else bad "peer-dies rc=$rc0"; cat r0.log; fi
wait $p1 2>/dev/null

# A hung rank: the other fails after dist.timeout_s (10 s) with a message naming the timeout.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s)
rank 0 hung > h0.log 2>&1 & p0=$!; pids+=($p0)
rank 1 hung OQVL_FAULT_RANK=hang:1:3 > h1.log 2>&1 & p1=$!; pids+=($p1)
wait $p0; rc0=$?
took=$(( $(date +%s) - start ))
{ kill -9 $p1; wait $p1; } 2>/dev/null
if [[ $rc0 != 0 ]] && grep -q "timeout" h0.log && (( took < 100 )); then ok "peer-hangs (rank 0 exit $rc0 after $took s)"
else bad "peer-hangs rc=$rc0 took=$took"; cat h0.log; fi

[[ $failures == 0 ]] && echo "all ok" || echo "$failures failed"
exit $((failures > 0))
