#!/usr/bin/env bash
# `oqvl data inspect` on the Python-made fixture shards: sample counts, field counts and captions
# must match what Python's webdataset read (tests/fixtures/tar/expected.json); bad shards must
# fail with exit 2 and a message naming shard and byte offset, or be counted with --skip-bad.
# Usage: inspect.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
oqvl=$1
src=$2
fixtures=$src/tests/fixtures/tar
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. JSON summary of all fixtures (a glob spec and a brace spec) against Python's reading.
"$oqvl" -q data inspect --json --samples 100 "$fixtures/*.tar" > "$tmp/all.json"
python3 - "$tmp/all.json" "$fixtures/expected.json" <<'EOF'
import json, os, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))["shards"]
assert [os.path.basename(s["path"]) for s in got["shards"]] == sorted(want), got["shards"]
for s in got["shards"]:
    w = want[os.path.basename(s["path"])]
    assert s["samples"] == len(w), (s["path"], s["samples"], len(w))
    counts = {}
    for sample in w:
        for ext, _ in sample["fields"]:
            counts[ext] = counts.get(ext, 0) + 1
    assert {e: f["count"] for e, f in s.get("fields", {}).items()} == counts, (s["path"], counts)
    caps = [(x["key"], bytes.fromhex(dict(x["fields"])["txt"]).decode()) for x in w
            if "txt" in dict(x["fields"])]
    assert [(c["key"], c["txt"]) for c in s.get("captions", [])] == caps, s["path"]
assert got["total"]["samples"] == sum(len(v) for v in want.values())
assert got["total"]["skipped"] == {"tar member without key": 2}, got["total"]["skipped"]
print("inspect.sh: json matches webdataset's reading")
EOF

# 2. Text output names what it found.
"$oqvl" -q data inspect "$fixtures/{wds,pax}.tar" > "$tmp/text.txt"
grep -q "samples: 5" "$tmp/text.txt"
grep -q "000000001: caption number 1" "$tmp/text.txt"
grep -q "total: 7 samples" "$tmp/text.txt"

# 3. A truncated shard: exit 2 with shard and byte offset; --skip-bad counts it and goes on.
head -c 3000 "$fixtures/wds.tar" > "$tmp/cut.tar"
set +e
"$oqvl" -q data inspect "$tmp/cut.tar" > /dev/null 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "expected exit 2 on a truncated shard, got $rc"; exit 1; }
grep -q "cut.tar.*truncated\|cut.tar.*end of file.*byte" "$tmp/err.txt" || { cat "$tmp/err.txt"; exit 1; }
"$oqvl" -q data inspect --skip-bad --json "$tmp/cut.tar" "$fixtures/wds.tar" > "$tmp/skip.json"
python3 -c "
import json, sys
j = json.load(open('$tmp/skip.json'))
assert j['total']['skipped'] == {'truncated tar': 1}, j['total']
assert j['shards'][1]['samples'] == 5
assert j['shards'][0]['samples'] < 5
"

# 4. Specs that match nothing, and non-tar input.
set +e
"$oqvl" -q data inspect "$tmp/missing-{000..002}.tar" 2> "$tmp/err2.txt"; rc1=$?
echo "not a tar at all, just text" > "$tmp/text.tar"
"$oqvl" -q data inspect "$tmp/text.tar" 2> "$tmp/err3.txt"; rc2=$?
set -e
[ "$rc1" -eq 2 ] && grep -q "does not exist" "$tmp/err2.txt" || { cat "$tmp/err2.txt"; exit 1; }
[ "$rc2" -eq 2 ] && grep -q "not a tar" "$tmp/err3.txt" || { cat "$tmp/err3.txt"; exit 1; }

# 5. Standard input.
"$oqvl" -q data inspect --json - < "$fixtures/wds.tar" | grep -q '"samples": 5'
echo "inspect.sh: OK"
