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

A public VQA question file (BENCH.json: VQAv2 / OK-VQA questions + ANNOTATIONS, GQA, VizWiz,
TextVQA; images under IMAGES) is open-answer too, read here independently of oqvl's reader, and
scored with make_vqa_answer_goldens.score_open against all its references (VQA accuracy with 10).

Few-shot (`--shots K --seed S`): K demonstrations drawn from the benchmark itself with oqvl's
seeded sampler (SplitMix64 Fisher-Yates, transcribed below), each
"<image>\nQuestion: {q}\nAnswer the question using a single word or phrase.\nAnswer: {a}<|endofchunk|>"
(a = the most common reference), before every prompt; their images first.

Usage: python tools/eval_reference.py MODEL_DIR BENCH.tsv|BENCH.json OUT.jsonl [BATCH [ANNOTATIONS|- [IMAGES]]] [--shots K --seed S]
"""
import ast
from collections import Counter
import base64
import csv
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_textvqa_answer_goldens import accuracy as textvqa_accuracy  # noqa: E402
from make_textvqa_answer_goldens import clean_output as textvqa_clean_output  # noqa: E402
from make_textvqa_answer_goldens import process_answer as textvqa_process_answer  # noqa: E402
from make_vqa_answer_goldens import score_open  # noqa: E402
from vlm_reference import Reference  # noqa: E402

STOP_IDS = [13, 29889, 29892, 32000, 32001, 32002, 32007, 32011, 128009, 128256, 128257, 11, 198]
OPEN_STOP_IDS = STOP_IDS + [151645, 151665]
LETTERS = "ABCDEFGHI"


def read_tsv(path):
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_vqa_json(path, annotations, images):
    """The public layouts as rows {index, question, answers, image_bytes}."""
    doc = json.load(open(path, encoding="utf-8"))
    rows = []

    def row(index, question, answers, image):
        with open(os.path.join(images, image), "rb") as f:
            rows.append({"index": str(index), "question": question, "answers": answers, "image_bytes": f.read()})

    if isinstance(doc, list):  # VizWiz
        for q in doc:
            row(q["image"], q["question"], [a["answer"] for a in q["answers"]], q["image"])
    elif "questions" in doc:  # VQAv2 / OK-VQA
        by_qid = {a["question_id"]: a for a in json.load(open(annotations, encoding="utf-8"))["annotations"]}
        for q in doc["questions"]:
            name = f"COCO_{doc['data_subtype']}_{q['image_id']:012d}.jpg"
            row(q["question_id"], q["question"], [a["answer"] for a in by_qid[q["question_id"]]["answers"]], name)
    elif "data" in doc:  # TextVQA
        for q in doc["data"]:
            row(q["question_id"], q["question"], q["answers"], q["image_id"] + ".jpg")
    else:  # GQA
        for qid, q in doc.items():
            row(qid, q["question"], [q["answer"]], q["imageId"] + ".jpg")
    return rows


def kind_of(bench, rows):
    name = os.path.basename(bench).lower()
    for kind in ("pope", "ai2d", "textvqa", "mmmu"):
        if kind in name:
            return kind
    if bench.endswith(".json"):
        return "textvqa" if "data" in json.load(open(bench, encoding="utf-8")) else "open"
    return "open" if "answers" in rows[0] or not any(L in rows[0] for L in LETTERS) else "mc"


def options_of(r):
    return [(L, r[L]) for L in LETTERS if L in r and r[L] not in ("", "nan", "NaN")]


SHORT = "\nAnswer the question using a single word or phrase.\nAnswer:"
MC = "\nAnswer with the option's letter from the given choices directly.\nAnswer:"


def prompt_of(kind, r):
    opts = options_of(r)
    if kind == "mmmu":  # the harness's format_example, then <image N> -> "<image>\n"
        text = "The following are multiple choice questions about" + "".join(
            " " + w for w in r["subfield"].split("_")) + ".\n\n" + r["question"]
        text += ("".join(f"\n{L}. {t}" for L, t in opts) + MC) if opts else SHORT
        text = re.sub(r"<image\s*\d+>", "<image>\n", text)
        return text if "<image>" in text else "<image>\n" + text
    if kind == "textvqa":
        q = r["question"].split("\nReference OCR token:")[0]
        if r.get("ocr_tokens"):
            q += "\nReference OCR token: " + ", ".join(ast.literal_eval(r["ocr_tokens"]))
        return "<image>\nQuestion: " + q + SHORT
    if kind in ("open", "pope"):
        return "<image>\nQuestion: " + r["question"] + SHORT
    return "<image>\n" + r["question"] + "\n" + "\n".join(f"{L}. {t}" for L, t in opts) + MC


def images_of(r, by_index):
    if "image_bytes" in r:
        return [r["image_bytes"]]
    image = r["image"]
    if image.startswith("["):
        return [base64.b64decode(x) for x in ast.literal_eval(image)]
    if len(image) < 64:  # MMBench-style reference to another row's image
        image = by_index[image]["image"]
    return [base64.b64decode(image)]


M64 = (1 << 64) - 1


def draw_demonstrations(n, k, seed):
    """oqvl's eval::draw_demonstrations: the first k of a SplitMix64-driven Fisher-Yates shuffle."""
    state, order = seed, list(range(n))
    for i in range(k):
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        j = i + z % (n - i)
        order[i], order[j] = order[j], order[i]
    return order[:k]


