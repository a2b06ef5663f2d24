#!/usr/bin/env python3
"""Builds the tokenizer corpus and its golden ids with Hugging Face `tokenizers`.

Usage (from the repo root):
  python3 tools/make_tokenizer_goldens.py
writes tests/fixtures/tokenizer/{corpus.jsonl,invalid_utf8.jsonl,decode.jsonl}.

The corpus is deterministic (seed 1234) and built offline from real text where possible:
glibc locale data (/usr/share/i18n/locales) for words in 20+ scripts, Python standard library
source lines for code, plus hand-written captions, emoji, numbers, whitespace, NFC and
special-token cases, and random strings over an alphabet of characters the pre-tokenizer
treats differently. Goldens come from the packaged tokenizer.json with the Open-Qwen2VL added
tokens (<|endofchunk|> = 151665, <s> = 128245 (its vocabulary id), 151666-151668 dropped).
"""
import glob
import json
import os
import random
import re
import sys
import unicodedata

import tokenizers
from tokenizers import AddedToken, Tokenizer, normalizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_JSON = os.path.join(ROOT, "assets/qwen2-tokenizer/tokenizer.json")
OUT = os.path.join(ROOT, "tests/fixtures/tokenizer")
SEED = 1234


def qwen2vl_tokenizer():
    """The tokenizer exactly as the Open-Qwen2VL code builds it: Qwen2.5's added tokens, then
    add_special_tokens(["<|endofchunk|>", "<s>"]) (what transformers' add_special_tokens does on a
    fast tokenizer). "<s>" is already a vocabulary entry (128245), so it keeps that id and only
    becomes special; <|endofchunk|> gets the next free id, 151665."""
    with open(TOKENIZER_JSON, encoding="utf-8") as f:
        spec = json.load(f)
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["id"] < 151665]
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.add_special_tokens([AddedToken("<|endofchunk|>", special=True, normalized=False),
                            AddedToken("<s>", special=True, normalized=False)])
    return tok


# ---------------------------------------------------------------- corpus pieces

SUBJECTS = ["a dog", "two cats", "a young woman", "an old man", "a group of children", "a red car",
            "the Eiffel Tower", "a plate of food", "a surfer", "three people", "a black and white photo",
            "a close-up", "a wooden table", "an airplane", "a bowl of soup", "a herd of elephants",
            "a street vendor", "the skyline of New York", "a pizza", "a laptop", "a bicycle"]
VERBS = ["sitting on", "running across", "standing next to", "looking at", "parked near",
         "flying over", "lying in", "walking along", "riding", "holding", "eating", "jumping over"]
OBJECTS = ["a grassy field", "the beach", "a busy street", "a snowy mountain", "the kitchen counter",
           "a river bank", "an empty road", "the sofa", "a wooden fence", "the city at night",
           "a crowded market", "a park bench", "the ocean", "a glass of water"]
EXTRAS = ["", " at sunset", " in the rain", ", with a blue sky", " (stock photo)", " - 4K wallpaper",
          " | Getty Images", " on a sunny day", "!", "...", " #travel #photo", " @user",
          " [HD]", " 🙂", ", 2019", " by John O'Brien", " https://example.com/img_01.jpg"]


def captions(rng, n):
    out = []
    for _ in range(n):
        s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(EXTRAS)}"
        r = rng.random()
        if r < 0.15:
            s = s.capitalize() + "."
        elif r < 0.25:
            s = s.upper()
        elif r < 0.3:
            s = s.title()
        out.append(s)
    return out


LOCALES = ["ru_RU", "uk_UA", "bg_BG", "ar_SA", "fa_IR", "hi_IN", "bn_IN", "ta_IN", "th_TH", "el_GR",
           "he_IL", "ko_KR", "ja_JP", "zh_CN", "zh_TW", "ka_GE", "hy_AM", "am_ET", "vi_VN", "tr_TR",
           "de_DE", "fr_FR", "pl_PL", "my_MM", "km_KH", "lo_LA", "si_LK", "te_IN", "ml_IN", "gu_IN",
           "pa_IN", "mn_MN", "bo_CN", "ug_CN", "yi_US", "ti_ER", "chr_US", "dz_BT", "is_IS", "cs_CZ"]
UCODE = re.compile(r"<U([0-9A-Fa-f]{4,6})>")


