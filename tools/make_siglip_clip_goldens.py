#!/usr/bin/env python3
"""Goldens for SigLIP CLIP-style scoring (tests/data/text/sentencepiece_tokenizer_test.cpp,
tests/model/siglip_clip_test.cpp, tests/cli/score_clip.sh).

Writes tests/fixtures/model/siglip_clip/, a complete tiny Hugging Face SiglipModel folder plus
expected outputs:
  spiece.model            a tiny SentencePiece unigram model (vocab 200) trained on generated
                          captions with a fixed seed (Python sentencepiece trainer)
  tokenizer_config.json   as SiglipTokenizer.save_pretrained writes it
  config.json, model.safetensors   a tiny random SiglipModel (fp32, fixed seed, every parameter
                          perturbed so that each one matters)
  preprocessor_config.json          SiglipImageProcessor with the tiny image size
  tokenizer_goldens.json  [{"text", "ids"}]: HF SiglipTokenizer(text, padding="max_length",
                          truncation=True) ids for varied captions
  goldens.pt              input_ids, pixel_values (SiglipImageProcessorPil), text_embeds,
                          image_embeds (unnormalized pooler outputs), logits_per_image
  goldens_manifest.json   which fixture images and captions goldens.pt holds

Reference: transformers 5.23 SiglipModel / SiglipTokenizer (needs sentencepiece + protobuf).
The text tower gets no attention mask, as SigLIP was trained (padding="max_length").

Usage: python3 tools/make_siglip_clip_goldens.py [out_dir]
"""
import io
import json
import os
import random
import sys

import sentencepiece as spm
import torch
from PIL import Image
from transformers import SiglipConfig, SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "model", "siglip_clip")
IMAGES = os.path.join(ROOT, "tests", "fixtures", "images")

NOUNS = ("cat dog sneaker boot shirt dress bag sandal coat pullover trouser astronaut camera coffee cup "
         "rocket horse street tree mountain river city car bicycle kitchen window garden beach sunset "
         "portrait flower bird table chair house bridge train airplane boat ocean forest snow rain cloud "
         "sky road building child woman man people market").split()
ADJ = ("red blue green yellow small large plain classic casual stylish new old bright dark wooden metal "
       "beautiful ancient modern empty crowded quiet busy colorful tiny huge").split()
VERBS = "sitting standing running walking flying eating looking holding playing sleeping".split()
TEMPLATES = ["a photo of a {a} {n}", "a picture of the {n} {v} near a {n2}", "{A} {n} on a plain background",
             "a black and white photo of a {n}", "the {n} is {a}", "close-up of a {a} {n} in the {n2}",
             "two {n}s and a {a} {n2}", "{A} {n} {v} in front of the {n2}, seen from above"]

# Captions whose ids must equal HF's: casing, punctuation, whitespace, unicode (NFKC-affected,
# Greek final sigma, Turkish dotted I, German sharp s), special-token strings, long texts.
CAPTIONS = [
    "a photo of a cat", "A Photo Of A CAT!", "the dog, the cat; and the bird...", "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\nand\u00a0no-break spaces", "multiple     spaces   between", "", " ", "!!!", "?",
    "a photo of a {} in the city", "it's a dog's life: (really) [yes] {no} <maybe>", "email me@example.com #tag $5 100%",
    "under_score and hy-phen and back\\slash", "numbers 0 1 2 3 4 5 6 7 8 9 10 100 2024", "3.14159 and 2,718",
    "café naïve über straße", "ÉCOLE Ÿ Ǆ ǅ", "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ", "İstanbul ıi", "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ",
    "ligature ﬁ ﬂ and ½ ² ³", "emoji 🐱 cat 🐶 dog", "日本語のテキスト", "中文 标题 图片", "한국어 캡션",
    "mixed Русский текст", "العربية نص", "hello </s> world", "</s> at the start", "ends with </s>",
    "<unk> token <unk>", "a ▁ underline ▁▁ char", "▁leading underline", "zero\u200bwidth space",
    "combining e\u0301 accent", "x y z q j k w v", "RED blue Green yELLOW", "close-up of a wooden chair in the garden",
    "Two dogs and a colorful boat", "the astronaut is standing in front of the rocket, seen from above",
    " ".join(["word"] * 100), " ".join(["a photo of a cat"] * 20), "a" * 300,
    "Stylish Sneaker on a plain background!!!", "product shot: a boot, centered on a dark background",
    "\u2028line separator\u2029paragraph", "tab\x1cfile\x1dgroup\x1erecord\x1funit", "ǈubljana ǋ",
]


