#!/usr/bin/env python3
"""Goldens for TextVQA scoring as the paper's harness does it (src/oqvl/eval/textvqa_answer.h),
written to tests/fixtures/eval/textvqa_answer_goldens.json.

Transcribed (from the behaviour, not copied) of Open-Qwen2VL's vlm-evaluation textvqa.py and the
m4c TextVQAAccuracyEvaluator it scores with:
  clean_output: the raw output with every "\\n", "." and "," removed, lower-cased, cut at
    "<|endofchunk|>";
  process_answer (EvalAIAnswerProcessor): lower-case; delete "," and "?"; "'s" -> " 's"; strip;
    "\\n"/"\\t" -> " "; strip; then vqaEval.py's processPunctuation and processDigitArticle (the
    processor's comma regex "(?<=\\d)(\\,)+(?=\\d)" finds the same texts as vqaEval.py's
    "(\\d)(\\,)(\\d)"; after the comma deletion neither can match);
  accuracy: every reference processed (always, unlike vqaEval.py), the prediction processed; the
    mean over the leave-one-out subsets of min(1, matches / 3).
The answer strings come from tools/make_vqa_answer_goldens.py's generators (number words,
punctuation in every position, articles, contractions, "'s", Unicode, periods and commas inside
numbers) plus a few TextVQA-like OCR answers.

Usage: python3 tools/make_textvqa_answer_goldens.py [OUT.json]
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_vqa_answer_goldens import (END_OF_CHUNK, process_digit_article, process_punctuation,  # noqa: E402
                                     random_answer, systematic_answers)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "eval", "textvqa_answer_goldens.json")
OCR_LIKE = ["nokia", "NOKIA", "coca-cola", "coca cola", "Coca-Cola.", "dakota's", "dakota 's", "dakota",
            "3.5", "35", "1,000", "1000", "$2.99", "2.99", "stop", "STOP.", "the end", "end", "i love ny",
            "I LOVE NY?", "mcdonald's", "mcdonalds", "12:30", "am", "a.m.", "no. 5", "5", "five", "v"]


def clean_output(text):
    return text.replace("\n", "").replace(".", "").replace(",", "").lower().split(END_OF_CHUNK)[0]


def process_answer(text):
    text = text.lower().replace(",", "").replace("?", "").replace("'s", " 's").strip()
    text = text.replace("\n", " ").replace("\t", " ").strip()
    return process_digit_article(process_punctuation(text))


def accuracy(cleaned_prediction, answers):
    refs = [process_answer(a) for a in answers]
    pred = process_answer(cleaned_prediction)
    if not refs:
        return 0.0
    total = 0.0
    for i in range(len(refs)):
        total += min(1.0, sum(1 for j, r in enumerate(refs) if j != i and r == pred) / 3.0)
    return total / len(refs)


def main():
    rng = random.Random(20241202)
    answers = systematic_answers() + OCR_LIKE
    while len(answers) < 2400:
        answers.append(random_answer(rng))
    processed = [[a, clean_output(a), process_answer(a)] for a in answers]
    scoring = []
    for i in range(2000):
        local = OCR_LIKE + [random_answer(rng) for _ in range(3)]
        base = rng.choice(local)
        refs = [base] * 10 if i % 5 == 0 else [base if rng.random() < 0.5 else rng.choice(local) for _ in range(10)]
        output = rng.choice(local + refs)
        if rng.random() < 0.1:
            output += END_OF_CHUNK + rng.choice(local)
        if rng.random() < 0.1:
            output += rng.choice([".", ",", "\n", " ."])
        cleaned = clean_output(output)
        p = process_answer(cleaned)
        scoring.append({"output": output, "answers": refs, "processed": p,
                        "exact": p in {process_answer(a) for a in refs}, "score": accuracy(cleaned, refs)})
    doc = {"generator": "python3 tools/make_textvqa_answer_goldens.py (Python %s)" % sys.version.split()[0],
           "fields": ["input", "clean_output", "process_answer"], "answers": processed, "scoring": scoring}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(processed)} answers, {len(scoring)} scoring cases")


if __name__ == "__main__":
    main()
