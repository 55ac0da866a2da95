"""Sparse text naive Bayes: gdlab against scikit-learn on a hashed corpus, in one process.

The issue's measurement: a corpus of synthetic Zipf text (``--n-docs``
documents, default 100,000, of Poisson(``--doc-length``) words from a
50,000-word vocabulary; each of ``--n-classes`` classes draws from its own
Zipf(1.1) ranking of the vocabulary, which differs from a shared ranking in a
random 2 % of the ranks),
hashed by ``HashingVectorizer(n_features=2**18, alternate_sign=False,
norm=None)`` into a CSR count matrix. For each of MultinomialNB, ComplementNB
and BernoulliNB, gdlab's and scikit-learn's classes (same defaults) fit the
first 80 % of the rows and give ``predict_proba`` on the rest, on the same
sparse matrix (neither densifies it):

- time: wall clock (time.perf_counter) of fit + predict_proba, median of
  ``--repeats`` after one untimed warm-up, the libraries taking turns in each
  repeat so that the machine's load hits both; the ratio gdlab / scikit-learn;
- memory: peak bytes allocated during fit + predict_proba (tracemalloc, in a
  separate untimed run; numpy and scipy report their buffers to it), and the
  ratio;
- agreement: largest absolute difference of the posteriors, and test accuracy.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_sparse_nb.py [--n-docs 100000]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np
from sklearn import naive_bayes as sk
from sklearn.feature_extraction.text import HashingVectorizer

from gdlab.models import naive_bayes as gd

MODELS = ("MultinomialNB", "ComplementNB", "BernoulliNB")


def zipf_corpus(n_docs, n_classes, doc_length, vocab_size=50_000, seed=0):
    """Texts of Zipf-distributed words, each class with its own ranking of the vocabulary."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(vocab_size)])
    ranks = np.arange(1, vocab_size + 1, dtype=np.float64)
    probs = ranks**-1.1
    probs /= probs.sum()
    shared = rng.permutation(vocab_size)
    orders = []
    for _ in range(n_classes):
        order = shared.copy()
        moved = rng.choice(vocab_size, size=vocab_size // 50, replace=False)
        order[moved] = order[rng.permutation(moved)]  # 2 % of the ranks differ by class
        orders.append(order)
    y = rng.integers(0, n_classes, n_docs)
    lengths = np.maximum(rng.poisson(doc_length, n_docs), 1)
    texts = []
    for c in range(n_classes):
        rows = np.flatnonzero(y == c)
        words = orders[c][rng.choice(vocab_size, size=lengths[rows].sum(), p=probs)]
        starts = np.concatenate([[0], np.cumsum(lengths[rows])])
        for i, row in enumerate(rows):
            texts.append((row, " ".join(vocab[words[starts[i]:starts[i + 1]]])))
    texts.sort()
    return [t for _, t in texts], y


def fit_predict(model, X_train, y_train, X_test):
    model.fit(X_train, y_train)
    return model.predict_proba(X_test)


def peak_bytes(make, X_train, y_train, X_test):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fit_predict(make(), X_train, y_train, X_test)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-docs", type=int, default=100_000)
    parser.add_argument("--n-classes", type=int, default=5)
    parser.add_argument("--doc-length", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print(f"load average: {open('/proc/loadavg').read().split()[:3]}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    start = time.perf_counter()
    texts, y = zipf_corpus(args.n_docs, args.n_classes, args.doc_length)
    X = HashingVectorizer(n_features=2**18, alternate_sign=False, norm=None).transform(texts)
    del texts
    n_train = int(0.8 * X.shape[0])
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    print(f"corpus: {X.shape[0]} documents x {X.shape[1]} hashed features, {X.nnz} non-zeros "
          f"({X.data.nbytes / 2**20:.1f} MiB of values), {args.n_classes} classes, "
          f"built in {time.perf_counter() - start:.1f} s; train {n_train}, test "
          f"{X.shape[0] - n_train}")
    print(f"{'model':<14} {'gdlab s':>8} {'sklearn s':>9} {'ratio':>6} {'gdlab MiB':>9} "
          f"{'sklearn MiB':>11} {'ratio':>6} {'max |dP|':>9} {'acc gd':>7} {'acc sk':>7}")
    for name in MODELS:
        makers = {"gdlab": getattr(gd, name), "sklearn": getattr(sk, name)}
        probas = {lib: fit_predict(make(), X_train, y_train, X_test)  # warm-up
                  for lib, make in makers.items()}
        times = {lib: [] for lib in makers}
        for _ in range(args.repeats):
            for lib, make in makers.items():
                t0 = time.perf_counter()
                fit_predict(make(), X_train, y_train, X_test)
                times[lib].append(time.perf_counter() - t0)
        med = {lib: statistics.median(t) for lib, t in times.items()}
        peak = {lib: peak_bytes(make, X_train, y_train, X_test) / 2**20
                for lib, make in makers.items()}
        acc = {lib: float(np.mean(makers[lib]().fit(X_train, y_train).classes_[
            p.argmax(axis=1)] == y_test)) for lib, p in probas.items()}
        diff = float(np.abs(probas["gdlab"] - probas["sklearn"]).max())
        print(f"{name:<14} {med['gdlab']:8.3f} {med['sklearn']:9.3f} "
              f"{med['gdlab'] / med['sklearn']:6.2f} {peak['gdlab']:9.1f} {peak['sklearn']:11.1f} "
              f"{peak['gdlab'] / peak['sklearn']:6.2f} {diff:9.1e} {acc['gdlab']:7.4f} "
              f"{acc['sklearn']:7.4f}")
    print(f"load average at the end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
