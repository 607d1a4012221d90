"""Word language tagging: load time of the word lists, tagging speed, accuracy.

Loads Debian's ``hunspell-kk`` and ``hunspell-ru`` (cold, in this process),
then tags ``--segments`` synthetic segments of 10 words each (dictionary words
of both languages, mostly never seen before by the tagger's caches) and the
hand-labelled code-switched sentences of ``tests/core/langtag_sentences.py``;
prints load time, tagging time per 1,000 segments and word accuracy with and
without the word lists:

    .venv/bin/python benchmarks/langtag_speed.py --segments 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.core.langtag import Tagger, load_lexicon, tokenize  # noqa: E402
from desktop_app.core.langtag.lexicon import Lexicon  # noqa: E402
from tests.core.langtag_sentences import SENTENCES  # noqa: E402


def accuracy(tagger: Tagger) -> tuple[float, int]:
    right = total = 0
    for text, labels in SENTENCES:
        got = [t["l"] for t in tagger.tag(text)]
        for g, p in zip(labels.split(), got, strict=True):
            right += g == p
            total += 1
    assert total == sum(len(tokenize(t)) for t, _ in SENTENCES)
    return right / total, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--segments", type=int, default=1000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    lexicon = load_lexicon()
    load_s = time.perf_counter() - t0
    if lexicon.kk is None or lexicon.ru is None:
        print(lexicon.warning)
        return 1
    kk, ru = list(lexicon.kk.stems)[::7], list(lexicon.ru.stems)[::11]
    texts = [
        " ".join(ru[(i * 13 + k) % len(ru)] if k % 3 == 0 else kk[(i * 17 + k) % len(kk)]
                 for k in range(10))
        for i in range(args.segments)
    ]  # fmt: skip
    tagger = Tagger(lexicon)
    t0 = time.perf_counter()
    words = sum(len(tagger.tag(t)) for t in texts)
    cold_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in texts:
        tagger.tag(t)
    warm_s = time.perf_counter() - t0
    acc, n = accuracy(tagger)
    acc_plain, _ = accuracy(Tagger(Lexicon(missing=("Kazakh", "Russian"))))
    stems = f"{len(lexicon.kk):,} kk, {len(lexicon.ru):,} ru stems"
    print(f"word lists loaded in {load_s:.2f} s ({stems})")
    per = cold_s / args.segments * 1e6
    print(f"{args.segments:,} segments, {words:,} words: {cold_s * 1000:.0f} ms first time "
          f"({per:.0f} µs a segment), {warm_s * 1000:.0f} ms again")  # fmt: skip
    print(f"accuracy on {n} hand-labelled words: {acc:.1%} with the word lists, "
          f"{acc_plain:.1%} from letters and common words only")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
