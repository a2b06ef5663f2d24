#!/usr/bin/env bash
# oqvl data make-bench: a Fashion-MNIST multiple-choice TSV, read back with Python's csv module
# (what pandas uses), base64 and Pillow, checked against the IDX files; plus bad-input exits.
# Usage: make_bench.sh OQVL_BINARY SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules PIL
oqvl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$oqvl" -q data make-bench --fashion-mnist --out "$tmp/fm.tsv" --count 48 --seed 3 > "$tmp/out"
grep -q "48 questions" "$tmp/out"
grep -q "answers A/B/C/D = 12/12/12/12" "$tmp/out"
"$oqvl" -q data make-bench --fashion-mnist --out "$tmp/fm_jpeg.tsv" --count 8 --jpeg > /dev/null

python3 - "$tmp/fm.tsv" "$tmp/fm_jpeg.tsv" <<'PY'
import base64, csv, gzip, io, sys
from PIL import Image
classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
root = "/usr/share/datasets/fashion-mnist"
labels = gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz").read()[8:]
pixels = gzip.open(f"{root}/t10k-images-idx3-ubyte.gz").read()[16:]
for path, fmt, count in ((sys.argv[1], "PNG", 48), (sys.argv[2], "JPEG", 8)):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header = rows[0]
    assert header == ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image",
                      "source", "l2-category", "split"], header
    assert len(rows) == count + 1, len(rows)
    for r in rows[1:]:
        row = dict(zip(header, r))
        options = [row[c] for c in "ABCD"]
        assert len(set(options)) == 4 and all(o in classes for o in options), options
        assert row["answer"] in "ABCD" and len(row["answer"]) == 1
        assert row[row["answer"]] == row["category"]
        k = int(row["source"].rsplit("#", 1)[1])
        assert classes[labels[k]] == row["category"], (k, row)
        img = Image.open(io.BytesIO(base64.b64decode(row["image"], validate=True)))
        assert img.format == fmt and img.size == (28, 28), (img.format, img.size)
        if fmt == "PNG":
            assert img.tobytes() == pixels[k * 784:(k + 1) * 784]
print("python csv + base64 + Pillow read the benchmark TSVs: OK")
PY

# Same seed, same bytes.
"$oqvl" -q data make-bench --fashion-mnist --out "$tmp/again.tsv" --count 48 --seed 3 > /dev/null
cmp "$tmp/fm.tsv" "$tmp/again.tsv"

set +e
"$oqvl" data make-bench --fashion-mnist --out "$tmp/x.tsv" --count 0 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && grep -q "count 0" "$tmp/err"
set +e
"$oqvl" data make-bench --out "$tmp/x.tsv" 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2
echo "make_bench.sh: OK"
