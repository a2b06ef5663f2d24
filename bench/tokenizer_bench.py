#!/usr/bin/env python3
"""Hugging Face tokenizers reference for bench/tokenizer_bench.cpp (same captions, same output).

Usage: python3 bench/tokenizer_bench.py [tokenizer.json] [corpus.jsonl] [copies] [captions|all]
The rayon thread count of encode_batch is fixed per process: RAYON_NUM_THREADS=1 gives the
single-thread native number ("batch1"), the default all cores.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_tokenizer_goldens import qwen2vl_tokenizer  # noqa: E402  (the same Open-Qwen2VL layout)


def main():
    corpus = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/tokenizer/corpus.jsonl"
    copies = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    which = sys.argv[4] if len(sys.argv) > 4 else "captions"
    t0 = time.perf_counter()
    tok = qwen2vl_tokenizer()
    load_s = time.perf_counter() - t0
    captions = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if "_comment" not in row and (which == "all" or row.get("category") == "caption"):
                captions.append(row["text"])
    texts = captions * copies
    nbytes = sum(len(t.encode()) for t in texts)

    single_s, tokens, checksum = 1e9, 0, 0
    for _ in range(3):
        t0 = time.perf_counter()
        all_ids = [tok.encode(t).ids for t in texts]
        single_s = min(single_s, time.perf_counter() - t0)
    tokens = sum(len(ids) for ids in all_ids)
    mask = (1 << 64) - 1
    for ids in all_ids:
        for i in ids:
            checksum = (checksum * 31 + i) & mask
    batch_s = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        tok.encode_batch(texts)
        batch_s = min(batch_s, time.perf_counter() - t0)
    print(json.dumps({"impl": "hf", "version": __import__("tokenizers").__version__, "texts": len(texts),
                      "bytes": nbytes, "tokens": tokens, "checksum": checksum, "load_s": round(load_s, 4),
                      "single_tokens_per_s": round(tokens / single_s),
                      "batch_threads": os.environ.get("RAYON_NUM_THREADS", "all"),
                      "batch_tokens_per_s": round(tokens / batch_s)}))


if __name__ == "__main__":
    main()
