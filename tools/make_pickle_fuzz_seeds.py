"""Seeds and limit cases for the pickle harness (tests/fuzz/fuzz_pickle.cpp).

Writes tests/fuzz/corpus/pickle/:
  seed-*.pkl      the data.pkl of torch.save archives (torch 2.11): a Linear's state dict, a
                  Prismatic-shaped nested dict, bf16/int/bool tensors, a storage shared by two
                  views, a Parameter, non-tensor leaves, int keys, a non-contiguous view.
  limit-*.pkl     hand-made pickles each of which must be refused with oqvl::Error (not a crash,
                  a hang or an out-of-memory): a dict that holds itself, one dict reused at every
                  level of a 60-deep binary tree (2^60 paths), 5,000 nested dicts, a rebuild chain
                  5,000 deep, a storage whose byte count overflows 64 bits, a view whose extent
                  overflows, a view past its storage, a negative stride.

Run: .venv/bin/python tools/make_pickle_fuzz_seeds.py (from the repository root).
"""
import collections
import io
import pathlib
import struct
import zipfile

import torch

OUT = pathlib.Path("tests/fuzz/corpus/pickle")


def data_pkl(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        (name,) = [n for n in z.namelist() if n.endswith("/data.pkl")]
        return z.read(name)


def seeds():
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    yield "linear", lin.state_dict()
    yield "prismatic", {
        "model": {
            "projector": collections.OrderedDict(
                [("mlp_projector.0.weight", torch.randn(4, 3)), ("mlp_projector.0.bias", torch.zeros(4))]
            ),
            "llm_backbone": {"llm.embed_tokens.weight": torch.randn(5, 4).to(torch.bfloat16)},
        }
    }
    base = torch.arange(12, dtype=torch.int64)
    yield "shared", {"a": base[:6], "b": base[6:].view(2, 3), "t": base.view(3, 4).t()}
    yield "dtypes", {
        "h": torch.ones(2, dtype=torch.float16),
        "d": torch.ones(2, dtype=torch.float64),
        "i": torch.ones(2, dtype=torch.int32),
        "s": torch.ones(2, dtype=torch.int16),
        "c": torch.ones(2, dtype=torch.int8),
        "u": torch.ones(2, dtype=torch.uint8),
        "b": torch.ones(2, dtype=torch.bool),
        "e": torch.ones(0, 3),
        "scalar": torch.tensor(3.5),
    }
    yield "param", {"w": torch.nn.Parameter(torch.randn(2, 2)), 7: torch.ones(1)}
    yield "leaves", {"step": 3, "lr": 1e-4, "name": "run", "none": None, "list": [1, 2], "ok": True,
                     "tensor": torch.ones(2)}


# Hand-made pickles (protocol 2 opcodes).
PROTO = b"\x80\x02"
STOP = b"."


def short_str(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def storage(key: str, numel_bytes: bytes) -> bytes:
    # ('storage', torch.FloatStorage, key, 'cpu', numel) as a persistent id
    return (b"(" + short_str("storage") + glob("torch", "FloatStorage") + short_str(key) + short_str("cpu")
            + numel_bytes + b"tQ")


def long1(v: int) -> bytes:
    return b"\x8a\x08" + struct.pack("<q", v)


def ints(vals) -> bytes:
    return b"(" + b"".join(long1(v) for v in vals) + b"t"


def tensor(numel: int, offset: int, size, stride) -> bytes:
    return (glob("torch._utils", "_rebuild_tensor_v2") + b"(" + storage("0", long1(numel)) + long1(offset)
            + ints(size) + ints(stride) + b"\x89" + glob("collections", "OrderedDict") + b")Rt" + b"R")


def one_tensor(t: bytes) -> bytes:
    return PROTO + b"}" + short_str("w") + t + b"s" + STOP


def limits():
    # A dict that holds itself: {}, memo 0, key, get memo 0, SETITEM.
    yield "self-dict", PROTO + b"}q\x00" + short_str("me") + b"h\x00s" + STOP
    # d0 = {}; d_{k+1} = {"a": d_k, "b": d_k}: a 60-deep binary tree over 61 dicts (2^60 paths).
    body = PROTO + b"}r" + struct.pack("<I", 0)
    for k in range(60):
        ref = b"j" + struct.pack("<I", k)
        body += b"}(" + short_str("a") + ref + short_str("b") + ref + b"u" + b"r" + struct.pack("<I", k + 1)
    yield "dag-2-pow-60", body + STOP  # the stack holds d0..d60; STOP returns d60
    # 5,001 dicts, each the only value of the one before.
    yield "deep-dicts", PROTO + b"".join(b"}" + short_str("k") for _ in range(5000)) + b"}" + b"s" * 5000 + STOP
    # _rebuild_from_type_v2(func, type, args): func is _rebuild_from_type_v2 again, 5,000 times,
    # around one real _rebuild_tensor_v2.
    tensor_type = glob("torch", "Tensor")
    inner = (b"(" + glob("torch._utils", "_rebuild_tensor_v2") + tensor_type + b"(" + storage("0", long1(4))
             + long1(0) + ints([4]) + ints([1]) + b"t" + b"t")
    for _ in range(5000):
        inner = b"(" + glob("torch._tensor", "_rebuild_from_type_v2") + tensor_type + inner + b"t"
    yield "rebuild-chain", (PROTO + b"}" + short_str("w") + glob("torch._tensor", "_rebuild_from_type_v2") + inner
                            + b"R" + b"s" + STOP)
    yield "storage-overflow", one_tensor(tensor(1 << 62, 0, [1], [1]))
    yield "view-overflow", one_tensor(tensor(16, 0, [1 << 40, 1 << 40], [1 << 40, 1 << 40]))
    yield "view-past-storage", one_tensor(tensor(4, 2, [3], [1]))
    yield "negative-stride", one_tensor(tensor(4, 3, [4], [-1]))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, obj in seeds():
        (OUT / f"seed-{name}.pkl").write_bytes(data_pkl(obj))
    for name, b in limits():
        (OUT / f"limit-{name}.pkl").write_bytes(b)


if __name__ == "__main__":
    main()
