#!/usr/bin/env python3
"""Generates tests/fixtures/images/: test inputs (real photos from Debian's python3-skimage and
matplotlib sample data, re-encoded like img2dataset output, plus edge-case formats) and Pillow's
reference outputs, listed in manifest.json.

Usage: python3 tools/make_image_goldens.py [out_dir]   (Pillow 13.0.0, numpy)

Each case: input file, expected output PNG = Pillow's
    Image.open(input).convert("RGB").resize((w, h), filter)
and `kind`: "preprocess" (the trainer's 384x384 bicubic; C++ may decode with DCT scaling, so
tests compare with a tolerance) or "resize" (lossless input, C++ resize must match exactly).
"""
import json
import os
import random
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image

from skimage_data import require_skimage_data_dir

SKIMAGE = require_skimage_data_dir()
MPL = "/usr/share/matplotlib/mpl-data/sample_data"
FILTERS = {"bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS, "bilinear": Image.BILINEAR}


def src(name):
    return Image.open(os.path.join(SKIMAGE, name))


def shorter_side(im, side):
    """Scales so the shorter side is `side` (img2dataset's resize_mode=keep_ratio)."""
    w, h = im.size
    s = side / min(w, h)
    return im.resize((round(w * s), round(h * s)), Image.LANCZOS)


def write_png(path, pixels, color_type, bit_depth, interlace=False):
    """A minimal PNG writer (filter 0, optional Adam7) for what Pillow cannot save: 16-bit RGB(A)
    and interlaced files. pixels: uint8 or big-endian uint16 array (H, W, channels)."""
    h, w = pixels.shape[:2]
    raw = pixels.astype(">u2").tobytes() if bit_depth == 16 else pixels.astype(np.uint8).tobytes()
    row_bytes = len(raw) // h
    px = row_bytes // w
    data = bytearray()
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        for y in range(y0, h, dy):
            row = raw[y * row_bytes:(y + 1) * row_bytes]
            cols = range(x0, w, dx)
            if not cols:
                continue
            data += b"\0" + b"".join(row[x * px:(x + 1) * px] for x in cols)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                chunk(b"IDAT", zlib.compress(bytes(data), 9)) + chunk(b"IEND", b""))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "tests", "fixtures", "images")
    os.makedirs(out, exist_ok=True)
    cases = []

    def save(im, name, **kw):
        im.save(os.path.join(out, name), **kw)
        return name

    def case(name, kind="preprocess", size=(384, 384), filt="bicubic", note=""):
        ref = Image.open(os.path.join(out, name)).convert("RGB").resize(size, FILTERS[filt])
        stem = name.replace(".", "_")
        expected = f"{stem}.{filt}{size[0]}x{size[1]}.expected.png"
        ref.save(os.path.join(out, expected), optimize=True)
        cases.append({"input": name, "expected": expected, "kind": kind, "filter": filt,
                      "width": size[0], "height": size[1], "note": note})

    # Real photos as JPEG, as they come from img2dataset (shorter side 512, quality ~90).
    rgb = lambda n: src(n).convert("RGB")
    case(save(Image.open(os.path.join(MPL, "grace_hopper.jpg")), "grace_hopper.jpg", quality=92),
         note="photo JPEG 512x600")
    case(save(rgb("astronaut.png"), "astronaut.jpg", quality=90), note="photo 512x512")
    case(save(shorter_side(rgb("coffee.png"), 512), "coffee.jpg", quality=90), note="photo 768x512")
    case(save(shorter_side(rgb("chelsea.png"), 512), "chelsea.jpg", quality=90, subsampling=2),
         note="photo 770x512, 4:2:0")
    case(save(rgb("ihc.png"), "ihc.jpg", quality=95, subsampling=0), note="photo 512, 4:4:4")
    rocket = src("rocket.jpg")
    case(save(rocket, "rocket_progressive.jpg", quality=90, progressive=True),
         note="progressive JPEG 640x427")
    # Large photos: DCT scaling 1/2 (hubble 1000x872, retina 1411) and 1/4 (a 1600 mosaic).
    case(save(src("hubble_deep_field.jpg"), "hubble.jpg", quality=90), note="1000x872, DCT 1/2")
    case(save(src("retina.jpg"), "retina.jpg", quality=90), note="1411x1411, DCT 1/2")
    tiles = [rgb("astronaut.png"), rgb("ihc.png"), shorter_side(rgb("coffee.png"), 534),
             shorter_side(rgb("chelsea.png"), 534), shorter_side(rgb("motorcycle_left.png"), 534),
             rocket.convert("RGB").resize((534, 534), Image.LANCZOS)]
    mosaic = Image.new("RGB", (1602, 1602))
    for i in range(9):
        t = tiles[i % len(tiles)].crop((0, 0, 534, 534))
        mosaic.paste(t, ((i % 3) * 534, (i // 3) * 534))
    case(save(mosaic, "mosaic.jpg", quality=80), note="1602x1602 mosaic: DCT 1/2 in preprocessing, 1/4 in the decode test")
    # Color modes.
    case(save(src("camera.png").convert("L"), "camera_gray.jpg", quality=90), note="gray JPEG")
    case(save(shorter_side(rgb("chelsea.png"), 400).convert("CMYK"), "chelsea_cmyk.jpg",
              quality=90), note="CMYK JPEG (Adobe, inverted)")
    case(save(rgb("chelsea.png"), "chelsea.png"), note="RGB PNG")
    case(save(src("moon.png"), "moon_gray.png"), note="gray PNG")
    case(save(src("horse.png"), "horse_rgba.png"), note="RGBA PNG (alpha dropped)")
    case(save(src("green_palette.png"), "green_palette.png"), note="palette PNG")
    case(save(src("palette_color.png"), "palette_color.png"), note="10x10 palette PNG")
    case(save(src("checker_bilevel.png"), "checker_1bit.png"), note="1-bit PNG")
    case(save(src("camera.png").convert("LA").resize((256, 256)), "camera_la.png"),
         note="gray+alpha PNG")
    case(save(rgb("coffee.png").resize((300, 200)), "coffee_small.png"),
         note="small RGB PNG (upscale)")
    g16 = (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 97) % 700
    case(save(Image.fromarray(g16), "gray16.png"), note="16-bit gray PNG: Pillow clamps to 255")
    # Written by write_png (Pillow cannot save these): 16-bit RGB / RGBA (Pillow keeps the high
    # byte) and Adam7-interlaced RGB.
    rng = np.random.default_rng(0)
    crop = np.asarray(rgb("astronaut.png").crop((100, 50, 196, 114))).astype(np.uint16)
    low = rng.integers(0, 256, crop.shape, dtype=np.uint16)
    write_png(os.path.join(out, "rgb16.png"), crop * 256 + low, 2, 16)
    case("rgb16.png", note="16-bit RGB PNG")
    alpha = rng.integers(0, 65536, crop.shape[:2] + (1,), dtype=np.uint16)
    write_png(os.path.join(out, "rgba16.png"), np.concatenate([crop * 256 + low, alpha], 2), 6, 16)
    case("rgba16.png", note="16-bit RGBA PNG")
    gray = crop[:, :, :1] * 256 + low[:, :, :1]
    write_png(os.path.join(out, "la16.png"), np.concatenate([gray, alpha], 2), 4, 16)
    case("la16.png", note="16-bit gray+alpha PNG (Pillow opens it as RGBA: high byte)")
    write_png(os.path.join(out, "coffee_interlaced.png"),
              np.asarray(rgb("coffee.png").resize((150, 100))), 2, 8, interlace=True)
    case("coffee_interlaced.png", note="Adam7-interlaced PNG")
    case(save(src("foo3x5x4indexed.png"), "tiny_palette.png"), note="5x3 palette PNG")
    case(save(rocket.convert("RGB").resize((7, 5)), "tiny.jpg", quality=90), note="7x5 JPEG")
    case(save(src("retina.jpg").convert("RGB").crop((0, 600, 1411, 660)), "strip_wide.jpg",
              quality=90), note="1411x60 extreme aspect")
    case(save(rgb("astronaut.png").crop((200, 0, 240, 512)), "strip_tall.png"),
         note="40x512 extreme aspect")
    case(save(rgb("chelsea.png"), "chelsea.webp", quality=85), note="lossy WebP")
    case(save(src("horse.png"), "horse.webp", lossless=True), note="lossless WebP with alpha")

    # Exact resize checks on lossless inputs: every filter, down and up, odd sizes.
    case("chelsea.png", kind="resize", filt="lanczos", note="packer's LANCZOS 384")
    case("chelsea.png", kind="resize", filt="bilinear", size=(200, 133))
    case("chelsea.png", kind="resize", filt="bicubic", size=(97, 61), note="strong downscale")
    case("chelsea.png", kind="resize", filt="lanczos", size=(451, 150), note="vertical only")
    case("chelsea.png", kind="resize", filt="bicubic", size=(420, 90),
         note="Pillow resizes vertically first here")
    case("coffee_small.png", kind="resize", filt="bicubic", size=(640, 200), note="horizontal up")
    case("coffee_small.png", kind="resize", filt="lanczos", size=(421, 247), note="upscale")
    case("tiny_palette.png", kind="resize", filt="bilinear", size=(31, 17), note="tiny upscale")

    # Random small targets (both pass orders, all filters, up and down) from two inputs.
    save(rgb("chelsea.png").crop((150, 40, 187, 131)), "chelsea_crop.png")
    sizes = random.Random(5)
    for i in range(60):
        name = "coffee_small.png" if i % 2 else "chelsea_crop.png"
        filt = sizes.choice(sorted(FILTERS))
        case(name, kind="resize", filt=filt, size=(sizes.randint(1, 64), sizes.randint(1, 64)),
             note="random size")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"generator": "tools/make_image_goldens.py",
                   "pillow": PIL.__version__,
                   "cases": cases}, f, indent=1)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("Made by `python3 tools/make_image_goldens.py` (Pillow %s, numpy %s) from Debian's "
                "python3-skimage and matplotlib sample photos; manifest.json lists each input and "
                "Pillow's `Image.open(input).convert(\"RGB\").resize(size, filter)` output.\n"
                % (PIL.__version__, np.__version__))
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"{len(cases)} cases, {total / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
