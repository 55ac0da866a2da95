"""Text classification: NB-SVM vs its baselines, and a generative char n-gram classifier.

(a) Wang & Manning (2012), "Baselines and Bigrams", found NB-SVM (a linear SVM
on naive-Bayes log-count-ratio-scaled, binarized n-gram features) the most
accurate of multinomial NB, SVM and NB-SVM on short-text sentiment data
across its datasets. Here the same four-way comparison (plus L2 logistic
regression) runs on trump_tweets (Android vs iPhone, 8,614 tweets without
retweets), with uni+bigrams, as error against training-set size.

(b) Language identification on Debian's fortunes (de, en, es, it, pt):
the generative :class:`gdlab.models.ngram.CharNGramClassifier` (one order-5
Kneser–Ney character language model per language, Bayes' rule) against a
discriminative logistic regression on character 1-4-grams (within word
boundaries), as accuracy against training-set size.

Protocol, per task and split (``--splits``, default 10): a stratified random
test set (a quarter of trump_tweets; ``--lang-test`` texts of fortunes-lang);
from the remaining pool, nested stratified subsamples of each size
(``gdlab.data.nested_subsamples``) train every model. Means over splits with
a 95 % normal interval (1.96 standard errors); for (a) also the paired
difference between NB-SVM and the best other model at each size.

Models of (a), all on binarized word uni+bigrams (``CountVectorizer(binary=True)``,
one-letter words kept), all with their defaults as in the paper (C = 1, alpha = 1,
NB-SVM beta = 0.25), no calibration (predict is the sign of the margin):
``multinomial-nb`` (gdlab's MultinomialNB on the sparse counts), ``logreg``, ``linear-svm``
(liblinear, squared hinge), ``nbsvm``; plus ``nbsvm-beta1``, NB-SVM without the
interpolation (beta = 1: the SVM's own weights on the NB-scaled features).

Run::

    .venv/bin/python benchmarks/repro_text.py --quick          # smoke run, ~1 min
    .venv/bin/python benchmarks/repro_text.py --n-jobs 2 --out text.csv
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from gdlab.data import load
from gdlab.data.splits import nested_subsamples, repeated_splits
from gdlab.models.ngram import CharNGramClassifier, CharNGramLM
from gdlab.models.text import ngram_linear_svm, ngram_logreg, ngram_multinomial_nb, ngram_nbsvm
from gdlab.studies.prepare import inputs

TWEET_MODELS = {
    "multinomial-nb": lambda: ngram_multinomial_nb(ngram_range=(1, 2)),
    "logreg": lambda: ngram_logreg(ngram_range=(1, 2)),
    "linear-svm": lambda: ngram_linear_svm(ngram_range=(1, 2), calibrated=False),
    "nbsvm": lambda: ngram_nbsvm(ngram_range=(1, 2), calibrated=False),
    "nbsvm-beta1": lambda: ngram_nbsvm(ngram_range=(1, 2), beta=1.0, calibrated=False),
}
#: The paper's baselines, against which each NB-SVM variant is judged.
BASELINES = ("multinomial-nb", "logreg", "linear-svm")
LANG_MODELS = {
    "char-ngram-classifier": lambda: CharNGramClassifier(CharNGramLM(order=5)),
    "char-ngram-logreg": lambda: ngram_logreg(analyzer="char_wb", ngram_range=(1, 4)),
}
TWEET_SIZES = [100, 300, 1000, 3000, "all"]
LANG_SIZES = [25, 50, 100, 300, 1000, 3000]


def _one_split(task, models, X, y, sizes, test_size, seed) -> list[dict]:
    """Fit every model at every size on one random split; tidy rows."""
    train, test = next(iter(repeated_splits(y, 1, test_size=test_size, random_state=seed)))
    sizes = [len(train) if m == "all" else m for m in sizes]
    rows = []
    for m, idx in zip(sizes, nested_subsamples(y[train], sizes, random_state=seed),
                      strict=True):
        Xm, ym = X[train[idx]], y[train[idx]]
        for name, factory in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # liblinear convergence at tiny m
                model = factory().fit(Xm, ym)
                err = float(np.mean(model.predict(X[test]) != y[test]))
            rows.append({"task": task, "model": name, "m": m, "seed": seed, "error": err,
                         "seconds": time.perf_counter() - start})
    return rows


def _table(part: pd.DataFrame, value: str) -> pd.DataFrame:
    stats = part.groupby(["m", "model"], sort=True)[value].agg(["mean", "std", "count"])
    mean = stats["mean"].unstack()
    half = (1.96 * stats["std"] / np.sqrt(stats["count"])).unstack()
    return mean, half


def nbsvm_verdict(part: pd.DataFrame, candidate: str = "nbsvm") -> pd.DataFrame:
    """Per size: the best model by mean error, and ``candidate`` minus the best baseline
    (paired over splits, 95 % normal interval)."""
    wide = part.pivot_table(index=["m", "seed"], columns="model", values="error")
    out = []
    for m, block in wide.groupby(level="m"):
        means = block.mean()
        rival = means[list(BASELINES)].idxmin()
        diff = block[candidate] - block[rival]
        half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
        if diff.mean() + half < 0:
            verdict = f"{candidate} better (significant)"
        elif diff.mean() < 0:
            verdict = f"{candidate} better (within noise)"
        elif diff.mean() - half > 0:
            verdict = f"{rival} better (significant)"
        else:
            verdict = f"{rival} better (within noise)"
        out.append({"m": m, "best overall": means.idxmin(), "best baseline": rival,
                    f"{candidate} - baseline": f"{diff.mean():+.4f} ± {half:.4f}",
                    "verdict": verdict})
    return pd.DataFrame(out).set_index("m")


def main(argv=None) -> None:
    """Run both parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10, help="random splits per size")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--lang-test", type=int, default=3000,
                        help="test texts per split for fortunes-lang")
    parser.add_argument("--parts", default="tweets,lang", help="tweets, lang or both")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 splits, two small sizes, 500 test texts")
    parser.add_argument("--out", help="also write the per-split rows to this CSV")
    args = parser.parse_args(argv)
    tweet_sizes, lang_sizes, lang_test = TWEET_SIZES, LANG_SIZES, args.lang_test
    if args.quick:
        args.splits, tweet_sizes, lang_sizes, lang_test = 2, [100, 300], [25, 100], 500

    pd.set_option("display.width", 160)
    parts = set(args.parts.split(","))
    frames = []
    start = time.perf_counter()
    if "tweets" in parts:
        X, y = inputs(load("trump_tweets"))
        rows = Parallel(n_jobs=args.n_jobs)(
            delayed(_one_split)("trump_tweets", TWEET_MODELS, X, y, tweet_sizes, 0.25, seed)
            for seed in range(args.splits))
        part = pd.DataFrame([r for chunk in rows for r in chunk])
        frames.append(part)
        mean, half = _table(part, "error")
        models = list(TWEET_MODELS)
        shown = mean[models].map(lambda v: f"{v:.3f}") + " ± " + half[models].map(
            lambda v: f"{v:.3f}")
        print(f"\n(a) trump_tweets, Android vs iPhone, word uni+bigrams: test error "
              f"(mean ± 95 % half-width over {args.splits} splits; test = 25 %, "
              f"{int(np.ceil(0.25 * len(y)))} tweets)")
        print(shown.to_string())
        print("\nIs NB-SVM the most accurate (Wang & Manning 2012)? Paired difference in "
              "error, NB-SVM minus the best of MNB, LR and SVM at each size:")
        for candidate in ("nbsvm", "nbsvm-beta1"):
            print(nbsvm_verdict(part, candidate).to_string())
        secs = part.groupby("model").seconds.mean()
        print("\nmean seconds per fit + predict (largest size dominates): "
              + ", ".join(f"{k} {v:.2f}" for k, v in secs[models].items()))
    if "lang" in parts:
        X, y = inputs(load("fortunes-lang"))
        rows = Parallel(n_jobs=args.n_jobs)(
            delayed(_one_split)("fortunes-lang", LANG_MODELS, X, y, lang_sizes, lang_test, seed)
            for seed in range(args.splits))
        part = pd.DataFrame([r for chunk in rows for r in chunk])
        part["accuracy"] = 1.0 - part["error"]
        frames.append(part)
        mean, half = _table(part, "accuracy")
        models = list(LANG_MODELS)
        shown = mean[models].map(lambda v: f"{v:.4f}") + " ± " + half[models].map(
            lambda v: f"{v:.4f}")
        shown["more accurate"] = mean[models].idxmax(axis=1)
        print(f"\n(b) fortunes-lang (de/en/es/it/pt), language identification: test accuracy "
              f"(mean ± 95 % half-width over {args.splits} splits; {lang_test} test texts)")
        print(shown.to_string())
        secs = part.groupby(["m", "model"]).seconds.mean().unstack()[models]
        print("\nmean seconds per fit + predict:")
        print(secs.map(lambda v: f"{v:.2f}").to_string())
    elapsed = time.perf_counter() - start
    n_fits = sum(len(f) for f in frames)
    print(f"\n{n_fits} fits in {elapsed:.1f} s with n_jobs={args.n_jobs}")
    if args.out and frames:
        pd.concat(frames, ignore_index=True).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
