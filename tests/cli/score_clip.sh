#!/usr/bin/env bash
# `oqvl score clip` end to end: a tiny SigLIP folder saved by HF transformers (from the fixture
# weights and spiece.model), demo shards plus a shard with an undecodable image and samples
# without caption/image; scores equal HF SiglipModel's sigmoid(logits) per pair (abs <= 1e-4),
# unscored samples are counted, a rerun resumes, and `oqvl data filter` keeps exactly the samples
# Python puts above a threshold; with --format parquet pyarrow reads the same rows and the filter
# keeps the same samples (that part skips where oqvl was built without Apache Arrow). Skips (exit 77) without libtorch, where Python lacks
# sentencepiece, or where oqvl was built without SentencePiece.
# Usage: score_clip.sh <oqvl-binary> <source-dir>
set -euo pipefail
oqvl=$1
src=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules sentencepiece google.protobuf transformers pyarrow numpy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$src/tests/fixtures/model/siglip_clip" "$tmp/model" <<'EOF2'
import sys
from transformers import SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil
src, out = sys.argv[1:]
SiglipModel.from_pretrained(src).save_pretrained(out)
SiglipTokenizer.from_pretrained(src).save_pretrained(out)
SiglipImageProcessorPil.from_pretrained(src).save_pretrained(out)
EOF2

