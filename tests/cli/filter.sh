#!/usr/bin/env bash
# `oqvl data filter` on demo shards with the paper's DataComp recipe (docs/recipe.md §1): MLM-Filter
# semantic_understanding >= 85 UNION DFN top-15% uids, deduplicated by uid. Score table and uid
# .npy come from tools/make_filter_fixtures.py (numpy). Python recomputes the expected samples
# and reads the output with webdataset: same keys in input order, image bytes untouched, report
# counts right; same bytes with 1 and 2 threads; a rerun skips; bad input fails cleanly.
# Usage: filter.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules numpy webdataset PIL
oqvl=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 3000 --test-samples 100 --shard-size 1000 >/dev/null
python3 "$src/tools/make_filter_fixtures.py" demo "$tmp/t" "$tmp"/demo/train/*.tar
# The first shard twice: every one of its samples that passes is a uid duplicate.
inputs=("$tmp/demo/train/{00000..00002}.tar" "$tmp/demo/train/00000.tar")
recipe=(--scores "$tmp/t/scores.csv:key=uid" --keep "semantic_understanding >= 85 or uid in $tmp/t/dfn.npy"
        --keep "caption_words >= 1" --dedup uid --shard-size 300)

"$oqvl" -q data filter "${inputs[@]}" --out "$tmp/o2" --threads 2 "${recipe[@]}" > "$tmp/o2.txt"
grep -q "kept:" "$tmp/o2.txt"
python3 - "$tmp" <<'EOF'
import glob, hashlib, io, json, sys, tarfile
import numpy as np, webdataset as wds
tmp = sys.argv[1]
su = {}
for line in open(f"{tmp}/t/scores.csv").read().splitlines()[1:]:
    key, uid, s, clip = line.split(",")
    su[uid] = int(s)
dfn = {f"{int(hi):016x}{int(lo):016x}" for hi, lo in np.load(f"{tmp}/t/dfn.npy").tolist()}
inputs = sorted(glob.glob(f"{tmp}/demo/train/*.tar")) + [f"{tmp}/demo/train/00000.tar"]
want, images, seen, failed, dups, total = [], {}, set(), 0, 0, 0
for shard in inputs:
    for s in wds.WebDataset(shard, shardshuffle=False):
        total += 1
        uid = json.loads(s["json"])["uid"]
        if not (su.get(uid, -1) >= 85 or uid in dfn):
            failed += 1
            continue
        if uid in seen:
            dups += 1
            continue
        seen.add(uid)
        want.append(s["__key__"])
        images[s["__key__"]] = s["jpg"]
outs = sorted(glob.glob(f"{tmp}/o2/job-0000-of-0001-*.tar"))
got = [(s["__key__"], s["jpg"]) for s in wds.WebDataset(outs, shardshuffle=False)]
assert [k for k, _ in got] == want, (len(got), len(want))
assert all(images[k] == b for k, b in got), "image bytes changed"
assert all(len(list(wds.WebDataset(o, shardshuffle=False))) == 300 for o in outs[:-1])
rep = json.load(open(f"{tmp}/o2/filter-job-0000-of-0001.summary.json"))
assert rep["input"]["samples"] == total == 4000, rep["input"]
assert rep["kept"] == len(want), (rep["kept"], len(want))
assert rep["dropped"]["by_rule"][0]["dropped"] == failed, rep["dropped"]
assert rep["dropped"]["duplicates"] == {"uid": dups} and dups > 0, rep["dropped"]
assert rep["dropped"]["total"] == total - len(want)
print(f"filter.sh: {len(want)} of {total} kept ({failed} by rule, {dups} uid duplicates), matches Python")
EOF

# Same bytes with one thread; a rerun with the same options does nothing.
"$oqvl" -q data filter "${inputs[@]}" --out "$tmp/o1" --threads 1 "${recipe[@]}" > /dev/null
for f in "$tmp"/o2/*.tar; do cmp "$f" "$tmp/o1/$(basename "$f")"; done
"$oqvl" -q data filter "${inputs[@]}" --out "$tmp/o2" --threads 2 "${recipe[@]}" | grep -q "already complete"

# A Slurm-array job writes its own names.
"$oqvl" -q data filter "${inputs[@]}" --out "$tmp/oj" --shard-index 1 --num-shards 2 "${recipe[@]}" > /dev/null
ls "$tmp/oj" | grep -q "^job-0001-of-0002-000000.tar$"
test -f "$tmp/oj/filter-job-0001-of-0002.summary.json"

# All rule kinds, every dedup kind and caption cleanup: the same count as the Python baseline.
"$oqvl" -q data filter "${inputs[@]}" --out "$tmp/full" --json --scores "$tmp/t/scores.csv:key=uid" \
  --keep "semantic_understanding >= 85 or uid in $tmp/t/dfn.npy" \
  --keep "caption_words >= 1 and image_min_side >= 28 and image_aspect_ratio <= 3" \
  --dedup uid,image,url_caption --clean-captions > "$tmp/full.json"
py_kept=$(python3 "$src/bench/filter_bench.py" --repeat 1 --scores "$tmp/t/scores.csv" --dfn "$tmp/t/dfn.npy" \
  "$tmp"/demo/train/0000{0,1,2}.tar "$tmp/demo/train/00000.tar" | sed -n 's/^py_kept=//p')
python3 -c "
import json; r = json.load(open('$tmp/full.json'))
assert r['kept'] == $py_kept, (r['kept'], $py_kept)"

# Repeated --keep/--dedup take one value each: shards may follow them.
"$oqvl" -q data filter --keep "caption_words >= 1" "$tmp/demo/train/00000.tar" --dedup uid,image --dedup url_caption \
  "$tmp/demo/train/00001.tar" --out "$tmp/ok" --json > "$tmp/ok.json"
python3 -c "
import json; r = json.load(open('$tmp/ok.json'))
assert r['input'] == {'shards': 2, 'samples': 2000} and r['options']['dedup'] == ['uid', 'image', 'url_caption'], r"

# Bad input: one-line error, exit 2, nothing written.
expect_fail() {  # expect_fail <message part> <args...>
  local part=$1; shift
  set +e
  "$oqvl" -q data filter "$@" > "$tmp/err.txt" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 2 ] || { echo "expected exit 2, got $rc: $*"; cat "$tmp/err.txt"; exit 1; }
  grep -q "$part" "$tmp/err.txt" || { echo "expected '$part' in:"; cat "$tmp/err.txt"; exit 1; }
  [ "$(wc -l < "$tmp/err.txt")" = 1 ] || { echo "not one line:"; cat "$tmp/err.txt"; exit 1; }
}
python3 -c "import numpy as np; np.save('$tmp/t/bad.npy', np.zeros(3, dtype='<f8'))"
expect_fail "not a uid list" "${inputs[@]}" --out "$tmp/b1" --keep "uid in $tmp/t/bad.npy"
expect_fail "clip_scor" "${inputs[@]}" --out "$tmp/b2" --scores "$tmp/t/scores.csv" --keep "clip_scor >= 0.3"
echo x > "$tmp/afile"
expect_fail "output folder" "${inputs[@]}" --out "$tmp/afile/x" --keep "caption_words >= 1"
# Cut the second shard in the middle of an image's data, about halfway through.
python3 - "$tmp/demo/train/00001.tar" "$tmp/cut.tar" <<'EOF'
import os, sys, tarfile
src, dst = sys.argv[1:]
half = os.path.getsize(src) // 2
m = next(m for m in tarfile.open(src) if m.name.endswith(".jpg") and m.offset > half)
open(dst, "wb").write(open(src, "rb").read()[:m.offset_data + m.size // 2])
EOF
expect_fail "cut.tar" "$tmp/demo/train/00000.tar" "$tmp/cut.tar" --out "$tmp/b3" --keep "caption_words >= 1"
test ! -e "$tmp/b3/filter-job-0000-of-0001.summary.json"
"$oqvl" -q data filter --json --skip-bad "$tmp/demo/train/00000.tar" "$tmp/cut.tar" --out "$tmp/b4" --keep "caption_words >= 1" > "$tmp/b4.json"
python3 -c "
import json; r = json.load(open('$tmp/b4.json'))
assert r['skipped_bad_input'] and 1000 < r['input']['samples'] < 2000 and r['kept'] == r['input']['samples'], r"
echo "filter.sh: ok"