def locale_strings(name):
    path = f"/usr/share/i18n/locales/{name}"
    if not os.path.exists(path):
        return []
    text = open(path, encoding="utf-8", errors="replace").read()
    out = []
    for q in re.findall(r'"((?:[^"\n])*)"', text):
        s = UCODE.sub(lambda m: chr(int(m.group(1), 16)), q)
        if len(s) >= 2 and any(ord(c) > 127 for c in s) and "%" not in s:
            out.append(s)
    return sorted(set(out))


def multilingual(rng, per_locale):
    out = []
    for name in LOCALES:
        words = locale_strings(name)
        if not words:
            continue
        for _ in range(per_locale):
            k = rng.randint(1, 6)
            sep = rng.choice([" ", " ", ", ", " - ", "、", "。", "\n", ": ", " 2024 "])
            out.append(sep.join(rng.choice(words) for _ in range(k)))
    return out


def code_lines(rng, n):
    files = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py")))
    out = []
    while len(out) < n:
        lines = open(rng.choice(files), encoding="utf-8", errors="replace").read().split("\n")
        start = rng.randrange(len(lines))
        chunk = "\n".join(lines[start:start + rng.randint(1, 8)])
        if chunk.strip():
            out.append(chunk if rng.random() < 0.7 else chunk.replace("\n", "\r\n"))
    extra = ["int main(int argc, char** argv) {\n\treturn 0;\n}", "for (int i = 0; i < n; ++i) x[i] += 1;",
             "SELECT id, name FROM users WHERE age >= 18;", "<div class=\"caption\">A cat</div>",
             "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "$ ls -la /usr/bin | grep py",
             "def f(x):\n    return x ** 2  # square\n", "x=1;y=2;z=x+y", "a->b->c", "i++; j--; k **= 2;",
             "#include <vector>\n#include \"oqvl/data/text/tokenizer.h\"", "    \t  indented()\n\t\tmore()"]
    return out + extra


