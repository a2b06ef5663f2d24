#!/usr/bin/env python3
"""A Python reference of the Open-Qwen2VL model built from Hugging Face modules, for parity tests
of oqvl's C++ model, generation, evaluation and MLM scoring.

  make_tiny_folder(out_dir, seed)  writes a random tiny oqvl model folder with the REAL Qwen2
                                   vocabulary size (151936 rows) so real prompts tokenize into it
  Reference(folder)                loads a folder into HF SiglipVisionModel + Prismatic's
                                   AvgPoolProjector + Qwen2ForCausalLM and runs Prismatic-style
                                   greedy generation (docs/recipe.md §5.4, 9.1):
                                     ids = [<s>] + tokenizer_image_token(prompt)
                                     image tokens spliced at -200, left padding + attention mask,
                                     HF generate on inputs_embeds, decode(skip_special_tokens)

Usage: python tools/vlm_reference.py make-tiny OUT_DIR [SEED] [tiny|mid]
"""
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_image_prompt_goldens import tokenizer_image_token  # noqa: E402
from make_tokenizer_goldens import qwen2vl_tokenizer  # noqa: E402

IMG = -200


class AvgPoolProjector(nn.Module):
    """Prismatic's projector: AdaptiveAvgPool2d over the square patch grid, Linear-GELU-Linear."""

    def __init__(self, vision_dim, llm_dim, tokens):
        super().__init__()
        side = int(round(tokens ** 0.5))
        self.pool = nn.AdaptiveAvgPool2d((side, side))
        self.mlp_projector = nn.Sequential(nn.Linear(vision_dim, llm_dim), nn.GELU(),
                                           nn.Linear(llm_dim, llm_dim))

    def forward(self, x):  # [N, P, D] -> [N, Q, H]
        n, p, d = x.shape
        g = int(round(p ** 0.5))
        x = x.transpose(1, 2).reshape(n, d, g, g)
        return self.mlp_projector(self.pool(x).flatten(2).transpose(1, 2))


def vision_config_json(c):
    j = {k: getattr(c, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                    "num_attention_heads", "image_size", "patch_size",
                                    "layer_norm_eps", "hidden_act")}
    j["num_channels"] = 3
    return j


def text_config_json(c):
    j = {k: getattr(c, k) for k in ("vocab_size", "hidden_size", "intermediate_size",
                                    "num_hidden_layers", "num_attention_heads",
                                    "num_key_value_heads", "head_dim", "rms_norm_eps",
                                    "tie_word_embeddings")}
    j["rope_theta"] = 1e6
    return j


# (vision hidden, MLP, layers, heads, image, patch, pooled tokens; LLM hidden, MLP, layers, heads,
# KV heads, head dim): "tiny" for tests, "mid" for benchmarks (bench/run_eval_bench.sh).
SIZES = {"tiny": (32, 48, 3, 4, 28, 4, 16, 32, 64, 2, 4, 2, 8),
         "mid": (384, 1536, 6, 6, 224, 14, 64, 512, 1536, 8, 8, 2, 64)}


