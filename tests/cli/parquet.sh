#!/usr/bin/env bash
# Parquet both ways (Apache Arrow C++ in oqvl, pyarrow as the reference):
# - `oqvl data filter --scores` reads score tables pyarrow wrote (one file, a folder of per-shard
#   files, a glob) and keeps exactly the samples it keeps with the same table as CSV;
# - `oqvl data download` reads a URL list pyarrow wrote (extra columns keep their types) and
#   writes per-shard status tables pyarrow reads with the same rows as the jsonl tables.
# Usage: parquet.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules pyarrow webdataset PIL
oqvl=$1
src=$2
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
python3 -c 'import pyarrow as pa, pyarrow.parquet as pq; pq.write_table(pa.table({"url": ["x"]}), "'"$tmp"'/probe.parquet")'
if "$oqvl" data filter "$tmp/none.tar" --out "$tmp/x" --scores "$tmp/probe.parquet" 2>&1 | grep -q "built without Apache Arrow"; then
  skip "this oqvl was built without Apache Arrow (pyarrow in the project's Python at configure time)"
fi
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
  skip "Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)"

# Score tables: the same scores as CSV, one Parquet, and a folder of three Parquet files.
"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 600 --test-samples 10 --shard-size 200 > /dev/null
python3 - "$tmp" << 'PY'
import csv, hashlib, json, os, sys
import pyarrow as pa, pyarrow.parquet as pq, webdataset as wds
tmp = sys.argv[1]
rows = []
for i in range(3):
    for s in wds.WebDataset(f"{tmp}/demo/train/{i:05d}.tar", shardshuffle=False):
        uid = json.loads(s["json"])["uid"]
        h = hashlib.sha256(uid.encode()).digest()
        su = None if h[1] < 20 else h[0] % 100      # some nulls: no score, the rule fails
        rows.append({"uid": uid, "semantic_understanding": su, "clip": h[2] / 255})
with open(f"{tmp}/scores.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["uid", "semantic_understanding", "clip"])
    for r in rows:
        w.writerow([r["uid"], "" if r["semantic_understanding"] is None else r["semantic_understanding"], r["clip"]])
table = pa.table({"uid": [r["uid"] for r in rows],
                  "semantic_understanding": pa.array([r["semantic_understanding"] for r in rows], pa.int32()),
                  "clip": pa.array([r["clip"] for r in rows], pa.float32())})
pq.write_table(table, f"{tmp}/scores.parquet")
os.makedirs(f"{tmp}/tables")
for i in range(3):
    pq.write_table(table.slice(i * 200, 200), f"{tmp}/tables/{i:05d}.parquet")
PY
keep=(--keep 'semantic_understanding >= 50 and clip >= 0.25' --threads 1)
"$oqvl" -q data filter "$tmp/demo/train/*.tar" --out "$tmp/f_csv" --scores "$tmp/scores.csv" "${keep[@]}" > /dev/null
"$oqvl" -q data filter "$tmp/demo/train/*.tar" --out "$tmp/f_pq" --scores "$tmp/scores.parquet" "${keep[@]}" > /dev/null
"$oqvl" -q data filter "$tmp/demo/train/*.tar" --out "$tmp/f_dir" --scores "$tmp/tables" "${keep[@]}" > /dev/null
"$oqvl" -q data filter "$tmp/demo/train/*.tar" --out "$tmp/f_glob" --scores "$tmp/tables/*.parquet:key=uid" "${keep[@]}" > /dev/null
python3 - "$tmp" << 'PY'
import glob, sys, webdataset as wds
tmp = sys.argv[1]
def keys(d):
    return [s["__key__"] for f in sorted(glob.glob(f"{d}/*.tar")) for s in wds.WebDataset(f, shardshuffle=False, empty_check=False)]
want = keys(f"{tmp}/f_csv")
assert 50 < len(want) < 550, len(want)
for d in ("f_pq", "f_dir", "f_glob"):
    assert keys(f"{tmp}/{d}") == want, d
print(f"ok: filter kept {len(want)} of 600 with Parquet tables, as with CSV")
PY

# Download from a Parquet URL list; status tables back to pyarrow.
require_skimage_data
mkdir "$tmp/photos"
for f in astronaut.png chelsea.png coffee.png camera.png; do cp "$OQVL_SKIMAGE_DATA/$f" "$tmp/photos/"; done
python3 "$src/tests/cli/download_server.py" "$tmp/photos" "$tmp/port" "$tmp/requests.log" &
server_pid=$!
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
python3 - "$tmp" "$port" << 'PY'
import os, sys
import pyarrow as pa, pyarrow.parquet as pq
tmp, port = sys.argv[1], sys.argv[2]
photos = sorted(os.listdir(f"{tmp}/photos"))
urls = [f"http://127.0.0.1:{port}/img/{p}" for p in photos] + [f"http://127.0.0.1:{port}/status/404"]
pq.write_table(pa.table({
    "URL": urls,
    "TEXT": [f"caption {i}" for i in range(len(urls) - 1)] + [None],
    "uid": [f"{i:032x}" for i in range(len(urls))],
    "similarity": pa.array([0.25 * i for i in range(len(urls))], pa.float64()),
    "NSFW": pa.array([i % 2 for i in range(len(urls))], pa.int64()),
}), f"{tmp}/list.parquet")
PY
"$oqvl" -q data download "$tmp/list.parquet" --out "$tmp/d" --url-col URL --caption-col TEXT \
  --save-additional-columns uid,similarity,NSFW --shard-size 3 --image-size 32 > /dev/null
python3 - "$tmp" << 'PY'
import json, sys
import pyarrow.parquet as pq, webdataset as wds
tmp = sys.argv[1]
rows = []
for i in range(2):
    t = pq.read_table(f"{tmp}/d/{i:05d}.parquet")
    jl = [json.loads(l) for l in open(f"{tmp}/d/{i:05d}.jsonl")]
    assert t.to_pylist() == jl, (t.to_pylist(), jl)
    assert t.schema.field("width").type == "int64" and t.schema.field("similarity").type == "double", t.schema
    rows += jl
assert [r["status"] for r in rows] == ["success"] * 4 + ["failed_to_download"], rows
assert rows[4]["error_message"] == "http 404" and rows[4]["caption"] is None
assert [r["similarity"] for r in rows] == [0.0, 0.25, 0.5, 0.75, 1.0] and rows[3]["NSFW"] == 1
s = next(iter(wds.WebDataset(f"{tmp}/d/00001.tar", shardshuffle=False)))
assert s["txt"] == b"caption 3" and json.loads(s["json"])["uid"] == f"{3:032x}"
print("ok: Parquet URL list read, status tables read by pyarrow")
PY

# Bad Parquet input: one error line, exit 2.
echo "not parquet" > "$tmp/bad.parquet"
set +e
"$oqvl" data download "$tmp/bad.parquet" --out "$tmp/x" 2> "$tmp/err.txt"
rc=$?
"$oqvl" data download "$tmp/list.parquet" --out "$tmp/x" 2> "$tmp/err2.txt"
rc2=$?
set -e
[ "$rc" = 2 ] && grep -q "oqvl: error: .*bad.parquet" "$tmp/err.txt" || { echo "FAIL: bad parquet: $rc"; cat "$tmp/err.txt"; exit 1; }
[ "$rc2" = 2 ] && grep -q "no column 'url'" "$tmp/err2.txt" || { echo "FAIL: missing column: $rc2"; cat "$tmp/err2.txt"; exit 1; }
echo "parquet: all checks passed"
