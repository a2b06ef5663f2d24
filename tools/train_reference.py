"""A PyTorch reference of `oqvl train`'s loop, for the fidelity test (tests/cli/train_fidelity.sh).

Reads the same run config (TOML) as oqvl and trains the same model folder on the same data, with
independent code: Hugging Face's SiglipVisionModel and Qwen2ForCausalLM (eager attention), the
Prismatic projector (tools/vlm_reference.py), Pillow preprocessing, torch.optim.AdamW with the
paper's two parameter groups, transformers' get_cosine_schedule_with_warmup,
torch.nn.utils.clip_grad_norm_, gradient accumulation with the token-weighted loss (sum of CE
over the step's labelled tokens / their count) or the paper's mean of micro-batch means.
Pre-training reads the `oqvl data mix` manifest's packed shards with tarfile + numpy; SFT reads
LLaVA-format JSONL conversations with images in a folder, tokenized by the transcription of the
reference's prompt builder in tools/make_sft_goldens.py, in the epoch order oqvl documents
(a SplitMix64 Fisher-Yates permutation of (seed, epoch), docs/sft.md).

Usage: python tools/train_reference.py CONFIG.toml --steps N --out result.json [--weights W.safetensors]
Writes {"losses": [...], "grad_norms": [...], "lrs": [...], "step_seconds": [...]} per optimizer
step (step time includes reading and preprocessing its batches, as oqvl's does), and optionally
the final weights under the oqvl model folder's names.
"""
import argparse
import io
import json
import math
import os
import sys
import tarfile
import time
import tomllib

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import get_cosine_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlm_reference import IMG, Reference  # noqa: E402
from make_sft_goldens import plain_tokens, qwen2_tokens  # noqa: E402
from make_tokenizer_goldens import qwen2vl_tokenizer  # noqa: E402

MASK64 = (1 << 64) - 1


class SplitMix64:
    """core/random.h's generator."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def sft_rows(path, images, seed, template, quirk, max_ids):
    """Rows of an SFT JSONL in training order: (ids, labels, [image bytes])."""
    tok = qwen2vl_tokenizer()
    samples = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    epoch = 0
    while True:
        order = list(range(len(samples)))
        rng = SplitMix64(seed * 0x9E3779B97F4A7C15 + epoch)
        for i in range(len(order), 1, -1):
            j = rng.below(i)
            order[i - 1], order[j] = order[j], order[i - 1]
        for k in order:
            sample = samples[k]
            if template == "qwen2":
                out = qwen2_tokens(tok, sample, max_ids, quirk)
            else:
                out = plain_tokens(tok, sample, max_ids)
            n_images = sum(1 for t in out["ids"] if t == IMG)
            imgs = []
            if n_images:
                with open(os.path.join(images, sample["image"]), "rb") as f:
                    imgs = [f.read()]
            yield out["ids"], out["labels"], imgs
        epoch += 1

PLACEHOLDER_U32 = 0xFFFFFF38


def packed_rows(manifest_path):
    """Rows of the manifest's packed shards in training order: (ids list with -200, [image bytes])."""
    with open(manifest_path) as f:
        manifest = json.load(f)
    base = os.path.dirname(os.path.abspath(manifest_path))
    while True:  # epochs beyond the first are not needed by the fidelity test
        for entry in manifest["entries"]:
            shard = entry["shard"]
            if not os.path.isabs(shard) and not os.path.exists(shard):
                shard = os.path.join(base, shard)
            members = {}
            order = []
            with tarfile.open(shard) as tar:
                for m in tar.getmembers():
                    if not m.isfile():
                        continue
                    name = os.path.basename(m.name)
                    key, _, ext = name.partition(".")
                    if key not in members:
                        members[key] = {}
                        order.append(key)
                    members[key][ext] = tar.extractfile(m).read()
            for key in order:
                files = members[key]
                meta = json.loads(files["json"])
                ids = np.frombuffer(files["ids.u32"], "<u4").astype(np.int64)
                ids[ids == PLACEHOLDER_U32] = IMG
                n_images = int((ids == IMG).sum())
                images = []
                for i in range(n_images):
                    found = [v for k, v in files.items() if k.startswith(f"{i}.")]
                    assert len(found) == 1, (key, i)
                    images.append(found[0])
                yield ids.tolist(), images, meta
        raise SystemExit("reference: the fidelity test needs at most one epoch")


