"""How right is the advisor? Its regret against fixed choices and the cross-validated pick.

For each of 11 built-in tabular datasets (at least 400 rows) and several random
splits:

1. a fresh test part (25 %, stratified) is held out; from the rest, a small
   stratified sample of ``--small`` rows is "the user's data", nested in a
   larger sample of ``--target`` rows ("the data they will have");
2. the advisor sees only the small sample: gdlab's ``learning_curve`` study
   on it (5 inner splits, default sizes), then ``gdlab.advise_rows`` asked
   for ``accuracy`` at that size and at ``target_rows=--target``;
3. every model is then fitted on the small sample and on the large one and
   scored on the fresh test part: the truth.

Regret of a strategy = test error of its pick - test error of the best model,
at that size. Strategies: the advisor; always logistic regression (``logreg``,
cross-validated C); always random forest; always Gaussian naive Bayes; and
"the CV best at the current size" (the model with the lowest measured error
on the small sample, also used at the target size -- what a user does without
extrapolation). The goal: lower mean regret than every fixed choice, and than
the CV pick at the target size, where extrapolation matters.

    python benchmarks/advisor_regret.py [--splits 3] [--small 60] [--target 240] [--quick]

Prints one table of mean regret (percentage points) per strategy and size,
with the number of (dataset, split) cases, and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

DATASETS = ("biopsy", "boston-binary", "breast_cancer", "default", "gaussian-classes",
            "moons", "nb-misspecified", "pima", "rings", "spam7", "xor")
MODELS = ("gaussian-nb", "lda", "logreg", "logreg-unreg", "random-forest")
FIXED = {"always logreg": "logreg", "always random-forest": "random-forest",
         "always gaussian-nb": "gaussian-nb"}


def _subset(ds, idx, name):
    from gdlab.data import Dataset

    X = ds.X.iloc[idx].reset_index(drop=True) if isinstance(ds.X, pd.DataFrame) else ds.X[idx]
    return Dataset(name=name, X=X, y=np.asarray(ds.y)[idx], class_names=ds.class_names,
                   description=ds.description, source=ds.source,
                   feature_names=ds.feature_names, modality=ds.modality)


def _stratified(y, n, rng, within):
    """n indices of ``within`` (stratified by y, at least 2 per class)."""
    within = np.asarray(within)
    out = []
    classes, counts = np.unique(y[within], return_counts=True)
    share = np.maximum(np.round(n * counts / counts.sum()).astype(int), 2)
    for c, k in zip(classes, share, strict=True):
        pool = within[y[within] == c]
        out.append(rng.choice(pool, size=min(k, pool.size), replace=False))
    return np.concatenate(out)


def one_case(name, split, small, target, models):
    from gdlab.advice import advise_rows
    from gdlab.data import load
    from gdlab.metrics import error_rate
    from gdlab.models.registry import make
    from gdlab.studies.learning_curve import LearningCurve
    from gdlab.studies.prepare import numeric
    from gdlab.studies.runner import run

    ds = load(name)
    y = np.asarray(ds.y)
    rng = np.random.default_rng(1000 + split)
    order = rng.permutation(len(y))
    n_test = max(len(y) // 4, 100)
    test = _stratified(y, n_test, rng, order)
    rest = np.setdiff1d(order, test)
    big = _stratified(y, target, rng, rest)
    small_idx = _stratified(y, small, rng, big)  # nested: the small sample is in the big one
    X_all, _ = numeric(ds)

    user = _subset(ds, small_idx, f"{name}[{small}]")
    rows = run([LearningCurve(n_splits=5)], list(models), [user], seeds=range(5),
               progress=False)
    at_small = advise_rows(rows, goals="accuracy").answer("accuracy")
    at_target = advise_rows(rows, goals="accuracy", target_rows=target).answer("accuracy")
    measured = (rows[(rows["metric"] == "error")
                     & (rows["setting_value"] == rows["setting_value"].max())]
                .groupby("model")["value"].mean())
    cv_pick = measured.idxmin()

    truth = {}
    for size, idx in (("small", small_idx), ("target", big)):
        for m in models:
            try:
                est = make(m).fit(X_all[idx], y[idx])
                truth[(size, m)] = float(error_rate(y[test], est.predict(X_all[test])))
            except Exception:  # noqa: BLE001 - a model that cannot fit is simply not the best
                truth[(size, m)] = np.nan
    out = []
    for size, advisor in (("small", at_small.model), ("target", at_target.model)):
        errs = pd.Series({m: truth[(size, m)] for m in models})
        best = errs.min()
        picks = {"advisor": advisor, "CV best at current size": cv_pick, **FIXED}
        for strategy, pick in picks.items():
            out.append({"dataset": name, "split": split, "size": size, "strategy": strategy,
                        "pick": pick, "regret": 100 * (errs.get(pick, np.nan) - best)})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--small", type=int, default=60)
    ap.add_argument("--target", type=int, default=240)
    ap.add_argument("--quick", action="store_true", help="4 datasets, 1 split")
    args = ap.parse_args(argv)
    datasets = DATASETS[:4] if args.quick else DATASETS
    splits = 1 if args.quick else args.splits
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows = []
    for name in datasets:
        for s in range(splits):
            rows += one_case(name, s, args.small, args.target, MODELS)
            print(f"{name} split {s}: done ({time.perf_counter() - t0:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    table = (df.pivot_table(index="strategy", columns="size", values="regret", aggfunc="mean")
             .rename(columns={"small": f"regret at {args.small} rows",
                              "target": f"regret at {args.target} rows"}))
    order = ["advisor", "CV best at current size", *FIXED]
    table = table.loc[[s for s in order if s in table.index]]
    n = df.groupby(["dataset", "split"]).ngroups
    print(f"\nMean regret in percentage points of test error (pick minus best of "
          f"{len(MODELS)} models), {n} cases ({len(datasets)} datasets x {splits} splits); "
          f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{time.perf_counter() - t0:.0f} s")
    print(table.round(2).to_string())
    adv = df[df["strategy"] == "advisor"]
    print("\nadvisor picks at the target size:",
          adv[adv["size"] == "target"]["pick"].value_counts().to_dict())
    return df


if __name__ == "__main__":
    main()
