#!/usr/bin/env python3
"""Reference for bench/image_bench.cpp: the trainer's image path with Pillow + numpy
(open, convert RGB, resize 384x384 BICUBIC, to float32 [0, 1], normalize 0.5/0.5, CHW),
on files already in memory. Prints `python threads=T images_per_s=X per_core=Y`, X being the
best of --repeat passes.
Threads > 1 use processes (the GIL would serialize Python threads).

Usage: python3 bench/image_bench.py FOLDER [--threads 1] [--repeat 3] [--size 384]
"""
import argparse
import glob
import io
import multiprocessing as mp
import os
import time

import numpy as np
from PIL import Image


def preprocess(data, size):
    im = Image.open(io.BytesIO(data)).convert("RGB").resize((size, size), Image.BICUBIC)
    x = np.asarray(im, dtype=np.float32) / np.float32(255)
    x = (x - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def run(args):
    """Images/s of the best of `repeat` passes over the files (least disturbed by other load)."""
    files, repeat, size = args
    blobs = [open(f, "rb").read() for f in files]
    preprocess(blobs[0], size)  # warm-up
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for b in blobs:
            preprocess(b, size)
        best = max(best, len(blobs) / (time.perf_counter() - start))
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--size", type=int, default=384)
    a = p.parse_args()
    files = sorted(glob.glob(os.path.join(a.folder, "*.jpg")))
    if not files:
        raise SystemExit(f"no .jpg files in {a.folder}")
    if a.threads == 1:
        rate = run((files, a.repeat, a.size))
    else:
        # One process per thread, each on its share of the files, all running at once.
        shards = [files[i::a.threads] for i in range(a.threads)]
        with mp.Pool(a.threads) as pool:
            rate = sum(pool.map(run, [(s, a.repeat, a.size) for s in shards]))
    print(f"python threads={a.threads} images_per_s={rate:.1f} per_core={rate / a.threads:.1f}")


if __name__ == "__main__":
    main()
