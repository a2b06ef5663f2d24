#!/usr/bin/env bash
# `oqvl score mlm` vs a Hugging Face reference of MLM-Filter's Qwen scoring (docs/recipe.md §1.4) on a tiny
# random model with the real Qwen2 vocabulary: identical generated text and parsed scores for all
# four metrics; the table is accepted by `oqvl data filter`; a rerun skips the finished shard;
# --format parquet writes the same rows (read by pyarrow) and the filter reads it back (that part
# skips where oqvl was built without Apache Arrow).
# Usage: score_mlm.sh OQVL_BINARY REPO_ROOT
set -euo pipefail
oqvl=$1 repo=$2
source "$(dirname "$0")/lib.sh"
require_libtorch "$oqvl"
require_python_modules transformers safetensors PIL pyarrow
require_skimage_data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$repo/tools/vlm_reference.py" make-tiny "$work/model" 5 >/dev/null
# Steer the random model to answer with digits so scores parse as integers: the final norm keeps
# one hidden dimension, and only "8" / "9" have large weights on it (whatever its sign, the
# argmax is "8" or "9"), so every score is 88..99.
python3 - "$work/model/model.safetensors" <<'PY'
import sys, torch
from safetensors.torch import load_file, save_file
w = load_file(sys.argv[1])
norm = w["language_model.model.norm.weight"]
norm.zero_(); norm[0] = 1.0
emb = w["language_model.model.embed_tokens.weight"]
emb[23, 0] = 100.0   # "8"
emb[24, 0] = -100.0  # "9"
save_file(w, sys.argv[1])
PY
# A small WebDataset shard: real photos, captions, img2dataset-style json with uids; one sample
# without a caption and one with an undecodable image.
python3 - "$work" "$OQVL_SKIMAGE_DATA" <<'PY'
import io, json, sys, tarfile
from PIL import Image
work, skimage_data = sys.argv[1], sys.argv[2]
photos = ["astronaut", "coffee", "chelsea", "coins", "camera", "horse"]
captions = ["An astronaut in a white suit, NASA 1984", "a cup of coffee on a saucer",
            "Chelsea the cat", "Coins on a table; Florida", "a man with a camera", "photo"]