def train_spiece(path):
    rng = random.Random(0)
    lines = []
    for _ in range(5000):
        t = rng.choice(TEMPLATES)
        lines.append(t.format(a=rng.choice(ADJ), A=rng.choice(ADJ).capitalize(), n=rng.choice(NOUNS),
                              n2=rng.choice(NOUNS), v=rng.choice(VERBS)))
    lines += ["numbers 0 1 2 3 4 5 6 7 8 9 10 100 2024", "café naïve über straße", "x y z q j k w v"]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=200, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        num_threads=1, character_coverage=1.0, shuffle_input_sentence=False, minloglevel=2)
    with open(path, "wb") as f:
        f.write(model.getvalue())


def main():
    os.makedirs(OUT, exist_ok=True)
    spiece = os.path.join(OUT, "spiece.model")
    if not os.path.exists(spiece):  # keep the committed model (training is not bit-stable across versions)
        train_spiece(spiece)
    tok = SiglipTokenizer(spiece)
    tok.save_pretrained(OUT)
    for extra in ("special_tokens_map.json", "added_tokens.json"):
        if os.path.exists(os.path.join(OUT, extra)):
            os.remove(os.path.join(OUT, extra))
    tok = SiglipTokenizer.from_pretrained(OUT)  # as a user would load the folder
    enc = tok(CAPTIONS, padding="max_length", truncation=True)
    with open(os.path.join(OUT, "tokenizer_goldens.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "canonical": tok.canonicalize_text(t), "lower": t.lower(), "ids": ids}
                   for t, ids in zip(CAPTIONS, enc["input_ids"])], f,
                  ensure_ascii=False, indent=0)

    torch.manual_seed(0)
    config = SiglipConfig(
        text_config=dict(vocab_size=tok.vocab_size, hidden_size=48, intermediate_size=53, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=64, projection_size=32,
                         pad_token_id=tok.pad_token_id, bos_token_id=None, eos_token_id=tok.eos_token_id,
                         hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6))
    model = SiglipModel(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.logit_scale.fill_(2.3)
        model.logit_bias.fill_(-1.5)
    model.save_pretrained(OUT, safe_serialization=True)
    proc = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    proc.save_pretrained(OUT)

    names = ["astronaut.jpg", "chelsea.jpg", "camera_gray.jpg", "chelsea.png"]
    images = [Image.open(os.path.join(IMAGES, n)) for n in names]
    pixels = proc(images=images, return_tensors="pt")["pixel_values"]  # [4, 3, 32, 32]
    captions = ["an astronaut in a white suit", "A cat (ginger) looking at the camera!",
                "a black and white photo of a man with a camera", "a close-up of a small cat"]
    ids = torch.tensor(tok(captions, padding="max_length", truncation=True)["input_ids"])
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values=pixels)  # no attention_mask: SigLIP's training setup
        text_embeds = model.get_text_features(input_ids=ids).pooler_output
        image_embeds = model.get_image_features(pixel_values=pixels).pooler_output
    torch.save({"input_ids": ids, "pixel_values": pixels.contiguous(), "text_embeds": text_embeds.contiguous(),
                "image_embeds": image_embeds.contiguous(),
                "logits_per_image": out.logits_per_image.contiguous()}, os.path.join(OUT, "goldens.pt"))
    with open(os.path.join(OUT, "goldens_manifest.json"), "w") as f:
        json.dump({"images": names, "captions": captions}, f, indent=1)
    for n in sorted(os.listdir(OUT)):
        print(f"{n}: {os.path.getsize(os.path.join(OUT, n))} bytes")


if __name__ == "__main__":
    main()
