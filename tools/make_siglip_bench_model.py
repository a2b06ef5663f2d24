#!/usr/bin/env python3
"""A random-weight SiglipModel folder of a chosen size for `oqvl score clip` throughput runs
(docs/score.md), with the tiny fixture tokenizer (tests/fixtures/model/siglip_clip/spiece.model).

Usage: python3 tools/make_siglip_bench_model.py OUT_DIR [tiny|mid|base]
  tiny: the test fixture's shapes (32 px, 2+2 layers, width 32/48)
  mid:  224 px / patch 16, 6+6 layers, width 384, MLP 1536 (about a third of SigLIP-B/16)
  base: SigLIP-B/16-224's shapes (12+12 layers, width 768), vocab still the tiny one
"""
import os
import sys

import torch
from transformers import SiglipConfig, SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "model", "siglip_clip")
SIZES = {
    "tiny": (32, 8, 2, 32, 37, 4, 48, 53),
    "mid": (224, 16, 6, 384, 1536, 6, 384, 1536),
    "base": (224, 16, 12, 768, 3072, 12, 768, 3072),
}


def main():
    out = sys.argv[1]
    image, patch, layers, vw, vi, heads, tw, ti = SIZES[sys.argv[2] if len(sys.argv) > 2 else "mid"]
    tok = SiglipTokenizer.from_pretrained(FIXTURE)
    torch.manual_seed(0)
    config = SiglipConfig(
        text_config=dict(vocab_size=tok.vocab_size, hidden_size=tw, intermediate_size=ti, num_hidden_layers=layers,
                         num_attention_heads=heads, max_position_embeddings=64, projection_size=vw,
                         pad_token_id=1, bos_token_id=None, eos_token_id=1),
        vision_config=dict(hidden_size=vw, intermediate_size=vi, num_hidden_layers=layers, num_attention_heads=heads,
                           image_size=image, patch_size=patch))
    SiglipModel(config).eval().save_pretrained(out)
    tok.save_pretrained(out)
    SiglipImageProcessorPil(size={"height": image, "width": image}).save_pretrained(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
