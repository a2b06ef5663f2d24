#!/usr/bin/env python3
"""Goldens for the VQA answer normaliser and open-answer scoring (src/oqvl/eval/vqa_answer.h),
written to tests/fixtures/eval/vqa_answer_goldens.json.

The normalisation below is a transcription, in Python 3 semantics (Unicode str.lower(), str.split()
and re's \\d), of what the official VQA evaluation (GT-Vision-Lab/VQA,
PythonEvaluationTools/vqaEvaluation/vqaEval.py) does to an answer:
  1. "\\n" and "\\t" become spaces, then str.strip();
  2. processPunctuation: for each character of its punctuation list, delete every occurrence when
     the *original* text has it next to a space ("p " or " p") or contains digit,digit anywhere,
     else replace every occurrence with a space; then delete each "." not followed by a digit,
     at most 32 of them (the script passes re.UNICODE, = 32, where re.sub takes its count);
     (the regex's "(?!<=\\d)" is a look-ahead for the text "<=", so it never blocks a match);
  3. processDigitArticle: lower-case, split at whitespace, number words "none".."ten" -> digits,
     drop "a", "an", "the", then the contractions table ("dont" -> "don't"), joined by one space.
VQA accuracy (the official rule, current master): both sides newline/tab-cleaned and stripped;
only when the annotators' answers are not all the same are they and the prediction normalised
(steps 2-3); then the mean over the n leave-one-out subsets of min(1, matches / 3).
score_open is oqvl's open-answer rule: the prediction cut at "<|endofchunk|>"; exact = its
normalisation equals one reference's normalisation; score = VQA accuracy for 10 references, else
exact as 0/1.

The answer strings are generated (seeded): number words, digits with commas and periods, articles,
every punctuation character in every position, the contractions, upper case, and Unicode (accents,
final sigma, dotted I, other scripts' digits, fullwidth forms, non-ASCII spaces, curly quotes,
emoji), plus runs of more than 32 periods.

Usage: python3 tools/make_vqa_answer_goldens.py [OUT.json]
"""
import json
import os
import random
import re
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "eval", "vqa_answer_goldens.json")

