#!/usr/bin/env python3
"""Goldens for the C++ Qwen2 decoder (src/oqvl/model/qwen2.cpp), from Hugging Face transformers.

A tiny random Qwen2ForCausalLM (fp32, eager attention, fixed seed). Writes
tests/fixtures/model/qwen2_tiny.pt: a plain dict of tensors read in C++ with torch::pickle_load.

  weights:  "w.<state_dict key>"  (lm_head.weight included; tied to the embedding)
  case a (plain causal, right padding):
            a_input_ids [2,T], a_attention_mask [2,T], a_labels [2,T] (-100 on pad and some
            prompt tokens), a_logits [2,T,V], a_loss [], a_grad.<param> (grad of a_loss)
  case b (per-sample block-diagonal, positions reset per sample):
            b_input_ids [2,T], b_sample_lengths [2,S] (0 = none), b_logits [2,T,V] (each
            sample run alone and concatenated; padded positions are zero), b_valid [2,T]
  config:   config_json (uint8 bytes of the HF config.json)

Usage: python tools/make_qwen2_goldens.py [out_dir]
"""
import json
import sys
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model")
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    cfg = Qwen2Config(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      rms_norm_eps=1e-6, rope_theta=1e6, tie_word_embeddings=True,
                      attn_implementation="eager", torch_dtype="float32")
    cfg._attn_implementation = "eager"
    model = Qwen2ForCausalLM(cfg).float().eval()
    # Non-trivial norms and biases (HF initializes norms to 1 and biases to 0).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()

    out = {}
    for k, v in model.state_dict().items():
        out["w." + k] = v.detach().clone().contiguous()
    out["config_json"] = torch.tensor(list(cfg.to_json_string().encode()), dtype=torch.uint8)

    # Case a: two rows, right padding, labels with -100.
    T = 12
    lengths = [12, 7]
    ids = torch.randint(0, cfg.vocab_size, (2, T))
    mask = torch.zeros(2, T, dtype=torch.long)
    for r, n in enumerate(lengths):
        mask[r, :n] = 1
        ids[r, n:] = 0
    labels = ids.clone()
    labels[mask == 0] = -100
    labels[0, :3] = -100
    labels[1, :2] = -100
    model.zero_grad()
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    out["a_input_ids"] = ids
    out["a_attention_mask"] = mask
    out["a_labels"] = labels
    out["a_logits"] = res.logits.detach().clone()
    out["a_loss"] = res.loss.detach().clone()
    for name, p in model.named_parameters():  # lm_head is tied: its grad is in embed_tokens
        out["a_grad." + name] = p.grad.detach().clone()

    # Case b: packed rows, each sample attends only to itself, positions reset per sample.
    samples = [[5, 4, 3], [8, 2]]  # row 0 full (12), row 1 has 2 padding tokens
    ids_b = torch.randint(0, cfg.vocab_size, (2, T))
    logits_b = torch.zeros(2, T, cfg.vocab_size)
    valid_b = torch.zeros(2, T, dtype=torch.long)
    with torch.no_grad():
        for r, lens in enumerate(samples):
            start = 0
            for n in lens:
                seg = ids_b[r:r + 1, start:start + n]
                logits_b[r, start:start + n] = model(input_ids=seg).logits[0]
                valid_b[r, start:start + n] = 1
                start += n
            ids_b[r, start:] = 0
    sl = torch.zeros(2, 3, dtype=torch.long)
    for r, lens in enumerate(samples):
        sl[r, :len(lens)] = torch.tensor(lens)
    out["b_input_ids"] = ids_b
    out["b_sample_lengths"] = sl
    out["b_logits"] = logits_b
    out["b_valid"] = valid_b

    path = out_dir / "qwen2_tiny.pt"
    torch.save(out, path)
    print(f"wrote {path} ({path.stat().st_size} bytes), loss_a={res.loss.item():.6f}")


if __name__ == "__main__":
    main()