class Model:
    def __init__(self, folder, stage):
        ref = Reference(folder)
        self.ref = ref
        self.vision, self.llm, self.proj = ref.vision, ref.llm, ref.proj
        for m in (self.vision, self.llm, self.proj):
            m.train()
        train_vision = stage == "full"
        for p in self.vision.parameters():
            p.requires_grad_(train_vision)
        for p in self.llm.parameters():
            p.requires_grad_(stage != "align")
        self.train_vision = train_vision

    def named_trainable(self):
        out = []
        for prefix, m in (("vision_tower.", self.vision), ("projector.", self.proj), ("language_model.", self.llm)):
            for n, p in m.named_parameters():
                if p.requires_grad:
                    out.append((prefix + n, p))
        return out

    def image_tokens(self, images, tokens):
        if not images:
            return None
        px = torch.stack([self.ref.pixels(b) for b in images])
        with torch.set_grad_enabled(self.train_vision):
            hs = self.vision(pixel_values=px, output_hidden_states=True).hidden_states
        feats = hs[-2]
        n, p, d = feats.shape
        g = int(round(p ** 0.5))
        side = int(round(tokens ** 0.5))
        x = feats.transpose(1, 2).reshape(n, d, g, g)
        x = F.adaptive_avg_pool2d(x, (side, side)).flatten(2).transpose(1, 2)
        return self.proj.mlp_projector(x)

    def loss_sum(self, rows, tokens, context):
        """rows: [(ids, labels or None, images)] -> (CE sum over counted labels, count)."""
        all_images = [b for _, _, imgs in rows for b in imgs]
        img = self.image_tokens(all_images, tokens)
        emb = self.llm.get_input_embeddings()
        seqs, labs = [], []
        k = 0
        for ids, labels, _ in rows:
            pieces, lab = [], []
            for t, tok in enumerate(ids):
                if tok == IMG:
                    pieces.append(img[k])
                    lab += [-100] * tokens
                    k += 1
                else:
                    pieces.append(emb(torch.tensor([tok])))
                    lab.append(tok if labels is None else labels[t])
            x = torch.cat(pieces)[:context]
            seqs.append(x)
            labs.append(lab[:context])
        L = max(len(s) for s in seqs)
        H = seqs[0].shape[1]
        x = torch.zeros(len(seqs), L, H)
        mask = torch.zeros(len(seqs), L, dtype=torch.long)
        y = torch.full((len(seqs), L), -100, dtype=torch.long)
        rows_x = []
        for i, s in enumerate(seqs):
            pad = torch.zeros(L - len(s), H)
            rows_x.append(torch.cat([s, pad]))
            mask[i, : len(s)] = 1
            y[i, : len(s)] = torch.tensor(labs[i])
        x = torch.stack(rows_x)
        logits = self.llm(inputs_embeds=x, attention_mask=mask).logits
        shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1]).float()
        shift_labels = y[:, 1:].reshape(-1)
        count = int((shift_labels != -100).sum())
        return F.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="sum"), count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--weights")
    args = ap.parse_args()
    with open(args.config, "rb") as f:
        cfg = tomllib.load(f)
    base = os.path.dirname(os.path.abspath(args.config))

    def path(p):
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))

    run, model_cfg, data, optim, batch = (cfg.get(k, {}) for k in ("run", "model", "data", "optim", "batch"))
    stage = run.get("stage", "pretrain")
    assert stage in ("pretrain", "sft", "align", "full"), stage
    train_vision = model_cfg.get("train_vision", stage == "full")
    torch.manual_seed(run.get("seed", 7))
    model = Model(path(model_cfg["path"]), "full" if train_vision else stage)
    grid = (model.ref.cfg["vision_config"]["image_size"] // model.ref.cfg["vision_config"]["patch_size"]) ** 2
    tokens = model_cfg.get("image_tokens", 0) or min(729 if stage == "sft" else 144, grid)
    context = data.get("context", 4096)
    lr = optim.get("lr", {"align": 1e-3, "sft": 2e-5}.get(stage, 5e-5))
    wd = optim.get("weight_decay", {"align": 0.0, "sft": 0.1}.get(stage, 0.01))
    global_batch, micro = batch.get("global", 128 if stage == "sft" else 256), batch.get("micro", 1)
    accum = global_batch // micro
    token_loss = batch.get("loss", "token") == "token"
    named = model.named_trainable()
    decay = [p for n, p in named if p.ndim >= 2 and not n.endswith(".bias")]
    no_decay = [p for n, p in named if not (p.ndim >= 2 and not n.endswith(".bias"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(optim.get("beta1", 0.9), optim.get("beta2", 0.999)),
                            eps=optim.get("eps", 1e-8))
    total = batch.get("max_steps", 0)
    assert total > 0, "the reference needs batch.max_steps"
    warmup = optim.get("warmup_steps", -1)
    if warmup < 0:
        warmup = int(total * optim.get("warmup_ratio", 0.03))
    assert optim.get("schedule", "cosine") == "cosine" and optim.get("min_lr_ratio", 0.0) == 0.0
    sched = get_cosine_schedule_with_warmup(opt, warmup, total)
    clip = optim.get("clip", 1.0)
    if stage == "sft":
        rows = sft_rows(path(data["sft"]), path(data["images"]), run.get("seed", 7),
                        data.get("sft_template", "qwen2"), data.get("sft_strip_quirk", True), context)
    else:
        rows = ((ids, None, imgs) for ids, imgs, _ in packed_rows(path(data["manifest"])))
    out = {"losses": [], "grad_norms": [], "lrs": [], "step_seconds": []}
    params = [p for _, p in named]
    for step in range(args.steps):
        t_step = time.perf_counter()
        micro_batches = [[next(rows) for _ in range(micro)] for _ in range(accum)]
        results = []
        for mb in micro_batches:
            results.append(model.loss_sum(mb, tokens, context))
        step_tokens = sum(c for _, c in results)
        total_loss = 0.0
        for loss, count in results:
            denom = step_tokens if token_loss else count * accum
            scaled = loss / denom if denom > 0 else loss * 0.0
            scaled.backward()
            total_loss += float(scaled.detach())
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf"))
        out["lrs"].append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        out["losses"].append(total_loss)
        out["grad_norms"].append(float(norm))
        out["step_seconds"].append(time.perf_counter() - t_step)
    with open(args.out, "w") as f:
        json.dump(out, f)
    if args.weights:
        weights = {}
        for n, p in named:
            if n.startswith("vision_tower."):
                n = "vision_tower.vision_model." + n[len("vision_tower.vision_model."):]
            weights[n] = p.detach().contiguous()
        save_file(weights, args.weights)


if __name__ == "__main__":
    main()
