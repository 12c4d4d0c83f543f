#!/usr/bin/env python3
"""Reference re-implementation of distill4j's text featurisation, written from the
"featurisation" section of an export's <stem>.export.json (docs/export.md), with no distill4j code.

Usage:
  featurise.py SIDECAR.export.json "some text" ...   print each text's id row as JSON
  featurise.py --golden OUT.json                      write the golden fixture the Java test checks
                                                      (distill-core/src/test/resources/fixtures/featurisation_golden.json)
Standard library only.
"""
import json
import sys
import unicodedata

MASK = (1 << 64) - 1
ID_SPACE = 1 << 24


def fnv1a_fmix(kind, gram_units):
    h = 0xcbf29ce484222325
    h = ((h ^ ord(kind)) * 0x100000001b3) & MASK
    text = units_to_str(gram_units)
    for b in text.encode("utf-8", errors="replace"):  # a lone surrogate becomes '?'
        h = ((h ^ b) * 0x100000001b3) & MASK
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & MASK
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & MASK
    h ^= h >> 33
    return 1 + h % (ID_SPACE - 1)


def to_units(s):
    b = s.encode("utf-16-le", errors="surrogatepass")
    return [int.from_bytes(b[i:i + 2], "little") for i in range(0, len(b), 2)]


def units_to_str(units):
    b = b"".join(u.to_bytes(2, "little") for u in units)
    return b.decode("utf-16-le", errors="surrogatepass")


def letter_or_digit(u):
    if 0xD800 <= u <= 0xDFFF:
        return False
    return unicodedata.category(chr(u)) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")


def words(text, lowercase):
    s = to_units(text.lower() if lowercase else text)
    out, start = [], -1
    for i in range(len(s) + 1):
        c = s[i] if i < len(s) else 0x20
        in_word = letter_or_digit(c) or (start >= 0 and c in (0x2B, 0x5F, 0x2E))  # + _ .
        if in_word and start < 0:
            start = i
        elif not in_word and start >= 0:
            end = i
            while end > start and s[end - 1] == 0x2E:
                end -= 1
            out.append(s[start:end])
            start = -1
    return out


def featurise(text, f):
    ws = words(text, f["lowercase"])
    ids = []
    space = [0x20]
    for i, w in enumerate(ws):
        ids.append(fnv1a_fmix("w", w))
        gram = list(w)
        for n in range(2, f["word_ngrams"] + 1):
            if i - n + 1 < 0:
                break
            gram = ws[i - n + 1] + space + gram
            ids.append(fnv1a_fmix(str(n), gram))
        if f["char_ngram_max"] > 0:
            padded = [0x3C] + w + [0x3E]  # < word >
            for length in range(f["char_ngram_min"], f["char_ngram_max"] + 1):
                if length == len(padded):
                    continue
                for s in range(0, len(padded) - length + 1):
                    ids.append(fnv1a_fmix("c", padded[s:s + length]))
    ids = ids[:f["max_features"]]
    return ids + [0] * (f["max_features"] - len(ids))


GOLDEN_TEXTS = [
    "The C++ compiler, python3 and GTK+ 2.0.",
    "naïve café... über-COOL",
    "İstanbul ΟΔΟΣ straße",
    "emoji 😀 splits words; 日本語テキスト",
    "",
    "a b c d e f g h i j k l m n o p",
]
GOLDEN_SETTINGS = [
    {"max_features": 32, "word_ngrams": 2, "char_ngram_min": 0, "char_ngram_max": 0, "lowercase": True},
    {"max_features": 64, "word_ngrams": 3, "char_ngram_min": 2, "char_ngram_max": 4, "lowercase": False},
    {"max_features": 8, "word_ngrams": 1, "char_ngram_min": 3, "char_ngram_max": 3, "lowercase": True},
]

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--golden":
        cases = [{"settings": f, "text": t, "ids": featurise(t, f)} for f in GOLDEN_SETTINGS for t in GOLDEN_TEXTS]
        with open(sys.argv[2], "w", encoding="utf-8") as out:
            json.dump({"produced_by": "tools/export/featurise.py --golden", "cases": cases}, out,
                      ensure_ascii=False, indent=1)
            out.write("\n")
    else:
        spec = json.load(open(sys.argv[1], encoding="utf-8"))["featurisation"]
        for t in sys.argv[2:]:
            print(json.dumps(featurise(t, spec)))
