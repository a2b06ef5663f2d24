#!/usr/bin/env bash
# Packing benchmark: `oqvl data pack` (threads 1 and 2) against bench/pack_reference.py, a
# faithful Python re-implementation of the paper's packer, on the same demo shards (paper-size
# windows of 10,000 samples). Prints samples/s per core and the ratio, and checks that both
# make the same bins (same keys in the same bins, same order) with the same lengths.
# Modes: "demo" (default): Fashion-MNIST demo shards (28x28 JPEGs, 10,000 samples per shard),
# where tokenization and packing dominate; both sides keep the images ("original" in oqvl,
# decoded by both). "photos": 512-px real-photo JPEGs (2,000 per shard), where image work
# dominates; the reference decodes and LANCZOS-resizes them to 384x384, oqvl runs with
# --store resized (decode, LANCZOS, JPEG encode).
# Usage (repo root, after building into build/):
#   bash bench/run_pack_bench.sh [build-dir] [shards=2] [demo|photos]
set -euo pipefail
source "$(dirname "$0")/../scripts/python_env.sh"  # python3 = the project's .venv
BUILD=${1:-build}
SHARDS=${2:-2}
MODE=${3:-demo}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$MODE" = photos ]; then
  "$BUILD/oqvl" -q data make-demo --out "$tmp/demo" --train-samples 1000 --test-samples 10 \
    --shard-size 1000 > /dev/null
  python3 bench/make_image_bench_data.py "$tmp/jpegs" 300 > /dev/null
  python3 bench/make_pack_bench_photos.py "$tmp/jpegs" "$tmp/demo/train/00000.tar" "$tmp/in" \
    "$SHARDS" 2000 > /dev/null
  flags="--store resized"
else
  "$BUILD/oqvl" -q data make-demo --out "$tmp/in" --train-samples $((SHARDS * 10000)) \
    --test-samples 10 --shard-size 10000 > /dev/null
  mv "$tmp/in/train" "$tmp/in_train" && rm -rf "$tmp/in" && mv "$tmp/in_train" "$tmp/in"
  flags="--decode-check"
fi
inputs=$(ls "$tmp"/in/*.tar)

now() { date +%s.%N; }
t0=$(now)
ref=$(python3 bench/pack_reference.py "$tmp/ref" "$tmp/ref_bins.json" $inputs)
t1=$(now)
"$BUILD/oqvl" -q data pack $inputs --out "$tmp/c1" --threads 1 $flags > /dev/null
t2=$(now)
"$BUILD/oqvl" -q data pack $inputs --out "$tmp/c2" --threads 2 $flags > /dev/null
t3=$(now)
python3 - "$tmp" "$ref" "$t0" "$t1" "$t2" "$t3" <<'PY'
import glob, json, os, sys, tarfile
tmp, ref = sys.argv[1], json.loads(sys.argv[2])
t0, t1, t2, t3 = map(float, sys.argv[3:7])
want = json.load(open(f"{tmp}/ref_bins.json"))

def cpp_bins(folder):
    bins, lengths = {}, {}
    for path in sorted(glob.glob(f"{folder}/*.tar")):
        stem = os.path.basename(path)[:-4]
        bins[stem], lengths[stem] = [], {}
        with tarfile.open(path) as tar:
            for m in tar:
                if m.name.endswith(".json"):
                    meta = json.load(tar.extractfile(m))
                    bins[stem].append(meta["keys"])
                    lengths[stem].update(zip(meta["keys"], meta["lengths"]))
    return bins, lengths

for folder in ("c1", "c2"):
    bins, lengths = cpp_bins(f"{tmp}/{folder}")
    assert lengths == want["lengths"], f"{folder}: per-sample lengths differ from the reference"
    assert bins == want["bins"], f"{folder}: bin assignments differ from the reference"
s1 = json.load(open(f"{tmp}/c1/pack-job-0000-of-0001.summary.json"))
s2 = json.load(open(f"{tmp}/c2/pack-job-0000-of-0001.summary.json"))
n = ref["samples"]
assert s1["input_samples"] == s2["input_samples"] == n
py = n / ref["seconds"]
c1 = n / s1["seconds"]
c2 = n / s2["seconds"] / 2
print(f"{n} samples in {len(want['bins'])} windows, {ref['sequences']} sequences; "
      f"bins and lengths identical to the reference: yes")
print(f"{'packing only (after tokenizer load), samples/s per core':58s} {'':>10s}")
print(f"  {'Python reference (1 process)':56s} {py:10,.0f}")
print(f"  {'oqvl --threads 1':56s} {c1:10,.0f}   ratio {c1 / py:6.1f}x")
print(f"  {'oqvl --threads 2 (per core)':56s} {c2:10,.0f}   ratio {c2 / py:6.1f}x")
print(f"{'end to end (process start, tokenizer load, packing), wall s':58s}")
print(f"  Python {t1 - t0:.2f}   oqvl t1 {t2 - t1:.2f} ({(t1 - t0) / (t2 - t1):.1f}x)   "
      f"oqvl t2 {t3 - t2:.2f} ({(t1 - t0) / (t3 - t2):.1f}x, {(t1 - t0) / (t3 - t2) / 2:.1f}x per core)")
PY
