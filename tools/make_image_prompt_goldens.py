#!/usr/bin/env python3
"""Goldens for data/text/image_prompt.cpp: LLaVA/Prismatic's tokenizer_image_token at inference
(prismatic.py generate_batch: ids = [<s>] + tokenizer_image_token(prompt)), with the tokenizer
built as the Open-Qwen2VL code builds it (tools/make_tokenizer_goldens.py qwen2vl_tokenizer).

Writes tests/fixtures/prompts/image_prompt_goldens.json: [{"text": ..., "ids": [...]}, ...].
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tokenizer_goldens import ROOT, qwen2vl_tokenizer  # noqa: E402

IMAGE_TOKEN_INDEX = -200
BOS = 128245


def tokenizer_image_token(tok, prompt):
    """The reference's algorithm: split at <image>, tokenize each chunk, join with -200; a BOS at
    the start of the first chunk would be kept once (Qwen adds none, so offset stays 0)."""
    chunks = [tok.encode(c, add_special_tokens=False).ids for c in prompt.split("<image>")]
    ids, offset = [], 0
    if chunks and chunks[0] and chunks[0][0] == BOS:
        offset = 1
        ids.append(chunks[0][0])
    sep = [IMAGE_TOKEN_INDEX] * (offset + 1)
    joined = [x for pair in zip(chunks, [sep] * len(chunks)) for x in pair][:-1]
    for x in joined:
        ids.extend(x[offset:])
    return ids


def main():
    tok = qwen2vl_tokenizer()
    opts = "A. a dog\nB. a cat\nC. a bird\nD. a fish"
    texts = [
        "<image>\nWhat is in the image?",
        f"<image>\nHint: look closely.\nWhich animal is shown?\n{opts}\n"
        "Answer with the option's letter from the given choices directly.\nAnswer:",
        "<image>\nQuestion: How many people are there?\nAnswer the question using a single word "
        "or phrase.\nAnswer:",
        "no image here, just text",
        "<image>\n<image>\ntwo images then text",
        "Compare <image> and <image>.",
        "<image>",
        "<image>\nÜber 3 Katzen 🐈 — ok?",
        "<image>\nanswer: the <s> token and <|endofchunk|> are special",
    ]
    out = [{"text": t, "ids": [BOS] + tokenizer_image_token(tok, t)} for t in texts]
    path = os.path.join(ROOT, "tests/fixtures/prompts/image_prompt_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"wrote {len(out)} prompts to {path}")


if __name__ == "__main__":
    main()
