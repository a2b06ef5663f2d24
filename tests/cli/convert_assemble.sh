#!/usr/bin/env bash
# `oqvl convert assemble` on the tiny save_pretrained folders of tools/make_assemble_fixture.py (a
# sharded Qwen2ForCausalLM, a whole SiglipModel with preprocessor_config.json): every LLM and vision
# tensor equals its source, the projector's bytes equal PyTorch's seeded uniform draws (nn.Linear's
# bound 1/sqrt(fan_in)), config from both folders (erf GELU by default, the processor's mean/std), the
# same seed gives the same file, `convert check` passes, and bad input exits 2 with nothing written.
# Usage: bash convert_assemble.sh <oqvl-binary> <source-dir>
set -u
OQVL=$1
SRC=$2
FIX=$SRC/tests/fixtures/model/assemble
source "$(dirname "$0")/lib.sh"
require_libtorch "$OQVL"
require_python_modules torch safetensors
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

assemble() {  # assemble OUT [extra flags]
  local out=$1; shift
  "$OQVL" convert assemble --llm "$FIX/qwen2" --vision "$FIX/siglip" --bos-id 2 --pad-id 0 --eos-id 1 \
    --out "$out" "$@"
}

if assemble "$WORK/a" --image-tokens 36 --seed 11 --dtype f32 > "$WORK/log" 2>&1; then ok assemble
else bad assemble; cat "$WORK/log"; fi
# Projector Linear(8,16) + Linear(16,16) = 144 + 272 = 416 parameters.
if "$OQVL" convert check --model "$WORK/a" > "$WORK/check.txt" 2>&1 && grep -q '^ok$' "$WORK/check.txt" &&
   grep -q 'projector: *416 parameters  (36 image tokens' "$WORK/check.txt"; then ok check
else bad check; cat "$WORK/check.txt"; fi

if python3 - "$WORK/a" "$FIX" 11 > "$WORK/py.txt" 2>&1 <<'PY'
import json, math, sys
from pathlib import Path
import torch
from safetensors.torch import load_file
out, fix, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
got = load_file(out / "model.safetensors")
llm = {}
for f in sorted((fix / "qwen2").glob("model-*.safetensors")):
    llm.update(load_file(f))
sig = load_file(fix / "siglip" / "model.safetensors")
errors = []
def same(name, want):
    if name not in got: errors.append(f"missing {name}")
    elif got[name].dtype != torch.float32 or not torch.equal(got[name], want.float()): errors.append(f"differs {name}")
for k, v in llm.items():
    same("language_model." + k, v)
# Feature layer -2 of 3 blocks: the embeddings and blocks 0-1 run; block 2, post_layernorm, head do not.
vis = {k: v for k, v in sig.items() if k.startswith("vision_model.embeddings.") or
       any(k.startswith(f"vision_model.encoder.layers.{i}.") for i in (0, 1))}
for k, v in vis.items():
    same("vision_tower." + k, v)
g = torch.Generator().manual_seed(seed)
for name, shape in (("0.weight", (16, 8)), ("0.bias", (16,)), ("2.weight", (16, 16)), ("2.bias", (16,))):
    b = 1 / math.sqrt(8 if name.startswith("0.") else 16)
    same("projector.mlp_projector." + name, torch.empty(shape).uniform_(-b, b, generator=g))
expected = len(llm) + len(vis) + 4
if len(got) != expected: errors.append(f"{len(got)} tensors, expected {expected}")
cfg = json.loads((out / "config.json").read_text())
checks = {"hidden_act": cfg["vision_config"]["hidden_act"] == "gelu",
          "mean": abs(cfg["image_processor"]["image_mean"][0] - 0.48145466) < 1e-6,
          "std": abs(cfg["image_processor"]["image_std"][2] - 0.27577711) < 1e-6,
          "tokens": cfg["projector"]["image_tokens"] == 36,
          "llm": cfg["text_config"]["hidden_size"] == 16 and cfg["text_config"]["tie_word_embeddings"],
          "special": cfg["special_tokens"]["bos"] == 2 and cfg["special_tokens"]["eos"] == 1}
errors += [f"config {k}" for k, v in checks.items() if not v]
print("\n".join(errors) if errors else f"{len(got)} tensors equal")
sys.exit(1 if errors else 0)
PY
then ok "tensors: $(tail -1 "$WORK/py.txt")"; else bad tensors; cat "$WORK/py.txt"; fi

assemble "$WORK/b" --image-tokens 36 --seed 11 --dtype f32 > /dev/null 2>&1
cmp -s "$WORK/a/model.safetensors" "$WORK/b/model.safetensors" && ok same-seed-same-bytes || bad same-seed-same-bytes
# Defaults: 144 tokens (all 12x12 patches), bf16, seed 7; --vision-gelu config keeps HF's tanh.
if assemble "$WORK/c" --vision-gelu config > /dev/null 2>&1 &&
   grep -q '"gelu_pytorch_tanh"' "$WORK/c/config.json" && grep -q '"image_tokens": 144' "$WORK/c/config.json" &&
   "$OQVL" convert check --model "$WORK/c" | grep -q 'dtype BFloat16'; then ok defaults
else bad defaults; cat "$WORK/c/config.json" 2>/dev/null | head -30; fi

mkdir -p "$WORK/tok"
cp "$FIX"/qwen2/* "$WORK/tok/"
echo '{"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}' > "$WORK/tok/tokenizer.json"
"$OQVL" convert assemble --llm "$WORK/tok" --vision "$FIX/siglip" --bos-id 2 --pad-id 0 --eos-id 1 \
  --out "$WORK/d" > /dev/null 2>&1
cmp -s "$WORK/tok/tokenizer.json" "$WORK/d/tokenizer.json" && ok copies-tokenizer || bad copies-tokenizer

expect_error() {  # expect_error NAME PATTERN ARGS...: exit 2, the message, nothing written
  local name=$1 pattern=$2; shift 2
  "$OQVL" convert assemble "$@" --out "$WORK/err_$name" > /dev/null 2> "$WORK/err.txt"; local rc=$?
  if [[ $rc == 2 && ! -e $WORK/err_$name ]] && grep -q -- "$pattern" "$WORK/err.txt"; then ok "rejects-$name"
  else bad "rejects-$name rc=$rc"; cat "$WORK/err.txt"; fi
}
expect_error not-square "square" --llm "$FIX/qwen2" --vision "$FIX/siglip" --image-tokens 37 --bos-id 2 --pad-id 0 --eos-id 1
expect_error missing-llm "is not a folder" --llm "$WORK/missing" --vision "$FIX/siglip"
mkdir -p "$WORK/empty"
expect_error no-llm-config "has no config.json" --llm "$WORK/empty" --vision "$FIX/siglip"
mkdir -p "$WORK/noweights"
cp "$FIX/qwen2/config.json" "$WORK/noweights/"
expect_error no-weights "holds no model.safetensors" --llm "$WORK/noweights" --vision "$FIX/siglip" --bos-id 2 --pad-id 0 --eos-id 1
expect_error swapped "swapped" --llm "$FIX/siglip" --vision "$FIX/qwen2"

[[ $failures == 0 ]] && echo "all ok" || echo "$failures failed"
exit $((failures > 0))
