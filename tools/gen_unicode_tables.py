#!/usr/bin/env python3
"""Generates src/oqvl/data/text/unicode_tables.cpp: the Unicode data the Qwen2 tokenizer needs.

Usage: python3 tools/gen_unicode_tables.py [--out src/oqvl/data/text/unicode_tables.cpp]

Two sources, on purpose:
- Character classes (\\p{L}, \\p{N}, \\s) are probed from the regex engine of Hugging Face
  `tokenizers` itself (Oniguruma, Unicode 16 in tokenizers 0.23), because token ids must match
  that engine, and Python's unicodedata (Unicode 14) and Debian's UnicodeData.txt (15.0) both
  lag it by thousands of letters.
- NFC data (canonical decompositions, combining classes, primary composites) comes from Python's
  unicodedata, restricted to code points assigned by Unicode 9.0 (Debian's DerivedAge.txt):
  HF's NFC (the unicode-normalization-alignments crate) has Unicode 9.0 tables and treats
  every later mark as a starter with no decomposition. Normalization stability makes the
  restricted data equal to Unicode 9.0's. The script checks this against HF's normalizer.
Output is ranges / sorted arrays, a few hundred KB of source at most.
"""
import argparse
import sys
import unicodedata

from tokenizers import Regex, normalizers, pre_tokenizers
import tokenizers

ALL = [c for c in range(0x110000) if not (0xD800 <= c <= 0xDFFF)]
NFC_UNICODE_VERSION = (9, 0)
DERIVED_AGE = "/usr/share/unicode/DerivedAge.txt"  # Debian package unicode-data


def nfc_known():
    """Code points assigned in NFC_UNICODE_VERSION or earlier."""
    known = set()
    for line in open(DERIVED_AGE, encoding="utf-8"):
        line = line.split("#")[0].strip()
        if not line:
            continue
        cps, version = (x.strip() for x in line.split(";"))
        if tuple(int(p) for p in version.split(".")) <= NFC_UNICODE_VERSION:
            first, _, last = cps.partition("..")
            known.update(range(int(first, 16), int(last or first, 16) + 1))
    return known
SBASE, SCOUNT = 0xAC00, 11172


def hf_class(pattern):
    """Code points the HF regex engine matches with a one-character pattern."""
    text = "".join(chr(c) for c in ALL)
    rest = set()
    split = pre_tokenizers.Split(Regex(pattern), "removed")
    for piece, _ in split.pre_tokenize_str(text):
        rest.update(ord(ch) for ch in piece)
    return set(ALL) - rest


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def canonical_decomposition(c):
    d = unicodedata.decomposition(chr(c))
    if not d or d.startswith("<"):
        return None
    return [int(x, 16) for x in d.split()]


def full_decomposition(c):
    d = canonical_decomposition(c)
    if d is None:
        return [c]
    out = []
    for x in d:
        out.extend(full_decomposition(x))
    return out


