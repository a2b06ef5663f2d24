#!/usr/bin/env bash
# Full-size SigLIP-so400m + Qwen2.5-1.5B forward parity with Hugging Face (random weights);
# tools/check_fullsize.py writes the weights and reference outputs, then runs FullSize.* tests.
# Usage: fullsize.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
tests_bin="$(dirname "$oqvl")/tests/oqvl_model_tests"
[ -x "$tests_bin" ] || skip "$tests_bin not built (libtorch builds only)"
require_python_modules transformers safetensors
require_skimage_data
avail_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
[ "$avail_kb" -ge 12000000 ] || skip "needs ~12 GB free memory, $((avail_kb / 1024)) MB available"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/check_fullsize.py" "$tests_bin" "$work"
