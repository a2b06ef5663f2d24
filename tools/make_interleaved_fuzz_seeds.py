"""Seeds for the interleaved-document harness (tests/fuzz/fuzz_interleaved.cpp).

Writes tests/fuzz/corpus/interleaved/seed-*: a mode byte (bits 0-1 context 64/256/4096/16384,
bit 2 144 image tokens instead of 16, bit 3 a full decode) and a document's json: MMC4's
`image_info` objects and OBELICS' `images` strings with tiny JPEG, PNG and WebP images; a
document cut to the context; 10 images; a 1-px image; texts holding "<image>" and "<s>"; images
after the last text; and malformed documents (lists of different lengths, both or neither set at
a position, bad base64, wrong types).

Run: .venv/bin/python tools/make_interleaved_fuzz_seeds.py (from the repository root).
"""
import base64
import io
import json
import pathlib

from PIL import Image

OUT = pathlib.Path("tests/fuzz/corpus/interleaved")


def image(fmt, w=8, h=8, shade=90):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (shade, 255 - shade, 40)).save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode()


def mmc4(texts, images):
    return {"texts": texts, "image_info": [None if i is None else {"image_base64": i} for i in images]}


def obelics(texts, images):
    return {"texts": texts, "images": images}


jpg, png, webp = image("JPEG"), image("PNG", 9, 5), image("WEBP", 6, 6)
seeds = {
    "mmc4": (2, mmc4([None, "A cat.", None, "It sleeps <image> here."], [jpg, None, png, None])),
    "obelics": (6, obelics(["Intro", None, "after"], [None, webp, None])),
    "decode-check": (10, mmc4([None, "Decoded fully."], [jpg, None])),
    "cut-to-context": (0, mmc4([None, "word " * 80, None, "tail"], [jpg, None, png, None])),
    "ten-images": (2, mmc4([None] * 10 + ["ten"], [jpg] * 10 + [None])),
    "one-px": (2, mmc4([None, None, "one"], [image("PNG", 1, 4), jpg, None])),
    "bos-text": (2, obelics(["<s>starts with bos", None, "then <image> text"], [None, jpg, None])),
    "trailing-images": (2, mmc4([None, "text", None, None], [jpg, None, png, jpg])),
    "extra-keys": (3, dict(mmc4([None, "x"], [jpg, None]), url="http://example.com", similarity=[0.3])),
    "bad-lengths": (2, mmc4([None, "x", "y"], [jpg, None])),
    "bad-both": (2, {"texts": ["x"], "images": [jpg]}),
    "bad-neither": (2, {"texts": [None], "image_info": [None]}),
    "bad-base64": (2, obelics([None, "x"], ["not base64 !", None])),
    "bad-types": (2, {"texts": [1, None], "image_info": [None, {"image_base64": 5}]}),
    "not-image": (2, obelics([None, "x"], [base64.b64encode(b"plain bytes").decode(), None])),
}
OUT.mkdir(parents=True, exist_ok=True)
for name, (mode, doc) in seeds.items():
    (OUT / f"seed-{name}").write_bytes(bytes([mode]) + json.dumps(doc).encode())
print(f"wrote {len(seeds)} seeds to {OUT}")
