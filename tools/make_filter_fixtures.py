#!/usr/bin/env python3
"""Fixtures for `oqvl data filter`, made with numpy (the reference writer of .npy files).

  python3 tools/make_filter_fixtures.py fixtures tests/fixtures/filter
      small committed unit-test fixtures: uid lists in every accepted layout and a few bad ones,
      plus expected.json with the uids as hex strings.
  python3 tools/make_filter_fixtures.py demo OUT SHARD...
      for demo shards (oqvl data make-demo): OUT/scores.csv (key, uid, semantic_understanding,
      clip_score), OUT/scores.jsonl (same, keyed by uid) and OUT/dfn.npy (about 15% of the uids,
      sorted, DataComp's two-uint64 structured layout). Scores are a hash of the uid, so the
      same shards always give the same tables.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np

U8x2 = np.dtype([("f0", "<u8"), ("f1", "<u8")])


def uid_pairs(hex_uids):
    return [(int(h, 16) >> 64, int(h, 16) & ((1 << 64) - 1)) for h in hex_uids]


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1234)
    hexes = sorted({"%032x" % int.from_bytes(rng.bytes(16), "big") for _ in range(50)})
    hexes.append("ffffffffffffffff0000000000000001")  # high bit set in hi: unsigned compare
    hexes.sort()
    pairs = uid_pairs(hexes)
    structured = np.array(pairs, dtype=U8x2)
    np.save(os.path.join(out, "uids_struct.npy"), structured)
    np.save(os.path.join(out, "uids_u8x2.npy"), np.array(pairs, dtype="<u8").reshape(-1, 2))
    # Other field names, format version 2 and 3 headers, unsorted order: all accepted.
    named = np.array(pairs[::-1], dtype=np.dtype([("hi", "<u8"), ("lo", "<u8")]))
    np.save(os.path.join(out, "uids_named_unsorted.npy"), named)
    with open(os.path.join(out, "uids_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, structured, version=(2, 0))
    with open(os.path.join(out, "uids_v3.npy"), "wb") as f:
        np.lib.format.write_array(f, structured, version=(3, 0))
    np.save(os.path.join(out, "uids_empty.npy"), np.zeros(0, dtype=U8x2))
    # Bad: wrong dtype, wrong shape, big-endian, Fortran order, truncated body.
    np.save(os.path.join(out, "bad_float.npy"), np.zeros(4, dtype="<f8"))
    np.save(os.path.join(out, "bad_shape.npy"), np.zeros((4, 3), dtype="<u8"))
    np.save(os.path.join(out, "bad_bigendian.npy"), np.array(pairs[:3], dtype=np.dtype([("f0", ">u8"), ("f1", ">u8")])))
    np.save(os.path.join(out, "bad_fortran.npy"), np.asfortranarray(np.array(pairs[:3], dtype="<u8").reshape(-1, 2)))
    buf = io.BytesIO()
    np.save(buf, structured)
    with open(os.path.join(out, "bad_truncated.npy"), "wb") as f:
        f.write(buf.getvalue()[:-5])
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"uids": hexes, "not_in": ["%032x" % (int(hexes[0], 16) + 1), "0" * 32]}, f, indent=1)
    # Score tables: CSV with quoting, JSONL with a missing value and a non-number.
    with open(os.path.join(out, "scores.csv"), "w") as f:
        f.write('key,uid,clip_score,caption\n')
        f.write('000001,%s,0.31,"a ""quoted"", caption"\n' % hexes[0])
        f.write('000002,%s,0.12,plain\n' % hexes[1])
        f.write('000003,%s,,empty score\n' % hexes[2])
    with open(os.path.join(out, "scores.jsonl"), "w") as f:
        f.write(json.dumps({"uid": hexes[0].upper(), "semantic_understanding": 90}) + "\n")
        f.write(json.dumps({"uid": hexes[1], "semantic_understanding": "85"}) + "\n")
        f.write(json.dumps({"uid": hexes[2], "semantic_understanding": "Not a number"}) + "\n")
        f.write(json.dumps({"uid": hexes[3]}) + "\n")


def score(uid_hex, salt):
    return int.from_bytes(hashlib.sha256((salt + uid_hex).encode()).digest()[:4], "big")


def demo(out, shards):
    os.makedirs(out, exist_ok=True)
    rows = []
    for shard in shards:
        with tarfile.open(shard) as tar:
            for m in tar:
                if m.name.endswith(".json"):
                    meta = json.load(tar.extractfile(m))
                    rows.append((meta["key"], meta["uid"]))
    seen = set()
    with open(os.path.join(out, "scores.csv"), "w") as fc, open(os.path.join(out, "scores.jsonl"), "w") as fj:
        fc.write("key,uid,semantic_understanding,clip_score\n")
        for key, uid in rows:
            if uid in seen:
                continue
            seen.add(uid)
            su = score(uid, "su") % 101
            clip = round((score(uid, "clip") % 1000) / 1000 * 0.5, 3)
            fc.write(f"{key},{uid},{su},{clip}\n")
            fj.write(json.dumps({"uid": uid, "semantic_understanding": su, "clip_score": clip}) + "\n")
    dfn = sorted(u for u in seen if score(u, "dfn") % 100 < 15)
    np.save(os.path.join(out, "dfn.npy"), np.array(uid_pairs(dfn), dtype=U8x2))


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif sys.argv[1] == "demo":
        demo(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
