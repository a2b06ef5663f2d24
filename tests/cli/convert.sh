#!/usr/bin/env bash
# `oqvl convert` end to end on the tiny Prismatic checkpoint of tools/make_prismatic_fixture.py:
# import (`prismatic`), `check`, `export-hf --part llm|vision`, then Hugging Face transformers loads
# the exported folders and must reproduce the reference model's logits / vision features
# (fixture expected.json). Also: exit code 2 and no output on bad input.
# Usage: bash convert.sh <oqvl-binary> <source-dir>
set -u
OQVL=$1
SRC=$2
FIX=$SRC/tests/fixtures/model/prismatic
source "$(dirname "$0")/lib.sh"
require_libtorch "$OQVL"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

import() {  # import OUT [extra flags]
  local out=$1; shift
  "$OQVL" convert prismatic --checkpoint "${CKPT:-$FIX/checkpoint.pt}" --run-config "$FIX/run_config.json" \
    --vision "$FIX/vision_timm.safetensors" --vision-config "$FIX/vision_config.json" \
    --llm-config "$FIX/llm_config.json" --bos-id 1 --pad-id 0 --eos-id 2 --out "$out" "$@"
}

if import "$WORK/model" --dtype f32 > "$WORK/import.log" 2>&1; then ok import; else bad import; cat "$WORK/import.log"; fi
if "$OQVL" convert check --model "$WORK/model" > "$WORK/check.txt" 2>&1 && grep -q '^ok$' "$WORK/check.txt" &&
   grep -q 'projector: *416 parameters' "$WORK/check.txt"; then ok check; else bad check; cat "$WORK/check.txt"; fi
"$OQVL" -q convert export-hf --model "$WORK/model" --part llm --out "$WORK/hf_llm" > /dev/null || bad export-llm
"$OQVL" -q convert export-hf --model "$WORK/model" --part vision --out "$WORK/hf_vision" > /dev/null 2>&1 || bad export-vision

# Bad input: exit 2, one error line, no output folder.
import "$WORK/model" > /dev/null 2> "$WORK/err.txt"; rc=$?
if [[ $rc == 2 ]] && grep -q "not empty" "$WORK/err.txt"; then ok refuse-existing; else bad "refuse-existing rc=$rc"; fi
"$OQVL" convert prismatic --checkpoint "$FIX/checkpoint.pt" --out "$WORK/novision" > /dev/null 2> "$WORK/err.txt"; rc=$?
if [[ $rc == 2 && ! -e $WORK/novision ]] && grep -q -- "--vision" "$WORK/err.txt"; then ok needs-vision
else bad "needs-vision rc=$rc"; cat "$WORK/err.txt"; fi
head -c 20000 "$FIX/checkpoint.pt" > "$WORK/trunc.pt"
CKPT=$WORK/trunc.pt import "$WORK/trunc_out" > /dev/null 2> "$WORK/err.txt"; rc=$?
if [[ $rc == 2 && ! -e $WORK/trunc_out ]] && grep -q "trunc.pt" "$WORK/err.txt"; then ok truncated; else bad "truncated rc=$rc"; fi
"$OQVL" convert check --model "$FIX" > /dev/null 2>&1; rc=$?
if [[ $rc == 2 ]]; then ok check-not-a-model; else bad "check-not-a-model rc=$rc"; fi

if ! python3 -c 'import transformers, torch' 2> /dev/null; then
  [[ $failures == 0 ]] || { echo "$failures failure(s)"; exit 1; }
  skip "the checks above passed; the Hugging Face load check needs transformers and torch in $OQVL_PYTHON"
fi
python3 - "$WORK" "$FIX" "$SRC/tools" <<'PY' || failures=$((failures + 1))
import json, sys
import torch
from transformers import AutoModelForCausalLM, SiglipVisionModel
work, fix = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from make_prismatic_fixture import pixels
expected = json.load(open(fix + "/expected.json"))
llm = AutoModelForCausalLM.from_pretrained(work + "/hf_llm", attn_implementation="eager").float().eval()
with torch.no_grad():
    logits = llm(input_ids=torch.tensor(expected["input_ids"])).logits
diff = (logits - torch.tensor(expected["logits"])).abs().max().item()
print(f"llm logits max |diff| = {diff:.3g}")
assert diff < 1e-5, diff
vision = SiglipVisionModel.from_pretrained(work + "/hf_vision").float().eval()
with torch.no_grad():
    hs = vision(pixel_values=pixels(), output_hidden_states=True).hidden_states
diff = (hs[-1] - torch.tensor(expected["vision_features"])).abs().max().item()
print(f"vision features max |diff| = {diff:.3g}")
assert diff < 1e-5, diff
print("ok   hf-load")
PY
[[ $failures == 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
