#!/usr/bin/env python3
"""Tiny Hugging Face towers as `save_pretrained` writes them, for `oqvl convert assemble` tests.

Writes tests/fixtures/model/assemble/:
  qwen2/   Qwen2ForCausalLM (tied embeddings, so no lm_head in the files), saved sharded:
           config.json, generation_config.json, model.safetensors.index.json + model-0000k-of-0000n
  siglip/  a whole SiglipModel (vision and text towers, as google/siglip-* folders hold it):
           config.json (SiglipConfig with vision_config: hidden_act gelu_pytorch_tanh),
           model.safetensors, and preprocessor_config.json with CLIP's mean/std (so a test can see
           that they are read; real SigLIP folders say 0.5)

The weights are perturbed from HF's init (norms 1, biases 0) so that every tensor is distinct.
Usage: python tools/make_assemble_fixture.py [out_dir]
"""
import json
import shutil
import sys
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipConfig, SiglipModel

LLM = dict(vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
           num_key_value_heads=1, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1e6,
           tie_word_embeddings=True)
VISION = dict(hidden_size=8, intermediate_size=16, num_hidden_layers=3, num_attention_heads=2, image_size=48,
              patch_size=4, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
TEXT = dict(vocab_size=64, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
            max_position_embeddings=16)
PREPROCESSOR = {"do_normalize": True, "do_rescale": True, "do_resize": True,
                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_processor_type": "SiglipImageProcessor",
                "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "SiglipProcessor",
                "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": 48, "width": 48}}


def perturb(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model" / "assemble")
    if out.exists():
        shutil.rmtree(out)
    torch.manual_seed(4321)
    llm = Qwen2ForCausalLM(Qwen2Config(**LLM)).float().eval()
    perturb(llm)
    llm.save_pretrained(out / "qwen2", safe_serialization=True, max_shard_size="8KB")
    siglip = SiglipModel(SiglipConfig(vision_config=VISION, text_config=TEXT)).float().eval()
    perturb(siglip)
    siglip.save_pretrained(out / "siglip", safe_serialization=True)
    (out / "siglip" / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2) + "\n")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total} bytes, {sum(1 for p in out.rglob('*') if p.is_file())} files)")


if __name__ == "__main__":
    main()
