#!/usr/bin/env bash
# `oqvl data pack` on demo shards, read back with Python's webdataset: placeholders == images,
# lengths add up, ids decode (HF tokenizers) to the captions of the input samples, fill is
# reported; a rerun resumes, one with other options is refused; shards with the same name in
# two folders are packed side by side; bad input fails cleanly.
# Usage: pack.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules numpy webdataset PIL tokenizers
oqvl=$1
src=$2
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 1500 --test-samples 10 --shard-size 500 > /dev/null
"$oqvl" -q data pack "$tmp/demo/train/*.tar" --out "$tmp/packed" --threads 2 > "$tmp/summary.txt"
grep -q "fill: 0\.9" "$tmp/summary.txt" || { cat "$tmp/summary.txt"; exit 1; }
ls "$tmp/packed"/{00000,00001,00002}.tar "$tmp/packed"/pack-job-0000-of-0001.summary.json > /dev/null

python3 - "$tmp" "$src/assets/qwen2-tokenizer/tokenizer.json" <<'EOF_PY'
import glob, io, json, sys
import numpy as np
import webdataset as wds
from PIL import Image
from tokenizers import Tokenizer

tmp, tok_path = sys.argv[1], sys.argv[2]
tok = Tokenizer.from_file(tok_path)
captions = {}
for url in sorted(glob.glob(f"{tmp}/demo/train/*.tar")):
    for s in wds.WebDataset(url, shardshuffle=False):
        captions[s["__key__"]] = s["txt"].decode()
seen = set()
sequences = tokens = 0
for url in sorted(glob.glob(f"{tmp}/packed/*.tar")):
    for s in wds.WebDataset(url, shardshuffle=False):
        sequences += 1
        meta = json.loads(s["json"])
        ids = np.frombuffer(s["ids.u32"], dtype="<u4")
        n = len(meta["lengths"])
        placeholders = int((ids.astype(np.int64) == meta["image_placeholder_id"]).sum())
        assert placeholders == n, (placeholders, n)
        assert (ids.view("<i4") == -200).sum() == n  # the reference's IMAGE_TOKEN_INDEX
        assert sum(meta["lengths"]) == meta["length"] <= meta["context"] == 4096
        assert sum(meta["lengths"]) - len(ids) == 143 * n  # the reference's own assertion
        assert sum(meta["text_lengths"]) == len(ids)
        assert meta["version"] == 1
        images = [Image.open(io.BytesIO(s[f"{i}.jpg"])) for i in range(n)]
        assert all(im.size == (28, 28) for im in images)
        pos = 0
        for key, tl in zip(meta["keys"], meta["text_lengths"]):
            sample = ids[pos:pos + tl].astype(np.int64).tolist()
            pos += tl
            assert sample[0] == 128245 and sample[1] == 4294967096 and sample[-1] == 151645
            text = tok.decode(sample[2:-1], skip_special_tokens=False)
            assert text == "\n" + captions[key], (text, captions[key])
            assert key not in seen
            seen.add(key)
        tokens += meta["length"]
assert seen == set(captions), (len(seen), len(captions))
summary = json.load(open(f"{tmp}/packed/pack-job-0000-of-0001.summary.json"))
assert summary["sequences"] == sequences and summary["tokens"] == tokens, summary
assert summary["packed_samples"] == len(seen) == 1500
assert abs(summary["fill"] - tokens / (sequences * 4096)) < 1e-12
print(f"pack.sh: webdataset read {sequences} sequences, {len(seen)} samples, fill {summary['fill']:.4f}")
EOF_PY

# A rerun skips the complete windows.
"$oqvl" -q data pack "$tmp/demo/train/*.tar" --out "$tmp/packed" --threads 2 | grep -q "(3 already complete)"

# A rerun with another option is refused (exit 2, naming it), leaving the folder as it was.
sum_before=$(cat "$tmp/packed"/* | md5sum)
set +e
"$oqvl" -q data pack "$tmp/demo/train/*.tar" --out "$tmp/packed" --context 2048 2> "$tmp/err0.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q -- "--context: 4096 before, 2048 now" "$tmp/err0.txt" && grep -q "fresh --out" "$tmp/err0.txt" \
  || { echo "rc=$rc"; cat "$tmp/err0.txt"; exit 1; }
[ "$(cat "$tmp/packed"/* | md5sum)" = "$sum_before" ] || { echo "a refused rerun changed the folder"; exit 1; }

# Two folders that both hold 00000.tar (img2dataset output of two sources): the outputs take
# their folder's name; the other shards keep theirs.
mkdir "$tmp/cc3m" "$tmp/cc12m"
cp "$tmp/demo/train/00000.tar" "$tmp/demo/train/00001.tar" "$tmp/cc3m/"
cp "$tmp/demo/train/00002.tar" "$tmp/cc12m/00000.tar"
"$oqvl" -q data pack "$tmp/cc3m/*.tar" "$tmp/cc12m/*.tar" --out "$tmp/two" | grep -q "packed samples: 1500"
ls "$tmp/two"/{cc3m_00000,00001,cc12m_00000}.tar > /dev/null
[ ! -e "$tmp/two/00000.tar" ]

# Two jobs (--shard-index/--num-shards) cover the shards once and make the same files.
"$oqvl" -q data pack "$tmp/demo/train/*.tar" --out "$tmp/jobs" --shard-index 0 --num-shards 2 > /dev/null
"$oqvl" -q data pack "$tmp/demo/train/*.tar" --out "$tmp/jobs" --shard-index 1 --num-shards 2 > /dev/null
for f in 00000.tar 00001.tar 00002.tar 00000.stats.json 00001.stats.json 00002.stats.json; do
  cmp "$tmp/packed/$f" "$tmp/jobs/$f"
done
ls "$tmp/jobs"/pack-job-000{0,1}-of-0002.summary.json > /dev/null

# Bad input: a truncated shard fails with exit 2 naming it, leaving no output for it.
head -c 20000 "$tmp/demo/train/00001.tar" > "$tmp/cut.tar"
set +e
"$oqvl" -q data pack "$tmp/cut.tar" --out "$tmp/bad" 2> "$tmp/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "cut.tar" "$tmp/err.txt" || { echo "rc=$rc"; cat "$tmp/err.txt"; exit 1; }
[ ! -e "$tmp/bad/cut.tar" ] || { echo "half-written output"; exit 1; }
"$oqvl" -q data pack --skip-bad "$tmp/cut.tar" --out "$tmp/bad" | grep -q "dropped (truncated tar): 1"

# An output folder that cannot be written.
if [ "$(id -u)" != 0 ]; then
  mkdir "$tmp/ro" && chmod a-w "$tmp/ro"
  set +e
  "$oqvl" -q data pack "$tmp/demo/train/00000.tar" --out "$tmp/ro/out" 2> "$tmp/err2.txt"; rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$tmp/err2.txt"; exit 1; }
fi
: > "$tmp/afile"
set +e
"$oqvl" -q data pack "$tmp/demo/train/00000.tar" --out "$tmp/afile/out" 2> "$tmp/err3.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "output folder" "$tmp/err3.txt" || { echo "rc=$rc"; cat "$tmp/err3.txt"; exit 1; }
echo "pack.sh: OK"
