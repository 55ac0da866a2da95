"""Exact EM with missing entries against the same fit on complete data, for the other models.

``bench_mixture.py`` measures ``GaussianMixture``; this script measures the two
other models whose NaN-aware EM goes through
:class:`gdlab.distributions.gaussian_patterns.PatternGroups`, each on complete data and
on the same data with 30 % of the entries missing completely at random (MCAR),
the two fits taking turns within each repeat (both see the same machine load),
median of ``--repeats``, wall clock (``time.perf_counter``) and CPU
(``time.process_time``) seconds, one BLAS thread:

- ``GaussianClassifier`` (full and tied covariances): the 100,000 x 10 rows of
  ``bench_mixture.py``, three classes (every third row shifted by 0.5 per
  class), EM for exactly ``--iterations`` iterations (``tol=0``). On complete
  data the fit is one closed-form pass (no EM), so the script prints the time of
  one EM iteration with NaN against that pass.
- ``HMM`` (one full-covariance Gaussian per state, and a mixture of two per
  state): 200 sequences x 500 frames, d = 5, 6 states, exactly 10 Baum-Welch
  iterations (``tol=0``) from the same k-means start (``random_state=0``).

    OMP_NUM_THREADS=1 python benchmarks/bench_nan_em.py [--repeats 3] [--iterations 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mixture import make_data  # noqa: E402

from gdlab.models.gaussian import GaussianClassifier  # noqa: E402
from gdlab.models.hmm import HMM  # noqa: E402


def with_missing(X, seed=1, fraction=0.3):
    """X with ``fraction`` of its entries NaN (MCAR), rows with nothing observed dropped."""
    X = X.copy()
    X[np.random.default_rng(seed).uniform(size=X.shape) < fraction] = np.nan
    return X, ~np.isnan(X).all(axis=1)


def hmm_data(seed=0, n_seq=200, length=500, n_states=6, d=5):
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 3.0, (n_states, d))
    A = rng.normal(0.0, 0.5, (n_states, d, d))
    L = np.linalg.cholesky(A @ A.transpose(0, 2, 1) + 0.3 * np.eye(d))
    trans = np.full((n_states, n_states), 0.1 / (n_states - 1))
    np.fill_diagonal(trans, 0.9)
    seqs = []
    for _ in range(n_seq):
        z = [rng.integers(n_states)]
        for _ in range(length - 1):
            z.append(rng.choice(n_states, p=trans[z[-1]]))
        z = np.array(z)
        seqs.append(means[z] + np.einsum("nij,nj->ni", L[z], rng.standard_normal((length, d))))
    return np.vstack(seqs), [length] * n_seq


def alternate(fits, repeats):
    """Median wall and CPU seconds of each named fit, the fits taking turns."""
    wall = {name: [] for name in fits}
    cpu = {name: [] for name in fits}
    models = {}
    for _ in range(repeats):
        for name, fit in fits.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            models[name] = fit()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    med = {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in fits}
    return med, models


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    X, _ = make_data(100_000)
    y = np.arange(len(X)) % 3
    X = X + 0.5 * y[:, None]
    X_nan, keep = with_missing(X)
    for covariance in ("full", "tied"):
        def fit_classifier(data, labels, covariance=covariance):
            model = GaussianClassifier(covariance=covariance, tol=0, max_iter=args.iterations)
            return model.fit(data, labels)

        med, models = alternate(
            {
                "complete": lambda: fit_classifier(X, y),
                "nan": lambda: fit_classifier(X_nan[keep], y[keep]),
            },
            args.repeats,
        )
        (wc, cc), (wn, cn) = med["complete"], med["nan"]
        it = models["nan"].n_iter_
        print(
            f"GaussianClassifier({covariance!r}), 100,000 x 10, 3 classes: complete-data fit "
            f"{wc:.3f} s wall / {cc:.3f} s CPU (one pass); 30 % MCAR, {it} EM iterations: "
            f"{wn:.3f} s wall / {cn:.3f} s CPU, one iteration {cn / it / cc:.2f}x the "
            f"complete-data fit (CPU; {wn / it / wc:.2f}x wall); final mean log-lik "
            f"{models['nan'].log_likelihood_history_[-1]:.12f}"
        )

    Xh, lengths = hmm_data()
    Xh_nan, _ = with_missing(Xh, seed=2)
    for emission in ("gaussian", "gmm"):
        def fit_hmm(data, emission=emission):
            model = HMM(6, emission=emission, covariance="full", n_mix=2, max_iter=10, tol=0,
                        random_state=0)
            return model.fit(data, lengths)

        med, models = alternate(
            {"complete": lambda: fit_hmm(Xh), "nan": lambda: fit_hmm(Xh_nan)}, args.repeats
        )
        (wc, cc), (wn, cn) = med["complete"], med["nan"]
        print(
            f"HMM({emission!r}, covariance='full'), 200 x 500 frames, d = 5, 6 states, 10 "
            f"iterations: complete {wc:.3f} s wall / {cc:.3f} s CPU; 30 % MCAR entries "
            f"{wn:.3f} s wall / {cn:.3f} s CPU: {wn / wc:.2f}x wall, {cn / cc:.2f}x CPU; "
            f"score with NaN {models['nan'].score(Xh_nan, lengths):.6f}"
        )


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
