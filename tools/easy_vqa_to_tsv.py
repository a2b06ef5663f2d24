#!/usr/bin/env python3
"""Converts PyPI easy-vqa (`pip install easy-vqa`: 64x64 PNG shapes with generated questions)
into a multiple-choice benchmark in the MMBench TSV layout that `oqvl eval` reads.

Each question becomes a multiple-choice row:
  shape questions  -> options: the three shapes (circle, rectangle, triangle)
  color questions  -> options: the answer and 3 other colors (seeded)
  yes/no questions -> options: yes, no (in a seeded order)
The answer's letter is balanced per question type (each block of n questions of a type uses
every letter once, in a seeded order). category = the question type (shape / color / yes-no),
l2-category = "easy-vqa". As in MMBench's own files, an image is stored (base64 PNG, the
package's bytes unchanged) in the first row that shows it; later rows showing the same image
hold that row's index instead.

The TSV is written with Python's csv module (tab, QUOTE_MINIMAL), which is what pandas'
to_csv(sep="\\t") does, so pandas and VLMEvalKit read it too.

Usage:
  python3 tools/easy_vqa_to_tsv.py --split test --out easy_vqa_test.tsv            # all 9,673
  python3 tools/easy_vqa_to_tsv.py --split test --sample 40 --seed 0 --out tests/fixtures/eval/easy_vqa_test_40.tsv
"""
import argparse
import base64
import csv
import random
import sys

import easy_vqa

SHAPES = ["circle", "rectangle", "triangle"]
YES_NO = ["yes", "no"]
HEADER = ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image", "source",
          "l2-category", "split"]


def question_type(answer):
    if answer in SHAPES:
        return "shape"
    if answer in YES_NO:
        return "yes-no"
    return "color"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["train", "test"], default="test")
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=0, help="first N questions of the split (0 = all)")
    ap.add_argument("--sample", type=int, default=0,
                    help="a seeded random sample of N questions instead (kept in split order)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-image-refs", action="store_true", help="store every row's image in full")
    args = ap.parse_args()

    if args.split == "test":
        texts, answers, image_ids = easy_vqa.get_test_questions()
        paths = easy_vqa.get_test_image_paths()
    else:
        texts, answers, image_ids = easy_vqa.get_train_questions()
        paths = easy_vqa.get_train_image_paths()
    colors = [a for a in easy_vqa.get_answers() if a not in SHAPES and a not in YES_NO]
    n = len(texts) if args.count <= 0 else min(args.count, len(texts))
    chosen = list(range(n))
    if args.sample > 0:
        chosen = sorted(random.Random(args.seed).sample(range(len(texts)), min(args.sample, len(texts))))

    rng = random.Random(args.seed + 1)
    # Per question type: the answer positions still to hand out in the current block.
    pending = {}
    first_row_of_image = {}
    rows = []
    for row_number, i in enumerate(chosen):
        answer, qtype = answers[i], question_type(answers[i])
        if qtype == "shape":
            options = list(SHAPES)
        elif qtype == "yes-no":
            options = list(YES_NO)
        else:
            options = [answer] + rng.sample([c for c in colors if c != answer], 3)
        if not pending.get(qtype):
            block = list(range(len(options)))
            rng.shuffle(block)
            pending[qtype] = block
        position = pending[qtype].pop()
        others = [o for o in options if o != answer]
        rng.shuffle(others)
        options = others[:position] + [answer] + others[position:]

        image_id = image_ids[i]
        if image_id in first_row_of_image and not args.no_image_refs:
            image = str(first_row_of_image[image_id])
        else:
            with open(paths[image_id], "rb") as f:
                image = base64.b64encode(f.read()).decode("ascii")
            first_row_of_image.setdefault(image_id, row_number)
        row = {"index": str(row_number), "question": texts[i], "hint": "", "answer": "ABCD"[position],
               "category": qtype, "image": image, "source": f"easy-vqa {args.split} image {image_id} question {i}",
               "l2-category": "easy-vqa", "split": args.split}
        for letter, text in zip("ABCD", options):
            row[letter] = text
        rows.append(row)

    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(HEADER)
        for r in rows:
            w.writerow([r.get(h, "") for h in HEADER])
    counts = {}
    for r in rows:
        counts[r["category"]] = counts.get(r["category"], 0) + 1
    print(f"{args.out}: {len(rows)} questions ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
          f"{len(first_row_of_image)} images", file=sys.stderr)


if __name__ == "__main__":
    main()
