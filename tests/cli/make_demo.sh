#!/usr/bin/env bash
# oqvl data make-demo: a small demo set, read back by Python's webdataset and Pillow (the
# reference readers), plus bad-input exits. Usage: make_demo.sh OQVL_BINARY SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules webdataset PIL
oqvl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 250 --test-samples 40 --shard-size 100
test -f "$tmp/demo/demo.json" && test -f "$tmp/demo/sft/train.jsonl"
ls "$tmp/demo/train" | grep -qx 00002.tar

python3 - "$tmp/demo" <<'PY'
import io, json, sys, glob
import webdataset as wds
from PIL import Image
root = sys.argv[1]
classes = json.load(open(f"{root}/demo.json"))["classes"]
classes_by_key = {}
for split, expected in (("train", 250), ("test", 40)):
    shards = sorted(glob.glob(f"{root}/{split}/*.tar"))
    n = 0
    for s in wds.WebDataset(shards, shardshuffle=False):
        meta = json.loads(s["json"])
        caption = s["txt"].decode()
        assert meta["caption"] == caption, (meta, caption)
        assert classes[meta["label"]] == meta["class"] and meta["class"] in caption, meta
        img = Image.open(io.BytesIO(s["jpg"]))
        assert img.format == "JPEG" and img.size == (28, 28), (img.format, img.size)
        assert s["__key__"] == f"{n:09d}", s["__key__"]
        if split == "train":
            classes_by_key[s["__key__"]] = meta["class"]
        n += 1
    assert n == expected, (split, n)
# sft/train.jsonl: one LLaVA conversation per train sample, answered with the sample's class.
sft = [json.loads(line) for line in open(f"{root}/sft/train.jsonl", encoding="utf-8")]
assert len(sft) == 250, len(sft)
for c in sft:
    human, gpt = c["conversations"]
    assert human["from"] == "human" and human["value"].startswith("<image>\nQuestion: "), c
    assert gpt["from"] == "gpt" and gpt["value"] == classes_by_key[c["image"]] and c["id"] == c["image"], c
print("python webdataset + Pillow read the demo shards: OK")
PY

# preprocess-bench takes shards: every sample's image is decoded and preprocessed.
"$oqvl" -q data preprocess-bench "$tmp/demo/test/00000.tar" | grep -q "preprocessed 40 images"

# --limit changes an input limit for one run: under image-side=16 the 28x28 demo images are refused,
# and the error names the key; a bad key is one error line.
set +e
"$oqvl" -q --limit image-side=16 data preprocess-bench "$tmp/demo/test/00000.tar" > /dev/null 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && grep -q "exceeds the limit of 16 per side .*--limit" "$tmp/err" || { echo "rc=$rc"; cat "$tmp/err"; exit 1; }
set +e
"$oqvl" --limit image-sides=16 data preprocess-bench "$tmp/demo/test/00000.tar" > /dev/null 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && test "$(wc -l < "$tmp/err")" -eq 1 && grep -q "unknown key 'image-sides'" "$tmp/err"

# Reusing the same set is instant; a foreign non-empty folder is refused with exit 2.
"$oqvl" data make-demo --out "$tmp/demo" --train-samples 250 --test-samples 40 --shard-size 100 \
  | grep -q "already holds"
mkdir -p "$tmp/foreign" && echo x > "$tmp/foreign/file"
set +e
"$oqvl" data make-demo --out "$tmp/foreign" 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && test "$(wc -l < "$tmp/err")" -eq 1 && grep -q "not empty" "$tmp/err"
set +e
"$oqvl" data make-demo --out "$tmp/x" --source /nonexistent 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && grep -q "dataset-fashion-mnist" "$tmp/err"
echo "make_demo.sh: OK"
