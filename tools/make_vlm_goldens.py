#!/usr/bin/env python3
"""Goldens for the C++ VLM assembly and forward (src/oqvl/model/vlm.cpp).

A tiny random Open-Qwen2VL: Hugging Face SiglipVisionModel (exact-erf GELU, features = the
second-to-last hidden state, no post-norm), Prismatic's AvgPoolProjector (AdaptiveAvgPool2d of
the patch grid, Linear-GELU-Linear) and a Hugging Face Qwen2ForCausalLM, assembled the way
Prismatic's PrismaticVLM.forward does it (docs/recipe.md §5.4): per row drop the padding, split the ids at
each -200, embed the text pieces, insert the next image's projected tokens, truncate to
max_length, right-pad with zero embeddings / label -100 / mask 0, run the LLM with a 2-D mask.

Writes tests/fixtures/model/vlm_tiny/:
  config.json          oqvl model-folder config (model_type oqvl-vlm)
  model.safetensors    weights under the folder's names (vision_tower.vision_model.*,
                       projector.mlp_projector.*, language_model.*)
  golden.pt            plain dict of tensors:
    pixels [3,3,S,S]; for case c in (a, b): c_input_ids [2,T], c_lengths [2], c_max_length [],
    c_logits [2,T',V], c_labels [2,T'], c_lengths_out [2], c_loss [];
    a_grad.<folder name> for the projector and LLM parameters (vision is frozen).

Usage: python tools/make_vlm_goldens.py [out_dir]
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

IMG = -200
BOS, EOS = 1, 2


class AvgPoolProjector(nn.Module):
    """Prismatic's projector: pool the square patch grid, then Linear-GELU-Linear."""

    def __init__(self, vision_dim, llm_dim, tokens):
        super().__init__()
        side = int(tokens ** 0.5)
        self.pool = nn.AdaptiveAvgPool2d((side, side))
        self.mlp_projector = nn.Sequential(nn.Linear(vision_dim, llm_dim), nn.GELU(),
                                           nn.Linear(llm_dim, llm_dim))

    def forward(self, x):  # [N, P, D]
        n, p, d = x.shape
        g = int(p ** 0.5)
        x = x.transpose(1, 2).reshape(n, d, g, g)
        x = self.pool(x).flatten(2).transpose(1, 2)
        return self.mlp_projector(x)


