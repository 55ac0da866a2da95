"""Speed of gdlab's GaussianNB against scikit-learn's, fit + predict_proba.

Same data, same process, median of ``--repeats`` runs (time.perf_counter):
200,000 x 50 float64, 10 Gaussian classes (fixed seed) by default. Prints
both medians and the ratio gdlab / sklearn, then gdlab with 20 % of the
entries missing (NaN; scikit-learn cannot fit that) and its ratio to
scikit-learn on the complete data.

    python benchmarks/bench_naive_bayes.py [--rows 200000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.naive_bayes import GaussianNB as SkGaussianNB

from gdlab.models.naive_bayes import GaussianNB


def make_data(n_rows, n_features=50, n_classes=10, seed=0):
    """Gaussian blobs: class means spread in R^d, per-class feature scales."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_rows)
    means = rng.normal(0.0, 2.0, (n_classes, n_features))
    scales = rng.uniform(0.5, 2.0, (n_classes, n_features))
    X = means[y] + rng.standard_normal((n_rows, n_features)) * scales[y]
    return X, y


def median_seconds(make_model, X, y, repeats):
    times, proba = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        proba = make_model().fit(X, y).predict_proba(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times), proba


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    X, y = make_data(args.rows)
    print(
        f"data: {X.shape[0]} x {X.shape[1]} float64, {len(np.unique(y))} classes; "
        f"median of {args.repeats} runs of fit + predict_proba"
    )
    sk_time, sk_proba = median_seconds(SkGaussianNB, X, y, args.repeats)
    gd_time, gd_proba = median_seconds(GaussianNB, X, y, args.repeats)
    print(f"sklearn GaussianNB        : {sk_time:8.4f} s")
    print(
        f"gdlab   GaussianNB        : {gd_time:8.4f} s   ratio gdlab/sklearn = "
        f"{gd_time / sk_time:.3f}"
    )
    print(f"max |proba difference|    : {np.abs(gd_proba - sk_proba).max():.2e}")

    X_nan = X.copy()
    X_nan[np.random.default_rng(1).random(X.shape) < 0.2] = np.nan
    nan_time, _ = median_seconds(GaussianNB, X_nan, y, args.repeats)
    print(
        f"gdlab   GaussianNB 20% NaN: {nan_time:8.4f} s   ratio to sklearn complete = "
        f"{nan_time / sk_time:.3f}"
    )


if __name__ == "__main__":
    main()
