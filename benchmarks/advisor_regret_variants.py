"""Extrapolation rules tried for the advisor, re-scored on advisor_regret.py's cached cases.

Reads the cache that ``advisor_regret.py --cache DIR`` writes (each case's
learning-curve rows on the small sample and every model's true test error at
the small and the target size) and prints the mean regret at the target size
of several ways of choosing a model from the fitted learning curves
(:mod:`gdlab.metrics.learning_curves`, its fits used directly), for exponents
fitted per model or pulled toward the pooled one (``pool``):

- ``cv``: the model measured best at the largest size, exact ties broken as
  the advisor does at the current size (:func:`gdlab.ranking.rank_candidates`:
  spread over the splits, fit time, name) -- ``advisor_regret.py``'s CV pick;
- ``tie``: the same, but models tied on the mean there are ordered first by
  their predicted change of error from that size to the target (the
  advisor's tie rule beyond the data);
- ``argmin``: the lowest predicted error at the target size;
- ``zK``: ``tie``'s pick, unless the model with the lowest prediction leads it
  by more than K bootstrap standard deviations of their paired predicted
  difference (``tie`` is K = infinity);
- ``nsig``: among the models whose measured error at the largest size is not
  significantly different from ``tie``'s pick (paired 95 % t interval over the
  splits, as the verdict's), the lowest measured error plus predicted change;
- ``half``: measured error at the largest size plus half the predicted change;
- ``shrink``: measured error at the largest size plus the predicted change
  times its reliability, c^2 / (c^2 + v), with v the change's variance over
  the bootstrap replicates;
- ``advisor``: what ``gdlab.advise_rows`` answers (its own fits, 200 replicates).

It then chooses the rule with one dataset held out at a time (the rule with
the lowest mean regret on the other datasets, both sizes together) and
reports that choice's regret on the held-out datasets; then the same choice
between the advisor and ``tie`` alone.

    python benchmarks/advisor_regret_variants.py --cache DIR [--boot 100] [--inner-splits 10]
        [--save regrets.csv]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

CONFIGS = ((60, 240), (150, 450))
POOLS = (0.0, 1.0, 4.0, np.inf)
ZS = (1.0, 1.5, 1.96)


def _cases(cache, small, target, inner=5):
    for f in sorted(Path(cache).glob(f"*-{small}-{target}-*.rows.parquet")):
        if ("-inner" in f.name) != (inner != 5) or (
                inner != 5 and not f.name.endswith(f"-inner{inner}.rows.parquet")):
            continue
        name, split = re.match(rf"(.+)-(\d+)-{small}-{target}-", f.name).groups()
        truth = pd.read_parquet(str(f).replace(".rows.parquet", ".truth.parquet"))
        yield name, int(split), pd.read_parquet(f), truth


def _picks(rows, target, pool, n_boot):
    from gdlab.metrics import learning_curves as lcv
    from gdlab.ranking import mean_fit_seconds, paired_difference, rank_candidates

    curves = lcv.curves_from_rows(rows)
    seeds, W = lcv._setup(curves, n_boot, 0.95, 0)
    fits = lcv._fits(curves, W, seeds, pool)
    models = sorted(fits)
    top = max(f[2] for f in fits.values())
    lc = rows[(rows["study"] == "learning_curve") & (rows["metric"] == "error")
              & (rows["setting_value"] == top) & rows["model"].isin(models)]
    per_seed = lc.pivot_table(index="model", columns="seed", values="value", aggfunc="mean")
    measured = per_seed.mean(axis=1).to_dict()
    costs = mean_fit_seconds(lc, "model")
    at_target = {m: lcv._law(fits[m][0], target)[:, 0] for m in models}
    at_top = {m: lcv._law(fits[m][0], top)[:, 0] for m in models}
    change = {m: float(at_target[m][0] - at_top[m][0]) for m in models}
    cv = rank_candidates(per_seed, costs=costs)[0]
    tie = rank_candidates(per_seed, prefer=change, costs=costs)[0]
    best = min(models, key=lambda m: (at_target[m][0], m))
    out = {"cv": cv, "tie": tie, "argmin": best}
    d = at_target[best] - at_target[tie]
    for z in ZS:
        out[f"z{z:g}"] = best if best != tie and d[0] < -z * d[1:].std() else tie
    close = [m for m in models if m == tie or not paired_difference(per_seed, tie, m, 1.0)[2]]
    out["nsig"] = min(close, key=lambda m: (measured[m] + change[m], m))
    half = {m: measured[m] + 0.5 * change[m] for m in models}
    out["half"] = min(models, key=lambda m: (half[m], m))
    # each model's predicted change shrunk by its own reliability: c^2 / (c^2 + var(c)) over
    # the bootstrap replicates (a noisy extrapolation counts for little)
    shrunk = {}
    for m in models:
        reps = at_target[m][1:] - at_top[m][1:]
        total = change[m] ** 2 + (reps.var() if reps.size > 1 else np.inf)
        w = change[m] ** 2 / total if total > 0 else 0.0  # no change predicted: w = 0
        shrunk[m] = measured[m] + w * change[m]
    out["shrink"] = min(models, key=lambda m: (shrunk[m], m))
    return out


def main(argv=None):
    from gdlab.advice import advise_rows

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--inner-splits", type=int, default=10,
                    help="the cases cached with this many inner splits")
    ap.add_argument("--save", default=None,
                    help="write every case's regret per rule to this CSV file")
    args = ap.parse_args(argv)
    res = []
    for small, target in CONFIGS:
        for name, split, rows, truth in _cases(args.cache, small, target, args.inner_splits):
            errs = truth[truth["size"] == "target"].set_index("model")["error"]
            pick = advise_rows(rows, goals="accuracy", target_rows=target).answer(
                "accuracy").model
            res.append({"target": target, "dataset": name, "split": split,
                        "rule": "advisor", "regret": 100 * (errs[pick] - errs.min())})
            for pool in POOLS:
                for rule, pick in _picks(rows, target, pool, args.boot).items():
                    res.append({"target": target, "dataset": name, "split": split,
                                "rule": f"pool={pool:g} {rule}",
                                "regret": 100 * (errs[pick] - errs.min())})
    df = pd.DataFrame(res)
    if df.empty:
        raise SystemExit(f"no cached cases in {args.cache}; run advisor_regret.py --cache")
    if args.save:
        df.to_csv(args.save, index=False)
    table = df.pivot_table(index="rule", columns="target", values="regret", aggfunc="mean")
    n = df.groupby("target").apply(lambda d: d.groupby(["dataset", "split"]).ngroups)
    print(f"Mean regret at the target size (percentage points); cases: {n.to_dict()}")
    print(table.round(2).to_string())
    wide = df.pivot_table(index=["target", "dataset", "split"], columns="rule", values="regret")
    held = _held_out(wide, list(wide.columns))
    print("\nRule chosen on the other datasets, scored on the held-out one:")
    print(held.groupby("dataset")["rule"].first().to_string())
    print(held.groupby("target")["regret"].mean().round(2).rename("held-out regret")
          .to_string())
    pair = ["advisor", "pool=0 tie"]
    held = _held_out(wide, pair)
    print(f"\nChosen between {' and '.join(pair)} on the other datasets: "
          f"{held.groupby('dataset')['rule'].first().value_counts().to_dict()}")
    print(held.groupby("target")["regret"].mean().round(2).rename("held-out regret")
          .to_string())


def _held_out(wide, rules):
    """Leave one dataset out: the rule of ``rules`` with the lowest mean regret on the other
    datasets (both target sizes together), scored on the held-out one."""
    held = []
    for d in wide.index.get_level_values("dataset").unique():
        inside = wide.index.get_level_values("dataset") == d
        rule = wide.loc[~inside, rules].mean().idxmin()
        part = wide[inside][rule].rename("regret").reset_index()
        held.append(part.assign(rule=rule))
    return pd.concat(held)


if __name__ == "__main__":
    main()
