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

Each fit is timed (wall clock, time.perf_counter, and the process's CPU time,
median of ``--repeats`` after one untimed warm-up fit each; the libraries take
turns within each repeat, so that a change in the machine's load hits all of
them) with ``--threads`` BLAS / OpenMP / torch threads for every library
(default: ``OMP_NUM_THREADS``, else 1). The final log-likelihood per frame of each
fitted model is computed by hmmlearn's ``score`` (scaling implementation) on
the model's parameters, and gdlab's is compared with hmmlearn's (relative
difference). Then gdlab with 10 % of the frames missing (NaN rows) on the same
data, 20 iterations.

    OMP_NUM_THREADS=2 python benchmarks/bench_hmm.py [--quick] [--repeats 3] [--threads 2]
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


def timed(fits, repeats):
    """{name: (median wall seconds, median CPU seconds, last fitted model)}, taking turns."""
    runs = {name: [] for name in fits}
    models = {name: fit() for name, fit in fits.items()}  # warm-up (imports, first calls)
    for _ in range(repeats):
        for name, fit in fits.items():
            wall, cpu = time.perf_counter(), time.process_time()
            models[name] = fit()
            runs[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: (statistics.median(w for w, _ in runs[name]),
                   statistics.median(c for _, c in runs[name]), models[name]) for name in fits}

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=200)
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 sequences x 100 steps, 1 repeat")
    parser.add_argument("--no-pomegranate", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP/torch threads (default: OMP_NUM_THREADS, else 1)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sequences, args.length, args.repeats = 20, 100, 1
    threads = args.threads or int(os.environ.get("OMP_NUM_THREADS") or 1)
    X, lengths, init = make_data(args.sequences, args.length)
    print(f"data: {args.sequences} sequences x {args.length} steps, {D}-dim diag Gaussian, "
          f"{S} states, {ITER} Baum-Welch iterations from the same start; "
          f"median of {args.repeats}; {threads} BLAS/OpenMP/torch thread(s) "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}); load "
          f"{os.getloadavg()[0]:.1f}")
    fits = {
        "gdlab": lambda: fit_gdlab(X, lengths, init),
        "hmmlearn-scaling": lambda: fit_hmmlearn(X, lengths, init, "scaling"),
        "hmmlearn-log": lambda: fit_hmmlearn(X, lengths, init, "log"),
    }
    if not args.no_pomegranate and importlib.util.find_spec("pomegranate") is None:
        print("pomegranate is not installed (make bench installs it): its row is skipped")
    elif not args.no_pomegranate:
        import torch

        torch.set_num_threads(threads)
        fits["pomegranate-DenseHMM"] = lambda: fit_pomegranate(X, lengths, init)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timings = timed(fits, args.repeats)
    results = {}
    for name, (wall, cpu, model) in timings.items():
        if name == "gdlab" or name.startswith("hmmlearn"):
            covars = model.covars_
            iters = model.n_iter_ if name == "gdlab" else model.monitor_.iter
            ll = per_frame_ll(model.startprob_, model.transmat_, model.means_, covars, X,
                              lengths)
        else:
            starts = np.exp(model.starts.detach().numpy().astype(np.float64))
            edges = np.exp(model.edges.detach().numpy().astype(np.float64))
            means = np.stack([d.means.detach().numpy() for d in model.distributions]).astype(float)
            covs = np.stack([d.covs.detach().numpy() for d in model.distributions]).astype(float)
            edges = edges / edges.sum(axis=1, keepdims=True)  # drop its end probabilities
            ll = per_frame_ll(starts / starts.sum(), edges, means, covs, X, lengths)
            iters = ITER
        results[name] = (wall, cpu, ll, iters)
    ref = results["hmmlearn-scaling"][2]
    print(f"{'library':<22}{'seconds':>9}{'CPU s':>8}{'iters':>7}{'ll/frame':>14}"
          f"{'rel.diff vs hmmlearn':>22}")
    for name, (wall, cpu, ll, iters) in results.items():
        print(f"{name:<22}{wall:>9.3f}{cpu:>8.3f}{iters:>7}{ll:>14.8f}"
              f"{abs(ll - ref) / abs(ref):>22.2e}")
    others = {name: r for name, r in results.items() if name != "gdlab"}
    fastest = min(others, key=lambda name: others[name][0])
    print(f"speed-up of gdlab over the fastest other library ({fastest}): "
          f"{others[fastest][0] / results['gdlab'][0]:.2f}x (CPU time: "
          f"{others[fastest][1] / results['gdlab'][1]:.2f}x)")
    for name, (wall, cpu, _, _) in others.items():
        print(f"  vs {name}: {wall / results['gdlab'][0]:.2f}x (CPU time: "
              f"{cpu / results['gdlab'][1]:.2f}x)")

    rng = np.random.default_rng(1)
    X_missing = X.copy()
    X_missing[rng.random(len(X)) < 0.10] = np.nan
    with threadpool_limits(threads):
        t_miss, _, g_miss = timed({"gdlab": lambda: fit_gdlab(X_missing, lengths, init)},
                                  args.repeats)["gdlab"]
    print(f"gdlab with 10 % of frames missing (NaN): {t_miss:.3f} s for {g_miss.n_iter_} "
          f"iterations ({t_miss / results['gdlab'][0]:.2f}x the complete-data time)")
    print(f"load after: {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
