#!/usr/bin/env python3
"""A tiny Open-Qwen2VL checkpoint in Prismatic's exact on-disk layout, for `oqvl convert` tests.

Writes tests/fixtures/model/prismatic/:
  checkpoint.pt              torch.save({"model": {"projector": OrderedDict, "llm_backbone": OrderedDict}})
                             fp32, LLM keys prefixed "llm.", the tied lm_head stored as a separate copy
                             (as fsdp.py save_checkpoint writes; docs/recipe.md §10), no vision_backbone
  checkpoint_with_vision.pt  the same plus "vision_backbone": timm names under "featurizer."
  vision_timm.safetensors    the SigLIP tower in timm names (no prefix), with all blocks, the final
                             norm and a stand-in attn_pool head (the importer must drop them)
  run_config.json            a Prismatic-like run config ({"model": {"arch_specifier": "no-align+avgpool", ...}})
  llm_config.json            HF Qwen2 config of the tiny LLM
  vision_config.json         HF SiglipVisionConfig of the tiny tower (hidden_act "gelu": exact erf)
  reference.safetensors      every tensor as the oqvl folder must hold it (folder names: vision_tower.vision_model.*
                             for ALL blocks + post_layernorm, projector.*, language_model.* without lm_head)
  expected.json              reference outputs of the HF models the fixture came from:
                             input_ids [1,T], logits [1,T,V] of Qwen2ForCausalLM; vision_features [1,N,D]
                             = hidden_states[-2] (the feature layer) of SiglipVisionModel for pixels()

Usage: python tools/make_prismatic_fixture.py [out_dir]
"""
import json
import sys
from collections import OrderedDict
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

LLM = dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
           num_key_value_heads=1, head_dim=8, max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=1e6,
           tie_word_embeddings=True)
VISION = dict(hidden_size=8, intermediate_size=16, num_hidden_layers=3, num_attention_heads=2, image_size=48,
              patch_size=4, layer_norm_eps=1e-6, hidden_act="gelu")
INPUT_IDS = [[3, 17, 64, 5, 99, 127, 0]]


def pixels():
    """Deterministic input shared with tests/cli/convert.sh: [1, 3, 48, 48] in [-1, 1]."""
    n = 3 * VISION["image_size"] ** 2
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.37).reshape(1, 3, VISION["image_size"], -1)


def perturb(model):
    # HF initializes norms to 1 and biases to 0: make every parameter matter.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)


