#!/usr/bin/env bash
# `oqvl train --dry-run` on the paper's pre-training config (no model folder or data needed): the
# planned model is Open-Qwen2VL's (LLM 1,543,714,304 parameters = spec 5.3), and every number of the
# JSON plan at 1, 8 and 64 ranks equals the formula of docs/distributed.md recomputed here; the
# table prints; the blocking / bf16-reduce / fp32-vision variant follows its formula too; a bad
# --mfu is one clear error. Usage: train_dry_run.sh OQVL REPO
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cfg="$repo/configs/pretrain-1.5b.toml"
"$oqvl" -q train --config "$cfg" --dry-run --json --ranks 1,8,64 --mfu 0.4 > "$work/plan.json"
"$oqvl" -q train --config "$cfg" --dry-run --json --ranks 8 --set dist.overlap=false --set dist.reduce_dtype=bf16 \
  --set model.frozen_vision_dtype=fp32 > "$work/blocking.json"
"$oqvl" -q train --config "$cfg" --dry-run > "$work/table.txt"
grep -q "ranks strategy" "$work/table.txt" && grep -q "GPU-hours" "$work/table.txt"
if "$oqvl" -q train --config "$cfg" --dry-run --mfu 2 2> "$work/err.txt"; then echo "--mfu 2 accepted"; exit 1; fi
grep -q -- "--mfu" "$work/err.txt"
python3 - "$work/plan.json" "$work/blocking.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["llm"] == 1_543_714_304, p["llm"]
T = p["projector"] + p["llm"]  # pretrain: vision frozen
F = p["vision"]
assert (p["trainable"], p["frozen"]) == (T, F)
B, S, H, I, L = p["micro_batch"], p["context"], p["hidden"], p["intermediate"], p["layers"]
assert (p["global_batch"], S, H, I, L) == (256, 4096, 1536, 8960, 28)
peak = 2 * B * S * (6 * H + 3 * I)
act = (2 * B * S * H * L + peak if p["activation_checkpointing"] else L * peak) + 4 * B * S * 256
fpt = 6 * T + 6 * L * H * S
assert abs(p["flops_per_token"] - fpt) <= 1e-9 * fpt
assert abs(p["gpu_hours"] - 5e9 * fpt / (0.4 * 989e12) / 3600) < 1e-6 * p["gpu_hours"]
assert p["tokens_per_step"] == 256 * 4096
seen = 0
# The formula of docs/distributed.md (memory_plan.h), for the config's defaults: overlap on, fp32
# reductions, the frozen vision tower in bf16.
assert (p["overlap"], p["reduce_bytes"], p["frozen_vision_bytes"]) == (True, 4, 2), p
Lt = p["largest_layer"]
R = T - L * Lt
assert (p["root"], p["layer_trainable"]) == (R, Lt)
r, frozen = 4, 2 * F
for r_ in p["plans"]:
    W, s = r_["ranks"], r_["strategy"]
    G = {"ddp": 1, "zero2": W, "full_shard": W, "hybrid": min(W, 8)}[s]
    assert r_["shard"] == G, r_
    if s == "ddp":
        want = (4 * T + frozen, 4 * T, 8 * T)
    elif s == "zero2":
        want = (4 * T + 4 * T / G + frozen, 4 * T / G + 4 * R + r * (R + 5 * Lt), 8 * T / G)
    else:
        want = (4 * T / G + 4 * (R + 2 * Lt) + frozen, 4 * T / G + 4 * (R + Lt) + r * (R + 4 * Lt), 8 * T / G)
    for key, w in zip(("params", "grads", "optimizer"), want):
        assert abs(r_[key] - w) <= 1e-9 * w, (s, W, key, r_[key], w)
    assert abs(r_["activations"] - act) <= 1e-9 * act
    assert r_["accumulation"] == (256 // (B * W) if 256 % (B * W) == 0 else 0)
    seen += 1
assert seen == 12, seen
# Blocking collectives, bf16 reductions, an fp32 frozen tower.
q = json.load(open(sys.argv[2]))
assert (q["overlap"], q["reduce_bytes"], q["frozen_vision_bytes"]) == (False, 2, 4), q
for r_ in q["plans"]:
    G, s = r_["shard"], r_["strategy"]
    want = {"ddp": (4 * T + 4 * F, 4 * T + 2 * T),
            "zero2": (4 * T + 4 * T / G + 4 * F, 4 * T / G + 4 * R + 2 * (R + Lt)),
            "full_shard": (4 * T / G + 4 * (R + Lt) + 4 * F, 4 * T / G + 4 * (R + Lt) + 2 * max(R, Lt))}
    w = want.get(s, want["full_shard"])
    for key, v in zip(("params", "grads"), w):
        assert abs(r_[key] - v) <= 1e-9 * v, (s, key, r_[key], v)
print(f"dry run: 12 plans match the formula; {p['gpu_hours']:.0f} GPU-hours for 5e9 tokens at 40% MFU")
PY
