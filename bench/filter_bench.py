#!/usr/bin/env python3
"""Python baseline for `oqvl data filter`: the same recipe with webdataset + numpy + Pillow,
single process, in the straightforward way a curation script would do it.

Rules (as in bench/run_filter_bench.sh): semantic_understanding >= 85 (CSV keyed by uid) OR
uid in the DFN .npy; caption_words >= 1 after whitespace cleanup; image_min_side >= 28 and
aspect ratio <= 3 from the image header (PIL.Image.open reads only the header); dedup by uid,
exact image bytes and (url, caption), first occurrence wins; cleaned captions written back;
output re-sharded with webdataset's ShardWriter (10,000 per shard).
Prints kept count and samples/s (best of --repeat).
"""
import argparse
import io
import json
import os
import re
import tempfile
import time

import numpy as np
import webdataset as wds
from PIL import Image

SPACE = re.compile(r"\s+")


def run(shards, scores_csv, dfn_npy, out_dir):
    su = {}
    with open(scores_csv) as f:
        header = f.readline().rstrip("\n").split(",")
        ui, si = header.index("uid"), header.index("semantic_understanding")
        for line in f:
            cells = line.rstrip("\n").split(",")
            su[cells[ui]] = float(cells[si])
    arr = np.load(dfn_npy)
    dfn = {f"{int(hi):016x}{int(lo):016x}" for hi, lo in zip(arr["f0"].tolist(), arr["f1"].tolist())}
    seen_uid, seen_img, seen_text = set(), set(), set()
    total = kept = 0
    with wds.ShardWriter(os.path.join(out_dir, "%06d.tar"), maxcount=10000, verbose=0) as sink:
        for s in wds.WebDataset(shards, shardshuffle=False):
            total += 1
            meta = json.loads(s["json"])
            uid = meta.get("uid", "")
            if not (su.get(uid, float("nan")) >= 85 or uid in dfn):
                continue
            caption = SPACE.sub(" ", s["txt"].decode("utf-8", "replace")).strip()
            if len(caption.split()) < 1:
                continue
            try:
                w, h = Image.open(io.BytesIO(s["jpg"])).size
            except Exception:
                continue
            if min(w, h) < 28 or max(w, h) / min(w, h) > 3:
                continue
            img = hash(s["jpg"])
            text = hash((meta.get("url", ""), caption))
            if uid in seen_uid or img in seen_img or text in seen_text:
                continue
            seen_uid.add(uid)
            seen_img.add(img)
            seen_text.add(text)
            out = {"__key__": s["__key__"], "jpg": s["jpg"], "txt": caption.encode(), "json": s["json"]}
            sink.write(out)
            kept += 1
    return total, kept


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scores", required=True)
    p.add_argument("--dfn", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("shards", nargs="+")
    a = p.parse_args()
    best = None
    for _ in range(a.repeat):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            total, kept = run(a.shards, a.scores, a.dfn, out)
            dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print(f"python: {total} samples, kept {kept}, best {best:.3f} s")
    print(f"py_kept={kept}")
    print(f"py_samples_per_s={total / best:.0f}")


if __name__ == "__main__":
    main()