EMOJI = ["🙂", "😂", "👍", "👍🏽", "👋🏿", "❤️", "🏳️‍🌈", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🧑‍🚀", "🇺🇸", "🇯🇵", "🇩🇪",
         "1️⃣", "#️⃣", "🐶", "🍕", "🎉", "✨", "🚀", "🤷‍♂️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "☕", "⚽", "🫠", "🥲"]


def emoji_texts(rng, n):
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts.append(rng.choice(EMOJI) if rng.random() < 0.6 else rng.choice(
                ["so happy", "LOL", "nice", " ", "", "!!", "party", "猫", "кот"]))
        out.append(rng.choice(["", " "]).join(parts))
    return out


def number_texts(rng, n):
    out = ["0", "007", "3.14159265358979", "1,000,000", "1e-9", "-42", "+1 (555) 123-4567",
           "2024-05-16", "12:30:45", "v1.2.3", "0x1F600", "١٢٣٤٥", "१२३", "Ⅻ", "½ ¾", "²³",
           "１２３", "100%", "$9.99", "€5,50", "12345678901234567890"]
    for _ in range(n):
        out.append(rng.choice(["", "Price: ", "Step ", "ID#", "in "]) + str(rng.randint(0, 10 ** rng.randint(1, 12))) +
                   rng.choice(["", " km", "px", ".", "th", " users", "%"]))
    return out


def whitespace_texts(rng, n):
    out = ["  a", "a  ", "   ", "\n", "\n\n\n", "\r\n", "a\r\nb", "a \n b", "a\t\tb", "\t", " \t \n x",
           "a\u00a0b", "a\u00a0\u00a0b", "a\u3000b", "x \u2003 y", "end  \n", " \n\n hello", "a\u0085b",
           "a\u2028b", "  \r\n  \r\n", "hello world   ", "   leading", "a\vb\fc", "trailing\n"]
    ws = [" ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\n\n", "   "]
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts.append(rng.choice(["word", "Ab", "7", "!", "é", "日本", "'s", "-", ""]))
            parts.append("".join(rng.choice(ws) for _ in range(rng.randint(1, 3))))
        out.append("".join(parts))
    return out


def nfc_texts(rng, n):
    base = ["e\u0301", "Cafe\u0301 de\u0301ja\u0300 vu", "A\u030a", "\u212b", "\u2126", "a\u0323\u0302",
            "a\u0302\u0323", "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "ﬁnance",
            "Tie\u0302\u0301ng Vie\u0323\u0302t", "o\u0308\u0304", "x\u0301y", "\u0301start", "e\u0301\u0301",
            "\u0915\u093c", "\u00e9 vs e\u0301", "n\u0303o", "Å", "ǆ", "\u0061\u0328\u0301", "\u05d1\u05bc",
            "\u0627\u0653", "\u0cc6\u0cc2", "\u0b47\u0b3e", "\u09c7\u09be", "\u1e9b\u0323", "\u0344", "\u0958",
            # Marks newer than Unicode 9.0 are starters to HF's NFC (see gen_unicode_tables.py).
            "a\u0d3b\u0301", "x\u0301\u1ac0", "\u1ac0\u0301", "a\u0345\u1dfa", "\U00011935\U00011930",
            "e\u089a\u0301"]
    marks = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u0323", "\u0327", "\u0328", "\u031b", "\u0345"]
    out = list(base)
    for _ in range(n):
        s = ""
        for _ in range(rng.randint(1, 6)):
            s += rng.choice("aeiouAEOnxzyω") + "".join(rng.choice(marks) for _ in range(rng.randint(0, 3)))
            s += rng.choice(["", " ", ""])
        out.append(unicodedata.normalize("NFD", s) if rng.random() < 0.3 else s)
    return out


def special_texts(rng, n, caps):
    out = ["<|im_end|>", "<s>", "<|endofchunk|>", "<image>", "<s><image>\nA cat on a mat.<|im_end|>",
           "<|im_start|>system\nYou are a helpful assistant.<|im_end|><|im_start|>user\nWhat is this?<|im_end|>assistant\n",
           "<|endoftext|><|endoftext|>", "<s", "</s>", "<<s>>", "<|im_end", "|im_end|>", "<s><s><s>",
           "<|im_end|>\n", "a<|endofchunk|>b", "<tool_call>f()</tool_call>", "<|fim_prefix|>x<|fim_suffix|>",
           "<think>no</think>", "<tool_response>", "<|vision_start|><|image_pad|><|vision_end|>",
           "e<s>\u0301", "  <s>  ", "<|IM_END|>", "<S>"]
    for _ in range(n):
        c = rng.choice(caps)
        form = rng.randrange(4)
        if form == 0:
            out.append(f"<s><image>\n{c}<|im_end|>")
        elif form == 1:
            out.append(f"<s><image>\n{c}<|im_end|><s><image>\n{rng.choice(caps)}<|im_end|>")
        elif form == 2:
            out.append(f"<|im_start|>user\n<image>\n{c}<|im_end|>assistant\n{rng.choice(caps)}<|im_end|>\n")
        else:
            out.append(f"{c}<|endofchunk|><image>{rng.choice(caps)}")
    return out


def contraction_texts():
    return ["I'm here", "DON'T", "they'LL", "we'Ve", "she'd", "it'S", "you'RE", "'s", "'", "''", "'ll'll",
            "o'clock", "rock 'n' roll", "'ſa", "'ſt", "l'été", "it’s (curly)", "Ma'am", "'\u212aa", "'Tis",
            "James' car", "'re'", "x'D'M'T"]


def fuzz_texts(rng, n):
    alphabet = [" ", " ", "\n", "\r", "\t", "a", "Z", "1", "!", "'", "s", "é", "\u0301", "\u00a0", "中",
                "🙂", "-", ".", "д", "ع", "ก", "\u3000", "_", "<", ">", "|", "\u200d", "\ufe0f", "ß"]
    out = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))) for _ in range(n)]
    # Code points from all over Unicode, including letters newer than Unicode 14 (to exercise the
    # class tables) and unassigned ones.
    ranges = [(0x20, 0x2FF), (0x370, 0x52F), (0x1C80, 0x1CBF), (0xA7C0, 0xA7FF), (0x10400, 0x105FF),
              (0x11F00, 0x11F5F), (0x1E030, 0x1E08F), (0x1E4D0, 0x1E4FF), (0x2EBF0, 0x2EE5F),
              (0x31350, 0x323AF), (0x16D40, 0x16D7F), (0x1D2C0, 0x1D2DF), (0xE0000, 0xE007F),
              (0xFF00, 0xFFEF), (0x2000, 0x206F), (0x1F300, 0x1FAFF), (0x0E00, 0x0E7F), (0x0900, 0x097F)]
    for _ in range(n):
        s = ""
        for _ in range(rng.randint(1, 12)):
            a, b = rng.choice(ranges)
            c = rng.randint(a, b)
            if not (0xD800 <= c <= 0xDFFF):
                s += chr(c)
            if rng.random() < 0.2:
                s += rng.choice([" ", "a", "1", "\n"])
        out.append(s)
    return out