def refs_of(r):
    if r.get("answers"):
        return r["answers"]
    a = r["answer"]
    return ast.literal_eval(a) if a.startswith("[") else [a]


def main():
    shots, seed = 0, 0
    if "--shots" in sys.argv:  # few-shot: --shots K --seed S (the harness's TextVQA demonstrations)
        at = sys.argv.index("--shots")
        shots, seed = int(sys.argv[at + 1]), int(sys.argv[at + 3])
        del sys.argv[at:at + 4]
    model_dir, bench, out = sys.argv[1], sys.argv[2], sys.argv[3]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    ref = Reference(model_dir)
    if bench.endswith(".json"):
        annotations = sys.argv[5] if len(sys.argv) > 5 else "-"
        images = sys.argv[6] if len(sys.argv) > 6 else os.path.dirname(bench)
        rows = read_vqa_json(bench, annotations, images)
    else:
        rows = read_tsv(bench)
    kind = kind_of(bench, rows)
    by_index = {r["index"]: r for r in rows}
    prefix, prefix_images = "", []
    for d in (rows[i] for i in draw_demonstrations(len(rows), shots, seed)):
        answer = Counter(refs_of(d)).most_common(1)[0][0]
        prefix += "<image>\nQuestion: " + d["question"] + SHORT + " " + answer + "<|endofchunk|>"
        prefix_images.append(images_of(d, by_index)[0])
    prompts, images = [], []
    for r in rows:
        prompt = prompt_of(kind, r)
        prompts.append(ref.prompt_ids(prefix + prompt))
        imgs = images_of(r, by_index)
        n = prompt.count("<image>")
        images.append(prefix_images + [imgs[k % len(imgs)] for k in range(n)])  # cycled, as the MMMU harness does
    preds = []
    t0 = time.perf_counter()
    if kind == "ai2d":  # argmax of the first-step scores over the letters' tokens
        for r, ids, imgs in zip(rows, prompts, images):
            logits = ref.next_logits(ids, imgs)
            letters = ["A", "B", "C", "D"] + [L for L, _ in options_of(r) if L not in "ABCD"]
            scores = [logits[ref.tok.encode(L, add_special_tokens=False).ids[0]].item() for L in letters]
            preds.append(letters[scores.index(max(scores))])
    else:
        stops = OPEN_STOP_IDS if kind in ("open", "pope", "textvqa") else STOP_IDS
        for s in range(0, len(rows), batch):
            new = ref.generate(prompts[s:s + batch], images[s:s + batch], 16, stops)
            preds += [ref.decode(ids).strip() for ids in new]
    seconds = time.perf_counter() - t0
    print(f"reference: {len(rows)} questions in {seconds:.2f} s ({len(rows) / seconds:.2f} questions/s)", file=sys.stderr)
    right = 0
    with open(out, "w", encoding="utf-8") as f:
        for r, p in zip(rows, preds):
            score = None
            if kind == "open":
                _, ok, score = score_open(p, r.get("answers") or [r["answer"]])
            elif kind == "textvqa":
                refs = r.get("answers") or ast.literal_eval(r["answer"])
                cleaned = textvqa_clean_output(p)
                score = textvqa_accuracy(cleaned, refs)
                ok = textvqa_process_answer(cleaned) in {textvqa_process_answer(a) for a in refs}
            elif kind == "pope":
                ok = p.strip(",").strip(".").lower() == r["answer"]
            elif kind == "ai2d":
                ok = p == r["answer"]
            elif kind == "mmmu":
                ok = None  # MMMU's parsers: unit-tested (mathvista_answer_test), not re-implemented here
            else:
                ok = r["answer"].lower() in p.lower()
            right += bool(ok)
            line = {"index": r["index"], "prediction": p, "correct": ok}
            if score is not None:
                line["score"] = score
            if kind == "pope":
                line["split"] = r["category"]
                line["answer"] = r["answer"]
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"reference: {right}/{len(rows)} correct ({kind})")


if __name__ == "__main__":
    main()