def assemble(llm, ids, lengths, image_tokens, max_length):
    """PrismaticVLM.forward's splice (docs/recipe.md §5.4), with explicit row lengths for the padding."""
    embed = llm.get_input_embeddings()
    rows, labels = [], []
    k = 0
    for r in range(ids.shape[0]):
        row = ids[r, : lengths[r]]
        pieces, lab = [], []
        start = 0
        for t in range(len(row) + 1):
            if t == len(row) or row[t] == IMG:
                text = row[start:t]
                if len(text):
                    pieces.append(embed(text))
                    lab.append(text.clone())
                if t < len(row):
                    pieces.append(image_tokens[k])
                    lab.append(torch.full((image_tokens.shape[1],), -100))
                    k += 1
                start = t + 1
        e = torch.cat(pieces)[:max_length]
        rows.append(e)
        labels.append(torch.cat(lab)[:max_length])
    assert k == image_tokens.shape[0]
    T = max(len(e) for e in rows)
    H = rows[0].shape[1]
    out = torch.zeros(len(rows), T, H)
    lab = torch.full((len(rows), T), -100, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.long)
    for r, e in enumerate(rows):
        out[r, : len(e)] = e
        lab[r, : len(e)] = labels[r]
        mask[r, : len(e)] = 1
    return out, lab, mask


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model" / "vlm_tiny")
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(4321)

    vcfg = SiglipVisionConfig(hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                              num_attention_heads=4, image_size=28, patch_size=4,
                              layer_norm_eps=1e-6, hidden_act="gelu")
    vision = SiglipVisionModel(vcfg).float().eval()
    tokens = 16  # 7x7 patch grid -> 4x4
    lcfg = Qwen2Config(vocab_size=300, hidden_size=40, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=10,
                       max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1e6,
                       tie_word_embeddings=True, initializer_range=0.2)
    lcfg._attn_implementation = "eager"
    llm = Qwen2ForCausalLM(lcfg).float().eval()
    proj = AvgPoolProjector(vcfg.hidden_size, lcfg.hidden_size, tokens).float()
    with torch.no_grad():  # non-trivial norms and biases
        for m in (vision, llm, proj):
            for name, p in m.named_parameters():
                if name.endswith("norm.weight") or "layer_norm" in name and name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn_like(p))
                elif name.endswith(".bias"):
                    p.copy_(0.05 * torch.randn_like(p))
                elif "position_embedding" in name or "patch_embedding" in name:
                    p.copy_(0.2 * torch.randn_like(p))

    weights = {}
    for k, v in vision.state_dict().items():
        # transformers 5 names SiglipVisionModel's tensors without the "vision_model." level.
        k = k[len("vision_model."):] if k.startswith("vision_model.") else k
        weights["vision_tower.vision_model." + k] = v.contiguous()
    for k, v in proj.state_dict().items():
        weights["projector." + k] = v.contiguous()
    for k, v in llm.state_dict().items():
        if k == "lm_head.weight":
            continue  # tied
        weights["language_model." + k] = v.contiguous()
    save_file(weights, str(out_dir / "model.safetensors"))
    vjson = {k: getattr(vcfg, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                           "num_attention_heads", "image_size", "patch_size",
                                           "layer_norm_eps", "hidden_act")}
    vjson["num_channels"] = 3
    ljson = {k: getattr(lcfg, k) for k in ("vocab_size", "hidden_size", "intermediate_size",
                                           "num_hidden_layers", "num_attention_heads",
                                           "num_key_value_heads", "head_dim", "rms_norm_eps",
                                           "tie_word_embeddings")}
    ljson["rope_theta"] = 1e6
    config = {"model_type": "oqvl-vlm", "format_version": 1, "vision_config": vjson,
              "vision_feature_layer": -2, "text_config": ljson,
              "projector": {"type": "avgpool-mlp", "arch_specifier": "no-align+avgpool",
                            "image_tokens": tokens},
              "image_processor": {"size": 28, "resample": "bicubic",
                                  "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
              "special_tokens": {"bos": BOS, "pad": 0, "eos": EOS, "image_placeholder": IMG}}
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    g = {}
    pixels = torch.rand(3, 3, 28, 28) * 2 - 1
    g["pixels"] = pixels

    def features(px):
        with torch.no_grad():
            hs = vision(pixel_values=px, output_hidden_states=True).hidden_states
        return hs[-2]

    # Case a: two packed rows, 3 images, right padding; no truncation.
    T = 12
    ids = torch.randint(3, lcfg.vocab_size, (2, T))
    row0 = [BOS, IMG, 5, 6, 7, EOS, BOS, IMG, 8, 9, 10, EOS]
    row1 = [BOS, IMG, 11, 12, EOS]
    ids[0] = torch.tensor(row0)
    ids[1, : len(row1)] = torch.tensor(row1)
    ids[1, len(row1):] = 0
    lengths = [12, 5]
    # Case b: the same rows truncated at 30 expanded tokens (row 0 expands to 12 + 2*15 = 42).
    for case, max_length in (("a", 4096), ("b", 30)):
        llm.zero_grad()
        proj.zero_grad()
        image_tokens = proj(features(pixels))
        emb, lab, mask = assemble(llm, ids, lengths, image_tokens, max_length)
        out = llm(inputs_embeds=emb, attention_mask=mask, labels=lab)
        g[f"{case}_input_ids"] = ids.clone()
        g[f"{case}_lengths"] = torch.tensor(lengths)
        g[f"{case}_max_length"] = torch.tensor(max_length)
        g[f"{case}_logits"] = out.logits.detach().clone()
        g[f"{case}_labels"] = lab
        g[f"{case}_lengths_out"] = mask.sum(1)
        g[f"{case}_loss"] = out.loss.detach().clone()
        if case == "a":
            out.loss.backward()
            for k, p in proj.named_parameters():
                g["a_grad.projector." + k] = p.grad.detach().clone()
            for k, p in llm.named_parameters():
                if k != "lm_head.weight":
                    g["a_grad.language_model." + k] = p.grad.detach().clone()
    # Generation: "<s><image>\n{prompt}"-shaped prompts (tiny-vocab ids), spliced like Prismatic,
    # left-padded with zero embeddings + attention mask, HF greedy generate on inputs_embeds.
    prompts = [[BOS, IMG, 5, 6, 7], [BOS, IMG, 9, 10, 11, 12, 13, 14], [BOS, 20, IMG, 21]]
    with torch.no_grad():
        image_tokens = proj(features(pixels))
        rows = [assemble(llm, torch.tensor([p]), [len(p)], image_tokens[i:i + 1], 4096)[0][0]
                for i, p in enumerate(prompts)]
        L = max(len(r) for r in rows)
        emb = torch.zeros(len(rows), L, lcfg.hidden_size)
        mask = torch.zeros(len(rows), L, dtype=torch.long)
        for i, r in enumerate(rows):
            emb[i, L - len(r):] = r
            mask[i, L - len(r):] = 1
        free = llm.generate(inputs_embeds=emb, attention_mask=mask, max_new_tokens=12, do_sample=False,
                            pad_token_id=0, eos_token_id=None)
        # Stop ids: the token each row makes 4th / never, so rows end at different steps.
        stops = [int(free[0, 3]), int(free[1, 6])]
        stopped = llm.generate(inputs_embeds=emb, attention_mask=mask, max_new_tokens=12, do_sample=False,
                               pad_token_id=0, eos_token_id=stops)
    for i, p in enumerate(prompts):
        g[f"gen_prompt{i}"] = torch.tensor(p)
        g[f"gen_free{i}"] = free[i].clone()
        row = stopped[i].tolist()
        for j, t in enumerate(row):
            if t in stops:
                row = row[: j + 1]
                break
        g[f"gen_stopped{i}"] = torch.tensor(row)
    g["gen_stop_ids"] = torch.tensor(stops)
    torch.save(g, str(out_dir / "golden.pt"))
    print(f"wrote {out_dir} ({sum(v.numel() for v in g.values())} golden values)")


if __name__ == "__main__":
    main()
