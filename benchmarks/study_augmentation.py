"""The augmentation study on one dataset: does a classifier gain from generated rows?

Runs gdlab's own study (:class:`gdlab.studies.augmentation.Augmentation`, the
code behind ``gdlab study augmentation``) with chosen regimes, generators and
splits, and prints one table per regime: per classifier, the bare classifier's
error (balanced error in the imbalanced regime) and, per generator, the paired
gain over it at each ratio (error removed, percentage points, mean over the
splits with its 95 % t interval), then the study's reading and the minority
recall. Results go to a resumable store (``--results``), so a run that is cut
off goes on where it stopped.

    .venv/bin/python benchmarks/study_augmentation.py --dataset digits --train-sizes 50 \
        --no-imbalanced [--splits 3] [--models logreg random-forest mlp] \
        [--generators gaussian-nb gmm-classifier kde-classifier smote] [--results DIR]
    .venv/bin/python benchmarks/study_augmentation.py --dataset breast_cancer --train-sizes \
        --imbalance 0.1
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from gdlab.studies.augmentation import IMBALANCED, NONE, Augmentation, parse_setting
from gdlab.studies.runner import run


def _cell(mean, lo, hi, scale=100.0, signed=True) -> str:
    if not np.isfinite(mean):
        return "—"
    fmt = "{:+.1f}" if signed else "{:.1f}"
    if not signed:  # a rate: its interval stays in [0, 1]
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    text = fmt.format(scale * mean)
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" [{fmt.format(scale * lo)}, {fmt.format(scale * hi)}]"
    return text


def _tables(study: Augmentation, rows) -> None:
    summary = study.summarize(rows)
    parts = summary["setting"].map(parse_setting)
    summary = summary.assign(regime=parts.str[0], generator=parts.str[1])
    for regime, d in summary.groupby("regime", sort=False):
        metric = "balanced_error" if regime == IMBALANCED else "error"
        ratios = sorted(d.loc[d["generator"] != NONE, "setting_value"].unique())
        print(f"\n{regime}: {metric.replace('_', ' ')} of the bare classifier (%), and the "
              "gain per generator and ratio (points of error removed; 95 % interval)")
        head = ["classifier", "generator", *[f"ratio {r:g}" for r in ratios]]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for model, dm in d.groupby("model", sort=True):
            base = dm[(dm["generator"] == NONE) & (dm["metric"] == metric)]
            if len(base):
                b = base.iloc[0]
                print(f"| {model} | none (bare) | "
                      f"{_cell(b['mean'], b['lo'], b['hi'], signed=False)} |"
                      + " |" * (len(ratios) - 1))
            gains = dm[dm["metric"] == f"gain_{metric}"]
            for gen, dg in gains.groupby("generator", sort=True):
                by = dg.set_index("setting_value")
                cells = [_cell(*by.loc[r, ["mean", "lo", "hi"]]) if r in by.index else "—"
                         for r in ratios]
                print(f"| {model} | {gen} | " + " | ".join(cells) + " |")
        rec = d[d["metric"] == "minority_recall"]
        if len(rec):
            print("\nminority recall (%), mean over splits")
            for (model, gen), dr in rec.groupby(["model", "generator"], sort=True):
                vals = ", ".join(f"{r:g}: {100 * v:.0f}" for r, v in
                                 zip(dr["setting_value"], dr["mean"], strict=True))
                print(f"  {model} / {gen}: {vals}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--models", nargs="+", default=["logreg", "random-forest", "mlp"])
    parser.add_argument("--generators", nargs="+",
                        default=["gaussian-nb", "gmm-classifier", "kde-classifier", "smote"])
    parser.add_argument("--ratios", nargs="+", type=float, default=[0, 0.5, 1, 2, 4])
    parser.add_argument("--train-sizes", nargs="*", type=int, default=[50])
    parser.add_argument("--imbalance", type=float, default=0.1)
    parser.add_argument("--no-imbalanced", action="store_true",
                        help="leave the imbalanced regime out")
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--results", default=None, help="results store (resumable)")
    args = parser.parse_args()

    study = Augmentation(generators=tuple(args.generators), ratios=tuple(args.ratios),
                         train_sizes=tuple(args.train_sizes),
                         imbalance=None if args.no_imbalanced else args.imbalance,
                         n_splits=args.splits)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = run(study, args.models, [args.dataset], results=args.results, n_jobs=args.n_jobs,
                   progress=True)
    seconds = time.perf_counter() - start
    failed = rows[rows["metric"] == "failed"]
    print(f"{args.dataset}: {rows.attrs.get('cells')} cells ({rows.attrs.get('resumed')} "
          f"resumed), {len(failed)} failed, {seconds:.0f} s")
    for reason in failed["error"].unique():
        print("  failed:", reason)
    _tables(study, rows)
    print()
    for sentence in study.reading(rows):
        print("-", sentence)


if __name__ == "__main__":
    main()