def timm_names(hf):
    """HF SigLIP vision names -> timm ViT names (the inverse of siglip_state_from_timm)."""
    t = {
        "patch_embed.proj.weight": hf["embeddings.patch_embedding.weight"],
        "patch_embed.proj.bias": hf["embeddings.patch_embedding.bias"],
        "pos_embed": hf["embeddings.position_embedding.weight"].unsqueeze(0),
        "norm.weight": hf["post_layernorm.weight"],
        "norm.bias": hf["post_layernorm.bias"],
        "attn_pool.latent": torch.zeros(1, 1, VISION["hidden_size"]),
    }
    for i in range(VISION["num_hidden_layers"]):
        h, b = f"encoder.layers.{i}.", f"blocks.{i}."
        for tn, hn in (("norm1", "layer_norm1"), ("norm2", "layer_norm2"), ("attn.proj", "self_attn.out_proj"),
                       ("mlp.fc1", "mlp.fc1"), ("mlp.fc2", "mlp.fc2")):
            for s in ("weight", "bias"):
                t[b + tn + "." + s] = hf[h + hn + "." + s]
        for s in ("weight", "bias"):  # timm's fused qkv rows are [q; k; v]
            t[b + "attn.qkv." + s] = torch.cat([hf[h + f"self_attn.{n}_proj.{s}"] for n in "qkv"], 0)
    return {k: v.detach().clone().contiguous() for k, v in t.items()}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model" / "prismatic")
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(2024)

    llm_cfg = Qwen2Config(**LLM, attn_implementation="eager")
    llm = Qwen2ForCausalLM(llm_cfg).float().eval()
    perturb(llm)
    vis_cfg = SiglipVisionConfig(**VISION)
    vis = SiglipVisionModel(vis_cfg).float().eval()
    perturb(vis)
    hf_vision = {k.removeprefix("vision_model."): v for k, v in vis.state_dict().items()}
    D, H = VISION["hidden_size"], LLM["hidden_size"]
    proj = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.GELU(), torch.nn.Linear(H, H))

    # Prismatic's save_checkpoint: {"model": {"projector": OrderedDict, "llm_backbone": OrderedDict}}
    # from module.state_dict() of the trainable parts (OrderedDicts with _metadata); the LLM wrapper
    # holds self.llm, hence "llm."; the FSDP gather stores the tied lm_head as its own copy.
    llm_wrapper, proj_wrapper = torch.nn.Module(), torch.nn.Module()
    llm_wrapper.llm, proj_wrapper.mlp_projector = llm, proj
    llm_sd = llm_wrapper.state_dict()
    proj_sd = proj_wrapper.state_dict()
    assert isinstance(llm_sd, OrderedDict) and hasattr(llm_sd, "_metadata")
    for k in llm_sd:
        llm_sd[k] = llm_sd[k].detach().clone().contiguous()
    if "llm.lm_head.weight" not in llm_sd:
        llm_sd["llm.lm_head.weight"] = llm_sd["llm.model.embed_tokens.weight"].clone()
    assert torch.equal(llm_sd["llm.lm_head.weight"], llm_sd["llm.model.embed_tokens.weight"])
    torch.save({"model": {"projector": proj_sd, "llm_backbone": llm_sd}}, out / "checkpoint.pt")
    timm = timm_names(hf_vision)
    vision_sd = OrderedDict((f"featurizer.{k}", v) for k, v in timm.items())
    torch.save({"model": {"projector": proj_sd, "llm_backbone": llm_sd, "vision_backbone": vision_sd}},
               out / "checkpoint_with_vision.pt")
    save_file(timm, str(out / "vision_timm.safetensors"))

    ref = {f"vision_tower.vision_model.{k}": v for k, v in hf_vision.items()}
    ref.update({f"projector.{k}": v for k, v in proj_sd.items()})
    ref.update({f"language_model.{k[4:]}": v for k, v in llm_sd.items() if k != "llm.lm_head.weight"})
    save_file({k: v.detach().clone().contiguous() for k, v in ref.items()}, str(out / "reference.safetensors"))

    run_config = {"model": {"type": "one-stage+tiny", "model_id": "oqvl-tiny-fixture",
                            "arch_specifier": "no-align+avgpool", "vision_backbone_id": "siglip-vit-so400m-384px",
                            "llm_backbone_id": "qwen2.5-1.5b-instruct", "image_resize_strategy": "resize-naive",
                            "llm_max_length": 4096},
                  "mount_path": "Qwen", "seed": 7}
    (out / "run_config.json").write_text(json.dumps(run_config, indent=2) + "\n")
    llm_json = {k: v for k, v in llm_cfg.to_dict().items() if k in LLM or k == "model_type"}
    llm_json["rope_theta"] = LLM["rope_theta"]
    (out / "llm_config.json").write_text(json.dumps(llm_json, indent=2) + "\n")
    (out / "vision_config.json").write_text(json.dumps({"model_type": "siglip_vision_model", **VISION}, indent=2) + "\n")

    with torch.no_grad():
        ids = torch.tensor(INPUT_IDS)
        logits = llm(input_ids=ids).logits
        hs = vis(pixel_values=pixels(), output_hidden_states=True).hidden_states
    def rounded(t):  # 8 significant digits: exact enough for the 1e-5 comparisons, half the bytes
        return json.loads(json.dumps(t.tolist()), parse_float=lambda x: float(f"{float(x):.8g}"))
    expected = {"input_ids": INPUT_IDS, "logits": rounded(logits), "vision_features": rounded(hs[-2])}
    (out / "expected.json").write_text(json.dumps(expected) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({total} bytes)")


if __name__ == "__main__":
    main()
