#!/usr/bin/env python3
"""A faithful Python re-implementation of the Open-Qwen2VL packer
(mm_sequence_packing/sequence_packing_image_to_pil.py, docs/recipe.md §3), used as the baseline of
bench/run_pack_bench.sh. Per input tar (one window):
  - webdataset reading with decode("pilrgb") and rename(image="jpg;png;jpeg;webp", text="txt");
  - preprocess_caption: drop images with a side of 1 px; LANCZOS to 384x384 when the shorter
    side is > 384 (the reference's aspect-losing rule); "<image>\\n" + caption with "<image>"
    replaced; LLaVA tokenizer_image_token (split on "<image>", -200 between chunks); prepend
    <s> if the first id is not <s>, append <|im_end|> if the last is not; length = 143 + ids;
  - first_fit_decreasing_with_ids with the bin sums recomputed on every try (O(n * bins));
  - concat_documents: ids concatenated in bin order, right-padded with the pad id to 4096, the
    reference's assertions, one pickle per bin ({"image_tensors": [PIL], "input_ids", "lengths"})
    plus {tar}_stats.json.
Tokenizer: HF `tokenizers` on the repo's tokenizer.json with the Open-Qwen2VL added tokens (as
tools/make_tokenizer_goldens.py builds it); the reference uses transformers' AutoTokenizer over
the same fast tokenizer. input_ids are a numpy int64 array (torch.LongTensor in the reference).

Usage: pack_reference.py OUT_DIR BINS_JSON shard.tar [shard.tar ...]
Prints a JSON line: samples, sequences, seconds. BINS_JSON gets {shard stem: [[key, ...], ...]}.
"""
import json
import os
import pickle
import sys
import time
import uuid

import numpy as np
import webdataset as wds
from PIL import Image
from tokenizers import AddedToken, Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM_IMAGES_TOKEN = 144
CONTEXT_LEN = 4096
IMAGE_TOKEN_INDEX = -200
DEFAULT_IMAGE_TOKEN = "<image>"
IMAGE_PLACEHOLDER = "<image-placeholder>"
BOS_ID = 128245      # "<s>": an existing vocabulary entry (docs/tokenizer.md)
EOS_ID = 151645      # <|im_end|>
PAD_ID = 151643


def qwen2vl_tokenizer():
    with open(os.path.join(ROOT, "assets/qwen2-tokenizer/tokenizer.json"), encoding="utf-8") as f:
        spec = json.load(f)
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["id"] < 151665]
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.add_special_tokens([AddedToken("<|endofchunk|>", special=True, normalized=False),
                            AddedToken("<s>", special=True, normalized=False)])
    return tok


def tokenizer_image_token(prompt, tok):
    # LLaVA mm_utils: chunks between <image>, joined with IMAGE_TOKEN_INDEX; Qwen adds no BOS,
    # so offset stays 0.
    chunks = [tok.encode(chunk).ids for chunk in prompt.split(DEFAULT_IMAGE_TOKEN)]
    ids = []
    for i, chunk in enumerate(chunks):
        if i > 0:
            ids.append(IMAGE_TOKEN_INDEX)
        ids.extend(chunk)
    return ids


def preprocess_caption(image, caption, tok):
    w, h = image.size
    if w == 1 or h == 1:
        return None
    if min(w, h) > 384:
        # The reference: new_width = int(384 / w * w) -> both sides 384.
        image = image.resize((int(384 / w * w), int(384 / h * h)), Image.LANCZOS)
    text = DEFAULT_IMAGE_TOKEN + "\n" + caption.replace(DEFAULT_IMAGE_TOKEN, IMAGE_PLACEHOLDER)
    ids = tokenizer_image_token(text, tok)
    if ids[0] != BOS_ID:
        ids = [BOS_ID] + ids
    if ids[-1] != EOS_ID:
        ids = ids + [EOS_ID]
    return image, np.array(ids, dtype=np.int64), NUM_IMAGES_TOKEN - 1 + len(ids)


def first_fit_decreasing_with_ids(items, bin_capacity):
    sorted_items = sorted(items.items(), key=lambda x: x[1], reverse=True)
    bins = []
    for item_id, item_size in sorted_items:
        placed = False
        for b in bins:
            if sum(size for _, size in b) + item_size <= bin_capacity:
                b.append((item_id, item_size))
                placed = True
                break
        if not placed:
            bins.append([(item_id, item_size)])
    return bins


def concat_documents(docs):
    ids = np.concatenate([d["input_ids"] for d in docs])
    images = [d["image"] for d in docs]
    lengths = [d["length"] for d in docs]
    n_images = int((ids == IMAGE_TOKEN_INDEX).sum())
    assert n_images == len(images)
    assert sum(lengths) - len(ids) == (NUM_IMAGES_TOKEN - 1) * n_images
    padded = np.full(CONTEXT_LEN, PAD_ID, dtype=np.int64)
    padded[: len(ids)] = ids
    return {"image_tensors": images, "input_ids": padded, "lengths": lengths}


def pack_tar(url, out_dir, tok):
    stem = os.path.splitext(os.path.basename(url))[0]
    dataset = (wds.WebDataset(url, shardshuffle=False).decode("pilrgb")
               .rename(image="jpg;png;jpeg;webp", text="txt", json="json"))
    docs, items, n = {}, {}, 0
    for sample in dataset:
        n += 1
        result = preprocess_caption(sample["image"], sample["text"], tok)
        if result is None:
            continue
        image, ids, length = result
        docs[sample["__key__"]] = {"image": image, "input_ids": ids, "length": length}
        items[sample["__key__"]] = length
    bins = first_fit_decreasing_with_ids(items, CONTEXT_LEN)
    os.makedirs(os.path.join(out_dir, stem), exist_ok=True)
    sums = []
    for b in bins:
        packed = concat_documents([docs[k] for k, _ in b])
        with open(os.path.join(out_dir, stem, uuid.uuid4().hex + ".pkl"), "wb") as f:
            pickle.dump(packed, f)
        sums.append(sum(packed["lengths"]))
    with open(os.path.join(out_dir, f"{stem}_stats.json"), "w") as f:
        json.dump({"len": sums}, f)
    return n, [[k for k, _ in b] for b in bins], {k: int(v) for k, v in items.items()}


def main():
    out_dir, bins_json, shards = sys.argv[1], sys.argv[2], sys.argv[3:]
    tok = qwen2vl_tokenizer()
    start = time.perf_counter()
    samples, all_bins, all_lengths = 0, {}, {}
    for url in shards:
        n, bins, lengths = pack_tar(url, out_dir, tok)
        stem = os.path.splitext(os.path.basename(url))[0]
        samples += n
        all_bins[stem] = bins
        all_lengths[stem] = lengths
    seconds = time.perf_counter() - start
    with open(bins_json, "w") as f:
        json.dump({"bins": all_bins, "lengths": all_lengths}, f)
    print(json.dumps({"samples": samples, "sequences": sum(len(b) for b in all_bins.values()),
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
