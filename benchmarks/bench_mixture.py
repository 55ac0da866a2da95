"""Speed of gdlab's GaussianMixture EM against scikit-learn's, from the same start.

The issue's measurement: 100,000 x 10 float64 rows from an 8-component
full-covariance mixture (fixed seed). gdlab and scikit-learn each run exactly
100 EM iterations (tol=0, max_iter=100, n_init=1) from the same initial
weights, means and precisions, in this process; each fit is timed
(time.perf_counter, median of ``--repeats``), its peak Python-heap memory is
measured in a separate run under tracemalloc (numpy reports its buffers to
tracemalloc; the input X is allocated before, so it is not counted), and the
final mean log-likelihood of each fitted model on the data is computed by the
same function (scikit-learn's ``score_samples`` with the model's parameters).
scikit-learn is timed twice: as installed (multi-threaded BLAS) and with one
BLAS thread (gdlab's setting). Then gdlab's NaN-aware EM on the same data with
30 % of the entries missing completely at random: 100 iterations (tol=0) and
the number of distinct missing patterns, timed alternately with the
complete-data fit (one of each per repeat, so both see the same machine load):
median wall-clock and CPU (``time.process_time``) seconds of ``--repeats`` and
their ratios; the final mean log-likelihood of the NaN fit (its observed-data
log-likelihood, ``lower_bound_``).

    python benchmarks/bench_mixture.py [--rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_limits

from gdlab.models.mixture import GaussianMixture

K, D, ITER = 8, 10, 100


def make_data(n_rows, seed=0):
    """An 8-component full-covariance mixture in 10-D, and initial parameters."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 3.0, (K, D))
    A = rng.normal(0.0, 0.5, (K, D, D))
    covs = A @ A.transpose(0, 2, 1) + 0.3 * np.eye(D)
    z = rng.choice(K, size=n_rows, p=rng.dirichlet(np.full(K, 5.0)))
    noise = rng.standard_normal((n_rows, D))
    X = means[z] + np.einsum("nij,nj->ni", np.linalg.cholesky(covs)[z], noise)
    init = dict(
        weights_init=np.full(K, 1.0 / K),
        means_init=X[rng.choice(n_rows, K, replace=False)],
        precisions_init=np.tile(np.linalg.inv(np.cov(X.T)), (K, 1, 1)),
    )
    return X, init


def gdlab_model(init):
    return GaussianMixture(K, tol=0, max_iter=ITER, n_init=1, **init)


def sklearn_model(init):
    # init_params only matters for parameters not given; all three are given
    return SkGaussianMixture(
        K, tol=0, max_iter=ITER, n_init=1, init_params="random_from_data", random_state=0, **init
    )


def mean_log_likelihood(model, X):
    """Mean log p(x) under the model's parameters, by one function for both libraries."""
    sk = SkGaussianMixture(K)
    sk.weights_, sk.means_ = model.weights_, model.means_
    sk.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(model.covariances_))
    sk.n_features_in_ = X.shape[1]
    return float(sk.score_samples(X).mean())


def timed(make, X, repeats, threads=None):
    times, model = [], None
    for _ in range(repeats):
        model = make()
        with threadpool_limits(threads) if threads else _nothing():
            start = time.perf_counter()
            model.fit(X)
            times.append(time.perf_counter() - start)
    return statistics.median(times), model


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def peak_mib(make, X):
    tracemalloc.start()
    tracemalloc.reset_peak()
    make().fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, init = make_data(args.rows)
    print(f"data: {X.shape[0]:,} x {X.shape[1]} float64, {K} full components, {ITER} EM iterations")

    t_gd, gd = timed(lambda: gdlab_model(init), X, args.repeats)
    t_sk, sk = timed(lambda: sklearn_model(init), X, args.repeats)
    t_sk1, _ = timed(lambda: sklearn_model(init), X, args.repeats, threads=1)
    if not gd.n_iter_ == sk.n_iter_ == ITER:
        raise RuntimeError(f"iterations: gdlab {gd.n_iter_}, sklearn {sk.n_iter_}, wanted {ITER}")
    ll_gd, ll_sk = mean_log_likelihood(gd, X), mean_log_likelihood(sk, X)
    mem_gd = peak_mib(lambda: gdlab_model(init), X)
    mem_sk = peak_mib(lambda: sklearn_model(init), X)
    print(f"{'':24}{'seconds':>10}{'mean log-lik':>15}{'peak MiB':>10}")
    print(f"{'gdlab':24}{t_gd:10.3f}{ll_gd:15.6f}{mem_gd:10.1f}")
    print(f"{'sklearn':24}{t_sk:10.3f}{ll_sk:15.6f}{mem_sk:10.1f}")
    print(f"{'sklearn, 1 BLAS thread':24}{t_sk1:10.3f}")
    print(
        f"speed-up {t_sk / t_gd:.1f}x (vs 1 thread {t_sk1 / t_gd:.1f}x); "
        f"log-lik gdlab - sklearn {ll_gd - ll_sk:+.2e}; memory ratio {mem_gd / mem_sk:.2f}"
    )

    X_nan = X.copy()
    X_nan[np.random.default_rng(1).uniform(size=X.shape) < 0.3] = np.nan
    X_nan = X_nan[~np.isnan(X_nan).all(axis=1)]
    n_patterns = len(np.unique(np.isnan(X_nan), axis=0))
    wall = {"complete": [], "nan": []}
    cpu = {"complete": [], "nan": []}
    gd_nan = None
    for _ in range(args.repeats):  # alternately: both see the same load
        for name, data in (("complete", X), ("nan", X_nan)):
            model = gdlab_model(init)
            start, start_cpu = time.perf_counter(), time.process_time()
            model.fit(data)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            if name == "nan":
                gd_nan = model
    w = {k: statistics.median(v) for k, v in wall.items()}
    c = {k: statistics.median(v) for k, v in cpu.items()}
    print(
        f"gdlab NaN-EM, 30 % MCAR ({n_patterns} distinct missing patterns, "
        f"{X_nan.shape[0]:,} rows), {gd_nan.n_iter_} iterations, "
        f"final mean log-lik {gd_nan.lower_bound_:.12f}: "
        f"{w['nan']:.3f} s wall ({w['nan'] / w['complete']:.2f}x the complete-data EM's "
        f"{w['complete']:.3f} s), {c['nan']:.3f} s CPU ({c['nan'] / c['complete']:.2f}x "
        f"its {c['complete']:.3f} s)"
    )


if __name__ == "__main__":
    main()
