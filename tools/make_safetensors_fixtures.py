"""Safetensors fixtures written by the reference library (safetensors + torch), for
tests/model/io/safetensors_test.cpp. Values are arange-based so the C++ test recomputes them.

    python3 tools/make_safetensors_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests/fixtures/model/safetensors")


def value(shape, dtype, scale):
    n = 1
    for d in shape:
        n *= d
    return (torch.arange(n, dtype=torch.float64) * scale - 3).reshape(shape).to(dtype)


TENSORS = {
    "f32": ((3, 4), torch.float32, 0.25),
    "f16": ((5,), torch.float16, 0.5),
    "bf16": ((2, 3, 2), torch.bfloat16, 0.125),
    "i64": ((4,), torch.int64, 7),
    "scalar": ((), torch.float32, 1.0),
    "empty": ((0, 3), torch.float32, 1.0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {k: value(*v) for k, v in TENSORS.items()}
    save_file(tensors, os.path.join(OUT, "single.safetensors"), metadata={"format": "pt"})
    # A sharded checkpoint as transformers writes it.
    shard1 = {k: tensors[k] for k in ("f32", "f16")}
    shard2 = {k: tensors[k] for k in ("bf16", "i64")}
    save_file(shard1, os.path.join(OUT, "model-00001-of-00002.safetensors"))
    save_file(shard2, os.path.join(OUT, "model-00002-of-00002.safetensors"))
    weight_map = {k: "model-00001-of-00002.safetensors" for k in shard1}
    weight_map.update({k: "model-00002-of-00002.safetensors" for k in shard2})
    with open(os.path.join(OUT, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


if __name__ == "__main__":
    main()
