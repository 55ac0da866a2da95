"""Reproduce Bouchard & Triggs (2004): where between generative and discriminative is best?

Runs the ``blend`` study (:class:`gdlab.studies.blend.Blend`) of the given
blend models on the given datasets: for each training size m (nested
stratified subsets, repeated splits) and each lambda of the grid, the test
error of the model fitted by lambda log p(x, y) + (1 - lambda) log p(y | x).
Prints, per dataset and model, a table of mean test error by m and lambda with
the best lambda per size, the study's own sentences, the wall time and the
machine load.

The published pattern: an interior lambda is best at small m, and the optimum
moves towards the discriminative end (lambda = 0) as m grows.

Usage::

    nice -n 10 .venv/bin/python benchmarks/repro_blend.py \
        --datasets breast_cancer --models blend-shared-gaussian-nb blend-gaussian-nb \
        --splits 20 --sizes 10 20 40 80 160 320
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from gdlab.studies.blend import Blend, best_lambdas, parse_series
from gdlab.studies.runner import run


def _table(summary: pd.DataFrame, dataset: str, model: str) -> pd.DataFrame:
    err = summary[(summary["metric"] == "error") & (summary["dataset"] == dataset)]
    parsed = [parse_series(m) for m in err["model"]]
    err = err.assign(blend=[p[0] for p in parsed], lam=[p[1] for p in parsed])
    err = err[err["blend"] == model]
    table = err.pivot(index="setting_value", columns="lam", values="mean")
    table.index = table.index.astype(int)
    table.index.name = "m"
    table.columns = [f"l={c:g}" for c in table.columns]
    best = best_lambdas(summary)
    best = best[(best["dataset"] == dataset) & (best["model"] == model)].set_index("train_size")
    table["best lambda"] = best["best_lambda"].to_numpy()
    half = err.assign(h=(err["hi"] - err["lo"]) / 2).groupby("setting_value")["h"].median()
    table["+- (median 95 % half-width)"] = half.to_numpy()
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["breast_cancer"])
    parser.add_argument("--models", nargs="+", default=["blend-shared-gaussian-nb"])
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--sizes", nargs="+", type=int, default=None)
    parser.add_argument("--lambdas", nargs="+", type=float,
                        default=[0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--results", default=None,
                        help="Results directory (cells already there are not run again).")
    args = parser.parse_args(argv)

    study = Blend(lambdas=tuple(args.lambdas), sizes=args.sizes, n_splits=args.splits)
    print(f"load before: {open('/proc/loadavg').read().strip()}")
    start = time.perf_counter()
    rows = run([study], args.models, args.datasets, seeds=range(args.splits),
               n_jobs=args.n_jobs, progress=False, results=args.results)
    seconds = time.perf_counter() - start
    print(f"load after:  {open('/proc/loadavg').read().strip()}")
    print(f"{len(rows)} rows, {seconds:.0f} s wall, n_jobs={args.n_jobs}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    summary = study.summarize(rows)
    pd.set_option("display.width", 200)
    for dataset in args.datasets:
        for model in args.models:
            print(f"\n{dataset}, {model}: mean test error over {args.splits} splits")
            print(_table(summary, dataset, model).to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    for sentence in study.reading(rows):
        print("-", sentence)
    failed = rows[rows["metric"] == "failed"]
    if len(failed):
        print(f"\n{len(failed)} failed cells:", failed["error"].iloc[0])
    return 0 if np.isfinite(seconds) else 1


if __name__ == "__main__":
    raise SystemExit(main())
