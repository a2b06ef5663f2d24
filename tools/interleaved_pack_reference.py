#!/usr/bin/env python3
"""An independent Python reimplementation of interleaved-document packing (the Open-Qwen2VL
packer's `preprocess_obelics_interleaved` + `first_fit_decreasing_with_ids`, docs/recipe.md §3,
with oqvl's documented deliberate differences: trailing images really dropped, over-long
documents cut to the context, undecodable images dropping the document), checked against what
`oqvl data pack --interleaved` wrote.

Usage: python3 tools/interleaved_pack_reference.py PACKED_DIR --tokenizer tokenizer.json
           [--context 4096] [--image-tokens 144] SHARDS...
Each input shard is one window (--window 1, as the paper). Compares, per packed shard, every
sequence (keys in bin order, per-document ids, lengths, image counts, image bytes, truncation)
and the stats (documents in, packed, dropped by reason, images); prints a summary line, exits 1
on the first difference.
"""
import argparse
import base64
import io
import json
import os
import sys

import numpy as np
import webdataset as wds
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tokenizer_goldens  # noqa: E402
from make_tokenizer_goldens import qwen2vl_tokenizer  # noqa: E402  (the Open-Qwen2VL added tokens)

IMAGE_TOKEN_INDEX = -200
BOS, EOS, NEWLINE = 128245, 151645, 198
MAX_IMAGES, MAX_IDS = 10, 6000


def tokenizer_image_token(prompt, tok, bos_id):
    """LLaVA's llava/mm_utils.py tokenizer_image_token, as the reference calls it."""
    prompt_chunks = [tok.encode(chunk).ids for chunk in prompt.split("<image>")]

    def insert_separator(X, sep):
        return [ele for sublist in zip(X, [sep] * len(X)) for ele in sublist][:-1]

    input_ids = []
    offset = 0
    if len(prompt_chunks) > 0 and len(prompt_chunks[0]) > 0 and prompt_chunks[0][0] == bos_id:
        offset = 1
        input_ids.append(prompt_chunks[0][0])
    for x in insert_separator(prompt_chunks, [IMAGE_TOKEN_INDEX] * (offset + 1)):
        input_ids.extend(x[offset:])
    return input_ids


def preprocess(info, tok, context, image_tokens):
    """(ids, images, truncated) of one document, or the reason it is dropped."""
    texts = info["texts"]
    entries = info["image_info"] if "image_info" in info else info["images"]
    images, idxs = [], []
    for i, e in enumerate(entries):
        b64 = e if isinstance(e, str) else (e or {}).get("image_base64")
        if b64 is None:
            idxs.append(i)
            continue
        raw = base64.b64decode(b64)
        try:
            w, h = Image.open(io.BytesIO(raw)).size
        except Exception:
            return "undecodable image"
        if w == 1 or h == 1:
            continue
        images.append(raw)
        idxs.append(i)
    if len(images) == 0:
        return "no image"
    if len(images) >= MAX_IMAGES:
        return f"{MAX_IMAGES} or more images"
    pieces = [texts[i] for i in idxs]

    def tokens(pieces):
        corpus = "".join("<image>\n" if x is None else x.replace("<image>", "<image-placeholder>") + "<|endofchunk|>"
                         for x in pieces)
        ids = tokenizer_image_token(corpus, tok, BOS)
        return ids if ids and ids[0] == BOS else [BOS] + ids

    ids = tokens(pieces)
    if len(ids) > MAX_IDS:
        return f"over {MAX_IDS} ids"
    # Images after the last text piece go (the reference's intent; its own check never fires).
    last_text = max((k for k, x in enumerate(pieces) if x is not None), default=-1)
    kept = pieces[: last_text + 1]
    n = sum(1 for x in kept if x is None)
    if n == 0:
        return "no image before the last text"
    ids = tokens(kept)
    images = images[:n]
    if ids[-1] != EOS:
        ids.append(EOS)
    truncated = False
    if len(ids) + n * (image_tokens - 1) > context:
        out, used = [], 1
        for t in ids[:-1]:
            w = image_tokens if t == IMAGE_TOKEN_INDEX else 1
            if used + w > context:
                break
            used += w
            out.append(t)
        while out and (out[-1] == IMAGE_TOKEN_INDEX or (len(out) >= 2 and out[-1] == NEWLINE and out[-2] == IMAGE_TOKEN_INDEX)):
            out = out[:-1] if out[-1] == IMAGE_TOKEN_INDEX else out[:-2]
        n = out.count(IMAGE_TOKEN_INDEX)
        if n == 0:
            return "no image before the last text"
        ids, images, truncated = out + [EOS], images[:n], True
    return ids, images, truncated


