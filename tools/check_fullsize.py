#!/usr/bin/env python3
"""Full-size parity check: SigLIP-so400m-patch14-384 and Qwen2.5-1.5B with random weights.

Builds both models at their real sizes with Hugging Face transformers (random init, seed 0;
weights rounded to bfloat16 so the bf16 safetensors written here hold them exactly, and both
sides compute in float32 from identical values), runs the reference forward passes, and writes
    DIR/siglip/{config.json, model.safetensors}     HF SiglipVisionModel (exact-erf GELU)
    DIR/qwen2/{config.json, model.safetensors}      HF Qwen2ForCausalLM, Qwen2.5-1.5B config
    DIR/image.jpg                                   a real photo (skimage astronaut, 512 px)
    DIR/expected.safetensors                        siglip_features [729, 1152] (second-to-last
                                                    block, no post-norm), qwen2_input_ids [L],
                                                    qwen2_logits [L, 151936]
then runs the C++ side (tests/model/fullsize_test.cpp, FullSize.*) with OQVL_FULLSIZE_DIR=DIR.
Needs ~10 GB of RAM and ~4 GB of disk; about 2-4 minutes on 2 cores.

Usage: python tools/check_fullsize.py MODEL_TESTS_BINARY [DIR]
"""
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

from skimage_data import require_skimage_data_dir


def bf16_round_(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())


def save_bf16(model, path, rename=lambda k: k, skip=()):
    tensors = {rename(k): v.to(torch.bfloat16).contiguous()
               for k, v in model.state_dict().items() if k not in skip}
    save_file(tensors, str(path))


def preprocess(jpeg_bytes):
    """Open-Qwen2VL's transform: resize-naive BICUBIC 384, ToTensor, Normalize(0.5, 0.5)."""
    img = Image.open(io.BytesIO(jpeg_bytes)).convert("RGB").resize((384, 384), Image.BICUBIC)
    x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 255.0
    return ((x - 0.5) / 0.5).unsqueeze(0)


def main() -> None:
    binary = sys.argv[1]
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="oqvl-fullsize-"))
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    expected = {}

    # A real photo, re-encoded like img2dataset output (512 px JPEG q95).
    photo = Image.open(f"{require_skimage_data_dir()}/astronaut.png").convert("RGB").resize((512, 512), Image.BICUBIC)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=95)
    (out / "image.jpg").write_bytes(buf.getvalue())

    t = time.time()
    vcfg = SiglipVisionConfig(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                              num_attention_heads=16, image_size=384, patch_size=14,
                              layer_norm_eps=1e-6, hidden_act="gelu")
    vision = SiglipVisionModel(vcfg).float().eval()
    with torch.no_grad():  # HF initializes norms to 1 / biases to 0: make them non-trivial
        for name, p in vision.named_parameters():
            if "layer_norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.02 * torch.randn_like(p))
    bf16_round_(vision)
    (out / "siglip").mkdir(exist_ok=True)
    (out / "siglip" / "config.json").write_text(vcfg.to_json_string())
    save_bf16(vision, out / "siglip" / "model.safetensors")
    with torch.no_grad():
        hs = vision(pixel_values=preprocess(buf.getvalue()), output_hidden_states=True).hidden_states
    expected["siglip_features"] = hs[-2][0].contiguous()
    print(f"siglip so400m: {sum(p.numel() for p in vision.parameters()):,} params, "
          f"reference forward done in {time.time() - t:.1f} s", flush=True)
    del vision, hs
    gc.collect()

    t = time.time()
    lcfg = Qwen2Config(vocab_size=151936, hidden_size=1536, intermediate_size=8960,
                       num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                       max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1e6,
                       tie_word_embeddings=True)
    lcfg._attn_implementation = "eager"
    llm = Qwen2ForCausalLM(lcfg).float().eval()
    with torch.no_grad():
        for name, p in llm.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.02 * torch.randn_like(p))
    bf16_round_(llm)
    (out / "qwen2").mkdir(exist_ok=True)
    (out / "qwen2" / "config.json").write_text(lcfg.to_json_string())
    save_bf16(llm, out / "qwen2" / "model.safetensors", skip=("lm_head.weight",))
    ids = torch.tensor([128245, 151665, 198, 32, 6008, 315, 264, 1697, 304, 264, 3550, 7781, 13,
                        151645, 128245, 3838])
    with torch.no_grad():
        logits = llm(input_ids=ids.unsqueeze(0)).logits[0]
    expected["qwen2_input_ids"] = ids
    expected["qwen2_logits"] = logits.contiguous()
    print(f"qwen2.5-1.5b: {sum(p.numel() for p in llm.parameters()):,} params, "
          f"reference forward done in {time.time() - t:.1f} s", flush=True)
    del llm, logits
    gc.collect()
    save_file(expected, str(out / "expected.safetensors"))

    env = dict(os.environ, OQVL_FULLSIZE_DIR=str(out))
    r = subprocess.run([binary, "--gtest_filter=FullSize.*"], env=env)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