def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
with tarfile.open(f"{work}/shard-000.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
    for i, (p, c) in enumerate(zip(photos, captions)):
        buf = io.BytesIO()
        Image.open(f"{skimage_data}/{p}.png").convert("RGB").resize((64, 48)).save(buf, "JPEG", quality=90)
        key = f"{i:09d}"
        add(tar, key + ".jpg", buf.getvalue())
        add(tar, key + ".txt", c.encode())
        add(tar, key + ".json", json.dumps({"uid": f"{i + 1:032x}", "caption": c}).encode())
    add(tar, "000000100.jpg", buf.getvalue())                      # no caption
    add(tar, "000000100.json", json.dumps({"uid": "f" * 32}).encode())
    add(tar, "000000101.jpg", b"not a jpeg")                       # undecodable
    add(tar, "000000101.txt", b"broken")
PY
"$oqvl" -q score mlm --model "$work/model" "$work/shard-000.tar" --out "$work/scores" --metric all \
  --batch-size 4 --threads 2
table="$work/scores/shard-000.mlm.jsonl"
python3 - "$work" "$repo" <<'PY'
import io, json, sys, tarfile
work, repo = sys.argv[1], sys.argv[2]
sys.path.insert(0, f"{repo}/tools")
from vlm_reference import Reference
from make_image_prompt_goldens import tokenizer_image_token
from make_mlm_prompt_goldens import TEMPLATE, CRITERIA, chat
ref = Reference(f"{work}/model")
samples = {}
with tarfile.open(f"{work}/shard-000.tar") as tar:
    for m in tar.getmembers():
        key, ext = m.name.split(".", 1)
        samples.setdefault(key, {})[ext] = tar.extractfile(m).read()
rows = [json.loads(l) for l in open(f"{work}/scores/shard-000.mlm.jsonl", encoding="utf-8")]
assert [r["key"] for r in rows] == [f"{i:09d}" for i in range(6)], [r["key"] for r in rows]
def parse(out):
    s = out.split("\n")[0].replace(",", "").replace(";", "")
    try:
        return int(s)
    except ValueError:
        return None
for metric, crit in CRITERIA.items():
    ids, images = [], []
    for r in rows:
        s = samples[r["key"]]
        text = "<image>\n" + TEMPLATE.format(caption=s["txt"].decode(), criteria=crit, aspect=metric.replace("_", " "))
        ids.append(tokenizer_image_token(ref.tok, chat(text))[:2040] + [220])
        images.append(s["jpg"])
    outs = ref.generate(ids, images, 2, [151645, 151643])
    for r, o in zip(rows, outs):
        text = ref.decode(o)
        assert r[metric + "_output"] == text, (metric, r["key"], r[metric + "_output"], text)
        assert r[metric] == parse(text), (metric, r["key"], r[metric], parse(text))
    assert all(r["uid"] == json.loads(samples[r["key"]]["json"])["uid"] for r in rows)
summary = json.load(open([f"{work}/scores/{n}" for n in __import__("os").listdir(f"{work}/scores") if n.endswith(".summary.json")][0]))
assert summary["pairs_scored"] == 6, summary
assert summary["unscored"] == {"no caption": 1, "undecodable image": 1}, summary["unscored"]
su = [r["semantic_understanding"] for r in rows]
assert all(v is not None and 88 <= v <= 99 for r in rows for v in (r[m] for m in CRITERIA)), rows
open(f"{work}/expected_kept", "w").write(str(sum(1 for v in su if v is not None and v >= 85)))
print(f"score_mlm: 6 pairs x 4 metrics equal the HF reference; semantic_understanding = {su}")
PY
# The table works as a filter input.
"$oqvl" -q data filter "$work/shard-000.tar" --out "$work/kept" --scores "$table" \
  --keep 'semantic_understanding >= 85' --json > "$work/report.json"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
report = json.load(open(f"{work}/report.json"))
expected = int(open(f"{work}/expected_kept").read())
assert report["kept"] == expected, (report["kept"], expected)
print(f"score_mlm: filter kept {expected} as expected")
PY
# Resumable: a second run skips the finished shard and leaves the table alone.
before=$(md5sum "$table")
"$oqvl" -q score mlm --model "$work/model" "$work/shard-000.tar" --out "$work/scores" --metric all --threads 2
[ "$(md5sum "$table")" = "$before" ] || { echo "rerun rewrote the table"; exit 1; }
grep -q '"shards_skipped_existing": 1' "$work"/scores/*.summary.json || { echo "rerun did not skip"; exit 1; }
# Parquet: the same rows as the JSONL table (pyarrow), and the same filter result.
run_or_skip "built without Apache Arrow" "the Parquet part: oqvl was built without Apache Arrow (the JSONL checks above passed)" \
  "$oqvl" -q score mlm --model "$work/model" "$work/shard-000.tar" --out "$work/pq" --metric all \
  --batch-size 4 --threads 2 --format parquet
python3 - "$work" <<'PY'
import json, sys
import pyarrow.parquet as pq
work = sys.argv[1]
t = pq.read_table(f"{work}/pq/shard-000.mlm.parquet")
want = [json.loads(l) for l in open(f"{work}/scores/shard-000.mlm.jsonl", encoding="utf-8")]
assert t.schema.names[:2] == ["uid", "key"] and set(t.schema.names) == set(want[0]), t.schema.names
assert str(t.schema.field("semantic_understanding").type) == "int64", t.schema
assert t.to_pylist() == want, (t.to_pylist(), want)
print(f"score_mlm: Parquet table equals the JSONL one ({len(want)} rows, {len(t.schema)} columns)")
PY
"$oqvl" -q data filter "$work/shard-000.tar" --out "$work/kept_pq" --scores "$work/pq/shard-000.mlm.parquet" \
  --keep 'semantic_understanding >= 85' --json > "$work/report_pq.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["kept"]; b=int(open(sys.argv[2]).read()); assert a==b,(a,b); print("score_mlm: filter on Parquet kept", a)' \
  "$work/report_pq.json" "$work/expected_kept"
