#!/usr/bin/env python3
"""A tiny LLaVA-style Hugging Face checkpoint folder (the MLM-Filter / LLaVA-Unified layout), for
`oqvl convert llava` tests.

Writes tests/fixtures/model/llava/:
  with_vision/config.json        tiny Qwen2 config keys at top level + LLaVA's mm_* keys
  with_vision/model.safetensors  LLaVA names: model.embed_tokens/layers/norm, lm_head.weight (tied copy),
                                 model.mm_projector.{0,2}.*, model.vision_tower.vision_tower.vision_model.*
                                 (the whole HF SiglipVisionModel, post_layernorm and head included)
  no_vision/config.json          the same config
  no_vision/model.safetensors    the same without the vision tower and without lm_head (tied, as
                                 save_pretrained drops it)
  siglip/model.safetensors       the tower alone as an HF SiglipVisionModel ("vision_model.*")
  siglip/config.json             its SiglipVisionConfig (hidden_act gelu_pytorch_tanh, as HF's so400m)
  expected.json                  a LLaVA-style reference forward: input_ids with one -200 placeholder,
                                 pixels() -> SiglipVisionModel hidden_states[mm_vision_select_layer] (all
                                 patches) -> Linear-GELU-Linear -> spliced at the placeholder ->
                                 Qwen2ForCausalLM; "last_logits" = logits of the last position [V]

Usage: python tools/make_llava_fixture.py [out_dir]
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

LLM = dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
           num_key_value_heads=1, head_dim=8, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1e6,
           tie_word_embeddings=True)
VISION = dict(hidden_size=8, intermediate_size=16, num_hidden_layers=3, num_attention_heads=2, image_size=48,
              patch_size=4, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
SELECT_LAYER = -2
INPUT_IDS = [5, 17, -200, 64, 99, 3]


def pixels():
    """Deterministic input: [1, 3, 48, 48] in [-1, 1]."""
    n = 3 * VISION["image_size"] ** 2
    return torch.cos(torch.arange(n, dtype=torch.float32) * 0.29).reshape(1, 3, VISION["image_size"], -1)


def perturb(model):
    with torch.no_grad():  # HF initializes norms to 1 and biases to 0: make every parameter matter
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)


def contiguous(d):
    return {k: v.detach().clone().contiguous() for k, v in d.items()}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model" / "llava")
    torch.manual_seed(1234)
    llm_cfg = Qwen2Config(**LLM, attn_implementation="eager")
    llm = Qwen2ForCausalLM(llm_cfg).float().eval()
    perturb(llm)
    vis = SiglipVisionModel(SiglipVisionConfig(**VISION)).float().eval()
    perturb(vis)
    D, H = VISION["hidden_size"], LLM["hidden_size"]
    # LLaVA's build_vision_projector for "mlp2x_gelu": Sequential(Linear(Dv, H), GELU(), Linear(H, H)).
    proj = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.GELU(), torch.nn.Linear(H, H)).eval()

    llm_sd = contiguous(llm.state_dict())
    llm_sd.setdefault("lm_head.weight", llm_sd["model.embed_tokens.weight"].clone())
    proj_sd = {f"model.mm_projector.{k}": v for k, v in contiguous(proj.state_dict()).items()}
    # HF's checkpoint names are "vision_model.*" (google/siglip-*, and LLaVA's saved tower under
    # model.vision_tower.vision_tower.); newer transformers may drop that prefix from state_dict().
    vis_sd = {k if k.startswith("vision_model.") else "vision_model." + k: v
              for k, v in contiguous(vis.state_dict()).items()}
    config = {k: v for k, v in llm_cfg.to_dict().items() if k in LLM or k in ("model_type", "hidden_act")}
    config["rope_theta"] = LLM["rope_theta"]
    config.update({"architectures": ["LlavaQwenForCausalLM"], "model_type": "llava_qwen",
                   "mm_vision_tower": "google/siglip-so400m-patch14-384", "mm_projector_type": "mlp2x_gelu",
                   "mm_vision_select_layer": SELECT_LAYER, "mm_vision_select_feature": "patch",
                   "mm_hidden_size": D, "image_aspect_ratio": "pad", "mm_use_im_start_end": False,
                   "mm_patch_merge_type": "flat", "tokenizer_model_max_length": 2048})

    for name, sd in (("with_vision", {**llm_sd, **proj_sd,
                                      **{f"model.vision_tower.vision_tower.{k}": v for k, v in vis_sd.items()}}),
                     ("no_vision", {**{k: v for k, v in llm_sd.items() if k != "lm_head.weight"}, **proj_sd})):
        (out / name).mkdir(parents=True, exist_ok=True)
        save_file(sd, str(out / name / "model.safetensors"), metadata={"format": "pt"})
        (out / name / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "siglip").mkdir(parents=True, exist_ok=True)
    save_file(vis_sd, str(out / "siglip" / "model.safetensors"), metadata={"format": "pt"})
    (out / "siglip" / "config.json").write_text(
        json.dumps({"model_type": "siglip_vision_model", **VISION}, indent=2) + "\n")

    # LLaVA's prepare_inputs_labels_for_multimodal for one image: embed the text around the
    # placeholder, insert the projected patch features in its place.
    with torch.no_grad():
        feats = vis(pixel_values=pixels(), output_hidden_states=True).hidden_states[SELECT_LAYER]
        image = proj(feats)[0]
        at = INPUT_IDS.index(-200)
        emb = llm.get_input_embeddings()
        before = emb(torch.tensor(INPUT_IDS[:at]))
        after = emb(torch.tensor(INPUT_IDS[at + 1:]))
        embeds = torch.cat([before, image, after], 0).unsqueeze(0)
        logits = llm(inputs_embeds=embeds).logits[0, -1]
    expected = {"input_ids": INPUT_IDS, "select_layer": SELECT_LAYER, "image_tokens": int(image.shape[0]),
                "last_logits": [float(f"{x:.9g}") for x in logits.tolist()]}
    (out / "expected.json").write_text(json.dumps(expected) + "\n")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total} bytes)")


if __name__ == "__main__":
    main()