PUNCT = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`",
         ",", "?", "!"]
DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
LONE_PERIOD = re.compile(r"\.(?!\d)")
PERIOD_LIMIT = 32
NUMBER_WORDS = {"none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
ARTICLES = {"a", "an", "the"}
# The official table, key -> replacement (keys written with a capital can never match: the text
# is lower-cased first; "somebody'd" -> "somebodyd" is the table's own oddity).
CONTRACTIONS = dict(pair.split("=") for pair in """
aint=ain't arent=aren't cant=can't couldve=could've couldnt=couldn't couldn'tve=couldn't've
couldnt've=couldn't've didnt=didn't doesnt=doesn't dont=don't hadnt=hadn't hadnt've=hadn't've
hadn'tve=hadn't've hasnt=hasn't havent=haven't hed=he'd hed've=he'd've he'dve=he'd've hes=he's
howd=how'd howll=how'll hows=how's Id've=I'd've I'dve=I'd've Im=I'm Ive=I've isnt=isn't itd=it'd
itd've=it'd've it'dve=it'd've itll=it'll let's=let's maam=ma'am mightnt=mightn't
mightnt've=mightn't've mightn'tve=mightn't've mightve=might've mustnt=mustn't mustve=must've
neednt=needn't notve=not've oclock=o'clock oughtnt=oughtn't ow's'at='ow's'at 'ows'at='ow's'at
'ow'sat='ow's'at shant=shan't shed've=she'd've she'dve=she'd've she's=she's shouldve=should've
shouldnt=shouldn't shouldnt've=shouldn't've shouldn'tve=shouldn't've somebody'd=somebodyd
somebodyd've=somebody'd've somebody'dve=somebody'd've somebodyll=somebody'll somebodys=somebody's
someoned=someone'd someoned've=someone'd've someone'dve=someone'd've someonell=someone'll
someones=someone's somethingd=something'd somethingd've=something'd've
something'dve=something'd've somethingll=something'll thats=that's thered=there'd
thered've=there'd've there'dve=there'd've therere=there're theres=there's theyd=they'd
theyd've=they'd've they'dve=they'd've theyll=they'll theyre=they're theyve=they've twas='twas
wasnt=wasn't wed've=we'd've we'dve=we'd've weve=we've werent=weren't whatll=what'll
whatre=what're whats=what's whatve=what've whens=when's whered=where'd wheres=where's
whereve=where've whod=who'd whod've=who'd've who'dve=who'd've wholl=who'll whos=who's
whove=who've whyll=why'll whyre=why're whys=why's wont=won't wouldve=would've wouldnt=wouldn't
wouldnt've=wouldn't've wouldn'tve=wouldn't've yall=y'all yall'll=y'all'll y'allll=y'all'll
yall'd've=y'all'd've y'alld've=y'all'd've y'all'dve=y'all'd've youd=you'd youd've=you'd've
you'dve=you'd've youll=you'll youre=you're youve=you've
""".split())
END_OF_CHUNK = "<|endofchunk|>"


def process_punctuation(text):
    drop = DIGIT_COMMA_DIGIT.search(text) is not None
    out = text
    for p in PUNCT:
        out = out.replace(p, "" if drop or (p + " ") in text or (" " + p) in text else " ")
    return LONE_PERIOD.sub("", out, count=PERIOD_LIMIT)


def process_digit_article(text):
    words = [NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    return " ".join(CONTRACTIONS.get(w, w) for w in words if w not in ARTICLES)


def clean(text):
    return text.replace("\n", " ").replace("\t", " ").strip()


def normalize(text):
    return process_digit_article(process_punctuation(clean(text)))


def vqa_accuracy(prediction, answers):
    prediction = clean(prediction)
    answers = [clean(a) for a in answers]
    if len(set(answers)) > 1:
        answers = [normalize(a) for a in answers]
        prediction = normalize(prediction)
    total = 0.0
    for i in range(len(answers)):
        matches = sum(1 for j, a in enumerate(answers) if j != i and a == prediction)
        total += min(1.0, matches / 3.0)
    return total / len(answers)


def score_open(prediction, answers):
    cut = prediction.split(END_OF_CHUNK, 1)[0]
    norm = normalize(cut)
    exact = norm in {normalize(a) for a in answers}
    score = vqa_accuracy(cut, answers) if len(answers) == 10 else float(exact)
    return norm, exact, score


# ---- generated answer strings ----

WORDS = ["cat", "dog", "red", "blue", "yes", "no", "ankle boot", "t-shirt", "sneaker", "left", "tennis",
         "frisbee", "man", "woman", "kitchen", "wooden", "stop sign", "pizza", "anthem", "thesis", "theater",
         "another", "ana", "umbrella", "2 people", "black and white", "o'clock", "a.m.", "p.m.", "u.s.",
         "mr. smith", "st.", "i", "it", "he", "nothing", "nope", "oneself", "tenth", "someone"]
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "none",
           "eleven", "twenty", "One", "TWO", "Three", "0", "1", "2", "3", "10", "12", "100", "1,000",
           "10,000", "1,000,000", "3.5", "0.25", ".5", "5.", "3.14159", "1,5", "2,", ",3", "1 000",
           "12:30", "9/11", "50%", "$5", "5-6", "1st", "2nd", "3rd", "#1", "-3", "+4", "1e3", "2.0.1"]
ARTICLE_WORDS = ["a", "an", "the", "A", "An", "The", "THE", "a a", "the the"]
UNICODE = ["café", "Café", "CAFÉ", "naïve", "İstanbul", "ΣΟΦΟΣ", "ΟΔΟΣ.", "straße", "STRASSE", "ǅ",
           "東京", "日本語", "한국어", "Москва", "ДВА", "ﬁ", "٣", "٣,٥", "٣.٥", "१२", "१,२", "１２", "１,２",
           "３.", "𝟙", "😀", "👍 yes", "—", "–", "’", "‘yes’", "“red”", "dont’", "don’t", "…", "½",
           "²", "Ⅻ", "é.", "a\u0301", "\u00a0", "\u3000", "\u2028", "\u2009", "\u0085", "\u200b", "\x1c",
           "\x0b", "\x0c", "\r"]
SEPARATORS = [" ", " ", " ", "  ", "", "\n", "\t", "\u00a0", ", ", ". ", "-", "/", " and "]


def random_piece(rng):
    r = rng.random()
    if r < 0.25:
        return rng.choice(WORDS)
    if r < 0.45:
        return rng.choice(NUMBERS)
    if r < 0.55:
        return rng.choice(ARTICLE_WORDS)
    if r < 0.70:
        key = rng.choice(sorted(CONTRACTIONS))
        return key.upper() if rng.random() < 0.15 else key
    if r < 0.82:
        return rng.choice(UNICODE)
    if r < 0.95:
        p = rng.choice(PUNCT + [".", "'", ":", "*", "&", "%", "#", "~", "|", "^", "$"])
        return p * rng.choice([1, 1, 1, 2, 3])
    return rng.choice(WORDS).upper()


def random_answer(rng):
    n = rng.choice([1, 1, 1, 2, 2, 3, 4, 6])
    text = ""
    for k in range(n):
        piece = random_piece(rng)
        if rng.random() < 0.2:  # punctuation glued to a word
            piece = rng.choice(PUNCT + [".", "'", ":"]) + piece if rng.random() < 0.5 else \
                piece + rng.choice(PUNCT + [".", "'", ":", "..."])
        text += (rng.choice(SEPARATORS) if k else "") + piece
    if rng.random() < 0.1:
        text = rng.choice([" ", "\n", "\t", "\u3000", " \n "]) + text + rng.choice([" ", "\n", "\u00a0", ""])
    return text


def systematic_answers():
    out = []
    for p in PUNCT + [".", "'", ":"]:
        out += [p, f"a{p}b", f"a {p}b", f"a{p} b", f"{p}yes", f"yes{p}", f"1{p}2", f"1,000{p}x", f"{p}{p}"]
    for w in NUMBERS + ARTICLE_WORDS:
        out += [w, w + ".", "The " + w, w.upper()]
    for k, v in sorted(CONTRACTIONS.items()):
        out += [k, k.capitalize(), k + "?", v]
    out += [u for u in UNICODE]
    out += ["." * 40, "a." * 40, ". " * 35 + "x", "1." * 40, "." * 31 + "x.", "..." + "3", "3...", "1.2.3."]
    out += ["", " ", "\n", "\t \t", "<|endofchunk|>", "yes<|endofchunk|>no"]
    return out


def accuracy_cases(rng):
    pool = ["2", "two", "Two", "2.", "yes", "Yes", "yes.", "no", "red", "the red", "red car", "ankle boot",
            "ankle-boot", "dont", "don't", "1,000", "1000", "café", "CAFÉ", " 2 ", "2\n", "zero", "0", "none"]
    cases = []
    for i in range(2600):
        # 2,000 ten-annotator sets (VQAv2 / TextVQA / VizWiz / OK-VQA), then shorter ones (GQA: 1).
        n = 10 if i < 2000 else rng.choice([1, 1, 2, 3, 5])
        # Every third set also draws from freshly generated answers (number words, punctuation,
        # articles, contractions, Unicode), so the normaliser is exercised inside the scoring too.
        local = pool + [random_answer(rng) for _ in range(3)] if i % 3 == 0 else pool
        base = rng.choice(local)
        if i % 5 == 0:
            answers = [base] * n  # unanimous annotators
        else:
            answers = [base if rng.random() < 0.5 else rng.choice(local) for _ in range(n)]
        pred = rng.choice(local + answers)
        if rng.random() < 0.1:
            pred = pred + END_OF_CHUNK + rng.choice(pool)
        norm, exact, score = score_open(pred, answers)
        cases.append({"prediction": pred, "answers": answers, "normalized": norm, "exact": exact,
                      "score": score})
    return cases


def main():
    rng = random.Random(20240917)
    answers = systematic_answers()
    while len(answers) < 2400:
        answers.append(random_answer(rng))
    cases = [[a, process_punctuation(a), process_digit_article(a), normalize(a)] for a in answers]
    doc = {"generator": "python3 tools/make_vqa_answer_goldens.py (Python %s)" % sys.version.split()[0],
           "fields": ["input", "process_punctuation", "process_digit_article", "normalize"],
           "normalize": cases, "scoring": accuracy_cases(rng)}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} answers, {len(doc['scoring'])} scoring cases")


if __name__ == "__main__":
    main()
