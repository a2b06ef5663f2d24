#!/usr/bin/env bash
# `oqvl init`: a valid model folder from each small preset, same seed = same bytes, another seed
# = other weights, --set reaches config.json, and bad presets / keys / values are one clear error
# with nothing written. Usage: init.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$oqvl" -q init --preset tiny --seed 3 --out "$work/a"
"$oqvl" -q init --preset tiny --seed 3 --out "$work/b"
"$oqvl" -q init --preset tiny --seed 4 --out "$work/c"
cmp -s "$work/a/model.safetensors" "$work/b/model.safetensors" || { echo "same seed, other bytes"; exit 1; }
! cmp -s "$work/a/model.safetensors" "$work/c/model.safetensors" || { echo "another seed, same bytes"; exit 1; }
"$oqvl" convert check --model "$work/a" | grep -q '^ok$'
"$oqvl" -q init --preset demo --seed 0 --out "$work/d" --set text_config.num_hidden_layers=3 \
  --set vision_config.image_size=32
grep -q '"num_hidden_layers": 3' "$work/d/config.json"
grep -q '"size": 32' "$work/d/config.json"  # the image processor follows the vision size
"$oqvl" convert check --model "$work/d" | grep -q '^ok$'
for bad in "--preset huge" "--set text_config.nope=1" "--set text_config.hidden_size=1.5" \
           "--set text_config.hidden_size=abc"; do
  if "$oqvl" -q init $bad --out "$work/bad" 2> "$work/err.txt"; then echo "accepted: $bad"; exit 1; fi
  [ "$(wc -l < "$work/err.txt")" = 1 ] && grep -q '^oqvl: error: ' "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
  [ ! -e "$work/bad" ] || { echo "wrote a folder for: $bad"; exit 1; }
done
if "$oqvl" -q init --preset tiny --out "$work/a" 2>/dev/null; then echo "overwrote without --overwrite"; exit 1; fi
# An output under a regular file: the system's refusal is one error line and exit 2, not an
# internal error (exit 1).
echo x > "$work/file"
set +e
"$oqvl" -q init --out "$work/file/m" 2> "$work/err.txt"; rc=$?
set -e
[ "$rc" = 2 ] && [ "$(wc -l < "$work/err.txt")" = 1 ] && grep -q "^oqvl: error: .*Not a directory" "$work/err.txt" ||
  { echo "rc=$rc"; cat "$work/err.txt"; exit 1; }
echo "init: presets valid, seeded, overrides applied, bad input refused"
