#!/usr/bin/env bash
# `oqvl data download` against a loopback HTTP server (tests/cli/download_server.py) serving
# scikit-image's real photos and the faults of a web crawl: every good image arrives (resized,
# sha256 of the downloaded bytes), every fault is recorded with img2dataset's status and our error
# phrase, the shards read back with Python's webdataset with the right keys/captions/extra columns,
# a rerun skips complete shards, a partial one (tar without stats, stale temp file) is redone and
# only its URLs are fetched again, with the same bytes; txt/tsv.gz/jsonl inputs; bad input exits 2.
# Usage: download.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_python_modules webdataset PIL
require_skimage_data
oqvl=$1
src=$2
"$oqvl" data download --help > /dev/null
have_download "$oqvl" || skip "this oqvl was built without libcurl"
tmp=$(mktemp -d)
on_exit 'rm -rf "$tmp"'

# Photos: a few of scikit-image's (PNG and JPEG, colour and grey).
mkdir "$tmp/photos"
for f in astronaut.png chelsea.png coffee.png camera.png rocket.jpg hubble_deep_field.jpg motorcycle_left.png; do
  [ ! -f "$OQVL_SKIMAGE_DATA/$f" ] || cp "$OQVL_SKIMAGE_DATA/$f" "$tmp/photos/"
