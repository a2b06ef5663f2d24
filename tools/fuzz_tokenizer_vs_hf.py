#!/usr/bin/env python3
"""Differential check of `oqvl tokenize` against Hugging Face tokenizers on many random texts
(beyond the committed goldens). Not part of ctest: it needs the Python reference.

Usage: python3 tools/fuzz_tokenizer_vs_hf.py build/oqvl [count] [seed]
Prints the number of texts whose ids differ (and the first few); exits 1 if any differ.
"""
import json
import random
import subprocess
import sys

from make_tokenizer_goldens import build_corpus, qwen2vl_tokenizer

ALPHABET = [" ", " ", "  ", "\n", "\r\n", "\r", "\t", "\u00a0", "\u3000", "\u2028", "\u0085", "\x0b",
            "a", "Z", "s", "t", "re", "ll", "'", "\u017f", "1", "23", "\u0661", "\u00bd", "!", ".", "...",
            "(", "<", ">", "|", "_", "-", "\u00e9", "e\u0301", "\u0301", "\u0323", "\u0302", "\u1100",
            "\u1161", "\u11a8", "\uac00", "\u4e2d", "\u65e5\u672c", "\u0434", "\u0639", "\u0e01", "\u0915\u093c",
            "\U0001F642", "\U0001F44D\U0001F3FD", "\u200d", "\ufe0f", "\u00df", "<s>", "<|im_end|>",
            "<|endofchunk|>", "<image>", "\ufffd", "\U0001D400", "\u2126", "\u212b", "\ufb01"]


def random_text(rng, corpus_texts):
    r = rng.random()
    if r < 0.4:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30)))
    if r < 0.7:
        out = []
        for _ in range(rng.randint(1, 10)):
            c = rng.randint(0, 0x10FFFF) if rng.random() < 0.5 else rng.randint(0, 0x3000)
            if not 0xD800 <= c <= 0xDFFF:
                out.append(chr(c))
            if rng.random() < 0.3:
                out.append(rng.choice(ALPHABET))
        return "".join(out)
    # Splice pieces of corpus texts together.
    out = []
    for _ in range(rng.randint(1, 4)):
        t = rng.choice(corpus_texts)
        if t:
            a = rng.randrange(len(t))
            out.append(t[a:a + rng.randint(1, 40)])
        out.append(rng.choice(ALPHABET))
    return "".join(out)


def main():
    oqvl = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 99
    rng = random.Random(seed)
    corpus_texts = [r["text"] for r in build_corpus()]
    texts = [random_text(rng, corpus_texts) for _ in range(count)]
    tok = qwen2vl_tokenizer()
    expected = [e.ids for e in tok.encode_batch(texts)]
    stdin = "".join(json.dumps(t) + "\n" for t in texts)
    out = subprocess.run([oqvl, "-q", "tokenize", "--json-lines"], input=stdin, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(out) == count, (len(out), count)
    bad = [(t, json.loads(o), e) for t, o, e in zip(texts, out, expected) if json.loads(o) != e]
    for t, o, e in bad[:10]:
        print(f"MISMATCH {t!r}\n  oqvl {o}\n  HF   {e}")
    print(f"{count - len(bad)} of {count} random texts match HF (seed {seed})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
