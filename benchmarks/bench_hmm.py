"""Speed of gdlab's HMM Baum-Welch against hmmlearn and pomegranate, from the same start.

The issue's measurement: 200 sequences x 500 steps of 5-dim frames from a
known 6-state HMM with diagonal-covariance Gaussian emissions (fixed seed).
Every library runs exactly 20 Baum-Welch iterations from the **same** initial
start probabilities, transition matrix, means and variances, in this
process:

- gdlab ``HMM(emission="gaussian", covariance="diag", max_iter=20, tol=0,
  reg_covar=0)`` with every ``*_init`` given;
- hmmlearn ``GaussianHMM(init_params="", params="stmc", n_iter=20, tol=-inf,
  covars_prior=0)`` (so its M-step is the plain maximum-likelihood one, like
  gdlab's with ``reg_covar=0``), with ``implementation="scaling"`` and ``"log"``;
- pomegranate ``DenseHMM`` with ``Normal(covariance_type="diag")`` states
  set to the same parameters, ``max_iter=20, tol=0`` (float32 torch, as
  pomegranate defaults; it also learns end probabilities, so its
  likelihood is not comparable to the others' and is printed for reference).

Each fit is timed (time.perf_counter, median of ``--repeats``) with one BLAS /
OpenMP thread for every library. The final log-likelihood per frame of each
fitted model is computed by hmmlearn's ``score`` (scaling implementation) on
the model's parameters, and gdlab's is compared with hmmlearn's (relative
difference). Then gdlab with 10 % of the frames missing (NaN rows) on the same
data, 20 iterations.

    python benchmarks/bench_hmm.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from gdlab.models.hmm import HMM

S, D, ITER = 6, 5, 20


def make_data(n_sequences, length, seed=0):
    """Sequences from a known 6-state diag-Gaussian HMM, and shared initial parameters."""
    rng = np.random.default_rng(seed)
    startprob = rng.dirichlet(np.ones(S))
    transmat = rng.dirichlet(np.ones(S) + 3 * S * np.eye(S)[0], size=S)
    transmat = np.stack([np.roll(row, k) for k, row in enumerate(transmat)])  # sticky rows
    means = rng.normal(0.0, 2.0, (S, D))
    variances = rng.uniform(0.3, 1.0, (S, D))
    states = np.empty((n_sequences, length), dtype=np.int64)
    states[:, 0] = rng.choice(S, size=n_sequences, p=startprob)
    cum = np.cumsum(transmat, axis=1)
    for t in range(1, length):
        u = rng.random(n_sequences)[:, None]
        states[:, t] = np.minimum((u > cum[states[:, t - 1]]).sum(axis=1), S - 1)
    X = means[states] + np.sqrt(variances[states]) * rng.standard_normal((n_sequences, length, D))
    X = X.reshape(-1, D)
    lengths = np.full(n_sequences, length)
    init = dict(
        startprob=np.full(S, 1.0 / S),
        transmat=np.full((S, S), 0.5 / (S - 1)) + (0.5 - 0.5 / (S - 1)) * np.eye(S),
        means=X[rng.choice(len(X), S, replace=False)],
        covars=np.tile(X.var(axis=0), (S, 1)),
    )
    return X, lengths, init


def fit_gdlab(X, lengths, init):
    return HMM(
        S, emission="gaussian", covariance="diag", startprob_init=init["startprob"],
        transmat_init=init["transmat"], means_init=init["means"], covars_init=init["covars"],
        max_iter=ITER, tol=0.0, reg_covar=0.0,
    ).fit(X, lengths)


def _hmmlearn_model(init, implementation):
    from hmmlearn.hmm import GaussianHMM

    model = GaussianHMM(
        S, covariance_type="diag", init_params="", params="stmc", n_iter=ITER, tol=-np.inf,
        covars_prior=0.0, implementation=implementation,
    )
    model.startprob_ = init["startprob"].copy()
    model.transmat_ = init["transmat"].copy()
    model.means_ = init["means"].copy()
    covars = np.asarray(init["covars"])
    if covars.ndim == 3:  # hmmlearn's covars_ getter gives full matrices even for "diag"
        covars = np.diagonal(covars, axis1=1, axis2=2)
    model.covars_ = covars.copy()
    return model


def fit_hmmlearn(X, lengths, init, implementation):
    return _hmmlearn_model(init, implementation).fit(X, lengths)


def fit_pomegranate(X, lengths, init):
    import torch
    from pomegranate.distributions import Normal
    from pomegranate.hmm import DenseHMM

    dists = [Normal(means=init["means"][k].astype(np.float32),
                    covs=init["covars"][k].astype(np.float32), covariance_type="diag")
             for k in range(S)]
    model = DenseHMM(dists, edges=init["transmat"].astype(np.float32),
                     starts=init["startprob"].astype(np.float32), max_iter=ITER, tol=0.0,
                     verbose=False)
    Xs = torch.tensor(X.reshape(len(lengths), lengths[0], D), dtype=torch.float32)
    return model.fit(Xs)


def per_frame_ll(startprob, transmat, means, covars, X, lengths):
    """Log-likelihood per frame by one function (hmmlearn's scaling score) for every model."""
    model = _hmmlearn_model(
        dict(startprob=startprob, transmat=transmat, means=means, covars=covars), "scaling")
    return model.score(X, lengths) / len(X)


def timed(fit, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=200)
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 sequences x 100 steps, 1 repeat")
    parser.add_argument("--no-pomegranate", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sequences, args.length, args.repeats = 20, 100, 1
    X, lengths, init = make_data(args.sequences, args.length)
    print(f"data: {args.sequences} sequences x {args.length} steps, {D}-dim diag Gaussian, "
          f"{S} states, {ITER} Baum-Welch iterations from the same start; "
          f"median of {args.repeats}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    results = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, g = timed(lambda: fit_gdlab(X, lengths, init), args.repeats)
        results["gdlab"] = (t, per_frame_ll(g.startprob_, g.transmat_, g.means_, g.covars_,
                                            X, lengths), g.n_iter_)
        for impl in ("scaling", "log"):
            t, h = timed(lambda impl=impl: fit_hmmlearn(X, lengths, init, impl), args.repeats)
            results[f"hmmlearn-{impl}"] = (
                t, per_frame_ll(h.startprob_, h.transmat_, h.means_, h.covars_, X, lengths),
                h.monitor_.iter)
        if not args.no_pomegranate and importlib.util.find_spec("pomegranate") is None:
            print("pomegranate is not installed (make bench installs it): its row is skipped")
        elif not args.no_pomegranate:
            import torch

            torch.set_num_threads(1)
            t, p = timed(lambda: fit_pomegranate(X, lengths, init), args.repeats)
            starts = np.exp(p.starts.detach().numpy().astype(np.float64))
            edges = np.exp(p.edges.detach().numpy().astype(np.float64))
            means = np.stack([d.means.detach().numpy() for d in p.distributions]).astype(float)
            covs = np.stack([d.covs.detach().numpy() for d in p.distributions]).astype(float)
            edges = edges / edges.sum(axis=1, keepdims=True)  # drop its end probabilities
            results["pomegranate-DenseHMM"] = (
                t, per_frame_ll(starts / starts.sum(), edges, means, covs, X, lengths), ITER)
    ref = results["hmmlearn-scaling"][1]
    others = [r[0] for name, r in results.items() if name != "gdlab"]
    print(f"{'library':<22}{'seconds':>10}{'iters':>7}{'ll/frame':>14}{'rel.diff vs hmmlearn':>22}")
    for name, (t, ll, iters) in results.items():
        print(f"{name:<22}{t:>10.3f}{iters:>7}{ll:>14.8f}{abs(ll - ref) / abs(ref):>22.2e}")
    speedup = min(others) / results["gdlab"][0]
    print(f"speed-up of gdlab over the fastest other library: {speedup:.2f}x")
    for name, (t, _, _) in results.items():
        if name != "gdlab":
            print(f"  vs {name}: {t / results['gdlab'][0]:.2f}x")

    rng = np.random.default_rng(1)
    X_missing = X.copy()
    X_missing[rng.random(len(X)) < 0.10] = np.nan
    with threadpool_limits(1):
        t_miss, g_miss = timed(lambda: fit_gdlab(X_missing, lengths, init), args.repeats)
    print(f"gdlab with 10 % of frames missing (NaN): {t_miss:.3f} s for {g_miss.n_iter_} "
          f"iterations ({t_miss / results['gdlab'][0]:.2f}x the complete-data time)")


if __name__ == "__main__":
    main()
