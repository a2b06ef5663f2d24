#!/usr/bin/env python3
"""Goldens for C++ KV-cache generation (src/oqvl/model/generate.cpp), from Hugging Face `generate`.

A tiny random Qwen2ForCausalLM (fp32, eager attention, fixed seed; weights scaled up so that greedy
decoding is not a near-tie between tokens). Every greedy step of every case is checked here to
have a top-1/top-2 logit margin well above fp32 noise, so exact token equality is a fair test.
Writes tests/fixtures/model/generate_tiny.pt, a plain dict of tensors (torch::pickle_load in C++):

  w.<state_dict key>   weights (lm_head is tied and left out)
  config_json          uint8 bytes of the HF config.json
  p.<i>                the prompts' token ids, [L_i] int64 (i = 0..3; lengths differ)
  e.<i>                case c's prompt embeddings, [L_i, H] (token embeddings plus noise)
  <case>.rows          [R] int64, which prompts (batch order)
  <case>.tokens        [R, N] int64 new tokens as HF returned them, cut after the first stop id
                       and padded with -1
  <case>.max_new       [] int64, max_new_tokens
  <case>.stop_ids      [S] int64 eos_token_id list (empty = none)
  <case>.embeds        [] int64, 1 when the case ran from inputs_embeds (e.<i>)
  warp.scores          [3, V] float32 random scores; warp.<k>.out the scores after HF's
                       Temperature/TopK/TopP warpers with warp.<k>.params = [temperature, top_k, top_p]
                       (k = 0..3)
  min_margin           [] float64, the smallest top-1/top-2 logit gap over all recorded steps

Cases: a = one prompt by ids; b = four prompts of different lengths, left-padded, by ids;
c = b from inputs_embeds; d = b with a stop-id list chosen so some rows stop early and some run to
max_new_tokens; e1 = b with max_new_tokens 1; e24 = b with max_new_tokens 24.

Usage: python tools/make_generate_goldens.py [out_dir]
"""
import json
import sys
from itertools import combinations
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM
from transformers.generation.logits_process import (TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

PAD = 0  # pad id for HF's left padding and for finished rows (never a stop id here)


def build_model():
    torch.manual_seed(4)
    cfg = Qwen2Config(vocab_size=384, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      rms_norm_eps=1e-6, rope_theta=1e4, tie_word_embeddings=True,
                      bos_token_id=None, eos_token_id=None, pad_token_id=PAD)
    cfg._attn_implementation = "eager"
    model = Qwen2ForCausalLM(cfg).float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:  # std 0.02 gives nearly flat logits; larger weights give clear winners
                p.copy_(0.25 * torch.randn_like(p))
    model.generation_config.eos_token_id = None
    model.generation_config.bos_token_id = None
    model.generation_config.pad_token_id = PAD
    return cfg, model


def left_pad(seqs, pad_value):
    T = max(s.shape[0] for s in seqs)
    mask = torch.zeros(len(seqs), T, dtype=torch.long)
    if seqs[0].dim() == 1:
        out = torch.full((len(seqs), T), pad_value, dtype=seqs[0].dtype)
    else:
        out = torch.full((len(seqs), T, seqs[0].shape[1]), float(pad_value), dtype=seqs[0].dtype)
    for r, s in enumerate(seqs):
        out[r, T - s.shape[0]:] = s
        mask[r, T - s.shape[0]:] = 1
    return out, mask


def run(model, prompts, embeds, max_new, stop_ids):
    """HF greedy generate; returns (list of new-token lists cut after the first stop id, margin)."""
    kw = dict(max_new_tokens=max_new, do_sample=False, eos_token_id=stop_ids or None,
              pad_token_id=PAD, return_dict_in_generate=True, output_logits=True)
    if embeds is None:
        ids, mask = left_pad(prompts, PAD)
        res = model.generate(input_ids=ids, attention_mask=mask, **kw)
        new = res.sequences[:, ids.shape[1]:]
    else:
        x, mask = left_pad(embeds, 0.0)
        res = model.generate(inputs_embeds=x, attention_mask=mask, **kw)
        new = res.sequences  # only the new tokens when generating from embeddings
    rows, margin = [], float("inf")
    for r in range(new.shape[0]):
        toks = []
        for t in range(new.shape[1]):
            step = res.logits[t][r].double()
            top2 = step.topk(2).values
            margin = min(margin, (top2[0] - top2[1]).item())
            tok = int(new[r, t])
            assert tok == int(step.argmax())
            toks.append(tok)
            if tok in stop_ids:
                break
        rows.append(toks)
    print("  max |logit|", max(l.abs().max().item() for l in res.logits))
    return rows, margin


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "model")
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg, model = build_model()
    out = {}
    for k, v in model.state_dict().items():
        if k != "lm_head.weight":
            out["w." + k] = v.detach().clone().contiguous()
    out["config_json"] = torch.tensor(list(cfg.to_json_string().encode()), dtype=torch.uint8)

    lengths = [7, 12, 3, 9]
    prompts = [torch.randint(1, cfg.vocab_size, (n,)) for n in lengths]
    with torch.no_grad():
        embeds = [model.model.embed_tokens(p) + 0.5 * torch.randn(p.shape[0], cfg.hidden_size) for p in prompts]
    for i, (p, e) in enumerate(zip(prompts, embeds)):
        out[f"p.{i}"] = p.clone()
        out[f"e.{i}"] = e.clone()

    batch = list(range(len(prompts)))
    margin = float("inf")

    def record(name, rows, max_new, stop_ids, use_embeds):
        nonlocal margin
        toks, m = run(model, [prompts[r] for r in rows],
                      [embeds[r] for r in rows] if use_embeds else None, max_new, stop_ids)
        margin = min(margin, m)
        N = max(1, max(len(t) for t in toks))
        t = torch.full((len(rows), N), -1, dtype=torch.long)
        for r, row in enumerate(toks):
            t[r, :len(row)] = torch.tensor(row, dtype=torch.long)
        out[f"{name}.rows"] = torch.tensor(rows, dtype=torch.long)
        out[f"{name}.tokens"] = t
        out[f"{name}.max_new"] = torch.tensor(max_new, dtype=torch.long)
        out[f"{name}.stop_ids"] = torch.tensor(stop_ids, dtype=torch.long)
        out[f"{name}.embeds"] = torch.tensor(int(use_embeds), dtype=torch.long)
        print(f"{name}: " + " | ".join(" ".join(map(str, row)) for row in toks))
        return toks

    record("a", [1], 16, [], False)
    b = record("b", batch, 16, [], False)
    record("c", batch, 16, [], True)

    # d: the first stop-id set (2-3 ids from what greedy produced) under which at least two rows
    # stop early, at different steps, and at least one row runs to max_new_tokens.
    seen = sorted({t for row in b for t in row[1:]})
    chosen = None
    for k in (2, 3):
        for ids in combinations(seen, k):
            stops = [next((i for i, t in enumerate(row) if t in ids), None) for row in b]
            early = sorted(s for s in stops if s is not None)
            if (len(early) >= 2 and len(set(early)) >= 2 and early[0] >= 1 and early[-1] < 14
                    and any(s is None for s in stops)):
                chosen = list(ids)
                break
        if chosen:
            break
    assert chosen, "no stop-id set splits the batch"
    d = record("d", batch, 16, chosen, False)
    print("d stop ids", chosen, "lengths", [len(r) for r in d])
    record("e1", batch, 1, [], False)
    record("e24", batch, 24, [], False)

    # Sampling warpers in generate's order (temperature, top-k, top-p), each only when active.
    scores = 3.0 * torch.randn(3, cfg.vocab_size)
    out["warp.scores"] = scores
    for k, (temp, top_k, top_p) in enumerate([(0.7, 20, 0.9), (1.0, 0, 0.5), (1.0, 5, 1.0), (1.3, 0, 0.05)]):
        s = scores.clone()
        if temp != 1.0:
            s = TemperatureLogitsWarper(temp)(None, s)
        if top_k > 0:
            s = TopKLogitsWarper(top_k)(None, s)
        if top_p < 1.0:
            s = TopPLogitsWarper(top_p)(None, s)
        out[f"warp.{k}.params"] = torch.tensor([temp, top_k, top_p], dtype=torch.float64)
        out[f"warp.{k}.out"] = s
        print(f"warp {k}: kept per row", (s > -float("inf")).sum(1).tolist())

    print(f"min top-1/top-2 logit margin {margin:.4g}")
    assert margin > 1e-3, "a greedy step is a near-tie; pick another seed"
    out["min_margin"] = torch.tensor(margin, dtype=torch.float64)
    path = out_dir / "generate_tiny.pt"
    torch.save(out, path)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