def long_texts(rng, caps):
    return [" ".join(rng.choice(caps) for _ in range(200)), "a" * 5000, " " * 300 + "x", "\n" * 100,
            "ab" * 2000, "🙂" * 200, "1234567890" * 50, "ﷺ" * 10, "x" + "\u0301" * 40]


def build_corpus():
    rng = random.Random(SEED)
    caps = captions(rng, 700)
    corpus = []

    def add(category, texts):
        corpus.extend({"category": category, "text": t} for t in texts)

    add("caption", caps)
    add("multilingual", multilingual(rng, 14))
    add("code", code_lines(rng, 250))
    add("emoji", emoji_texts(rng, 120))
    add("number", number_texts(rng, 80))
    add("whitespace", whitespace_texts(rng, 150))
    add("nfc", nfc_texts(rng, 120))
    add("special", special_texts(rng, 150, caps))
    add("contraction", contraction_texts())
    add("fuzz", fuzz_texts(rng, 300))
    add("long", long_texts(rng, caps))
    add("empty", [""])
    return corpus


def main():
    tok = qwen2vl_tokenizer()
    assert tok.token_to_id("<s>") == 128245 and tok.token_to_id("<|endofchunk|>") == 151665
    corpus = build_corpus()
    hf_nfc = normalizers.NFC()
    os.makedirs(OUT, exist_ok=True)
    header = {"_comment": f"made by `python3 tools/make_tokenizer_goldens.py` with tokenizers "
                          f"{tokenizers.__version__}, seed {SEED}; ids of encode(text) with the "
                          "Open-Qwen2VL added tokens"}
    with open(os.path.join(OUT, "corpus.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for row in corpus:
            row["ids"] = tok.encode(row["text"]).ids
            nfc = hf_nfc.normalize_str(row["text"])  # HF's NFC (Unicode 9.0 data)
            if nfc != row["text"]:
                row["nfc"] = nfc  # what decode(encode(text)) must give back
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    # Invalid UTF-8: our policy repairs it like bytes.decode("utf-8", "replace") (maximal
    # subparts -> U+FFFD), so the golden is HF's ids of the repaired text.
    rng = random.Random(SEED + 1)
    bad = [b"\xff", b"abc\x80def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(x", b"\xed\xa0\x80",
           b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xf0\x9f\x99", b"ok \xf0\x9f\x99\x82 \xf0\x9f",
           b"<s>\xff<|im_end|>", b"e\xcc", b"\xfe\xfe\xfe", b"caf\xe9"]
    for _ in range(60):
        raw = bytearray(rng.choice(["hello wörld 🙂 ", "日本語 текст ", "a\u0301b<s>"]).encode())
        for _ in range(rng.randint(1, 3)):
            raw.insert(rng.randrange(len(raw) + 1), rng.randrange(256))
        bad.append(bytes(raw))
    with open(os.path.join(OUT, "invalid_utf8.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps({"_comment": header["_comment"] + "; text = bytes.decode('utf-8', 'replace')"}) + "\n")
        for raw in bad:
            text = raw.decode("utf-8", "replace")
            f.write(json.dumps({"hex": raw.hex(), "ids": tok.encode(text).ids}) + "\n")

    # Decoding, including id runs that split a UTF-8 sequence (HF repairs with U+FFFD too).
    with open(os.path.join(OUT, "decode.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps({"_comment": header["_comment"] + "; decode(ids) with and without skipping specials"}) + "\n")
        rows = [r for r in corpus if r["ids"]]
        for _ in range(400):
            ids = rng.choice(rows)["ids"]
            a = rng.randrange(len(ids))
            b = min(len(ids), a + rng.randint(1, 12))
            part = ids[a:b]
            f.write(json.dumps({"ids": part, "text": tok.decode(part, skip_special_tokens=False),
                                "skip_special": tok.decode(part, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")
    cats = {}
    for r in corpus:
        cats[r["category"]] = cats.get(r["category"], 0) + 1
    print(f"{len(corpus)} texts {cats}", file=sys.stderr)


if __name__ == "__main__":
    main()
