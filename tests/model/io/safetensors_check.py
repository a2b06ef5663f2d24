"""Called by tests/model/io/safetensors_test.cpp: the reference library must read a file oqvl
wrote, with the expected names, dtypes, values and metadata. Usage: safetensors_check.py FILE"""
import sys

import torch
from safetensors import safe_open

path = sys.argv[1]
with safe_open(path, framework="pt") as f:
    assert f.metadata() == {"made_by": "oqvl"}, f.metadata()
    names = sorted(f.keys())
    assert names == ["a.weight", "b.bias", "c.half"], names
    a = f.get_tensor("a.weight")
    assert a.dtype == torch.float32 and a.shape == (2, 3), (a.dtype, a.shape)
    assert torch.equal(a, torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4)
    b = f.get_tensor("b.bias")
    assert b.dtype == torch.bfloat16 and torch.equal(b, torch.tensor([1.5, -2.0], dtype=torch.bfloat16))
    c = f.get_tensor("c.half")
    assert c.dtype == torch.float16 and c.shape == (0,)
print("safetensors reads oqvl's file: OK")
