#!/usr/bin/env python3
"""Hugging Face `generate` reference for bench/generate_bench.cpp: the same random Qwen2 config,
greedy, KV cache, fp32 on CPU, the same prompt shapes; prints the same JSON line.

Usage: python3 bench/generate_reference.py [threads] [batch] [prompt_len] [new_tokens] [reps]
"""
import json
import sys
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


def main():
    threads, batch, prompt_len, new_tokens, reps = (int(a) for a in (sys.argv[1:] + ["1", "1", "64", "64", "3"][len(sys.argv) - 1:]))
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=16384, hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
                      num_attention_heads=8, num_key_value_heads=2, head_dim=64, tie_word_embeddings=True,
                      bos_token_id=None, eos_token_id=None, pad_token_id=0)
    cfg._attn_implementation = "sdpa"
    model = Qwen2ForCausalLM(cfg).float().eval()
    ids = torch.tensor([[(b * 7919 + i * 104729) % cfg.vocab_size for i in range(prompt_len)] for b in range(batch)])
    mask = torch.ones_like(ids)

    def best(max_new):
        t = float("inf")
        for _ in range(reps):
            t0 = time.perf_counter()
            with torch.inference_mode():
                out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new, min_new_tokens=max_new,
                                     do_sample=False, eos_token_id=None, pad_token_id=0)
            t = min(t, time.perf_counter() - t0)
            assert out.shape[1] == prompt_len + max_new
        return t

    best(2)  # warm-up
    prefill_s = best(1)
    full_s = best(new_tokens)
    print(json.dumps({"threads": threads, "batch": batch, "prompt_len": prompt_len, "new_tokens": new_tokens,
                      "prefill_s": prefill_s, "full_s": full_s, "tokens_per_s": batch * new_tokens / full_s,
                      "decode_tokens_per_s": batch * (new_tokens - 1) / max(full_s - prefill_s, 1e-9)}))


if __name__ == "__main__":
    main()
