#!/usr/bin/env python3
"""Goldens for data/sft/sft_prompt.cpp: token ids and labels of SFT conversations, built the way
the Open-Qwen2VL training code builds them (prismatic qwen2_prompter.py Qwen2PromptBuilder +
datasets.py FinetuneDataset.__getitem__ + data_utils.py tokenizer_image_token; docs/recipe.md
§5.5-5.6), transcribed here with Hugging Face `tokenizers` and the tokenizer built as that code
builds it (tools/make_tokenizer_goldens.py qwen2vl_tokenizer). Also the "plain" template
(docs/sft.md), which is oqvl's own: the inference prompt format.

Usage (from the repo root): python3 tools/make_sft_goldens.py
writes tests/fixtures/data/sft/sft_goldens.json: [{"name", "sample", "max_ids",
"qwen2": {"ids", "labels"}, "qwen2_no_quirk": {...}, "plain": {...}}, ...].
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tokenizer_goldens import ROOT, qwen2vl_tokenizer  # noqa: E402

IGNORE_INDEX = -100
IMAGE_TOKEN_INDEX = -200
BOS = 128245
IM_END = 151645


def encode(tok, text):
    # transformers' tokenizer(text).input_ids: Qwen2's post-processor adds no special tokens.
    return tok.encode(text, add_special_tokens=False).ids


def tokenizer_image_token(tok, prompt, quirk=True):
    """data_utils.py: split at <image>, tokenize the chunks, join with -200 in the ids and -100 in
    the labels; when the first chunk starts with BOS, offset = 1 drops the first token of every
    chunk (the BOS of the first is kept once). quirk=False: the offset is never applied."""
    chunks = [encode(tok, c) for c in prompt.split("<image>")]

    def insert_separator(xs, sep):
        return [e for pair in zip(xs, [sep] * len(xs)) for e in pair][:-1]

    ids, labels, offset = [], [], 0
    if quirk and chunks and chunks[0] and chunks[0][0] == BOS:
        offset = 1
        ids.append(chunks[0][0])
        labels.append(chunks[0][0])
    for x in insert_separator(chunks, [IMAGE_TOKEN_INDEX] * (offset + 1)):
        ids.extend(x[offset:])
    for x in insert_separator(chunks, [IGNORE_INDEX] * (offset + 1)):
        labels.extend(x[offset:])
    return ids, labels


class Qwen2PromptBuilder:
    """qwen2_prompter.py's add_turn (turn parity decides the role, as in the reference)."""

    def __init__(self):
        self.system_prompt = "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        self.turn_count = 0

    def add_turn(self, message):
        message = message.strip()
        if self.turn_count == 0:
            out = self.system_prompt + f"<|im_start|>user\n{message}<|im_end|>assistant\n"
        elif self.turn_count % 2 == 0:
            out = f"<|im_start|>user\n{message}<|im_end|>assistant\n"
        else:
            out = f"{message if message != '' else ' '}<|im_end|>\n"
        self.turn_count += 1
        return out


def qwen2_tokens(tok, sample, max_ids, quirk):
    """FinetuneDataset.__getitem__: per turn, tokenizer_image_token of the wrapped text; labels
    ignored on even (human) turns; later turns sliced by self.offset, which is 0 for Qwen
    (tokenizer.encode("\\n")[0] is not BOS); truncation to model_max_length."""
    offset = 1 if encode(tok, "\n")[0] == BOS else 0
    assert offset == 0
    builder, input_ids, labels = Qwen2PromptBuilder(), [], []
    for turn_idx, turn in enumerate(sample["conversations"]):
        msg = builder.add_turn(turn["value"])
        turn_ids, turn_labels = tokenizer_image_token(tok, msg, quirk)
        turn_labels = [IGNORE_INDEX] * len(turn_labels) if turn_idx % 2 == 0 else list(turn_labels)
        input_ids.extend(turn_ids if turn_idx == 0 else turn_ids[offset:])
        labels.extend(turn_labels if turn_idx == 0 else turn_labels[offset:])
    return {"ids": input_ids[:max_ids], "labels": labels[:max_ids]}


def plain_tokens(tok, sample, max_ids):
    """docs/sft.md "plain": [<s>] + human turn 0 split at <image>; gpt = msg + <|im_end|>
    (labelled); later human = "\\n" + msg (ignored)."""
    ids, labels = [BOS], [IGNORE_INDEX]
    for i, turn in enumerate(sample["conversations"]):
        msg = turn["value"].strip()
        if turn["from"] == "gpt":
            t = encode(tok, msg) + [IM_END]
            ids += t
            labels += t
        else:
            t, _ = tokenizer_image_token(tok, msg if i == 0 else "\n" + msg, quirk=False)
            ids += t
            labels += [IGNORE_INDEX] * len(t)
    return {"ids": ids[:max_ids], "labels": labels[:max_ids]}


def conv(*turns, image="img/0001.jpg", id=None):
    s = {}
    if id is not None:
        s["id"] = id
    if image is not None:
        s["image"] = image
    s["conversations"] = [{"from": "human" if i % 2 == 0 else "gpt", "value": v} for i, v in enumerate(turns)]
    return s


CASES = [
    ("image_first_single_turn", conv("<image>\nWhat is in the image?", "A cat sitting on a sofa.", id="a1"), 4096),
    ("multi_turn", conv("<image>\nWhat color is the car?", "Red.", "And the sky?", "Blue, with a few clouds.",
                        "Is it day or night?", "Day.", id=17), 4096),
    ("text_only", conv("What is 12 + 30?", "12 + 30 = 42.", "Now times 2?", "84", image=None), 4096),
    ("image_end_of_user_turn", conv("Describe this picture in detail.\n<image>", "A bowl of soup on a wooden table."),
     4096),
    ("image_mid_text", conv("Look at this: <image> what animal is it?", "A dog."), 4096),
    ("empty_gpt_message", conv("<image>\nSay nothing.", "", "Really nothing?", "   "), 4096),
    ("unicode", conv("<image>\nÜber 3 Katzen 🐈 — wie viele?", "Drei. 三只猫。 Ça va ✓", image="猫/ü.png"), 4096),
    ("surrounding_whitespace", conv(" \u3000<image>\nWhat is shown?\n\n", "\u00a0 a plane \t\n"), 4096),
    ("special_token_text", conv("<image>\nRepeat: <s> and <|im_end|> and <|endofchunk|>", "<s> and <|im_end|>"), 4096),
    ("image_in_later_turn", conv("Hello.", "Hi! How can I help?", "<image>\nWhat is this?", "A bicycle."), 4096),
    ("trailing_human_turn", conv("<image>\nFirst question?", "First answer.", "A question with no answer"), 4096),
    ("truncated", conv("<image>\nPlease list the numbers from one to twenty.",
                       "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
                       "More?", "sixteen seventeen eighteen nineteen twenty"), 40),
    ("demo_prompt", conv("<image>\nQuestion: What item is shown?\nAnswer the question using a single word or "
                         "phrase.\nAnswer:", "ankle boot", image="000000042"), 4096),
]


def main():
    tok = qwen2vl_tokenizer()
    out = []
    for name, sample, max_ids in CASES:
        out.append({"name": name, "sample": sample, "max_ids": max_ids,
                    "qwen2": qwen2_tokens(tok, sample, max_ids, quirk=True),
                    "qwen2_no_quirk": qwen2_tokens(tok, sample, max_ids, quirk=False),
                    "plain": plain_tokens(tok, sample, max_ids)})
    path = os.path.join(ROOT, "tests/fixtures/data/sft/sft_goldens.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} conversations to {path}")


if __name__ == "__main__":
    main()
