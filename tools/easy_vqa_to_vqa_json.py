#!/usr/bin/env python3
"""Writes PyPI easy-vqa questions (`pip install easy-vqa`: 64x64 shapes, generated questions with
one answer) in the public JSON layout of VQAv2 / OK-VQA, GQA, VizWiz or TextVQA, so `oqvl eval`
(format vqa-json, docs/eval.md) runs on real question/answer data in each layout:

  vqav2   OUT/questions.json   {"data_subtype": "val2014", "questions": [{question_id, image_id, question}]}
          OUT/annotations.json {"annotations": [{question_id, image_id, answers: 10 x {answer,
                               answer_confidence, answer_id}, multiple_choice_answer, answer_type,
                               question_type}]}
          OUT/images/COCO_val2014_{image_id:012d}.jpg
  gqa     OUT/questions.json   {"<qid>": {imageId, question, answer, fullAnswer, types}}, OUT/images/{imageId}.jpg
  vizwiz  OUT/questions.json   [{image, question, answers: 10 x {answer, answer_confidence}, answer_type, answerable}]
  textvqa OUT/questions.json   {"dataset_name": "textvqa", "data": [{question_id, image_id, question, answers: 10 strings}]}

easy-vqa has one answer per question; the 10-annotator layouts repeat it 10 times (unanimous
annotators). The images are the package's PNG bytes, unchanged, under the layouts' .jpg names
(oqvl and Pillow both recognise an image by its bytes, not its name). answer_type / types: the
question's kind (shape, color, yes/no). Deterministic for a given --sample / --seed.

Usage: python3 tools/easy_vqa_to_vqa_json.py --layout vqav2 --sample 24 --seed 0 --out DIR
"""
import argparse
import json
import os
import random
import shutil

import easy_vqa

SHAPES = ["circle", "rectangle", "triangle"]
ANNOTATORS = 10


def kind(answer):
    if answer in SHAPES:
        return "shape"
    return "yes/no" if answer in ("yes", "no") else "color"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layout", choices=["vqav2", "gqa", "vizwiz", "textvqa"], required=True)
    ap.add_argument("--split", choices=["train", "test"], default="test")
    ap.add_argument("--sample", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.split == "test":
        texts, answers, image_ids = easy_vqa.get_test_questions()
        paths = easy_vqa.get_test_image_paths()
    else:
        texts, answers, image_ids = easy_vqa.get_train_questions()
        paths = easy_vqa.get_train_image_paths()
    chosen = sorted(random.Random(args.seed).sample(range(len(texts)), min(args.sample, len(texts))))
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)

    def image_file(name, image_id):
        shutil.copyfile(paths[image_id], os.path.join(args.out, "images", name))
        return name

    if args.layout == "vqav2":
        questions, annotations = [], []
        for i in chosen:
            image_id = 100000 + image_ids[i]
            image_file(f"COCO_val2014_{image_id:012d}.jpg", image_ids[i])
            qid = image_id * 1000 + i
            questions.append({"image_id": image_id, "question": texts[i], "question_id": qid})
            annotations.append({
                "question_type": texts[i].split(" ")[0].lower(), "multiple_choice_answer": answers[i],
                "answers": [{"answer": answers[i], "answer_confidence": "yes", "answer_id": k + 1}
                            for k in range(ANNOTATORS)],
                "image_id": image_id, "answer_type": kind(answers[i]), "question_id": qid})
        doc = {"info": {"description": "easy-vqa in the VQAv2 layout"}, "task_type": "Open-Ended",
               "data_type": "mscoco", "data_subtype": "val2014", "questions": questions, "license": {}}
        with open(os.path.join(args.out, "annotations.json"), "w", encoding="utf-8") as f:
            json.dump({"info": {}, "data_type": "mscoco", "data_subtype": "val2014",
                       "annotations": annotations, "license": {}}, f, indent=1)
    elif args.layout == "gqa":
        doc = {}
        for i in chosen:
            name = image_file(f"n{image_ids[i]}.jpg", image_ids[i])
            doc[f"{2000000 + i}"] = {
                "semantic": [], "entailed": [], "equivalent": [f"{2000000 + i}"], "question": texts[i],
                "imageId": name[:-4], "isBalanced": True, "groups": {"global": None, "local": None},
                "answer": answers[i], "semanticStr": "", "annotations": {"answer": {}, "question": {},
                                                                         "fullAnswer": {}},
                "types": {"detailed": kind(answers[i]), "semantic": "attr", "structural": kind(answers[i])},
                "fullAnswer": f"The answer is {answers[i]}."}
    elif args.layout == "vizwiz":
        doc = []
        for i in chosen:
            name = image_file(f"VizWiz_val_{i:08d}.jpg", image_ids[i])
            doc.append({"image": name, "question": texts[i],
                        "answers": [{"answer": answers[i], "answer_confidence": "yes"} for _ in range(ANNOTATORS)],
                        "answer_type": kind(answers[i]), "answerable": 1})
    else:
        data = []
        for i in chosen:
            image_id = f"{image_ids[i]:016x}"
            image_file(f"{image_id}.jpg", image_ids[i])
            data.append({"question": texts[i], "image_id": image_id, "image_classes": [],
                         "answers": [answers[i]] * ANNOTATORS, "question_tokens": texts[i].split(),
                         "question_id": 30000 + i, "set_name": "val"})
        doc = {"dataset_type": "val", "dataset_name": "textvqa", "dataset_version": "0.5.1", "data": data}
    with open(os.path.join(args.out, "questions.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(chosen)} easy-vqa questions in the {args.layout} layout to {args.out}")


if __name__ == "__main__":
    main()
