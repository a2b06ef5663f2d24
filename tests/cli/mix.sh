#!/usr/bin/env bash
# `oqvl data mix` over packed demo shards: sequence counts from the pack stats, epochs and
# weights respected, the same seed gives the same manifest, a bad spec exits 2.
# Usage: mix.sh <oqvl-binary> <source-dir>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
oqvl=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$oqvl" -q data make-demo --out "$tmp/demo" --train-samples 1200 --test-samples 10 --shard-size 300 > /dev/null
"$oqvl" -q data pack "$tmp/demo/train/0000{0,1}.tar" --out "$tmp/p1" > /dev/null
"$oqvl" -q data pack "$tmp/demo/train/0000{2,3}.tar" --out "$tmp/p2" > /dev/null
cd "$tmp"
"$oqvl" -q data mix --source 'a=p1/*.tar:epochs=2' --source 'b=p2/*.tar:weight=1' --seed 7 \
  --sequences 100 --out m1.json > /dev/null
"$oqvl" -q data mix --source 'a=p1/*.tar:epochs=2' --source 'b=p2/*.tar:weight=1' --seed 7 \
  --sequences 100 --out m2.json > /dev/null
cmp m1.json m2.json
python3 - <<'EOF_PY'
import json
m = json.load(open("m1.json"))
counts = {}
for name in ("p1", "p2"):
    for stem in ("00000", "00001", "00002", "00003"):
        try:
            counts[f"{name}/{stem}.tar"] = json.load(open(f"{name}/{stem}.stats.json"))["sequences"]
        except FileNotFoundError:
            pass
per = {}
for e in m["entries"]:
    assert e["sequences"] == counts[e["shard"]], e
    per[e["source"]] = per.get(e["source"], 0) + e["sequences"]
a = sum(v for k, v in counts.items() if k.startswith("p1/"))
assert per["a"] == 2 * a, (per, a)
b_target = 100 - 2 * a
assert b_target <= per["b"] < b_target + max(counts.values()), per
assert m["sequences"] == per["a"] + per["b"]
print("mix.sh: manifest", per)
EOF_PY
set +e
"$oqvl" -q data mix --source 'a=p1/*.tar:epochs=zero' --out m3.json 2> err.txt; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "epochs must be a positive number" err.txt || { echo "rc=$rc"; cat err.txt; exit 1; }
[ ! -e m3.json ]
echo "mix.sh: OK"
