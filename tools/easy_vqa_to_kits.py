#!/usr/bin/env python3
"""Writes PyPI easy-vqa questions (64x64 shapes; `pip install easy-vqa`) as the VLMEvalKit TSVs of
POPE, AI2D, TextVQA val and MMMU val, so `oqvl eval` runs each of those kinds (docs/eval.md) on
real question/answer data offline. Files are written with Python's csv module (tab, QUOTE_MINIMAL,
what pandas' to_csv(sep="\\t") does); images are the package's PNGs, base64.

  POPE.tsv         index, question, answer (yes / no), category (adversarial / popular / random,
                   round robin), image: easy-vqa's yes/no questions ("Is there a ...?").
  AI2D_TEST.tsv    index, question, A, B, C, D, answer (letter), category, image: shape / color
                   questions with 4 options (the answer and 3 others, seeded, the letter balanced).
  TextVQA_VAL.tsv  index, question, answer (a list literal of 10 answers: the answer 7 times and
                   3 others, so the VQA accuracy is graded), ocr_tokens (a list literal), image.
  MMMU_DEV_VAL.tsv index, question ("<image 1> ..." and, for every third question, a second image:
                   "<image 1> or <image 2>", image cell = a list literal of two base64 PNGs), A-D
                   for multiple-choice questions, answer (letter, or text for open questions:
                   every fourth), question_type (multiple-choice / open), subfield, category, image.

Usage: python3 tools/easy_vqa_to_kits.py --kind pope|ai2d|textvqa|mmmu --sample 24 --seed 0 --out FILE.tsv
"""
import argparse
import base64
import csv
import random

import easy_vqa

SHAPES = ["circle", "rectangle", "triangle"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["pope", "ai2d", "textvqa", "mmmu"], required=True)
    ap.add_argument("--sample", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    texts, answers, image_ids = easy_vqa.get_test_questions()
    paths = easy_vqa.get_test_image_paths()
    all_answers = easy_vqa.get_answers()
    rng = random.Random(args.seed)
    yes_no = [i for i, a in enumerate(answers) if a in ("yes", "no")]
    other = [i for i, a in enumerate(answers) if a not in ("yes", "no")]
    pool = yes_no if args.kind == "pope" else other
    chosen = sorted(rng.sample(pool, min(args.sample, len(pool))))

    def image(i):
        with open(paths[image_ids[i]], "rb") as f:
            return base64.b64encode(f.read()).decode("ascii")

    def options_for(i, k):
        a = answers[i]
        kin = SHAPES if a in SHAPES else [c for c in all_answers if c not in SHAPES and c not in ("yes", "no")]
        others = rng.sample([c for c in kin if c != a], min(3, len(kin) - 1))
        while len(others) < 3:
            others.append(rng.choice([c for c in all_answers if c not in others and c != a]))
        position = k % 4
        return others[:position] + [a] + others[position:], "ABCD"[position]

    rows = []
    for k, i in enumerate(chosen):
        if args.kind == "pope":
            rows.append({"index": k, "question": texts[i], "answer": answers[i],
                         "category": ["adversarial", "popular", "random"][k % 3], "image": image(i)})
        elif args.kind == "ai2d":
            opts, letter = options_for(i, k)
            rows.append({"index": k, "question": texts[i], "A": opts[0], "B": opts[1], "C": opts[2], "D": opts[3],
                         "answer": letter, "category": "shape" if answers[i] in SHAPES else "color",
                         "image": image(i)})
        elif args.kind == "textvqa":
            wrong = rng.sample([c for c in all_answers if c != answers[i]], 3)
            refs = [answers[i]] * 7 + wrong
            rng.shuffle(refs)
            ocr = rng.sample(all_answers, 3)
            rows.append({"index": k, "question": texts[i], "answer": repr(refs), "ocr_tokens": repr(ocr),
                         "image": image(i)})
        else:
            two = k % 3 == 2
            question = ("<image 1> or <image 2>: " if two else "<image 1> ") + texts[i]
            cell = repr([image(i), image(chosen[(k + 1) % len(chosen)])]) if two else image(i)
            row = {"index": k, "question": question, "subfield": "Easy_VQA Shapes", "category": "Easy_VQA",
                   "image": cell}
            if k % 4 == 3:
                row.update({"answer": answers[i], "question_type": "open"})
            else:
                opts, letter = options_for(i, k)
                row.update({"A": opts[0], "B": opts[1], "C": opts[2], "D": opts[3], "answer": letter,
                            "question_type": "multiple-choice"})
            rows.append(row)
    header = []
    for r in rows:
        header += [c for c in r if c not in header]
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in header})
    print(f"wrote {len(rows)} easy-vqa questions as {args.kind} to {args.out}")


if __name__ == "__main__":
    main()