"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 150 --test-samples 10 --shard-size 100 >/dev/null
# A shard with the odd cases: a real photo with an unusual caption, a corrupt image, no caption,
# no image, no json uid.
python3 - "$src/tests/fixtures/images" "$tmp/odd.tar" <<'EOF2'
import io, json, sys, tarfile
images, out = sys.argv[1:]
def add(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
with tarfile.open(out, "w") as tar:
    photo = open(f"{images}/chelsea.jpg", "rb").read()
    uid = lambda i: json.dumps({"uid": "%032x" % (0xabc0 + i)}).encode()
    add(tar, "a.jpg", photo); add(tar, "a.txt", "A CAT, looking at the camera! 🐱 ".encode()); add(tar, "a.json", uid(1))
    add(tar, "b.jpg", b"not a jpeg"); add(tar, "b.txt", b"broken"); add(tar, "b.json", uid(2))
    add(tar, "c.jpg", photo); add(tar, "c.json", uid(3))
    add(tar, "d.txt", b"no image here"); add(tar, "d.json", uid(4))
    add(tar, "e.png", open(f"{images}/camera_gray.jpg", "rb").read()); add(tar, "e.txt", b"a man, camera")
EOF2
shards=("$tmp/demo/train/00000.tar" "$tmp/demo/train/00001.tar" "$tmp/odd.tar")

run_or_skip "built without sentencepiece" "oqvl built without SentencePiece (Debian libsentencepiece-dev)" \
  "$oqvl" -q score clip --model "$tmp/model" "${shards[@]}" --out "$tmp/s" --batch-size 7 --threads 2 \
  --json > "$tmp/report.json"
python3 - "$tmp" <<'EOF2'
import csv, io, json, sys, tarfile
import torch
from PIL import Image
from transformers import SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil
tmp = sys.argv[1]
model = SiglipModel.from_pretrained(f"{tmp}/model").eval()
tok = SiglipTokenizer.from_pretrained(f"{tmp}/model")
proc = SiglipImageProcessorPil.from_pretrained(f"{tmp}/model")
report = json.load(open(f"{tmp}/report.json"))
assert report["unscored_by_reason"] == {"undecodable image": 1, "missing caption": 1, "missing image": 1}, report
assert report["pairs_scored"] == 152 and report["samples"] == 155 and report["without_uid"] == 1, report
assert report["pairs_per_second"] > 0 and report["shards_resumed"] == 0, report
rows = {}
for name in ("00000", "00001", "odd"):
    for r in csv.DictReader(open(f"{tmp}/s/{name}.clip.csv")):
        rows[(name, r["key"])] = r
expected = {}
for name, path in (("00000", f"{tmp}/demo/train/00000.tar"), ("00001", f"{tmp}/demo/train/00001.tar"),
                   ("odd", f"{tmp}/odd.tar")):
    samples = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            key, ext = m.name.split(".", 1)
            samples.setdefault(key, {})[ext] = t.extractfile(m).read()
    for key, s in samples.items():
        img = s.get("jpg") or s.get("png")
        if img is None or "txt" not in s:
            continue
        try:
            image = Image.open(io.BytesIO(img)); image.load()
        except Exception:
            continue
        ids = torch.tensor(tok([s["txt"].decode()], padding="max_length", truncation=True)["input_ids"])
        pixels = proc(images=[image], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            logit = model(input_ids=ids, pixel_values=pixels).logits_per_image[0, 0].item()
        uid = json.loads(s["json"])["uid"] if "json" in s else ""
        expected[(name, key)] = (uid, 1 / (1 + torch.exp(torch.tensor(-logit)).item()))
assert set(rows) == set(expected), (set(rows) ^ set(expected))
err = max(abs(float(rows[k]["clip_score"]) - v) for k, (u, v) in expected.items())
assert all(rows[k]["uid"] == u for k, (u, v) in expected.items())
print(f"{len(rows)} pairs, max abs error vs HF {err:.2e}")
assert err <= 1e-4, err
# A threshold in a gap of the demo shards' scores; the filter must keep exactly those above it.
demo = sorted(v for (n, k), (u, v) in expected.items() if n != "odd")
gaps = [(demo[i + 1] - demo[i], i) for i in range(len(demo) // 4, 3 * len(demo) // 4)]
gap, i = max(gaps)
assert gap > 1e-4, gap
threshold = (demo[i] + demo[i + 1]) / 2
open(f"{tmp}/threshold", "w").write(f"{threshold!r}\n{len(demo) - i - 1}\n")
with open(f"{tmp}/all.clip.csv", "w") as f:
    f.write("uid,key,clip_score\n")
    for n in ("00000", "00001"):
        f.writelines(open(f"{tmp}/s/{n}.clip.csv").read().splitlines(True)[1:])
EOF2
threshold=$(sed -n 1p "$tmp/threshold"); want=$(sed -n 2p "$tmp/threshold")
"$oqvl" -q data filter "$tmp/demo/train/00000.tar" "$tmp/demo/train/00001.tar" --out "$tmp/f" \
  --scores "$tmp/all.clip.csv:key=uid" --keep "clip_score >= $threshold" --json > "$tmp/f.json"
kept=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kept"])' "$tmp/f.json")
echo "filter kept $kept, Python expects $want (threshold $threshold)"
test "$kept" -eq "$want"

# Resume: existing tables are kept; a deleted one is redone identically.
cp "$tmp/s/00001.clip.csv" "$tmp/00001.before"
rm "$tmp/s/00001.clip.csv"
"$oqvl" -q score clip --model "$tmp/model" "${shards[@]}" --out "$tmp/s" --batch-size 7 --threads 2 \
  --json > "$tmp/r2.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["shards_resumed"]==2 and r["pairs_scored"]==50 and r["tables"]==["00001.clip.csv"], r' "$tmp/r2.json"
cmp "$tmp/s/00001.clip.csv" "$tmp/00001.before"  # same batching: same bytes

# Cosine metric and bad input.
"$oqvl" -q score clip --model "$tmp/model" "$tmp/demo/train/00001.tar" --out "$tmp/c" --metric cosine --column cos >/dev/null
head -1 "$tmp/c/00001.clip.csv" | grep -qx "uid,key,cos"
set +e
"$oqvl" -q score clip --model "$tmp/nonexistent" "${shards[@]}" --out "$tmp/x" 2> "$tmp/err"; rc=$?
set -e
test "$rc" -eq 2 && grep -q "nonexistent" "$tmp/err"
# Parquet tables (--format parquet): pyarrow reads the same rows as the CSV tables, and the
# filter reads them back (a folder of per-shard tables) with the same result.
run_or_skip "built without Apache Arrow" "the Parquet part: oqvl was built without Apache Arrow (the CSV checks above passed)" \
  "$oqvl" -q score clip --model "$tmp/model" "${shards[@]}" --out "$tmp/pq" --batch-size 7 --threads 2 \
  --format parquet > /dev/null
python3 - "$tmp" <<'EOF2'
import csv, os, sys
import numpy as np
import pyarrow.parquet as pq
tmp = sys.argv[1]
for name in ("00000", "00001", "odd"):
    t = pq.read_table(f"{tmp}/pq/{name}.clip.parquet")
    assert t.schema.names == ["uid", "key", "clip_score"], t.schema
    assert str(t.schema.field("clip_score").type) == "double" and str(t.schema.field("uid").type) == "string", t.schema
    got = t.to_pylist()
    want = list(csv.DictReader(open(f"{tmp}/s/{name}.clip.csv")))
    assert [r["key"] for r in got] == [r["key"] for r in want], name
    assert [r["uid"] or None for r in want] == [r["uid"] for r in got], name
    # The CSV has the float's 9 significant digits: the same float32.
    assert all(np.float32(g["clip_score"]) == np.float32(float(w["clip_score"])) for g, w in zip(got, want)), name
print("ok: Parquet score tables equal the CSV ones (pyarrow)")
EOF2
mkdir "$tmp/pq_demo"
cp "$tmp/pq/00000.clip.parquet" "$tmp/pq/00001.clip.parquet" "$tmp/pq_demo/"
"$oqvl" -q data filter "$tmp/demo/train/00000.tar" "$tmp/demo/train/00001.tar" --out "$tmp/fp" \
  --scores "$tmp/pq_demo:key=uid" --keep "clip_score >= $threshold" --json > "$tmp/fp.json"
kept=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kept"])' "$tmp/fp.json")
echo "filter on the Parquet tables kept $kept, Python expects $want"
test "$kept" -eq "$want"
echo "score_clip: ok"