def emit_array(lines, decl, rows, per_line):
    lines.append(f"{decl} = {{")
    for i in range(0, len(rows), per_line):
        lines.append("    " + " ".join(rows[i:i + per_line]))
    lines.append("};")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="src/oqvl/data/text/unicode_tables.cpp")
    args = ap.parse_args()

    letters, numbers, spaces = hf_class(r"\p{L}"), hf_class(r"\p{N}"), hf_class(r"\s")
    assert not (letters & numbers) and not (letters & spaces) and not (numbers & spaces)
    classes = [(a, b, 1) for a, b in ranges(letters)] + [(a, b, 2) for a, b in ranges(numbers)] + \
              [(a, b, 3) for a, b in ranges(spaces)]
    classes.sort()

    known = nfc_known()
    ccc = {c: unicodedata.combining(chr(c)) for c in ALL if c in known and unicodedata.combining(chr(c))}
    ccc_ranges = []
    for c in sorted(ccc):
        if ccc_ranges and ccc_ranges[-1][1] == c - 1 and ccc_ranges[-1][2] == ccc[c]:
            ccc_ranges[-1][1] = c
        else:
            ccc_ranges.append([c, c, ccc[c]])

    decomp = {}
    for c in ALL:
        if SBASE <= c < SBASE + SCOUNT or c not in known:
            continue  # Hangul syllables are decomposed algorithmically
        d = full_decomposition(c)
        if d != [c]:
            decomp[c] = d
    compositions = []
    for c in ALL:
        if SBASE <= c < SBASE + SCOUNT or c not in known:
            continue
        d = canonical_decomposition(c)
        if d and len(d) == 2 and unicodedata.normalize("NFC", chr(d[0]) + chr(d[1])) == chr(c):
            compositions.append((d[0], d[1], c))
    compositions.sort()
    seconds = {s for _, s, _ in compositions}
    # NFC_QC != Yes: the char changes under NFC (No) or may combine with the one before (Maybe).
    not_yes = {c for c in ALL if c in known and unicodedata.normalize("NFC", chr(c)) != chr(c)} | seconds
    # Hangul jamo vowels / trailing consonants combine algorithmically.
    not_yes |= set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))

    # Check against HF: every mark's class (does it move before U+0345, class 240?), every
    # composition pair, every single code point.
    hf_nfc, hf_nfd = normalizers.NFC(), normalizers.NFD()
    diff = 0
    for c in ALL:
        if unicodedata.combining(chr(c)) not in (0, 240):
            s = "a\u0345" + chr(c)
            diff += (hf_nfd.normalize_str(s) != s) != (c in ccc)
        if hf_nfc.normalize_str(chr(c)) != (unicodedata.normalize("NFC", chr(c)) if c in known else chr(c)):
            diff += 1
    for c in ALL:
        d = canonical_decomposition(c)
        if d and len(d) == 2 and not (SBASE <= c < SBASE + SCOUNT):
            composes = hf_nfc.normalize_str(chr(d[0]) + chr(d[1])) == chr(c)
            diff += composes != ((d[0], d[1], c) in compositions)
    print(f"classes: {len(letters)} L, {len(numbers)} N, {len(spaces)} \\s in {len(classes)} ranges; "
          f"ccc {len(ccc_ranges)} ranges; {len(decomp)} decompositions; {len(compositions)} compositions; "
          f"NFC_QC!=Yes {len(ranges(not_yes))} ranges; NFC differences vs HF: {diff}",
          file=sys.stderr)

    flat, index = [], []
    for c in sorted(decomp):
        index.append(f"{{0x{c:X}, {len(flat)}, {len(decomp[c])}}},")
        flat.extend(decomp[c])

    lines = [
        "// GENERATED by tools/gen_unicode_tables.py -- do not edit by hand.",
        "// clang-format off",
        f"// Character classes probed from Hugging Face tokenizers {tokenizers.__version__}'s regex engine;",
        f"// NFC data from Python {sys.version.split()[0]} unicodedata (Unicode {unicodedata.unidata_version}), restricted",
        f"// to code points of Unicode {NFC_UNICODE_VERSION[0]}.{NFC_UNICODE_VERSION[1]} (what HF's NFC normalizer knows).",
        '#include "oqvl/data/text/unicode_tables.h"',
        "",
        "namespace oqvl::data::unicode_tables {",
        "",
    ]
    emit_array(lines, f"const ClassRange kClassRanges[{len(classes)}]",
               [f"{{0x{a:X}, 0x{b:X}, {k}}}," for a, b, k in classes], 6)
    emit_array(lines, f"const CccRange kCccRanges[{len(ccc_ranges)}]",
               [f"{{0x{a:X}, 0x{b:X}, {k}}}," for a, b, k in ccc_ranges], 6)
    qc = ranges(not_yes)
    emit_array(lines, f"const CodeRange kNfcQcNotYes[{len(qc)}]",
               [f"{{0x{a:X}, 0x{b:X}}}," for a, b in qc], 8)
    emit_array(lines, f"const Decomposition kDecompositions[{len(index)}]", index, 6)
    emit_array(lines, f"const char32_t kDecompositionData[{len(flat)}]",
               [f"0x{x:X}," for x in flat], 12)
    emit_array(lines, f"const Composition kCompositions[{len(compositions)}]",
               [f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for a, b, c in compositions], 5)
    lines += [
        "",
        f"const std::size_t kClassRangeCount = {len(classes)};",
        f"const std::size_t kCccRangeCount = {len(ccc_ranges)};",
        f"const std::size_t kNfcQcNotYesCount = {len(qc)};",
        f"const std::size_t kDecompositionCount = {len(index)};",
        f"const std::size_t kCompositionCount = {len(compositions)};",
        "",
        "}  // namespace oqvl::data::unicode_tables",
        "",
    ]
    if diff:
        sys.exit(f"{diff} NFC differences vs HF: not writing {args.out}")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
