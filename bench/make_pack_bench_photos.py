#!/usr/bin/env python3
"""Raw image-caption shards of real-photo JPEGs (shorter side 512, as img2dataset writes them),
for bench/run_pack_bench.sh's "photos" mode: the JPEGs of bench/make_image_bench_data.py,
each paired with the caption of a demo sample, SHARDS x PER_SHARD samples. Deterministic.

Usage: make_pack_bench_photos.py JPEG_DIR DEMO_SHARD OUT_DIR SHARDS PER_SHARD
"""
import glob
import io
import os
import sys
import tarfile

import webdataset as wds


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def main():
    jpeg_dir, demo, out, shards, per_shard = sys.argv[1:4] + [int(a) for a in sys.argv[4:6]]
    jpegs = sorted(glob.glob(os.path.join(jpeg_dir, "*.jpg")))
    captions = [s["txt"] for s in wds.WebDataset(demo, shardshuffle=False)]
    os.makedirs(out, exist_ok=True)
    n = 0
    for shard in range(shards):
        with tarfile.open(os.path.join(out, f"{shard:05d}.tar"), "w", format=tarfile.USTAR_FORMAT) as tar:
            for _ in range(per_shard):
                key = f"{n:09d}"
                add(tar, key + ".jpg", open(jpegs[n % len(jpegs)], "rb").read())
                add(tar, key + ".txt", captions[n % len(captions)])
                add(tar, key + ".json", b'{"key": "%s"}' % key.encode())
                n += 1
    print(f"{n} samples in {shards} shards in {out}")


if __name__ == "__main__":
    main()
