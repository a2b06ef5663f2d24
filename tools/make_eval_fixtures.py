#!/usr/bin/env python3
"""Writes the hand-made benchmark fixtures of tests/fixtures/eval/: small TSVs in the column
layouts of the VLMEvalKit benchmark files (MMBench_DEV_EN, SEEDBench_IMG, MMStar, MathVista_MINI),
malformed variants, a JSONL multiple-choice file with image files, and open-answer files (JSONL
with single answers, VQAv2-style 10-annotator answers and an embedded image; a TextVQA-like TSV
whose answer cell is a list literal; a plain TSV detected as open by its columns).

The TSVs are written with Python's csv module (tab delimiter, QUOTE_MINIMAL, "\\n" line ends),
which is what pandas' to_csv(sep="\\t") uses underneath, so quoting is exactly pandas'. Images are
tiny PNGs drawn with Pillow. Deterministic: rerunning gives identical bytes.

Usage: python3 tools/make_eval_fixtures.py [OUT_DIR]   (default tests/fixtures/eval)
"""
import base64
import csv
import io
import json
import os
import sys

from PIL import Image


def png(color, size=8):
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def write_tsv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "eval")
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    red, green, blue, gray = png((255, 0, 0)), png((0, 160, 0)), png((0, 0, 255)), png((128, 128, 128))

    # MMBench_DEV_EN: index, question, hint, A, B, C, D, answer, category, image, source,
    # l2-category, comment, split. Missing hints/options are empty cells (pandas NaN); rows
    # that share an image hold the index of the row that has it.
    mmb_header = ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image",
                  "source", "l2-category", "comment", "split"]
    mmb_rows = [
        dict(index="0", question="What color is the square?", hint="", A="red", B="green", C="blue", D="gray",
             answer="A", category="color_recognition", image=b64(red), source="fixture", **{"l2-category": "fine-grained perception (instance)"}, split="dev"),
        dict(index="1", question='Which word describes it, "bright" or "dark"?', hint="Look at the\tcolor.",
             A="bright", B="dark", answer="B", category="attribute_recognition", image=b64(blue), source="fixture",
             **{"l2-category": "attribute reasoning"}, comment="nan", split="dev"),
        dict(index="2", question="Is the square the same as in question 0?\nAnswer carefully.", hint="nan", A="yes", B="no", C="cannot tell",
             answer="A", category="color_recognition", image="0", source="fixture", **{"l2-category": "fine-grained perception (instance)"}, split="dev"),
        dict(index="3", question="What is shown?", hint="A plain image.", A="a gray square", B="a red circle", C="None", D="a tree",
             answer="A", category="image_topic", image=b64(gray), source="fixture", **{"l2-category": "coarse perception"}, split="dev"),
    ]
    write_tsv(os.path.join(out, "mmbench_dev_en_sample.tsv"), mmb_header, mmb_rows)

    # Circular copies as MMBench's circular TSVs hold them: index + k * 1,000,000.
    circ = []
    for k in range(4):
        opts = ["red", "green", "blue", "gray"]
        rot = opts[k:] + opts[:k]
        circ.append(dict(index=str(k * 1000000 + 0), question="What color is the square?", A=rot[0], B=rot[1], C=rot[2], D=rot[3],
                         answer="ABCD"[rot.index("red")], category="color_recognition", image=b64(red) if k == 0 else "0",
                         **{"l2-category": "perception"}, split="dev"))
    for k in range(2):
        opts = ["bright", "dark"]
        rot = opts[k:] + opts[:k]
        circ.append(dict(index=str(k * 1000000 + 1), question="Bright or dark?", A=rot[0], B=rot[1],
                         answer="AB"[rot.index("dark")], category="attribute_recognition", image=b64(blue) if k == 0 else "1",
                         **{"l2-category": "reasoning"}, split="dev"))
    write_tsv(os.path.join(out, "mmbench_circular_sample.tsv"), mmb_header, circ)

    # SEEDBench_IMG: index, question, A, B, C, D, answer, category, image.
    seed_header = ["index", "question", "A", "B", "C", "D", "answer", "category", "image"]
    seed_rows = [
        dict(index="101", question="How many squares are there?", A="1", B="2", C="3", D="4", answer="A", category="Instances Counting", image=b64(green)),
        dict(index="102", question="What is the dominant color?", A="green", B="red", C="blue", D="white", answer="C", category="Instance Attributes", image=b64(blue)),
        dict(index="103", question="Where is the square?", A="left", B="right", C="center", D="top", answer="C", category="Instance Location", image=b64(red)),
    ]
    write_tsv(os.path.join(out, "seedbench_img_sample.tsv"), seed_header, seed_rows)

    # MMStar: index, question, A, B, C, D, answer, category, l2_category, image (VLMEvalKit splits
    # MMStar's inline options into columns; the harness prompt puts them back inline).
    star_header = ["index", "question", "A", "B", "C", "D", "answer", "category", "l2_category", "image"]
    star_rows = [
        dict(index="0", question="Which color fills the image?", A="red", B="green", C="blue", D="gray", answer="A",
             category="coarse perception", l2_category="image scene and topic", image=b64(red)),
        dict(index="1", question="How many shapes are there?", A="one", B="two", C="three", D="four", answer="A",
             category="instance reasoning", l2_category="single-instance reasoning", image=b64(gray)),
    ]
    write_tsv(os.path.join(out, "mmstar_sample.tsv"), star_header, star_rows)

    # MathVista_MINI: index, image, question, answer, answer_option, choices, question_type,
    # answer_type, precision, unit, task, skills (choices/skills as Python list literals;
    # precision written as a float because the column has NaNs).
    mv_header = ["index", "image", "question", "answer", "answer_option", "choices", "question_type", "answer_type",
                 "precision", "unit", "task", "skills"]
    mv_rows = [
        dict(index="1", image=b64(red), question="What is the length of the side? (Unit: cm)", answer="1234", choices="",
             question_type="free_form", answer_type="integer", precision="", unit="cm", task="geometry problem solving",
             skills="['geometry reasoning', 'arithmetic reasoning']"),
        dict(index="2", image=b64(green), question="What fraction of the shape is green?", answer="0.6",
             question_type="free_form", answer_type="float", precision="1.0", task="figure question answering",
             skills="['arithmetic reasoning']"),
        dict(index="3", image=b64(blue), question="Which shape is it?", answer="it's a square", answer_option="B",
             choices=str(["a circle", "it's a square", 'a "triangle"']), question_type="multi_choice", answer_type="text",
             task="figure question answering", skills="['logical reasoning']"),
        dict(index="4", image=b64(gray), question="Is the square gray?", answer="Yes",
             choices=str(["Yes", "No"]), question_type="multi_choice", answer_type="text",
             task="visual question answering", skills="['logical reasoning']"),
    ]
    write_tsv(os.path.join(out, "mathvista_mini_sample.tsv"), mv_header, mv_rows)

    # Malformed variants (one problem each; the line numbers are checked by the tests).
    bad = os.path.join(out, "malformed")
    os.makedirs(bad, exist_ok=True)
    rows = [dict(r) for r in mmb_rows]
    write_tsv(os.path.join(bad, "mmbench_bad_answer.tsv"), mmb_header,
              rows[:2] + [dict(rows[3], answer="E")])  # line 4
    rows = [dict(r) for r in mmb_rows]
    rows[1]["image"] = "!!notbase64" + "A" * 70
    write_tsv(os.path.join(bad, "mmbench_bad_base64.tsv"), mmb_header, rows[:2])  # line 3
    rows = [dict(r) for r in mmb_rows]
    rows[0]["image"] = "42"
    write_tsv(os.path.join(bad, "mmbench_bad_image_ref.tsv"), mmb_header, rows[:1])  # line 2
    write_tsv(os.path.join(bad, "mmbench_no_question_column.tsv"), [h for h in mmb_header if h != "question"],
              mmb_rows[:1])
    with open(os.path.join(out, "mmbench_dev_en_sample.tsv"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    # Line 3 of the good file is row 1's first line (row 1's quoted hint holds no newline, but
    # row 2's question does): drop one field from the last record (line 6).
    last = lines[5].split("\t")
    with open(os.path.join(bad, "mmbench_wrong_field_count.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:5] + ["\t".join(last[:-1])]) + "\n")
    with open(os.path.join(bad, "mmbench_unterminated_quote.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:2]) + "\n" + '7\t"an open quote\tx\n')

    # TSV quoting golden: awkward fields written by csv (pandas' writer), and the rows as csv
    # reads them back, for the C++ reader and writer to match byte for byte.
    awkward = [
        ["id", "text", "note"],
        ["1", 'say "hi"', "plain"],
        ["2", "tab\there", "line\nbreak"],
        ["3", "crlf\r\ninside", '"quoted at both ends"'],
        ["4", "unicode \u00e9\u4e2d \U0001F600", "trailing space "],
        ["5", "x" * 3, "multi\n\nline\twith\t\"all\""],
    ]
    with open(os.path.join(out, "tsv_quoting.tsv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(awkward)
    with open(os.path.join(out, "tsv_quoting.tsv"), newline="", encoding="utf-8") as f:
        read_back = list(csv.reader(f, delimiter="\t"))
    assert read_back == awkward
    with open(os.path.join(out, "tsv_quoting.json"), "w", encoding="utf-8") as f:
        json.dump(read_back, f, ensure_ascii=False)
        f.write("\n")

    # JSONL multiple choice with image files next to it.
    for name, data in (("red.png", red), ("blue.png", blue)):
        with open(os.path.join(out, "images", name), "wb") as f:
            f.write(data)
    items = [
        {"id": "q1", "image": "images/red.png", "question": "What color is the square?", "options": ["red", "blue", "green"],
         "answer": "A", "category": "color"},
        {"id": 2, "image": "images/blue.png", "question": "What color is the square?", "hint": "It is a primary color.",
         "options": {"A": "red", "B": "blue"}, "answer": "B", "category": "color", "source": "fixture"},
        {"id": "q3", "image": "images/blue.png", "question": "Is it dark?", "options": ["yes", "no"], "answer": "no"},
    ]
    with open(os.path.join(out, "mc_sample.jsonl"), "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    with open(os.path.join(bad, "mc_bad.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(items[0], image="../images/red.png")) + "\n\n")
        f.write('{"id": "q9", "image": "../images/red.png", "question": "x", "options": ["a", "b"], "answer": "C"}\n')
        f.write("{not json\n")

    # Open answers (VQAv2 / GQA / TextVQA style). A generic name: the kind comes from the content
    # (no "options" anywhere, answers present).
    vqa_answers = ["2", "2", "two", "2", "2", "3", "2", "2", "2 ", "2"]
    open_items = [
        {"question_id": 101, "image": "images/red.png", "question": "What color is the square?", "answer": "Red",
         "category": "color"},
        {"question_id": 102, "image": "images/blue.png", "question": "How many squares?",
         "answers": [{"answer": a, "answer_id": k + 1} for k, a in enumerate(vqa_answers)], "category": "count"},
        {"index": "q3", "image": b64(green), "question": "What color is it?", "answers": ["green", "dark green"]},
    ]
    with open(os.path.join(out, "open_sample.jsonl"), "w", encoding="utf-8") as f:
        for it in open_items:
            f.write(json.dumps(it) + "\n")
    write_tsv(os.path.join(out, "textvqa_val_sample.tsv"), ["index", "image", "question", "answer"], [
        dict(index="0", image=b64(red), question="What does the sign say?",
             answer=str(["stop", "stop", "stop sign", "stop", "stop", "stop", "stop.", "STOP", "stop", "halt"])),
        dict(index="1", image=b64(blue), question="What brand is it?", answer="acme"),
    ])
    write_tsv(os.path.join(out, "open_sample.tsv"), ["index", "question", "answer", "category", "image"], [
        dict(index="0", question="What item is shown?", answer="ankle boot", category="ankle boot", image=b64(gray)),
        dict(index="1", question="What item is shown?", answer="t-shirt", category="t-shirt", image="0"),
    ])
    with open(os.path.join(bad, "open_bad_answers.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(open_items[0], image="../images/red.png")) + "\n")
        f.write(json.dumps({"question_id": 7, "image": "../images/red.png", "question": "x", "answers": 3}) + "\n")
    write_tsv(os.path.join(bad, "open_no_answer.tsv"), ["index", "question", "answer", "image"], [
        dict(index="0", question="What item is shown?", answer="bag", image=b64(gray)),
        dict(index="1", question="What item is shown?", answer="", image=b64(gray)),  # line 3
    ])


if __name__ == "__main__":
    main()
