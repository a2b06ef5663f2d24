#!/usr/bin/env python3
"""Writes small interleaved-document WebDataset shards in the public layouts, for
tests/cli/pack_interleaved.sh (`oqvl data pack --interleaved`).

Usage: python3 tools/make_interleaved_fixture.py OUT_DIR [--docs N] [--seed S] [--malformed]

- OUT_DIR/shard_0.tar: the Open-Qwen2VL / MMC4 webdataset layout (MMC4's `shard_{n}.tar`
  names): each sample is `{key}.json` = {"texts": [str | None], "image_info": [{"image_base64":
  ...} | None], "url": ...}, one of the two set at every position.
- OUT_DIR/shard_1.tar: OBELICS' names: {"texts": [...], "images": [base64 str | None],
  "metadata": ..., "general_metadata": ...}.
Each has N random documents (0-12 images of random small JPEG/PNG photos-like noise, texts of
random words with some Unicode, some "<image>" literals), then the edge cases the packer's
rules are about: a 1-px image, an undecodable image, 9 and 10 images, images only after the
last text, trailing images, a document over 6,000 ids, one over the context (cut), a text
starting with a literal "<s>" (LLaVA's tokenizer_image_token quirk), empty texts.
With --malformed, OUT_DIR/bad.tar holds one good document and then one whose lists differ in
length (key "bad_lengths"): the packer must stop naming the file and the key.
Deterministic for a seed (webdataset's TarWriter with fixed mtimes).
"""
import argparse
import base64
import io
import json
import os
import random

import webdataset as wds
from PIL import Image

WORDS = ("the a photo of cat dog city river market people house garden recipe bread tomato "
         "travel museum painting street night sunset mountain beach children school history "
         "science report game team season music concert review price design kitchen table "
         "Zürich café naïve São Paulo 東京 北京 Москва κόσμος 🙂 2019 3.5 km 100% (see below) "
         "e-mail https://example.com/page?id=7 #tag @user").split()


def image_bytes(rng, w=None, h=None, fmt=None):
    w = w or rng.randint(8, 40)
    h = h or rng.randint(8, 40)
    fmt = fmt or rng.choice(["JPEG", "PNG"])
    im = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    px = im.load()
    for _ in range(w * h // 4):
        px[rng.randrange(w), rng.randrange(h)] = tuple(rng.randrange(256) for _ in range(3))
    buf = io.BytesIO()
    im.save(buf, fmt, quality=85) if fmt == "JPEG" else im.save(buf, fmt)
    return buf.getvalue()


def text(rng, words=None):
    n = words if words is not None else rng.randint(3, 60)
    s = " ".join(rng.choice(WORDS) for _ in range(n))
    r = rng.random()
    if r < 0.08:
        s = s + " <image> in the text"
    elif r < 0.14:
        s = s.capitalize() + ".\n\nNext paragraph: " + text(rng, 5)
    return s


def random_doc(rng, n_images):
    """Positions: each is ("text", str) or ("image", bytes); texts and images in random order."""
    n_texts = rng.randint(0 if n_images else 1, max(1, n_images + 2))
    pos = [("image", image_bytes(rng)) for _ in range(n_images)] + [("text", text(rng)) for _ in range(n_texts)]
    rng.shuffle(pos)
    return pos


def edge_docs(rng):
    img = lambda **kw: ("image", image_bytes(rng, **kw))
    t = lambda n=None: ("text", text(rng, n))
    long_words = " ".join(rng.choice(WORDS[:40]) for _ in range(3000))  # ~3,000 ids
    half = " ".join(rng.choice(WORDS[:40]) for _ in range(1800))
    return {
        "one_px": [img(w=1, h=30), t(), img(), t()],
        "one_px_only": [img(w=30, h=1), t()],
        "undecodable": [img(), t(), ("image", b"\xff\xd8\xff not really a jpeg"), t()],
        "nine_images": [p for _ in range(9) for p in (img(), t(4))],
        "ten_images": [p for _ in range(10) for p in (img(), t(4))],
        "images_after_text": [t(), t(), img(), img()],
        "trailing_images": [img(), t(), img(), t(), img(), img(), img()],
        "no_images": [t(), t()],
        "over_6000_ids": [img(), ("text", long_words + " " + long_words + " " + long_words)],
        "over_context": [img(), ("text", half), img(), ("text", half), img(), t()],
        "starts_with_bos": [("text", "<s> begins like a BOS"), img(), t(), img(), t()],
        "empty_texts": [img(), ("text", ""), img(), ("text", "after an empty one")],
        "endofchunk_in_text": [img(), ("text", "already <|endofchunk|> here")],
    }


def write_doc(sink, key, positions, layout, rng):
    texts = [p if kind == "text" else None for kind, p in positions]
    b64 = [base64.b64encode(p).decode() if kind == "image" else None for kind, p in positions]
    if layout == "mmc4":
        meta = {"texts": texts, "image_info": [None if b is None else {"image_base64": b} for b in b64],
                "url": f"https://example.com/{key}"}
    else:
        meta = {"texts": texts, "images": b64, "metadata": json.dumps([None] * len(texts)),
                "general_metadata": json.dumps({"url": f"https://example.com/{key}"})}
    sink.write({"__key__": key, "json": json.dumps(meta, ensure_ascii=rng.random() < 0.5).encode()})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--malformed", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    for shard, layout in ((0, "mmc4"), (1, "obelics")):
        with wds.TarWriter(f"{a.out}/shard_{shard}.tar", mtime=0) as sink:
            for i in range(a.docs):
                n = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 9, 10, 12])
                write_doc(sink, f"{shard:02d}{i:06d}", random_doc(rng, n), layout, rng)
            for name, positions in edge_docs(rng).items():
                write_doc(sink, f"{shard:02d}_{name}", positions, layout, rng)
    if a.malformed:
        with wds.TarWriter(f"{a.out}/bad.tar", mtime=0) as sink:
            write_doc(sink, "good", [("image", image_bytes(rng)), ("text", "fine")], "mmc4", rng)
            sink.write({"__key__": "bad_lengths",
                        "json": json.dumps({"texts": ["a", None], "image_info": [None]}).encode()})


if __name__ == "__main__":
    main()
