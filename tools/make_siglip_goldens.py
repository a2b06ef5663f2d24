#!/usr/bin/env python3
"""Goldens for the SigLIP vision tower and the pooling projector (tests/model/siglip_test.cpp,
tests/model/projector_test.cpp).

Reference implementations: Hugging Face transformers `SiglipVisionModel` (tiny random config, fp32)
and plain torch modules for the projector (AdaptiveAvgPool2d + Linear-GELU(erf)-Linear, the shape of
Prismatic's AvgPoolProjector). Every file is a plain dict of tensors written with torch.save, which
C++ reads with torch::pickle_load.

Usage: python3 tools/make_siglip_goldens.py [out_dir]   (default tests/fixtures/model)
"""
import json
import os
import sys

import torch
from transformers import SiglipVisionConfig, SiglipVisionModel

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "model")

# Tiny tower: 28x28 image, patch 7 -> 4x4 = 16 patches (small fixtures); 3 blocks, so the feature is block 1's output.
TINY = dict(image_size=28, patch_size=7, hidden_size=32, intermediate_size=37,
            num_hidden_layers=3, num_attention_heads=4, layer_norm_eps=1e-6, num_channels=3)


def save(obj, name):
    path = os.path.join(OUT, name)
    torch.save(obj, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def contiguous(d):
    return {k: v.detach().clone().contiguous() for k, v in d.items()}


def siglip_golden(hidden_act, seed, name):
    torch.manual_seed(seed)
    config = SiglipVisionConfig(**TINY, hidden_act=hidden_act)
    model = SiglipVisionModel(config).eval()
    # Random init leaves LayerNorms at 1/0 and biases small; perturb everything so that every
    # parameter matters to the output.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    pixels = torch.rand(2, 3, TINY["image_size"], TINY["image_size"]) * 2 - 1  # [B,3,H,W] in [-1,1]
    with torch.no_grad():
        out = model(pixel_values=pixels, output_hidden_states=True)
    hs = out.hidden_states
    L = TINY["num_hidden_layers"]
    assert len(hs) == L + 1  # hs[0] = embeddings, hs[i+1] = output of block i
    feature = hs[-2]  # output of block L-2 (0-based) = second-to-last block, before post_layernorm
    assert torch.equal(feature, hs[L - 1])

    # timm's featurizer is get_intermediate_layers(n={L-2}): run blocks, keep block L-2's output,
    # no final norm. Re-run that by hand on HF's modules to pin the indexing.
    with torch.no_grad():
        vm = getattr(model, "vision_model", model)  # transformers 5 flattened the wrapper
        x = vm.embeddings(pixels)
        for blk in vm.encoder.layers[: L - 1]:
            x = blk(x, attention_mask=None)
            x = x[0] if isinstance(x, tuple) else x
    assert torch.allclose(x, feature, atol=0, rtol=0), (x - feature).abs().max()

    # Real checkpoints (google/siglip-*) name the tower's weights "vision_model.*".
    sd = model.state_dict()
    weights = {}
    for k, v in sd.items():
        if k.startswith("head."):
            continue  # MAP head: unused by Open-Qwen2VL
        key = k if k.startswith("vision_model.") else "vision_model." + k
        weights[key] = v
    golden = {"pixels": pixels, "expected": feature}
    golden.update({"w." + k: v for k, v in contiguous(weights).items()})
    save(contiguous(golden), name + ".pt")
    cfg = config.to_dict()
    cfg = {k: cfg[k] for k in ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
                               "num_attention_heads", "num_channels", "image_size", "patch_size",
                               "hidden_act", "layer_norm_eps")}
    with open(os.path.join(OUT, name + ".config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    return weights, pixels, feature


def timm_names(hf, L, n_patches):
    """The same weights under timm / open_clip ViT names (featurizer.* as in Prismatic)."""
    p = "vision_model."
    t = {
        "featurizer.patch_embed.proj.weight": hf[p + "embeddings.patch_embedding.weight"],
        "featurizer.patch_embed.proj.bias": hf[p + "embeddings.patch_embedding.bias"],
        "featurizer.pos_embed": hf[p + "embeddings.position_embedding.weight"].unsqueeze(0),
        "featurizer.norm.weight": hf[p + "post_layernorm.weight"],
        "featurizer.norm.bias": hf[p + "post_layernorm.bias"],
    }
    for i in range(L):
        h = f"{p}encoder.layers.{i}."
        b = f"featurizer.blocks.{i}."
        for tn, hn in (("norm1", "layer_norm1"), ("norm2", "layer_norm2"), ("attn.proj", "self_attn.out_proj"),
                       ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2")):
            for s in ("weight", "bias"):
                t[b + tn + "." + s] = hf[h + hn + "." + s]
        for s in ("weight", "bias"):  # timm's fused qkv rows are [q; k; v]
            t[b + "attn.qkv." + s] = torch.cat([hf[h + f"self_attn.{n}_proj.{s}"] for n in "qkv"], 0)
    assert t["featurizer.pos_embed"].shape == (1, n_patches, TINY["hidden_size"])
    return t


class Projector(torch.nn.Module):
    """Prismatic AvgPoolProjector's computation: b (h w) d -> b d h w -> pool -> b (h' w') d -> MLP."""

    def __init__(self, d_in, d_out, query_num):
        super().__init__()
        self.q = int(round(query_num ** 0.5))
        self.pool = torch.nn.AdaptiveAvgPool2d((self.q, self.q))
        self.mlp_projector = torch.nn.Sequential(
            torch.nn.Linear(d_in, d_out), torch.nn.GELU(), torch.nn.Linear(d_out, d_out))

    def pooled(self, x):
        b, n, d = x.shape
        h = int(round(n ** 0.5))
        x = x.transpose(1, 2).reshape(b, d, h, h)
        x = self.pool(x)
        return x.reshape(b, d, self.q * self.q).transpose(1, 2)

    def forward(self, x):
        return self.mlp_projector(self.pooled(x))


def projector_golden():
    torch.manual_seed(1152)
    d_in, d_out = 8, 12
    proj = Projector(d_in, d_out, 144)
    with torch.no_grad():
        for p in proj.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    feats = torch.randn(1, 729, d_in)  # [B, 27*27, D]
    out = {"features": feats}
    out.update({"w.projector." + k: v for k, v in proj.state_dict().items()})
    for q in (144, 729):
        proj.q = int(round(q ** 0.5))
        proj.pool = torch.nn.AdaptiveAvgPool2d((proj.q, proj.q))
        x = feats.clone().requires_grad_(True)
        pooled = proj.pooled(x)
        y = proj.mlp_projector(pooled)
        torch.manual_seed(q)
        r = torch.randn_like(y)  # loss = sum(y * r): every output element gets its own weight
        proj.zero_grad()
        (y * r).sum().backward()
        if q != 729:
            out[f"q{q}.pooled"] = pooled.detach()
        else:
            assert torch.equal(pooled, feats)  # 27 -> 27 pooling is the identity
        out[f"q{q}.expected"] = y.detach()
        out[f"q{q}.loss_weights"] = r
        out[f"q{q}.grad.features"] = x.grad
        for k, p in proj.mlp_projector.named_parameters():
            out[f"q{q}.grad.mlp_projector.{k}"] = p.grad.clone()
    save(contiguous(out), "projector_golden.pt")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    L = TINY["num_hidden_layers"]
    n = (TINY["image_size"] // TINY["patch_size"]) ** 2
    siglip_golden("gelu_pytorch_tanh", 0, "siglip_tanh")
    hf, pixels, feature = siglip_golden("gelu", 1, "siglip_erf")
    t = {"w." + k: v for k, v in timm_names(hf, L, n).items()}
    t.update({"pixels": pixels, "expected": feature})
    save(contiguous(t), "siglip_erf_timm.pt")
    projector_golden()


if __name__ == "__main__":
    main()
