#!/usr/bin/env python3
"""Writes N JPEGs like img2dataset output (shorter side 512, quality 80-95, 4:2:0) made from
random crops and scales of the real photos on this machine (Debian python3-skimage and
matplotlib sample data) into a folder. Deterministic for a seed. Not committed: regenerate.

Usage: python3 bench/make_image_bench_data.py OUT_DIR [N=200] [SEED=0]
"""
import glob
import os
import random
import sys

from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from skimage_data import require_skimage_data_dir  # noqa: E402

SOURCES = [os.path.join(require_skimage_data_dir(), n) for n in (
    "astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png", "motorcycle_right.png",
    "ihc.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg")] + [
    "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    os.makedirs(out, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in SOURCES if os.path.exists(p)]
    for i in range(n):
        im = rng.choice(photos)
        w, h = im.size
        # A random crop of 50-100% of each side, at most 2:1 aspect.
        cw = rng.randint(w // 2, w)
        ch = max(min(rng.randint(h // 2, h), 2 * cw), cw // 2)
        ch = min(ch, h)
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = im.crop((x, y, x + cw, y + ch))
        s = 512 / min(cw, ch)
        crop = crop.resize((max(1, round(cw * s)), max(1, round(ch * s))), Image.BICUBIC)
        crop.save(os.path.join(out, f"{i:05d}.jpg"), quality=rng.randint(80, 95))
    print(f"{n} JPEGs in {out}")


if __name__ == "__main__":
    main()
