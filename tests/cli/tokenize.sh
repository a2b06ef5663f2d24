#!/usr/bin/env bash
# `oqvl tokenize` end to end: ids of a few texts against Hugging Face goldens (from
# tests/fixtures/tokenizer/corpus.jsonl, made by tools/make_tokenizer_goldens.py), --decode,
# the default tokenizer path, and exit code 2 on bad input.
# Usage: bash tokenize.sh <oqvl-binary> <source-dir>
set -u
OQVL=$1
SRC=$2
TOK=$SRC/assets/qwen2-tokenizer/tokenizer.json
failures=0

expect() {  # expect NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  else
    echo "ok   $1"
  fi
}

expect caption "[64,3691,5562,389,264,4845]" "$("$OQVL" -q tokenize --tokenizer "$TOK" "a black dog on a bed")"
expect pretrain-sample "[128245,27,1805,397,32,8251,151645]" \
  "$("$OQVL" -q tokenize --tokenizer "$TOK" $'<s><image>\nA cat<|im_end|>')"
expect endofchunk "[64,151665,65]" "$("$OQVL" -q tokenize --tokenizer "$TOK" "a<|endofchunk|>b")"
# "e" + U+0301 (combining acute) as UTF-8 bytes: bash's \u escape depends on the locale (env -i: C).
expect nfc "[963,220,220,16,17,18]" "$("$OQVL" -q tokenize --tokenizer "$TOK" $'e\xcc\x81  123')"
expect two-lines $'[9707]\n[14615]' "$("$OQVL" -q tokenize --tokenizer "$TOK" Hello world)"
expect dash-text "[6558]" "$("$OQVL" -q tokenize --tokenizer "$TOK" -- -x)"
expect stdin $'[64,293]\n[66]' "$(printf 'a b\nc\n' | "$OQVL" -q tokenize --tokenizer "$TOK")"
expect decode $'Hello world\n<s><image>' \
  "$("$OQVL" -q tokenize --tokenizer "$TOK" --decode "[9707, 1879]" "[128245,27,1805,29]")"
expect decode-skip-special "<image>" \
  "$("$OQVL" -q tokenize --tokenizer "$TOK" --decode --skip-special "[128245,27,1805,29]")"
# The default tokenizer is found above the executable (the build folder is inside the repo).
expect default-path "[9707]" "$(cd / && "$OQVL" -q tokenize Hello)"

"$OQVL" -q tokenize --tokenizer /nonexistent/tokenizer.json x >/dev/null 2>&1
expect missing-file-exit 2 $?
"$OQVL" -q tokenize --tokenizer "$TOK" --decode "[1, x]" >/dev/null 2>&1
expect bad-ids-exit 2 $?
"$OQVL" -q tokenize --tokenizer "$TOK" --decode "[999999999]" >/dev/null 2>&1
expect unknown-id-exit 2 $?

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
