#!/usr/bin/env python3
"""Reference for bench/tar_bench.cpp: Python's webdataset reading the same shards.

Usage: tar_bench.py [--repeat R] SHARDS...

Two ways, both loading every member's bytes of every sample (webdataset reads each member
with tarfile's extractfile().read() into a dict per sample; we only sum the lengths):
  - pipeline:    wds.WebDataset(urls, shardshuffle=False), the usual user-facing reader;
  - tariterators: url_opener + tar_file_expander + group_by_keys directly, without the pipeline stages.
One untimed pass warms the page cache; the best of R timed passes is reported as MB/s of
shard bytes (1 MB = 1e6 bytes). The faster of the two is printed as py_mb_per_s.
"""
import os
import sys
import time

import webdataset as wds
from webdataset import tariterators


def pipeline(urls):
    n = total = 0
    for sample in wds.WebDataset(urls, shardshuffle=False):
        n += 1
        total += sum(len(v) for k, v in sample.items() if not k.startswith("__"))
    return n, total


def direct(urls):
    n = total = 0
    streams = tariterators.url_opener({"url": u} for u in urls)
    files = tariterators.tar_file_expander(streams)
    for sample in tariterators.group_by_keys(files):
        n += 1
        total += sum(len(v) for k, v in sample.items() if not k.startswith("__"))
    return n, total


def main():
    args = sys.argv[1:]
    repeat = 3
    if args[:1] == ["--repeat"]:
        repeat = int(args[1])
        args = args[2:]
    urls = args
    size = sum(os.path.getsize(u) for u in urls)
    best_rate = 0.0
    for name, fn in (("pipeline", pipeline), ("tariterators", direct)):
        fn(urls)  # warm the page cache
        best = 1e30
        for _ in range(repeat):
            t0 = time.perf_counter()
            n, payload = fn(urls)
            best = min(best, time.perf_counter() - t0)
        assert payload > 0
        rate = size / 1e6 / best
        best_rate = max(best_rate, rate)
        print(f"python webdataset {wds.__version__} ({name}): {len(urls)} shards, {n} samples, "
              f"{size / 1e6:.1f} MB in {best:.4f} s (best of {repeat}): {rate:.1f} MB/s, "
              f"{n / best:.0f} samples/s")
    print(f"py_mb_per_s={best_rate:.1f}")


if __name__ == "__main__":
    main()
