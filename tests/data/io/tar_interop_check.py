#!/usr/bin/env python3
"""Reads shards written by oqvl's ShardWriter with Python's tarfile and webdataset and checks
them against the samples oqvl meant to write. Called by tests/data/io/tar_writer_test.cpp.

Usage: tar_interop_check.py EXPECTED.json
EXPECTED.json: {"shards": [{"path": ..., "samples": [{"key": ..., "fields": [[ext, hex]...]}]}]}
Exits 0 when everything matches, 1 (with a message) otherwise.
"""
import io
import json
import sys
import tarfile

try:
    import webdataset as wds
except ImportError as e:
    print(f"tar_interop_check: Python's webdataset is not importable ({e}); install it with "
          "scripts/setup.sh or `pip install webdataset==1.0.2`", file=sys.stderr)
    sys.exit(1)


def fail(msg):
    print(f"tar_interop_check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def byte_compare(path, want):
    """Where every name fits ustar's 100-byte name field, Python's tarfile writing the same
    members (ustar, mtime 0, uid/gid 0, mode 0644, no user/group names) must give the same
    bytes, apart from the zero padding tarfile adds up to its 10240-byte record size."""
    if not all(len(n.encode()) <= 100 and n.isascii() for n, _ in want):
        return
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in want:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = len(data), 0, 0o644, 0, 0, "", ""
            tf.addfile(ti, io.BytesIO(data))
    ref = buf.getvalue()
    ours = open(path, "rb").read()
    if ref[:len(ours)] != ours or ref[len(ours):].strip(b"\0"):
        fail(f"{path}: bytes differ from Python tarfile's ustar output for the same members")
    global byte_identical
    byte_identical += 1


byte_identical = 0


def main():
    expected = json.load(open(sys.argv[1]))
    all_samples = []
    for shard in expected["shards"]:
        path, samples = shard["path"], shard["samples"]
        all_samples += samples
        # tarfile: every member is a regular file with the deterministic metadata.
        want = [(s["key"] + "." + ext, bytes.fromhex(h)) for s in samples for ext, h in s["fields"]]
        with tarfile.open(path, "r") as tf:
            members = tf.getmembers()
            if len(members) != len(want):
                fail(f"{path}: {len(members)} members, expected {len(want)}")
            for m, (name, data) in zip(members, want):
                if m.name != name or not m.isreg():
                    fail(f"{path}: member {m.name!r} (type {m.type!r}), expected file {name!r}")
                if (m.mtime, m.uid, m.gid, m.mode, m.uname, m.gname) != (0, 0, 0, 0o644, "", ""):
                    fail(f"{path}: {name}: metadata {(m.mtime, m.uid, m.gid, oct(m.mode), m.uname, m.gname)}")
                if tf.extractfile(m).read() != data:
                    fail(f"{path}: {name}: bytes differ")
        byte_compare(path, want)
    # webdataset: the same samples, keys and fields in order, across all shards.
    urls = [s["path"] for s in expected["shards"]]
    got = list(wds.WebDataset(urls, shardshuffle=False))
    if len(got) != len(all_samples):
        fail(f"webdataset read {len(got)} samples, expected {len(all_samples)}")
    for g, w in zip(got, all_samples):
        if g["__key__"] != w["key"]:
            fail(f"webdataset key {g['__key__']!r}, expected {w['key']!r}")
        fields = [(k, v) for k, v in g.items() if not k.startswith("__")]
        if fields != [(ext, bytes.fromhex(h)) for ext, h in w["fields"]]:
            fail(f"sample {w['key']!r}: webdataset fields {[k for k, _ in fields]} differ")
    print(f"tar_interop_check: OK: {len(urls)} shards, {len(got)} samples read by tarfile and "
          f"webdataset {getattr(wds, '__version__', '?')}; {byte_identical} shards byte-identical "
          "to Python tarfile's ustar output")


if __name__ == "__main__":
    main()
