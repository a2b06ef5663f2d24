#!/usr/bin/env python3
"""Writes the tar reader's golden fixtures: small shards made by Python's tarfile (ustar, GNU
long names, pax) and by webdataset's TarWriter, plus expected.json with the samples Python's
webdataset reads from each (key, fields in order, bytes as hex) and base_plus_ext results for
tricky member names.

Usage (from the repository root; webdataset 1.0.2, the version these were made with):
    python3 tools/make_tar_fixtures.py tests/fixtures/tar
"""
import io
import json
import os
import random
import sys
import tarfile

import webdataset as wds
from webdataset.tariterators import base_plus_ext

MTIME = 1_700_000_000


def blob(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def add(tf, name, data, **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = MTIME
    for k, v in kw.items():
        setattr(ti, k, v)
    tf.addfile(ti, io.BytesIO(data))


def add_special(tf, name, kind, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mtime = MTIME
    for k, v in kw.items():
        setattr(ti, k, v)
    tf.addfile(ti)


def make_ustar(path, rng):
    deep = "/".join(["folder%02d" % i for i in range(12)])  # > 100 bytes: needs the prefix field
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tf:
        add_special(tf, "shard", tarfile.DIRTYPE)
        add(tf, "shard/000000.jpg", blob(rng, 700))
        add(tf, "shard/000000.txt", b"a photo of a cat")
        add(tf, "shard/000000.json", b'{"uid": "0", "width": 7}')
        add(tf, "README", b"no dot: no key, skipped")
        add(tf, "000001.JPG", blob(rng, 512))           # upper case: lower-cased by the reader
        add(tf, "000001.txt", b"")                      # empty member
        add(tf, "000001.0.jpg", blob(rng, 513))         # multi-dot extension
        add_special(tf, "000001.lnk", tarfile.SYMTYPE, linkname="000001.txt")
        add(tf, ".hidden.txt", b"leading dot: no key")
        add(tf, "__index__", b"metadata, skipped")
        add(tf, deep + "/000002.png", blob(rng, 100))
        add(tf, deep + "/000002.txt", "caf\u00e9 \u2615".encode())
        add(tf, "000003.txt", b"same key after a gap")


def make_gnu(path, rng):
    long_dir = "a-very-long-folder-name-" * 6
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for i in range(3):
            key = f"{long_dir}/sample-{i:04d}-" + "x" * 40
            add(tf, key + ".jpg", blob(rng, 300 + i))
            add(tf, key + ".txt", f"caption {i}".encode())
        add(tf, "short.txt", b"short name", uid=10_000_000)  # base-256 uid in GNU format


def make_pax(path, rng):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "global header, ignored"}) as tf:
        key = "p/" + "\u00fc" * 60 + "-" + "y" * 80
        add(tf, key + ".jpg", blob(rng, 1024))
        add(tf, key + ".txt", "unicode key \u00fc".encode())
        add(tf, "plain.webp", blob(rng, 10), pax_headers={"mtime": "1.5"})
        add(tf, "plain.txt", b"pax mtime record on the previous member")


def make_wds(path, rng):
    with wds.TarWriter(path) as sink:
        for i in range(5):
            sink.write({
                "__key__": f"{i:09d}",
                "jpg": blob(rng, 200 * i),
                "txt": f"caption number {i}",
                "json": json.dumps({"uid": f"{i:016x}", "caption": f"caption number {i}"}),
            })


def read_with_webdataset(path):
    samples = []
    for s in wds.WebDataset(path, shardshuffle=False):
        fields = [[k, v.hex()] for k, v in s.items() if not k.startswith("__")]
        samples.append({"key": s["__key__"], "fields": fields})
    return samples


SPLIT_NAMES = [
    "a.jpg", "a.b.c", "dir/a.jpg", "dir/sub/a.0.jpg", "a", ".jpg", "dir/.jpg", "a.b/c.jpg",
    "a.b/.jpg", "x/y/.z.txt", "dir/", "a.", ".", "..", "a..b", "/a.b", "d.d/e", "a b.txt",
    "dir.x/sub/.hid.txt", "a/b.c/d.e.f",
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/tar"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1234)
    makers = {"ustar.tar": make_ustar, "gnu.tar": make_gnu, "pax.tar": make_pax, "wds.tar": make_wds}
    expected = {"shards": {}, "split": []}
    for name, make in makers.items():
        path = os.path.join(out, name)
        make(path, rng)
        expected["shards"][name] = read_with_webdataset(path)
    for n in SPLIT_NAMES:
        k, e = base_plus_ext(n)
        expected["split"].append([n, k, e])
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