def first_fit_decreasing_with_ids(items, bin_capacity):
    """The reference's bin packing, as written (stable sort by length, first bin with room)."""
    items = dict(sorted(items.items(), key=lambda x: x[1], reverse=True))
    bins = []
    for item in items.items():
        _, length = item
        for b in bins:
            if sum(l for (_, l) in b) + length <= bin_capacity:
                b.append(item)
                break
        else:
            bins.append([item])
    return bins


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packed")
    ap.add_argument("shards", nargs="+")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--context", type=int, default=4096)
    ap.add_argument("--image-tokens", type=int, default=144)
    a = ap.parse_args()
    make_tokenizer_goldens.TOKENIZER_JSON = a.tokenizer  # the file qwen2vl_tokenizer() reads
    tok = qwen2vl_tokenizer()
    T = a.image_tokens
    totals = {"documents": 0, "packed": 0, "sequences": 0, "images": 0, "truncated": 0, "dropped": {}}
    for shard in a.shards:
        stem = os.path.basename(shard)[: -len(".tar")].replace(".", "_")
        docs, lengths, dropped = {}, {}, {}
        n_in = 0
        for s in wds.WebDataset(shard, shardshuffle=False, empty_check=False):
            n_in += 1
            r = preprocess(json.loads(s["json"]), tok, a.context, T)
            if isinstance(r, str):
                dropped[r] = dropped.get(r, 0) + 1
                continue
            ids, images, truncated = r
            docs[s["__key__"]] = r
            lengths[s["__key__"]] = len(ids) + len(images) * (T - 1)
        bins = first_fit_decreasing_with_ids(lengths, a.context)
        got = list(wds.WebDataset(f"{a.packed}/{stem}.tar", shardshuffle=False, empty_check=False))
        assert len(got) == len(bins), (stem, len(got), len(bins))
        for b, (seq, want) in enumerate(zip(got, bins)):
            meta = json.loads(seq["json"])
            where = f"{stem} sequence {b}"
            assert seq["__key__"] == f"{stem}_{b:06d}", (where, seq["__key__"])
            assert meta["version"] == 2, where
            keys = [k for k, _ in want]
            assert meta["keys"] == keys, (where, meta["keys"], keys)
            assert meta["lengths"] == [l for _, l in want], where
            assert meta["images"] == [len(docs[k][1]) for k in keys], where
            assert meta["truncated"] == [j for j, k in enumerate(keys) if docs[k][2]], where
            ids = np.frombuffer(seq["ids.u32"], dtype="<u4").view("<i4").tolist()
            assert ids == [t for k in keys for t in docs[k][0]], where
            images = [seq[f"{i}.{ext}"] for i in range(sum(meta["images"]))
                      for ext in ("jpg", "png", "webp") if f"{i}.{ext}" in seq]
            assert images == [im for k in keys for im in docs[k][1]], where
        stats = json.load(open(f"{a.packed}/{stem}.stats.json"))
        assert stats["input_samples"] == n_in and stats["packed_samples"] == len(docs), (stem, stats)
        assert stats["dropped"] == dropped, (stem, stats["dropped"], dropped)
        assert stats["images"] == sum(len(d[1]) for d in docs.values()), stem
        assert stats["truncated"] == sum(1 for d in docs.values() if d[2]), stem
        totals["documents"] += n_in
        totals["packed"] += len(docs)
        totals["sequences"] += len(bins)
        totals["images"] += stats["images"]
        totals["truncated"] += stats["truncated"]
        for k, v in dropped.items():
            totals["dropped"][k] = totals["dropped"].get(k, 0) + v
    print(f"interleaved reference: {json.dumps(totals, sort_keys=True)} identical "
          f"(context {a.context}, {T} image tokens)")


if __name__ == "__main__":
    main()
