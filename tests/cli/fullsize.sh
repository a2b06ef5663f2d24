#!/usr/bin/env bash
# Full-size SigLIP-so400m + Qwen2.5-1.5B forward parity with Hugging Face (random weights);
# tools/check_fullsize.py writes the weights and reference outputs, then runs FullSize.* tests.
# Usage: fullsize.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
tests_bin="$(dirname "$oqvl")/tests/oqvl_model_tests"
[ -x "$tests_bin" ] || { echo "fullsize: $tests_bin not built; skipping"; exit 0; }
python3 -c 'import transformers, safetensors' 2>/dev/null || { echo "fullsize: no transformers; skipping"; exit 0; }
avail_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
if [ "$avail_kb" -lt 12000000 ]; then echo "fullsize: needs ~12 GB free memory; skipping"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/check_fullsize.py" "$tests_bin" "$work"
