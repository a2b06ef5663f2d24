#!/usr/bin/env bash
# The oqvl executable loads libtorch only for the commands that run models: `data ...`,
# `tokenize` and `plot` never map libtorch (checked with the dynamic loader's own trace),
# `version` does in a libtorch build; without liboqvl_model_commands.so beside it, the data commands still work and
# a model command says what is missing.
# Usage: startup.sh <oqvl-binary> <source-dir>
set -euo pipefail
oqvl=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

loaded() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c 'file=.*libtorch' || true; }

[ "$(loaded "$oqvl" tokenize -- hi)" = 0 ] || fail "oqvl tokenize loaded libtorch"
[ "$(loaded "$oqvl" data --help)" = 0 ] || fail "oqvl data --help loaded libtorch"
[ "$(loaded "$oqvl" plot --help)" = 0 ] || fail "oqvl plot --help loaded libtorch"
"$oqvl" tokenize -- hi | grep -qx '\[6023\]' || fail "tokenize output"

if ! "$oqvl" version | grep -q '^libtorch [0-9]'; then
  echo "startup: oqvl built without libtorch; the model-library checks are skipped"
  exit 77
fi
[ "$(loaded "$oqvl" version)" != 0 ] || fail "oqvl version did not load libtorch"
"$oqvl" --help | grep -q 'generate' || fail "--help does not list the model commands"

# The executable alone (no model library beside it): data commands work, model commands explain.
cp "$oqvl" "$tmp/oqvl"
"$tmp/oqvl" tokenize --tokenizer "$src/assets/qwen2-tokenizer/tokenizer.json" -- hi | grep -qx '\[6023\]' ||
  fail "tokenize without the model library"
set +e
msg=$("$tmp/oqvl" generate --help 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "generate without the model library: rc=$rc ($msg)"
echo "$msg" | grep -q "liboqvl_model_commands.so" || fail "unclear message: $msg"
echo "startup: ok"
