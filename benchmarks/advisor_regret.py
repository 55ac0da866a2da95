"""How right is the advisor? Its regret against fixed choices and the cross-validated pick.

For each of 11 built-in tabular datasets (at least 400 rows) and several random
splits:

1. a fresh test part (25 %, stratified) is held out; from the rest, a small
   stratified sample of ``--small`` rows is "the user's data", nested in a
   larger sample of ``--target`` rows ("the data they will have");
2. the advisor sees only the small sample: gdlab's ``learning_curve`` study
   on it (``--inner-splits``, default 10 as in compare's quick default;
   default sizes), then ``gdlab.advise_rows`` asked
   for ``accuracy`` at that size and at ``target_rows=--target``;
3. every model is then fitted on the small sample and on the large one and
   scored on the fresh test part: the truth.

Regret of a strategy = test error of its pick - test error of the best model,
at that size. Strategies: the advisor; always logistic regression (``logreg``,
cross-validated C); always random forest; always Gaussian naive Bayes; and
"the CV best at the current size" (the model with the lowest measured error
on the small sample, also used at the target size -- what a user does without
extrapolation; it is the advisor's own answer at the current size, so models
tied on the mean are ordered by the same rule, :func:`gdlab.ranking.rank_candidates`).
The goal: lower mean regret than every fixed choice, and than the CV pick at
the target size, where extrapolation matters.

    python benchmarks/advisor_regret.py [--splits 10] [--small 60] [--target 240] [--quick]
        [--datasets pima,xor] [--cache /tmp/advisor-cache [--cached-only]] [--save picks.csv]

With ``--cache DIR`` each case's learning-curve rows and true test errors are
stored in ``DIR`` (one parquet per dataset, split and sizes) and read back on a
later run, so a change to the advisor is re-scored without refitting a model
(the advisor itself always runs on the rows); ``--cached-only`` scores only the
cases already cached.

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


def measure(name, split, small, target, models, inner=5):
    """The case's learning-curve rows on the small sample and every model's true test error.

    Returns ``(rows, truth)``: the ``learning_curve`` study's tidy rows, and a
    frame with columns ``size`` ("small" or "target"), ``model``, ``error``.
    """
    from gdlab.capability_tags import capabilities
    from gdlab.data import load
    from gdlab.metrics import error_rate
    from gdlab.models.registry import make
    from gdlab.studies._common import with_imputation
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
    rows = run([LearningCurve(n_splits=inner)], list(models), [user], seeds=range(inner),
               progress=False)
    truth = []
    for size, idx in (("small", small_idx), ("target", big)):
        for m in models:
            est = make(m)
            # as the learning_curve study does: mean imputation for a model that cannot
            # take NaN (biopsy has missing entries)
            if np.isnan(X_all[idx]).any() or np.isnan(X_all[test]).any():
                if "missing_features" not in capabilities(est):
                    est = with_imputation(est, "mean")
            try:
                est = est.fit(X_all[idx], y[idx])
                err = float(error_rate(y[test], est.predict(X_all[test])))
            except Exception:  # noqa: BLE001 - a model that cannot fit is simply not the best
                err = np.nan
            truth.append({"size": size, "model": m, "error": err})
    return rows, pd.DataFrame(truth)


def _cache_files(cache, name, split, small, target, models, inner=5):
    from pathlib import Path

    stem = f"{name}-{split}-{small}-{target}-{'+'.join(models)}" + (
        "" if inner == 5 else f"-inner{inner}")
    return Path(cache) / f"{stem}.rows.parquet", Path(cache) / f"{stem}.truth.parquet"


def cached_measure(name, split, small, target, models, cache=None, inner=5):
    """:func:`measure`, read from / written to ``cache`` (a folder) when given."""
    if cache is None:
        return measure(name, split, small, target, models, inner)
    rows_file, truth_file = _cache_files(cache, name, split, small, target, models, inner)
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    if rows_file.is_file() and truth_file.is_file():
        return pd.read_parquet(rows_file), pd.read_parquet(truth_file)
    rows, truth = measure(name, split, small, target, models, inner)
    rows.to_parquet(rows_file)
    truth.to_parquet(truth_file)
    return rows, truth


def one_case(name, split, small, target, models, cache=None, inner=5):
    """The regret of every strategy on one (dataset, split): a list of dicts."""
    from gdlab.advice import advise_rows

    rows, truth_df = cached_measure(name, split, small, target, models, cache, inner)
    at_small = advise_rows(rows, goals="accuracy").answer("accuracy")
    at_target = advise_rows(rows, goals="accuracy", target_rows=target).answer("accuracy")
    # The CV pick is the advisor's answer at the current size: the lowest mean error at the
    # largest size measured, exact ties broken by gdlab.ranking.rank_candidates (the
    # steadier model over the splits, then the cheaper one, then the name) -- one
    # implementation, so the pick no longer depends on the order means are summed in.
    cv_pick = at_small.model
    truth = {(r.size, r.model): r.error for r in truth_df.itertuples(index=False)}
    out = []
    for size, advisor in (("small", at_small.model), ("target", at_target.model)):
        errs = pd.Series({m: truth[(size, m)] for m in models})
        best = errs.min()
        picks = {"advisor": advisor, "CV best at current size": cv_pick, **FIXED}
        for strategy, pick in picks.items():
            out.append({"dataset": name, "split": split, "size": size, "strategy": strategy,
                        "pick": pick, "regret": 100 * (errs.get(pick, np.nan) - best)})
    return out


def paired_gaps(df, n_boot=2000, seed=0):
    """The advisor's regret minus each other strategy's, per size: mean and 95 % interval.

    The interval is a percentile bootstrap over datasets (each replicate draws
    datasets with replacement and keeps all of their splits), because splits of
    one dataset share its difficulty. Returns a frame indexed by strategy, one
    ``"mean [lo, hi]"`` column per size.
    """
    rng = np.random.default_rng(seed)
    wide = df.pivot_table(index=["dataset", "split"], columns=["size", "strategy"],
                          values="regret")
    names = wide.index.get_level_values("dataset").unique()
    draws = rng.integers(0, len(names), size=(n_boot, len(names)))
    out = {}
    for size in wide.columns.get_level_values("size").unique():
        block = wide[size]
        for strategy in block.columns:
            if strategy == "advisor":
                continue
            gap = (block["advisor"] - block[strategy]).dropna()
            per = gap.groupby(level="dataset").agg(["sum", "count"]).reindex(names).fillna(0)
            s, c = per["sum"].to_numpy(), per["count"].to_numpy()
            boot = s[draws].sum(axis=1) / np.maximum(c[draws].sum(axis=1), 1)
            lo, hi = np.percentile(boot, [2.5, 97.5])
            out.setdefault(strategy, {})[size] = f"{gap.mean():+.2f} [{lo:+.2f}, {hi:+.2f}]"
    return pd.DataFrame(out).T


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--small", type=int, default=60)
    ap.add_argument("--target", type=int, default=240)
    ap.add_argument("--quick", action="store_true", help="4 datasets, 1 split")
    ap.add_argument("--inner-splits", type=int, default=10,
                    help="splits of the learning_curve study on the small sample (10: "
                         "compare's quick default)")
    ap.add_argument("--datasets", default=None,
                    help="comma-separated subset of the datasets (default: all 11)")
    ap.add_argument("--cache", default=None,
                    help="folder caching each case's learning-curve rows and true errors")
    ap.add_argument("--cached-only", action="store_true",
                    help="score only the cases already in --cache (no fitting)")
    ap.add_argument("--save", default=None, help="write every case's picks and regrets to "
                    "this CSV file")
    args = ap.parse_args(argv)
    if args.cached_only and not args.cache:
        ap.error("--cached-only needs --cache DIR")
    datasets = DATASETS[:4] if args.quick else DATASETS
    if args.datasets:
        datasets = tuple(args.datasets.split(","))
        unknown = sorted(set(datasets) - set(DATASETS))
        if unknown:
            ap.error(f"unknown datasets {unknown}; known: {', '.join(DATASETS)}")
    splits = 1 if args.quick else args.splits
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows = []
    for name in datasets:
        for s in range(splits):
            if args.cached_only and not all(
                    f.is_file() for f in _cache_files(args.cache, name, s, args.small,
                                                      args.target, MODELS, args.inner_splits)):
                continue
            rows += one_case(name, s, args.small, args.target, MODELS, args.cache,
                             args.inner_splits)
            print(f"{name} split {s}: done ({time.perf_counter() - t0:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    if args.save:
        df.to_csv(args.save, index=False)
    table = (df.pivot_table(index="strategy", columns="size", values="regret", aggfunc="mean")
             .rename(columns={"small": f"regret at {args.small} rows",
                              "target": f"regret at {args.target} rows"}))
    order = ["advisor", "CV best at current size", *FIXED]
    table = table.loc[[s for s in order if s in table.index]]
    n = df.groupby(["dataset", "split"]).ngroups
    print(f"\nMean regret in percentage points of test error (pick minus best of "
          f"{len(MODELS)} models), {n} cases ({df['dataset'].nunique()} datasets, up to "
          f"{splits} splits each); "
          f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{time.perf_counter() - t0:.0f} s")
    print(table.round(2).to_string())
    gaps = paired_gaps(df).rename(columns={"small": f"at {args.small} rows",
                                           "target": f"at {args.target} rows"})
    print("\nAdvisor's regret minus each strategy's (negative: the advisor is better), mean "
          "over the cases with a 95 % bootstrap interval that resamples whole datasets "
          "(2,000 replicates; a dataset's splits are not independent cases):")
    print(gaps.to_string())
    adv = df[df["strategy"] == "advisor"]
    print("\nadvisor picks at the target size:",
          adv[adv["size"] == "target"]["pick"].value_counts().to_dict())
    return df


if __name__ == "__main__":
    main()
