#!/usr/bin/env bash
# `oqvl train` vs the PyTorch reference loop (tools/train_reference.py: Hugging Face modules,
# torch.optim.AdamW, HF's cosine schedule, clip_grad_norm_, accumulation) on a tiny random model
# and packed Fashion-MNIST captions: the losses of the first 20 optimizer steps agree within 1e-5
# relative (fp32, CPU), and so do the weights after them. Pre-training (vision frozen), the full
# stage (vision trained too) and SFT (the paper's qwen2 template with its quirk; multi-turn,
# text-only and truncated conversations). Usage: train_fidelity.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL numpy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 5 >/dev/null
packed_demo "$oqvl" "$work" 600 300 160 7
# SFT conversations over the demo photos, extracted to a folder.
python3 - "$work" <<'PY'
import json, os, random, sys, tarfile
work = sys.argv[1]
os.makedirs(f"{work}/sft-images", exist_ok=True)
rng = random.Random(5)
out = open(f"{work}/sft.jsonl", "w")
with tarfile.open(f"{work}/demo/train/00000.tar") as tar:
    members = [m for m in tar.getmembers() if m.name.endswith(".jpg")][:120]
    for i, m in enumerate(members):
        with open(f"{work}/sft-images/{os.path.basename(m.name)}", "wb") as f:
            f.write(tar.extractfile(m).read())
        kind = i % 4
        q = rng.choice(["What is shown?", "Describe the item.", "Which class is this?"])
        a = " ".join(rng.choice(["a", "shoe", "bag", "red", "photo", "item", "the"]) for _ in range(rng.randint(1, 9)))
        if kind == 0:
            conv = [{"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": a}]
        elif kind == 1:  # two rounds, the image at the end of the first question
            conv = [{"from": "human", "value": q + "\n<image>"}, {"from": "gpt", "value": a},
                    {"from": "human", "value": "And its colour?"}, {"from": "gpt", "value": "grey"}]
        elif kind == 2:  # text-only
            conv = [{"from": "human", "value": q}, {"from": "gpt", "value": a}]
        else:  # long: cut at the context
            conv = [{"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": " ".join([a] * 30)}]
        sample = {"id": str(i), "conversations": conv}
        if kind != 2:
            sample["image"] = os.path.basename(m.name)
        out.write(json.dumps(sample) + "\n")
PY
for stage in pretrain full sft; do
  cat > "$work/$stage.toml" <<TOML
[run]
stage = "$stage"
out = "run-$stage"
device = "cpu"
precision = "fp32"
[model]
path = "model"
image_tokens = 16
[data]
manifest = "manifest.json"
sft = "sft.jsonl"
images = "sft-images"
context = 160
[optim]
lr = 2e-3
weight_decay = 0.05
warmup_steps = 4
clip = 1.0
[batch]
global = 4
micro = 2
max_steps = 20
TOML
  "$oqvl" train --config "$work/$stage.toml" --quiet
  if [ "$stage" = full ]; then  # activation checkpointing recomputes, it must not change the math
    (cd "$work" && "$oqvl" train --config full.toml --set run.out=run-full-ckpt \
       --set model.activation_checkpointing=true --quiet)
  fi
  python3 "$repo/tools/train_reference.py" "$work/$stage.toml" --steps 20 --out "$work/ref-$stage.json" \
    --weights "$work/ref-$stage.safetensors"
  python3 - "$work" "$stage" <<'PY'
import json, sys
from safetensors.torch import load_file
work, stage = sys.argv[1], sys.argv[2]
ours = [json.loads(l) for l in open(f"{work}/run-{stage}/metrics.jsonl")]
ref = json.load(open(f"{work}/ref-{stage}.json"))
assert len(ours) == 20, len(ours)
worst = 0.0
for i, (o, r) in enumerate(zip(ours, ref["losses"])):
    rel = abs(o["loss"] - r) / abs(r)
    worst = max(worst, rel)
    assert rel < 1e-5, f"{stage} step {i + 1}: loss {o['loss']} vs reference {r} (relative {rel:.2e})"
    assert abs(o["lr"] - ref["lrs"][i]) <= 1e-12 * max(1.0, abs(ref["lrs"][i])), (i, o["lr"], ref["lrs"][i])
    gn = abs(o["grad_norm"] - ref["grad_norms"][i]) / ref["grad_norms"][i]
    assert gn < 1e-4, f"step {i + 1}: grad norm {o['grad_norm']} vs {ref['grad_norms'][i]}"
assert ours[-1]["loss"] < ours[0]["loss"], "the loss did not go down"
w_ours = load_file(f"{work}/run-{stage}/checkpoints/step-00000020/model.safetensors")
w_ref = load_file(f"{work}/ref-{stage}.safetensors")
worst_w = 0.0
for name, t in w_ref.items():
    if name not in w_ours:
        continue  # vision blocks past the feature layer: never run, never trained
    d = ((w_ours[name].double() - t.double()).norm() / max(t.double().norm(), 1e-12)).item()
    if name.endswith("k_proj.bias"):
        # A key bias shifts every score of a query by the same amount, so its exact gradient is
        # zero: both sides get round-off, which Adam's normalisation turns into lr-sized steps of
        # either sign. Only a loose bound is meaningful for it.
        assert d < 1e-3, f"{stage}: weight {name} differs by {d:.2e} (relative L2)"
        continue
    worst_w = max(worst_w, d)
    assert d < 1e-5, f"{stage}: weight {name} differs by {d:.2e} (relative L2)"
if stage == "full":
    ckpt = [json.loads(l)["loss"] for l in open(f"{work}/run-full-ckpt/metrics.jsonl")]
    worst_ckpt = max(abs(a - b["loss"]) / abs(b["loss"]) for a, b in zip(ckpt, ours))
    assert len(ckpt) == 20 and worst_ckpt < 1e-6, f"activation checkpointing changed the losses ({worst_ckpt:.2e})"
    print(f"train fidelity full with activation checkpointing: losses within {worst_ckpt:.1e} of without")
print(f"train fidelity {stage}: 20 steps, loss {ours[0]['loss']:.4f} -> {ours[-1]['loss']:.4f}, "
      f"worst loss relative error {worst:.2e}, worst weight relative L2 error {worst_w:.2e}")
PY
done
