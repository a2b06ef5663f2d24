#!/usr/bin/env python3
"""Goldens for eval/score/mlm_filter.cpp: MLM-Filter's Qwen scoring prompt (docs/recipe.md §1.4) as the reference
script builds it: LLAVA_INSTRUCTION_TEMPLATE.format(caption, criteria, aspect), "<image>\\n" in
front, the qwen_instruct conversation (MPT separator style), tokenizer_image_token, [:max_len],
then tokenizer(" ")[-1] appended.

Writes tests/fixtures/eval/mlm_prompt_goldens.json: [{"caption", "metric", "prompt", "ids"}].
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_image_prompt_goldens import tokenizer_image_token  # noqa: E402
from make_tokenizer_goldens import ROOT, qwen2vl_tokenizer  # noqa: E402

TEMPLATE = ("Text Caption: {caption}\n\n{criteria} A higher score indicates higher level of {aspect}. "
            "Ensure that your scoring is nuanced and uses the entire range from 0 to 100, reflecting the "
            "subtle differences. The score should be given as an integer, with each number between 0 and "
            "100 considered as a potential score, avoiding the tendency to round to multiples of 5 or 10. "
            "Please first output a single line containing the value indicating the scores. In the "
            "subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any "
            "potential bias.")
CRITERIA = {
    "image_text_matching": "Please evaluate if the provided text caption accurately represents the main "
    "features and objects of the image. The caption doesn't need to detail every aspect of the image, but "
    "it should capture its primary theme. Rate the overall quality of the text caption's match to the image "
    "on a scale of 1-100, considering the criteria mentioned.",
    "object_detail_fulfillment": "Please evaluate the text caption to determine if it provides detailed "
    "descriptions of objects that align with the image. Specifically, assess if the caption sufficiently "
    "describes the color, size, position, shape, material, etc., of the objects. Afterward, rate the "
    "caption's overall accuracy in capturing object details from the image on a scale of 1-100, based on "
    "the criteria provided.",
    "caption_text_quality": "Please evaluate the text caption based on the following criteria: Grammatical "
    "Correctness, Diversity of Vocabulary (e.g., the range and uniqueness of words used), Fluency (e.g., "
    "smoothness and natural flow of sentences), Readability, Length, and Structure. Assign an overall "
    "quality score on a scale of 1-100.",
    "semantic_understanding": """Evaluate the given text caption in relation to its corresponding image. Your goal is to determine if the text caption provides additional semantic information that isn't readily apparent just from the image itself.

For example:

1. If the image mentions "a man" but the caption elaborates he is a "homeless man" or a "businessman," then the caption is enriching the semantic context.
2. If the caption introduces concepts like the mathematical tangent function, which require in-depth knowledge to deduce, it is imparting external semantics.
3. Captions revealing specific location addresses, festival details, or other nuanced data not easy to infer from the image also provide external semantic information.
4. Directly identifying specific entities in the image such as buildings, people, bird species, animal breeds, car models, engines, etc., in the caption introduces additional insights.
5. Should the image act as a contextual backdrop and the caption describes elements not explicitly showcased in the image, it has semantic depth.
6. Lastly, if the caption depicts relationships between the subjects in the image, which need commonsense knowledge to understand, it should be considered semantically rich.

Please assess and determine the extent of semantic enrichment the caption provides over the image. Rate the text caption's semantic depth on a scale from 1 to 100.""",
}


def chat(msg):
    """LLaVA conv_templates["qwen_instruct"]: SeparatorStyle.MPT, sep "<|im_end|>"."""
    system = "<|im_start|>system\nYou are a helpful assistant"
    roles = ("<|im_start|>user\n", "<|im_start|>assistant\n")
    return system + "<|im_end|>" + roles[0] + msg + "<|im_end|>" + roles[1]


def main():
    tok = qwen2vl_tokenizer()
    whitespace = tok.encode(" ", add_special_tokens=False).ids[-1]
    assert whitespace == 220
    captions = ["A dog running on the beach at sunset.", "Ankle boot, black leather, size 42",
                "東京タワーの夜景 🗼", "  spaces  and\ttabs ", " ".join(f"w{i}" for i in range(1500))]
    out = []
    for cap in captions:
        for metric, crit in CRITERIA.items():
            text = "<image>\n" + TEMPLATE.format(caption=cap, criteria=crit, aspect=metric.replace("_", " "))
            prompt = chat(text)
            ids = tokenizer_image_token(tok, prompt)[:2040] + [whitespace]
            out.append({"caption": cap, "metric": metric, "prompt": prompt, "ids": ids})
    path = os.path.join(ROOT, "tests/fixtures/eval/mlm_prompt_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    print(f"wrote {len(out)} prompts to {path}")


if __name__ == "__main__":
    main()
