"""The semi_supervised study on digits: test error at few labels, with and without unlabelled rows.

Runs gdlab's own study (:class:`gdlab.studies.semi_supervised.SemiSupervised`,
the code behind ``gdlab study semi_supervised``) with chosen numbers of labels
per class, and prints one table: per model and number of labelled rows, the
mean test error over the splits with its 95 % t interval. Semi-supervised
models (``self-training-logreg``, ``label-spreading``, ``m2-vae``) are fit on
every training row, the unlabelled ones as ``y = -1``; every other model on the
labelled rows only. The row "<model>, labelled rows only" is the same
semi-supervised model refit on the labelled rows alone (for
``self-training-logreg`` that is standardized logistic regression, C=1: the
issue's "logistic regression on the labelled rows alone").

Protocol (the study's): per split seed, a stratified 1,347 / 450 train / test
split of ``load("digits")`` (test_size=0.25); ``k`` labelled training rows per
class, a prefix of one seeded order per class (nested over ``k``).

    .venv/bin/python benchmarks/study_semi_supervised.py \
        [--labels-per-class 2 5 10] [--splits 5] [--models ...] [--unscaled] [--n-jobs 1]
        [--csv rows.csv]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from gdlab.models.registry import ModelSpec, make, registered
from gdlab.studies._common import mean_interval
from gdlab.studies.registry import make_study
from gdlab.studies.runner import run

DEFAULT_MODELS = ["logreg", "self-training-logreg", "label-spreading", "m2-vae"]

#: The registry's label spreading without its standardization step (scikit-learn's
#: LabelSpreading(kernel="knn") on raw pixels, the issue's reference), registered in this
#: process only (so --n-jobs 1).
UNSCALED = ModelSpec("label-spreading-unscaled", "discriminative",
                     lambda: make("label-spreading", scale="passthrough"),
                     description="label-spreading without standardization")


def _cell(values) -> str:
    mean, lo, hi, n = mean_interval(values)
    if n == 0:
        return "failed"
    if n < 2:
        return f"{mean:.3f}"
    return f"{mean:.3f} [{max(lo, 0):.3f}, {hi:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--labels-per-class", nargs="+", type=int, default=[2, 5, 10])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--csv", default=None, help="write the study's tidy rows here")
    parser.add_argument("--unscaled", action="store_true",
                        help=f"add {UNSCALED.name} (needs --n-jobs 1)")
    args = parser.parse_args()

    study = make_study("semi_supervised", labels_per_class=tuple(args.labels_per_class),
                       n_splits=args.splits)
    models = [*args.models, *([UNSCALED.name] if args.unscaled else [])]
    if args.unscaled and args.n_jobs != 1:
        parser.error("--unscaled registers a model in this process only: use --n-jobs 1.")
    start = time.perf_counter()
    with warnings.catch_warnings(), registered(*([UNSCALED] if args.unscaled else [])):
        warnings.simplefilter("ignore")
        rows = run(study, models, args.dataset, n_jobs=args.n_jobs, progress=False)
    seconds = time.perf_counter() - start
    if args.csv:
        rows.to_csv(args.csv, index=False)

    counts = sorted(rows["setting_value"].unique())
    header = "| model | " + " | ".join(f"{n:.0f} labels" for n in counts) + " | fit s |"
    print(header)
    print("|---|" + "---:|" * (len(counts) + 1))
    for model in models:
        m = rows[rows["model"] == model]
        for metric, label in (("error", model),
                              ("error_labelled_only", f"{model}, labelled rows only")):
            part = m[m["metric"] == metric]
            if metric != "error" and part.empty:
                continue
            cells = [_cell(part.loc[part["setting_value"] == n, "value"]) for n in counts]
            fit = m.loc[m["metric"] == "error", "fit_seconds"].mean()
            fit_text = f"{fit:.2f}" if metric == "error" and np.isfinite(fit) else ""
            print(f"| {label} | " + " | ".join(cells) + f" | {fit_text} |")
    failed = rows[rows["metric"] == "failed"].drop_duplicates(["model", "setting_value"])
    for rec in failed.itertuples():
        print(f"failed: {rec.model} at {rec.setting_value:.0f} labels: {rec.error}")
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    print(f"{len(rows)} rows, {args.splits} splits, {seconds:.0f} s wall "
          f"(n_jobs={args.n_jobs}); load average {' '.join(load)}")


if __name__ == "__main__":
    main()
