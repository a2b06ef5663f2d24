#!/usr/bin/env bash
# `oqvl data preprocess-bench` on the image fixtures; bad input must exit 2 with one error line.
# Usage: bash preprocess_bench.sh <oqvl-binary> <source-dir>
set -u
oqvl=$1
src=$2
images=$src/tests/fixtures/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$oqvl" data preprocess-bench --help | grep -q -- "--threads" || fail "--help lacks --threads"

out=$("$oqvl" -q data preprocess-bench --threads 2 --repeat 2 \
      "$images/grace_hopper.jpg" "$images/horse_rgba.png" "$images/chelsea.jpg") \
  || fail "good files: exit $?"
echo "$out" | grep -q "preprocessed 6 images (3 inputs x 2)" || fail "unexpected output: $out"
echo "$out" | grep -Eq "images/s: [0-9.]+ total, [0-9.]+ per thread \(2 threads\)" \
  || fail "no images/s line: $out"

# A folder, other size, bf16.
"$oqvl" -q data preprocess-bench --size 224 --bf16 --threads 1 "$images" | grep -q "224x224 bf16" \
  || fail "folder run"

# Bad input: a truncated JPEG and a non-image, each exit 2 with a single error line.
head -c 3000 "$images/grace_hopper.jpg" > "$tmp/cut.jpg"
echo "hello" > "$tmp/text.png"
for bad in "$tmp/cut.jpg" "$tmp/text.png" "$tmp/missing.jpg"; do
  "$oqvl" -q data preprocess-bench "$bad" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ "$rc" -eq 2 ] || fail "$bad: exit $rc, want 2"
  [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$bad: error is not one line: $(cat "$tmp/err")"
  grep -q "^oqvl: error: " "$tmp/err" || fail "$bad: $(cat "$tmp/err")"
done
grep -q "cut.jpg: undecodable image (truncated JPEG data)" <("$oqvl" data preprocess-bench "$tmp/cut.jpg" 2>&1) \
  || fail "truncated JPEG message"
# --skip-bad counts them instead; all bad is still an error.
out=$("$oqvl" -q data preprocess-bench --skip-bad "$tmp/cut.jpg" "$images/tiny.jpg") \
  || fail "--skip-bad: exit $?"
echo "$out" | grep -q "skipped 1 undecodable images" || fail "--skip-bad output: $out"
"$oqvl" -q data preprocess-bench --skip-bad "$tmp/cut.jpg" 2>/dev/null; [ $? -eq 2 ] \
  || fail "--skip-bad with only bad files"
"$oqvl" data preprocess-bench --repeat 0 "$images/tiny.jpg" 2>/dev/null; [ $? -eq 2 ] || fail "--repeat 0"
echo "ok"
