#!/usr/bin/env bash
# tools/easy_vqa_to_tsv.py: regenerates the committed easy-vqa fixture byte for byte, and every
# row matches the easy-vqa package's question, answer and image. Usage: easy_vqa_tsv.sh OQVL SOURCE_DIR
set -euo pipefail
root=$2
source "$(dirname "$0")/lib.sh"
require_python_modules easy_vqa
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tools/easy_vqa_to_tsv.py" --split test --sample 40 --seed 0 --out "$tmp/e.tsv" 2> /dev/null
cmp "$tmp/e.tsv" "$root/tests/fixtures/eval/easy_vqa_test_40.tsv"
python3 - "$tmp/e.tsv" <<'PY'
import base64, csv, sys
import easy_vqa
texts, answers, image_ids = easy_vqa.get_test_questions()
paths = easy_vqa.get_test_image_paths()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
by_index = {r["index"]: r for r in rows}
for r in rows:
    q = int(r["source"].rsplit(" ", 1)[1])
    assert r["question"] == texts[q], (r, texts[q])
    assert r[r["answer"]] == answers[q], (r, answers[q])
    image = r["image"] if len(r["image"]) > 64 else by_index[r["image"]]["image"]
    assert base64.b64decode(image) == open(paths[image_ids[q]], "rb").read()
print(f"easy-vqa TSV: {len(rows)} rows match the package")
PY
echo "easy_vqa_tsv.sh: OK"
