#!/usr/bin/env bash
# `oqvl plot RUN_DIR`: a synthetic run folder (a resumed run with a NaN loss, eval lines, a
# config.toml with markup in it) becomes RUN_DIR/report.html: self-contained HTML whose charts
# are inline SVG, the config escaped, errors named FILE:LINE with exit 2. When Debian's chromium
# is installed the report is also rendered headless and the screenshot must not be blank (else
# that part is skipped: exit 77).
# Usage: plot.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
oqvl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

run=$tmp/demo-run
mkdir -p "$run"
# 300 steps logged every 5; steps 205..300 of the first try are replaced by a resume from step 200.
python3 - "$run/metrics.jsonl" << 'PY'
import json, math, random, sys
random.seed(0)
lines = []
def train(step, shift, nan=False):
    loss = float("nan") if nan else 2.0 + 8.0 * math.exp(-step / 60) + shift + random.gauss(0, 0.08)
    lr = 1e-3 * min(1.0, step / 30) * (0.5 * (1 + math.cos(math.pi * step / 300)))
    return {"kind": "train", "step": step, "loss": loss, "lr": lr, "grad_norm": 0.5 + random.random(),
            "tokens": 8192, "tokens_per_s": 52000 + random.gauss(0, 2000), "images_per_s": 90 + random.gauss(0, 5),
            "data_wait": 0.03 + 0.02 * random.random(), "elapsed_s": step * 0.16, "epoch": step / 600}
for s in range(5, 301, 5):
    lines.append(train(s, 0.4, nan=(s == 120)))
for s in range(205, 301, 5):
    lines.append(train(s, 0.0))
for s in (100, 200, 300):
    lines.append({"kind": "eval", "step": s, "benchmark": "mmbench", "accuracy": 0.2 + s / 1000})
    lines.append({"kind": "eval", "step": s, "benchmark": "mmmu", "accuracy": 0.15 + s / 2000})
lines.append({"kind": "something_new", "note": "no step"})
with open(sys.argv[1], "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")  # Python writes NaN as a bare NaN literal
PY
printf '[run]\nname = "demo-run"  # <b>not bold</b> & "quoted"\n[optim]\nlr = 1e-3\n' > "$run/config.toml"

out=$("$oqvl" plot "$run")
[ "$out" = "$run/report.html" ] || fail "printed '$out'"
html=$run/report.html
[ -s "$html" ] || fail "no report.html"
head -c 15 "$html" | grep -qx '<!DOCTYPE html>' || fail "not HTML"
grep -q 'Training run: demo-run' "$html" || fail "no title"
[ "$(grep -c '<svg ' "$html")" = "$(grep -c '</svg>' "$html")" ] || fail "unbalanced svg tags"
[ "$(grep -c '<svg ' "$html")" -ge 7 ] || fail "expected loss, lr, grad norm, 2 throughput, data wait, eval charts"
grep -q 'name = &quot;demo-run&quot;  # &lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot;' "$html" ||
  fail "config.toml not shown escaped"
grep -q 'resumed 1 time' "$html" || fail "resume not reported"
grep -q 'non-finite' "$html" || fail "NaN loss not marked"
grep -q 'eval: accuracy' "$html" || fail "no eval chart"
! grep -qi 'nan\b' <(grep -o 'd="[^"]*"' "$html") || fail "NaN in SVG path data"
! grep -q '<script' "$html" || fail "the report has a script"
grep -q '>300</text>' "$html" || fail "step axis does not reach 300"

# --out elsewhere; the run folder is left alone apart from report.html.
"$oqvl" plot "$run" --out "$tmp/elsewhere/r.html" > /dev/null
cmp -s "$html" "$tmp/elsewhere/r.html" || fail "--out wrote different bytes"
[ -z "$(find "$run" -name '.*')" ] || fail "temporary files left in the run folder"

# Errors: exit 2, one line naming the file (and line).
expect_error() {  # expect_error PATTERN ARGS...
  local pattern=$1 msg rc
  shift
  set +e
  msg=$("$oqvl" plot "$@" 2>&1)
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "plot $*: rc=$rc ($msg)"
  echo "$msg" | grep -q "$pattern" || fail "plot $*: unclear message: $msg"
}
mkdir -p "$tmp/empty" "$tmp/blank" "$tmp/bad"
expect_error 'metrics.jsonl: no such file' "$tmp/empty"
: > "$tmp/blank/metrics.jsonl"
expect_error 'metrics.jsonl: no metrics lines' "$tmp/blank"
printf '{"step":1,"loss":2}\n{"step":2,"loss":\n{"step":3,"loss":1}\n' > "$tmp/bad/metrics.jsonl"
expect_error 'bad/metrics.jsonl:2: not a JSON line' "$tmp/bad"
[ ! -e "$tmp/bad/report.html" ] || fail "a report was written for bad input"
expect_error 'not a folder' "$tmp/absent"
echo "plot: report ok"

# The picture: rendered by headless Chromium, checked to be a real picture.
chromium=""
for c in chromium chromium-headless-shell chromium-browser; do
  command -v "$c" > /dev/null && { chromium=$c; break; }
done
[ -n "$chromium" ] || skip "chromium is not installed (Debian: apt-get install chromium); the HTML checks passed"
require_python_modules PIL
png=$tmp/report.png
start=$(date +%s.%N)
# Chromium wants a writable home for its profile; --user-data-dir keeps it in the temp folder.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --window-size=1200,1600 --screenshot="$png" "file://$html" > "$tmp/chromium.log" 2>&1 ||
  { cat "$tmp/chromium.log" >&2; fail "chromium failed"; }
end=$(date +%s.%N)
[ -s "$png" ] || { cat "$tmp/chromium.log" >&2; fail "chromium wrote no screenshot"; }
python3 - "$png" << 'PY' || fail "the rendered report looks blank"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
w, h = im.size
colours = len(im.getcolors(maxcolors=w * h))
grey = im.convert("L").histogram()
ink = sum(grey[:200]) / (w * h)  # pixels clearly darker than the page
print(f"plot: screenshot {w}x{h}: {colours} colours, {100 * ink:.1f}% ink")
# A blank page has 1-2 colours and no ink; the report has text, grid lines and coloured curves.
sys.exit(0 if w >= 1000 and colours >= 50 and ink >= 0.02 else 1)
PY
[ -n "${OQVL_PLOT_PNG:-}" ] && cp "$png" "$OQVL_PLOT_PNG"
echo "plot: rendered by $chromium in $(python3 -c "print(f'{$end - $start:.1f}')") s"
echo "plot: ok"
