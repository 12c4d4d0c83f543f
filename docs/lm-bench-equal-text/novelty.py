#!/usr/bin/env python3
"""How new is the held-out text? The share of 32-byte windows of a text that occur in other documents.

For the 2 MB benchmark (docs/lm-benchmarks.md, "Student steps at equal text of 2 MB"): the held-out
text (the documents after the first 2 MB that tools/LmHeldOutEval.java reads, 500 KB) against the
first 2 MB, and, as a stand-in for the recipe's test split (a seeded 5% of those documents), each
document of the first 2 MB against the others. Run from the repository root; reads
../shared/data/debian-descriptions/train.jsonl.gz.
"""
import collections
import gzip
import json

K = 32
FIRST, HELD_END = 4653, 5717  # the documents of the first 2,000,000 bytes; the held-out ones are 4653-5716 (LmHeldOutEval)


def windows(doc):
    return [doc[j:j + K] for j in range(0, max(1, len(doc) - K + 1))]


def main():
    docs = []
    with gzip.open("../shared/data/debian-descriptions/train.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            docs.append(json.loads(line)["text"].encode("utf-8"))
            if len(docs) == HELD_END:
                break
    first, held = docs[:FIRST], docs[FIRST:]
    documents_with = collections.Counter()  # window -> how many of the first documents contain it
    for d in first:
        documents_with.update(set(windows(d)))
    held_hits = sum(documents_with[w] > 0 for d in held for w in windows(d))
    held_all = sum(len(windows(d)) for d in held)
    own_hits = sum(documents_with[w] > 1 for d in first for w in windows(d))
    own_all = sum(len(windows(d)) for d in first)
    print("held-out text (%d documents): %.1f%% of its %d-byte windows occur in the first 2 MB"
          % (len(held), 100 * held_hits / held_all, K))
    print("the first 2 MB (%d documents), each against the others: %.1f%%" % (len(first), 100 * own_hits / own_all))


if __name__ == "__main__":
    main()
