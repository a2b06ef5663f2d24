#!/usr/bin/env bash
# `oqvl convert llava` end to end on the tiny LLaVA folder of tools/make_llava_fixture.py: import with the
# vision tower inside and from a separate HF SigLIP folder, `convert check` on both, and exit code 2 with
# no output for an unsupported projector type and for missing vision weights.
# Usage: bash convert_llava.sh <oqvl-binary> <source-dir>
set -u
OQVL=$1
SRC=$2
FIX=$SRC/tests/fixtures/model/llava
source "$(dirname "$0")/lib.sh"
# (`oqvl convert --help` succeeds in every build: the parent app answers it.)
require_libtorch "$OQVL"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

import() {  # import CHECKPOINT OUT [extra flags]
  local ckpt=$1 out=$2; shift 2
  "$OQVL" convert llava --checkpoint "$ckpt" --vision-config "$FIX/siglip/config.json" \
    --bos-id 2 --pad-id 0 --eos-id 1 --out "$out" "$@"
}

for variant in with_vision no_vision; do
  extra=()
  [[ $variant == no_vision ]] && extra=(--vision "$FIX/siglip")
  if import "$FIX/$variant" "$WORK/$variant" --dtype f32 "${extra[@]}" > "$WORK/import.log" 2>&1 &&
     grep -q "image_aspect_ratio is 'pad'" "$WORK/import.log"; then ok "import-$variant"
  else bad "import-$variant"; cat "$WORK/import.log"; fi
  # The projector is Linear(8,16) + Linear(16,16) = 144 + 272 = 416 parameters.
  if "$OQVL" convert check --model "$WORK/$variant" > "$WORK/check.txt" 2>&1 && grep -q '^ok$' "$WORK/check.txt" &&
     grep -q 'projector: *416 parameters  (144 image tokens, llava-mlp2x_gelu)' "$WORK/check.txt"; then
    ok "check-$variant"
  else bad "check-$variant"; cat "$WORK/check.txt"; fi
done
cmp -s "$WORK/with_vision/model.safetensors" "$WORK/no_vision/model.safetensors" && ok same-folder ||
  bad "same-folder: the two variants differ"

mkdir "$WORK/linear"
cp "$FIX/no_vision/model.safetensors" "$WORK/linear/"
sed 's/"mlp2x_gelu"/"linear"/' "$FIX/no_vision/config.json" > "$WORK/linear/config.json"
import "$WORK/linear" "$WORK/out_linear" --vision "$FIX/siglip" > /dev/null 2> "$WORK/err.txt"; rc=$?
if [[ $rc == 2 && ! -e $WORK/out_linear ]] && grep -q "mm_projector_type 'linear'" "$WORK/err.txt"; then
  ok rejects-linear
else bad "rejects-linear rc=$rc"; cat "$WORK/err.txt"; fi
import "$FIX/no_vision" "$WORK/out_novision" > /dev/null 2> "$WORK/err.txt"; rc=$?
if [[ $rc == 2 && ! -e $WORK/out_novision ]] && grep -q -- "--vision" "$WORK/err.txt"; then ok needs-vision
else bad "needs-vision rc=$rc"; cat "$WORK/err.txt"; fi

[[ $failures == 0 ]] && echo "all ok" || echo "$failures failed"
exit $((failures > 0))