def make_tiny_folder(out_dir, seed=0, size="tiny"):
    vh, vi, vl, vn, img, patch, image_tokens, lh, li, ll, ln, lkv, hd = SIZES[size]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    vcfg = SiglipVisionConfig(hidden_size=vh, intermediate_size=vi, num_hidden_layers=vl,
                              num_attention_heads=vn, image_size=img, patch_size=patch,
                              layer_norm_eps=1e-6, hidden_act="gelu")
    lcfg = Qwen2Config(vocab_size=151936, hidden_size=lh, intermediate_size=li, num_hidden_layers=ll,
                       num_attention_heads=ln, num_key_value_heads=lkv, head_dim=hd,
                       max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=1e6,
                       tie_word_embeddings=True, initializer_range=0.2)
    vision = SiglipVisionModel(vcfg).float()
    llm = Qwen2ForCausalLM(lcfg).float()
    proj = AvgPoolProjector(vh, lh, image_tokens)
    with torch.no_grad():
        for m in (vision, llm, proj):
            for name, p in m.named_parameters():
                if name.endswith(".bias"):
                    p.copy_(0.05 * torch.randn_like(p))
                elif "norm" in name and name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
    weights = {}
    for k, v in vision.state_dict().items():
        k = k[len("vision_model."):] if k.startswith("vision_model.") else k
        weights["vision_tower.vision_model." + k] = v.contiguous()
    for k, v in proj.state_dict().items():
        weights["projector." + k] = v.contiguous()
    for k, v in llm.state_dict().items():
        if k != "lm_head.weight":
            weights["language_model." + k] = v.contiguous()
    save_file(weights, os.path.join(out_dir, "model.safetensors"))
    config = {"model_type": "oqvl-vlm", "format_version": 1,
              "vision_config": vision_config_json(vcfg), "vision_feature_layer": -2,
              "text_config": text_config_json(lcfg),
              "projector": {"type": "avgpool-mlp", "arch_specifier": "no-align+avgpool",
                            "image_tokens": image_tokens},
              "image_processor": {"size": img, "resample": "bicubic",
                                  "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
              "special_tokens": {"bos": 128245, "pad": 151643, "eos": 151645,
                                 "image_placeholder": IMG}}
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


class Reference:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        self.cfg = cfg
        w = load_file(os.path.join(folder, "model.safetensors"))
        v = cfg["vision_config"]
        self.vision = SiglipVisionModel(SiglipVisionConfig(**v)).float().eval()
        vs = {k[len("vision_tower.vision_model."):]: t for k, t in w.items()
              if k.startswith("vision_tower.vision_model.")}
        missing, _ = self.vision.load_state_dict(vs, strict=False)
        # oqvl folders leave out the blocks past the feature layer (-2): never run, not needed.
        last = f"encoder.layers.{v['num_hidden_layers'] - 1}."
        assert not [m for m in missing if "head" not in m and "post_layernorm" not in m
                    and not m.startswith(last)], missing
        t = dict(cfg["text_config"])
        lcfg = Qwen2Config(**t)
        lcfg._attn_implementation = "eager"
        self.llm = Qwen2ForCausalLM(lcfg).float().eval()
        ls = {k[len("language_model."):]: t for k, t in w.items() if k.startswith("language_model.")}
        self.llm.load_state_dict(ls, strict=False)
        self.llm.tie_weights()
        self.tokens = cfg["projector"]["image_tokens"]
        self.proj = AvgPoolProjector(v["hidden_size"], t["hidden_size"], self.tokens).float().eval()
        self.proj.load_state_dict({k[len("projector."):]: t for k, t in w.items()
                                   if k.startswith("projector.")})
        self.tok = qwen2vl_tokenizer()
        self.size = cfg["image_processor"]["size"]
        self.special = cfg["special_tokens"]

    def pixels(self, image_bytes):
        """resize-naive BICUBIC, ToTensor, Normalize(0.5, 0.5) (docs/recipe.md §5.1)."""
        img = Image.open(io.BytesIO(image_bytes)).convert("RGB").resize((self.size, self.size), Image.BICUBIC)
        x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 255.0
        return (x - 0.5) / 0.5

    @torch.no_grad()
    def image_tokens(self, image_bytes_list):
        px = torch.stack([self.pixels(b) for b in image_bytes_list])
        hs = self.vision(pixel_values=px, output_hidden_states=True).hidden_states
        return self.proj(hs[-2])

    @torch.no_grad()
    def embed_prompt(self, ids, image_tokens):
        emb = self.llm.get_input_embeddings()
        pieces, k, start = [], 0, 0
        for t in range(len(ids) + 1):
            if t == len(ids) or ids[t] == IMG:
                if t > start:
                    pieces.append(emb(torch.tensor(ids[start:t])))
                if t < len(ids):
                    pieces.append(image_tokens[k])
                    k += 1
                start = t + 1
        return torch.cat(pieces)

    def prompt_ids(self, prompt, bos=True):
        return ([self.special["bos"]] if bos else []) + tokenizer_image_token(self.tok, prompt)

    @torch.no_grad()
    def generate(self, prompt_ids_list, image_bytes_list, max_new_tokens, stop_ids):
        """Greedy; one image per prompt (or a list of images, one per placeholder); returns the new
        ids of each prompt (stop id included)."""
        rows = [self.embed_prompt(ids, self.image_tokens(b if isinstance(b, list) else [b]))
                for ids, b in zip(prompt_ids_list, image_bytes_list)]
        L = max(len(r) for r in rows)
        H = rows[0].shape[1]
        emb = torch.zeros(len(rows), L, H)
        mask = torch.zeros(len(rows), L, dtype=torch.long)
        for i, r in enumerate(rows):
            emb[i, L - len(r):] = r
            mask[i, L - len(r):] = 1
        out = self.llm.generate(inputs_embeds=emb, attention_mask=mask, max_new_tokens=max_new_tokens,
                                do_sample=False, pad_token_id=self.special["pad"], eos_token_id=list(stop_ids))
        result = []
        for row in out.tolist():
            for j, t in enumerate(row):
                if t in stop_ids:
                    row = row[: j + 1]
                    break
            result.append(row)
        return result

    @torch.no_grad()
    def next_logits(self, prompt_ids, image_bytes_list):
        """float32 logits [V] of the token after one prompt (no padding): generate's first scores."""
        row = self.embed_prompt(prompt_ids, self.image_tokens(image_bytes_list))
        return self.llm(inputs_embeds=row.unsqueeze(0)).logits[0, -1].float()

    def decode(self, ids):
        return self.tok.decode(ids, skip_special_tokens=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make-tiny":
        make_tiny_folder(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0,
                         sys.argv[4] if len(sys.argv) > 4 else "tiny")
        print(f"wrote {sys.argv[2]}")
    else:
        print(__doc__)
        sys.exit(2)