done
start_download_server "$tmp/photos" "$tmp/requests.log"
port=${server_url##*:}

# The URL list and what each row must give: expected.json (python writes both).
python3 - "$tmp" "$port" << 'PY'
import csv, gzip, json, os, socket, sys
tmp, port = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"
photos = sorted(os.listdir(f"{tmp}/photos"))
s = socket.socket(); s.bind(("127.0.0.1", 0)); closed_port = s.getsockname()[1]; s.close()
rows = [(f"{base}/img/{p}", "success", None) for p in photos]
rows += [
    (f"{base}/wrongtype/{photos[0]}", "success", None),
    (f"{base}/redirect/{photos[1]}", "success", None),
    (f"{base}/flaky/{photos[2]}", "success", None),
    (f"{base}/optout-other/{photos[3]}", "success", None),
    (f"{base}/optout/{photos[0]}", "failed_to_download", "opted out (X-Robots-Tag)"),
    (f"{base}/optout-us/{photos[1]}", "failed_to_download", "opted out (X-Robots-Tag)"),
    (f"{base}/status/404", "failed_to_download", "http 404"),
    (f"{base}/status/500", "failed_to_download", "http 500"),
    (f"{base}/status/403", "failed_to_download", "http 403"),
    (f"{base}/sleep", "failed_to_download", "timeout"),
    (f"{base}/slowbody/{photos[0]}", "failed_to_download", "timeout"),
    (f"{base}/truncated/{photos[0]}", "failed_to_download", "truncated body"),
    (f"{base}/loop/0", "failed_to_download", "too many redirects"),
    (f"{base}/huge", "failed_to_download", "body too large"),
    (f"{base}/endless", "failed_to_download", "body too large"),
    (f"http://127.0.0.1:{closed_port}/x.jpg", "failed_to_download", "connection failed"),
    ("ftp://127.0.0.1/x.jpg", "failed_to_download", "bad url"),
    ("", "failed_to_download", "empty url"),
    (f"{base}/html", "failed_to_resize", "image decoding error"),
    (f"{base}/small.png", "failed_to_resize", "image too small"),
    (f"{base}/wide.png", "failed_to_resize", "aspect ratio too large"),
]
caption = lambda i: f'photo {i}, "quoted"\nsecond line'  # commas, quotes, a line break
with open(f"{tmp}/list.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["url", "caption", "uid", "note"])
    for i, (url, _, _) in enumerate(rows):
        w.writerow([url, caption(i), f"{i:032x}", i * 10])
json.dump([{"url": u, "status": st, "error": e, "caption": caption(i), "uid": f"{i:032x}",
            "note": str(i * 10)} for i, (u, st, e) in enumerate(rows)], open(f"{tmp}/expected.json", "w"))
with open(f"{tmp}/list.txt", "w") as f:
    for p in photos[:3]:
        f.write(f"{base}/img/{p}\n\n")
with open(f"{tmp}/list.jsonl", "w") as f:
    for i, p in enumerate(photos[:3]):
        f.write(json.dumps({"URL": f"{base}/img/{p}", "text": f"caption {i}", "score": i / 2}) + "\n")
with gzip.open(f"{tmp}/list.tsv.gz", "wt") as f:
    f.write("url\tcaption\n")
    for i, p in enumerate(photos[:3]):
        f.write(f"{base}/img/{p}\tcaption {i}\n")
PY

opts=(--shard-size 8 --image-size 64 --resize-mode border --timeout 2 --retries 1 --retry-backoff 0.1
      --min-image-size 32 --max-aspect-ratio 5 --max-body-bytes 4000000 --connections 16 --threads 2
      --save-additional-columns uid,note)
"$oqvl" data download "$tmp/list.csv" --out "$tmp/o" "${opts[@]}" > "$tmp/run1.txt" 2> "$tmp/run1.err"
cat "$tmp/run1.txt"
grep -q "success: " "$tmp/run1.txt"
grep -q "success [0-9.]*%" "$tmp/run1.err"  # the progress line shows the success rate

check() {  # check OUT: every row as expected, shards readable by webdataset
  python3 - "$tmp" "$1" << 'PY'
import glob, hashlib, io, json, sys
import webdataset as wds
from PIL import Image
tmp, out = sys.argv[1], sys.argv[2]
exp = json.load(open(f"{tmp}/expected.json"))
n = len(exp)
shards = sorted(glob.glob(f"{out}/*.tar"))
assert len(shards) == (n + 7) // 8, shards
table = []
for i in range(len(shards)):
    table += [json.loads(l) for l in open(f"{out}/{i:05d}.jsonl")]
    stats = json.load(open(f"{out}/{i:05d}_stats.json"))
    rows = exp[i * 8:(i + 1) * 8]
    assert stats["count"] == len(rows), stats
    assert stats["successes"] == sum(r["status"] == "success" for r in rows), stats
assert len(table) == n
got = {}
for shard in shards:
    for s in wds.WebDataset(shard, shardshuffle=False, empty_check=False):
        got[s["__key__"]] = s
for i, (e, t) in enumerate(zip(exp, table)):
    key = f"{i // 8:05d}{i % 8:01d}"
    assert t["key"] == key and t["url"] == e["url"], (t, e)
    assert t["status"] == e["status"], (i, t, e)
    assert t["uid"] == e["uid"] and t["note"] == e["note"] and t["caption"] == e["caption"], t
    if e["status"] == "success":
        assert t["error_message"] is None
        s = got.pop(key)
        assert s["txt"].decode() == e["caption"]
        assert json.loads(s["json"]) == t, (s["json"], t)
        img = Image.open(io.BytesIO(s["jpg"]))
        assert img.size == (64, 64) and (t["width"], t["height"]) == (64, 64), (img.size, t)
        raw = open(f"{tmp}/photos/{e['url'].rsplit('/', 1)[1]}", "rb").read()
        assert t["sha256"] == hashlib.sha256(raw).hexdigest()
        assert (t["original_width"], t["original_height"]) == Image.open(io.BytesIO(raw)).size, t
    else:
        assert t["error_message"].startswith(e["error"]), (i, t, e)
        assert t["width"] is None
assert not got, f"samples not in the table: {list(got)}"
print(f"ok: {n} rows, {sum(e['status'] == 'success' for e in exp)} images")
PY
}
check "$tmp/o"
grep -q '"failed_to_download"' "$tmp/o/download-job-0000-of-0001.summary.json"

# Rerun: everything complete, no request made.
before=$(wc -l < "$tmp/requests.log")
"$oqvl" -q data download "$tmp/list.csv" --out "$tmp/o" "${opts[@]}" > "$tmp/run2.txt"
grep -q "already complete, skipped" "$tmp/run2.txt"
[ "$(wc -l < "$tmp/requests.log")" = "$before" ] || { echo "FAIL: a complete rerun made requests"; exit 1; }

# A partial shard (tar written, stats not: the run died in between) and a stale temp file: only
# that shard is fetched again, and it comes out the same.
cp "$tmp/o/00001.tar" "$tmp/00001.tar.first"
cp "$tmp/o/00001.jsonl" "$tmp/00001.jsonl.first"
rm "$tmp/o/00001_stats.json"
head -c 700 "$tmp/00001.tar.first" > "$tmp/o/.00001.tar.partial.tmp"
: > "$tmp/requests.log"
"$oqvl" -q data download "$tmp/list.csv" --out "$tmp/o" "${opts[@]}" > "$tmp/run3.txt"
python3 - "$tmp" "$port" << 'PY'
import json, sys
tmp, port = sys.argv[1], sys.argv[2]
prefix = f"http://127.0.0.1:{port}"
want = {e["url"][len(prefix):] for e in json.load(open(f"{tmp}/expected.json"))[8:16]
        if e["url"].startswith(prefix)}
got = set(open(f"{tmp}/requests.log").read().split())
# Redirect chains add their targets; /loop/N goes on to /loop/N+1.
extra = {p for p in got if p not in want and not p.startswith("/img/") and not p.startswith("/loop/")}
assert not extra, f"requests outside shard 1: {extra} (shard 1: {want})"
assert want <= got, f"shard 1 not fetched again: {want - got}"
PY
cmp "$tmp/o/00001.tar" "$tmp/00001.tar.first"
cmp "$tmp/o/00001.jsonl" "$tmp/00001.jsonl.first"
check "$tmp/o"

# Other input formats: txt (no captions), tsv.gz, jsonl with other column names; job arrays.
"$oqvl" -q data download "$tmp/list.txt" --out "$tmp/t" --shard-size 2 --threads 1 > /dev/null
python3 - "$tmp/t" << 'PY'
import sys, webdataset as wds
ss = [s for sh in ("00000", "00001") for s in wds.WebDataset(f"{sys.argv[1]}/{sh}.tar", shardshuffle=False)]
assert [s["__key__"] for s in ss] == ["000000", "000001", "000010"], [s["__key__"] for s in ss]
assert all("txt" not in s and "jpg" in s for s in ss)
PY
"$oqvl" -q data download "$tmp/list.tsv.gz" --out "$tmp/g" --resize-mode center_crop --image-size 32 > /dev/null
python3 - "$tmp/g" << 'PY'
import io, sys, webdataset as wds
from PIL import Image
ss = list(wds.WebDataset(f"{sys.argv[1]}/00000.tar", shardshuffle=False))
assert [s["txt"].decode() for s in ss] == ["caption 0", "caption 1", "caption 2"]
assert all(Image.open(io.BytesIO(s["jpg"])).size == (32, 32) for s in ss)
PY
"$oqvl" -q data download "$tmp/list.jsonl" --out "$tmp/j" --url-col URL --caption-col text \
  --save-additional-columns score --resize-mode no --encode-format png --shard-size 1 --num-shards 2 --shard-index 1 > /dev/null
python3 - "$tmp" << 'PY'
import json, os, sys, webdataset as wds
tmp = sys.argv[1]
assert sorted(f for f in os.listdir(f"{tmp}/j") if f.endswith(".tar")) == ["00001.tar"]
s = next(iter(wds.WebDataset(f"{tmp}/j/00001.tar", shardshuffle=False)))
meta = json.loads(s["json"])
assert meta["score"] == 0.5 and s["txt"] == b"caption 1", meta
name = meta["url"].rsplit("/", 1)[1]
assert name.endswith(".png"), name
assert s["png"] == open(f"{tmp}/photos/{name}", "rb").read()  # --resize-mode no keeps the bytes
PY

# Bad input: one error line, exit 2, nothing written.
expect_fail() {
  local what=$1
  shift
  set +e
  "$oqvl" "$@" > "$tmp/err.out" 2> "$tmp/err.txt"
  local rc=$?
  set -e
  [ "$rc" = 2 ] || { echo "FAIL ($what): exit $rc, want 2"; cat "$tmp/err.txt"; exit 1; }
  [ "$(wc -l < "$tmp/err.txt")" = 1 ] || { echo "FAIL ($what): not one line:"; cat "$tmp/err.txt"; exit 1; }
  grep -q "oqvl: error: .*$what" "$tmp/err.txt" || { echo "FAIL ($what):"; cat "$tmp/err.txt"; exit 1; }
}
expect_fail "not found" data download "$tmp/none.csv" --out "$tmp/x"
expect_fail "no column 'link'" data download "$tmp/list.csv" --out "$tmp/x" --url-col link
expect_fail "no column 'nope'" data download "$tmp/list.csv" --out "$tmp/x" --caption-col nope
expect_fail "unknown resize mode" data download "$tmp/list.csv" --out "$tmp/x" --resize-mode squash
expect_fail "unknown URL list format" data download "$tmp/photos/$(ls "$tmp/photos" | head -1)" --out "$tmp/x"
expect_fail "other options" data download "$tmp/list.csv" --out "$tmp/o" --shard-size 9
expect_fail "connections must be" data download "$tmp/list.csv" --out "$tmp/x" --connections 0
expect_fail "timeout must be" data download "$tmp/list.csv" --out "$tmp/x" --timeout 0
[ ! -e "$tmp/x" ] || { echo "FAIL: a refused run wrote $tmp/x"; exit 1; }
echo "download: all checks passed"
