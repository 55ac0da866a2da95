"""Fit speed of the character n-gram language model on 1 M characters.

The corpus is real text: Debian's fortunes (all five languages, in a seeded
random order) until ``--chars`` characters (default 1,000,000) are reached;
``--corpus trump`` uses trump_tweets instead. For each smoothing
(interpolated Kneser–Ney, Witten–Bell) at ``--order`` (default 5) the script
reports the median over ``--repeats`` of ``CharNGramLM.fit`` (time.perf_counter),
characters per second, the number of distinct n-grams per order, the time to
score a held-out 100,000 characters (``score_samples``) with the bits per
character there, and the time to draw 100 samples of up to 200 characters.

As a point of reference (no n-gram library such as NLTK or KenLM is
installed), it also times the plain-Python way to count the same n-grams:
``collections.Counter`` over the padded strings' order-grams and every lower
order, which is only the counting step of a fit.

    .venv/bin/python benchmarks/bench_ngram.py [--chars 1000000] [--order 5] [--repeats 3]
    .venv/bin/python benchmarks/bench_ngram.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import numpy as np

from gdlab.data import load
from gdlab.models.ngram import CharNGramLM


def corpus(name: str, n_chars: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(training texts totalling >= n_chars characters, 100,000+ characters held out)."""
    texts = load("fortunes-lang" if name == "fortunes" else "trump_tweets").X["text"].tolist()
    order = np.random.default_rng(seed).permutation(len(texts))
    train, held, total, held_total = [], [], 0, 0
    for i in order:
        if total < n_chars:
            train.append(texts[i])
            total += len(texts[i])
        elif held_total < 100_000:
            held.append(texts[i])
            held_total += len(texts[i])
        else:
            break
    if total < n_chars:
        raise SystemExit(f"the {name} corpus has only {total} characters; lower --chars.")
    return train, held


def counter_baseline(texts: list[str], order: int) -> float:
    """Seconds to count every k-gram (k <= order) of the padded texts with Counter."""
    start = time.perf_counter()
    counts = [Counter() for _ in range(order)]
    pad = "\x02" * (order - 1)
    for t in texts:
        s = pad + t + "\x03"
        for k in range(1, order + 1):
            counts[k - 1].update(s[i - k + 1:i + 1] for i in range(order - 1, len(s)))
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", choices=["fortunes", "trump"], default="fortunes")
    parser.add_argument("--quick", action="store_true", help="100,000 characters, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.chars, args.repeats = 100_000, 1

    train, held = corpus(args.corpus, args.chars)
    n = sum(map(len, train))
    print(f"corpus: {args.corpus}, {len(train)} texts, {n:,} characters for fit; "
          f"{len(held)} texts, {sum(map(len, held)):,} characters held out; "
          f"order {args.order}; median of {args.repeats}")
    for smoothing in ("kneser-ney", "witten-bell"):
        times, lm = [], None
        for _ in range(args.repeats):
            lm = CharNGramLM(order=args.order, smoothing=smoothing)
            start = time.perf_counter()
            lm.fit(train)
            times.append(time.perf_counter() - start)
        fit_s = statistics.median(times)
        start = time.perf_counter()
        lm.score_samples(held)
        score_s = time.perf_counter() - start
        bpc = lm.bits_per_char(held)
        start = time.perf_counter()
        lm.sample(100, random_state=0, max_length=200)
        sample_s = time.perf_counter() - start
        types = ", ".join(f"{len(k):,}" for k in lm.ngram_keys_)
        print(f"{smoothing:12s} fit {fit_s:7.3f} s ({n / fit_s / 1e6:.2f} M chars/s); "
              f"{len(lm.vocabulary_)} characters; n-gram types per order: {types}")
        print(f"{'':12s} score held-out {score_s:.3f} s, {bpc:.3f} bits/char; "
              f"100 samples x <= 200 chars {sample_s:.3f} s")
    base = counter_baseline(train, args.order)
    print(f"reference: plain-Python Counter counting of the same 1..{args.order}-grams "
          f"{base:.3f} s ({n / base / 1e6:.2f} M chars/s), counting only")


if __name__ == "__main__":
    main()
