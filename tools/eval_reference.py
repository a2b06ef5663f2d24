#!/usr/bin/env python3
"""A Python reference of the paper's evaluation (docs/recipe.md §9.1) on Hugging Face modules, for the
end-to-end parity test of `oqvl eval` (tests/cli/eval_parity.sh).

Transcribed from the behaviour of Open-Qwen2VL's vlm-evaluation MMBench/SEED harness:
  prompt = "<image>\\n{question}\\n" + "A. {A}\\nB. {B}..." (non-empty options only) +
           "\\nAnswer with the option's letter from the given choices directly.\\nAnswer:"
  ids    = [<s>] + tokenizer_image_token(prompt)
  greedy, max_new_tokens 16, eos_token_id = the 13-id list (".", ",", "\\n" for Qwen)
  pred   = decode(new ids, skip_special_tokens=True).strip()
  right  = gt.lower() in pred.lower()
An open-answer TSV (no option columns: `oqvl data make-bench --open`, VQAv2/TextVQA style) gets
the harness's VQA/TextVQA prompt and oqvl's open-kind stop list:
  prompt = "<image>\nQuestion: {question}\nAnswer the question using a single word or phrase.\nAnswer:"
  stop   = the 13 ids + <|im_end|> (151645) + <|endofchunk|> (151665)
  right  = VQA-normalised exact match (make_vqa_answer_goldens.score_open)
The model is tools/vlm_reference.py's Reference (SiglipVisionModel + AvgPoolProjector +
Qwen2ForCausalLM from an oqvl folder).

Usage: python tools/eval_reference.py MODEL_DIR BENCH.tsv OUT.jsonl [BATCH]
"""
import base64
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_vqa_answer_goldens import score_open  # noqa: E402
from vlm_reference import Reference  # noqa: E402

STOP_IDS = [13, 29889, 29892, 32000, 32001, 32002, 32007, 32011, 128009, 128256, 128257, 11, 198]
OPEN_STOP_IDS = STOP_IDS + [151645, 151665]
LETTERS = "ABCDEFGHI"


def read_tsv(path):
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main():
    model_dir, bench, out = sys.argv[1], sys.argv[2], sys.argv[3]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    ref = Reference(model_dir)
    rows = read_tsv(bench)
    open_answers = not any(L in rows[0] for L in LETTERS)
    prompts, images = [], []
    by_index = {r["index"]: r for r in rows}
    for r in rows:
        opts = [(L, r[L]) for L in LETTERS if L in r and r[L] not in ("", "nan", "NaN")]
        if open_answers:
            prompt = ("<image>\nQuestion: " + r["question"] +
                      "\nAnswer the question using a single word or phrase.\nAnswer:")
        else:
            prompt = ("<image>\n" + r["question"] + "\n" + "\n".join(f"{L}. {t}" for L, t in opts) +
                      "\nAnswer with the option's letter from the given choices directly.\nAnswer:")
        prompts.append(ref.prompt_ids(prompt))
        image = r["image"]
        if len(image) < 64:  # MMBench-style reference to another row's image
            image = by_index[image]["image"]
        images.append(base64.b64decode(image))
    preds = []
    for s in range(0, len(rows), batch):
        new = ref.generate(prompts[s:s + batch], images[s:s + batch], 16, OPEN_STOP_IDS if open_answers else STOP_IDS)
        preds += [ref.decode(ids).strip() for ids in new]
    right = 0
    with open(out, "w", encoding="utf-8") as f:
        for r, p in zip(rows, preds):
            ok = score_open(p, [r["answer"]])[1] if open_answers else r["answer"].lower() in p.lower()
            right += ok
            f.write(json.dumps({"index": r["index"], "prediction": p, "correct": ok}, ensure_ascii=False) + "\n")
    print(f"reference: {right}/{len(rows)} correct")


if __name__ == "__main__":
    main()
