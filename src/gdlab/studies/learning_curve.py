"""Learning curves: test error against training size m (Ng & Jordan 2001).

For each seed the dataset gets one stratified train/test split; the training
part is subsampled into nested stratified subsets of sizes m1 < m2 < ...
(:func:`gdlab.data.splits.nested_subsamples`: the subset of size m is a
prefix of one seeded order, so it contains every smaller one). One cell per
(model, m, seed) fits a fresh model on the subset and scores it on the whole
test part.

Tidy encoding: ``setting = "train_size"``, ``setting_value = m``; metrics
``"error"`` (1 - accuracy) and ``"log_loss"`` (probabilities clipped at
1e-15). A model without ``missing_features`` on data that has NaN gets mean
imputation (fit on its training subset) in front; a model that cannot fit a
tiny subset raises and the runner records an error row.

:func:`crossover` finds the m where a generative and a discriminative mean
error curve cross (linear interpolation in log m).

Examples
--------
>>> import numpy as np
>>> study = LearningCurve(sizes=[10, 40])
>>> from gdlab.data import load
>>> cells = study.cells(load("iris"), ["gaussian-nb"], seeds=[0])
>>> [(c.setting, c.setting_value) for c in cells]
[('train_size', 10.0), ('train_size', 40.0)]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gdlab.capability_tags import DATA_KINDS, capabilities
from gdlab.data.splits import nested_subsamples
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.prepare import inputs

__all__ = ["LearningCurve", "Crossover", "crossover", "default_sizes"]

SETTING = "train_size"


#: Consecutive default training sizes are at least this factor apart: closer sizes
#: differ by less than the noise of one split, so a small table gets fewer sizes.
MIN_SIZE_RATIO = 1.5


def default_sizes(n_train: int, n_classes: int, n_sizes: int = 8,
                  min_ratio: float = MIN_SIZE_RATIO) -> list[int]:
    """A geometric grid from 5 rows per class up to ``n_train``.

    Five per class is the smallest size at which the registry's cross-validated
    models (``logreg``: 5-fold CV) can be fit at all; below it they could only
    be recorded as failed cells. Pass ``sizes=`` for smaller training sets.
    The grid scales with the data: it has ``n_sizes`` sizes, or fewer when the
    range is short, so that each size is at least ``min_ratio`` times the one
    before (90 training rows of 2 classes: 6 sizes from 10; 30 rows: 3), and
    never fewer than two when ``n_train`` exceeds the first size.

    Parameters
    ----------
    n_train : int
        Rows in the training part.
    n_classes : int
    n_sizes : int, default=8
        At most this many sizes (fewer when rounding merges some).
    min_ratio : float, default=:data:`MIN_SIZE_RATIO`
        Smallest factor between consecutive sizes (> 1).

    Returns
    -------
    list of int, strictly increasing, ending at ``n_train``.

    Examples
    --------
    >>> default_sizes(426, 2, 7)
    [10, 19, 35, 65, 122, 228, 426]
    >>> default_sizes(90, 2, 7)
    [10, 16, 24, 37, 58, 90]
    >>> default_sizes(30, 2, 7)
    [10, 17, 30]
    """
    if n_train < n_classes:
        raise ValueError(
            f"a training part of {n_train} rows cannot hold all {n_classes} classes."
        )
    if not min_ratio > 1:
        raise ValueError(f"min_ratio must be > 1, got {min_ratio!r}.")
    first = min(5 * n_classes, n_train)
    fits = 1 + int(np.floor(np.log(n_train / first) / np.log(min_ratio) + 1e-9))
    count = max(min(n_sizes, fits), 2 if n_train > first else 1)  # ends at n_train
    grid = np.unique(np.round(np.geomspace(first, n_train, count)).astype(int))
    return [int(m) for m in grid]


class LearningCurve(Study):
    """Error vs training size on nested stratified subsamples, over repeated splits.

    Parameters
    ----------
    sizes : sequence of int or float, default=None
        Training sizes; a float in (0, 1] is a fraction of the training part.
        Default: :func:`default_sizes` (``n_sizes`` geometric steps from 5
        rows per class to the whole training part).
    n_sizes : int, default=8
        Number of default sizes.
    test_size : float in (0, 1) or int, default=0.25
        Held-out part of each split.
    n_splits : int, default=20
        Number of repeated splits (seeds ``0 .. n_splits - 1``) when
        :meth:`cells` is given no seeds.
    """

    name = "learning_curve"
    headlines = (
        Headline("error", "error", "error", at="largest", at_name="train_size",
                 at_format="{:.0f}",
                 legend="error, log-loss: on the test part after training on {at} rows"),
        Headline("log_loss", "log_loss", "log-loss", at="largest", at_format="{:.0f}",
                 legend="error, log-loss: on the test part after training on {at} rows"),
    )
    requires = frozenset({"classify"})
    modalities = frozenset(DATA_KINDS)

    def __init__(self, *, sizes=None, n_sizes: int = 8, test_size=0.25, n_splits: int = 20):
        self.sizes = sizes
        self.n_sizes = n_sizes
        self.test_size = test_size
        self.n_splits = n_splits

    # ------------------------------------------------------------------ grid

    def train_sizes(self, dataset) -> list[int]:
        """The training sizes of this study on ``dataset``."""
        y = np.asarray(dataset.y)
        n_train = _common.n_train(len(y), self.test_size)
        if self.sizes is None:
            return default_sizes(n_train, len(np.unique(y)), self.n_sizes)
        sizes = []
        for s in self.sizes:
            if isinstance(s, numbers.Integral) and not isinstance(s, bool):
                sizes.append(int(s))
            elif isinstance(s, numbers.Real) and 0 < s <= 1:
                sizes.append(max(1, round(s * n_train)))
            else:
                raise ValueError(f"each size must be an int or a fraction in (0, 1], got {s!r}.")
        if any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)) or sizes[0] < 1:
            raise ValueError(f"sizes must be positive and strictly increasing, got {sizes}.")
        if sizes[-1] > n_train:
            raise ValueError(
                f"size {sizes[-1]} exceeds the {n_train} training rows of {dataset.name!r} "
                f"(test_size={self.test_size!r})."
            )
        return sizes

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, training size, seed)."""
        seeds = range(self.n_splits) if seeds is None else seeds
        sizes = self.train_sizes(dataset)
        return [
            Cell(self.name, dataset.name, model, SETTING, float(m), int(seed))
            for model in models for m in sizes for seed in seeds
        ]

    def split(self, dataset, seed: int, size: int):
        """Row indices ``(train_subset, test)`` of one cell; deterministic by seed."""
        y = np.asarray(dataset.y)
        split_seed, sub_seed = _common.derived_seeds(seed, 2)
        train, test = _common.split_rows(y, split_seed, self.test_size)
        # a prefix of one seeded order, so the subsets of one seed are nested
        subset = nested_subsamples(y[train], [int(size)], random_state=sub_seed)[0]
        return train[subset], test

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit on the cell's training subset, score on the test part."""
        X, y = inputs(dataset)
        train, test = self.split(dataset, cell.seed, int(cell.setting_value))
        model = make_model()
        if X.dtype != object and (np.isnan(X[train]).any() or np.isnan(X[test]).any()):
            if "missing_features" not in capabilities(model):
                model = _common.with_imputation(model, "mean")
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train])
            scores = _common.evaluate(model, X[test], y[test], np.unique(y))
        family = _common.family_of(cell.model)
        return [make_row(cell, family, metric, value, seconds) for metric, value in scores.items()]

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds per dataset, model, size and metric.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS`
        (``setting_value`` is the training size).
        """
        return _common.summarize_rows(rows, self.name)

    def figures(self, rows: pd.DataFrame) -> list:
        """One interactive figure per dataset: mean error vs m (log x), 95 % bands,
        crossover markers; at most six models per panel (more split by family)."""
        from gdlab.studies.plots import curves_figure

        summary = self.summarize(rows)
        err = summary[summary["metric"] == "error"]
        figs = []
        for dataset, d in err.groupby("dataset", sort=True):
            marks = [{"x": m, "y": _interp(d, gen, m), "panel": gen,
                      "text": f"{gen} and {disc} cross near {_rows(m)} training rows"}
                     for gen, disc in _pairs(d) for m in crossover(d, gen, disc).crossings]
            figs.append(curves_figure(
                d, title=f"Learning curves: {dataset}", x_title="training rows m",
                y_title="test error", log_x=True, y_range=(0.0, 1.0), percent=True,
                markers=pd.DataFrame(marks) if marks else None))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain sentences: who is ahead where, crossovers, failures."""
        summary = self.summarize(rows)
        err = summary[summary["metric"] == "error"]
        out = []
        for dataset, d in err.groupby("dataset", sort=True):
            sizes = np.sort(d["setting_value"].unique())
            prefix = f"On {dataset}: " if err["dataset"].nunique() > 1 else ""
            # the whole training part first: the size the user has
            for m in (sizes[-1], sizes[0]) if len(sizes) > 1 else (sizes[0],):
                at = d[d["setting_value"] == m].sort_values("mean")
                best = at.iloc[0]
                out.append(f"{prefix}At {_rows(m)} training rows the lowest test error is "
                           f"{best['model']}'s ({_common.percent(best['mean'])}).")
            for gen, disc in _pairs(d):
                out.append(prefix + describe_crossover(crossover(d, gen, disc)))
        out += _common.failure_sentences(
            rows, self.name, lambda sizes: f"training sizes {', '.join(map(_rows, sizes))}")
        return out


# ---------------------------------------------------------------------- crossover


@dataclass(frozen=True)
class Crossover:
    """Where two mean error curves cross.

    Attributes
    ----------
    generative, discriminative : str
        The two models compared.
    m : float or None
        The first training size where the curves cross (linear interpolation
        of the error difference in log m); None when they do not cross.
    crossings : tuple of float
        Every crossing, in increasing m.
    before, after : str or None
        The model with the lower mean error below the first crossing and
        above the last one (with no crossing both name the model ahead
        everywhere; None if the curves are equal everywhere).
    sizes : tuple of float
        The training sizes both curves have.
    separated_before, separated_after : bool
        Whether at some size in that range the two 95 % intervals do not
        overlap (otherwise the lead is within the noise).
    """

    generative: str
    discriminative: str
    m: float | None
    crossings: tuple[float, ...]
    before: str | None
    after: str | None
    sizes: tuple[float, ...]
    separated_before: bool
    separated_after: bool


def _curve(summary: pd.DataFrame, model: str) -> pd.DataFrame:
    c = summary[(summary["model"] == model) & (summary["metric"] == "error")]
    if c.empty:
        raise ValueError(f"the summary has no error curve of {model!r}.")
    if c["dataset"].nunique() > 1:
        raise ValueError("the summary holds several datasets; pass one dataset's rows.")
    return c.set_index("setting_value").sort_index()


def crossover(summary: pd.DataFrame, generative: str, discriminative: str) -> Crossover:
    """The training size where the generative model's mean error curve crosses the other's.

    Parameters
    ----------
    summary : DataFrame
        :meth:`LearningCurve.summarize` output for one dataset (columns
        ``model, metric, setting_value, mean, lo, hi``; rows with
        ``metric == "error"`` are used).
    generative, discriminative : str
        Model names.

    Returns
    -------
    Crossover
        Curves that only touch (difference 0 without changing sign) do not
        cross; a difference of exactly 0 between a lead and the opposite lead
        puts the crossing at that size.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"dataset": "d", "metric": "error",
    ...     "model": ["nb"] * 3 + ["lr"] * 3, "setting_value": [10, 100, 1000] * 2,
    ...     "mean": [0.2, 0.15, 0.14, 0.3, 0.15, 0.1], "lo": float("nan"), "hi": float("nan")})
    >>> cr = crossover(s, "nb", "lr")
    >>> cr.m, cr.before, cr.after
    (100.0, 'nb', 'lr')
    """
    g, d = _curve(summary, generative), _curve(summary, discriminative)
    common = g.index.intersection(d.index)
    common = common[np.isfinite(g.loc[common, "mean"]) & np.isfinite(d.loc[common, "mean"])]
    m = np.asarray(common, dtype=np.float64)
    diff = (g.loc[common, "mean"] - d.loc[common, "mean"]).to_numpy()
    sep = ((g.loc[common, "hi"] < d.loc[common, "lo"])
           | (d.loc[common, "hi"] < g.loc[common, "lo"])).to_numpy()

    def leader(x):
        return generative if x < 0 else discriminative if x > 0 else None

    crossings, first_i, last_i = [], None, None
    nonzero = np.flatnonzero(diff != 0)
    for a, b in zip(nonzero, nonzero[1:], strict=False):
        if np.sign(diff[a]) != np.sign(diff[b]):
            nxt = a + 1  # interpolate between the lead and the next size (0 if touching)
            if diff[nxt] == 0:
                crossings.append(float(m[nxt]))
            else:
                t = diff[a] / (diff[a] - diff[nxt])
                crossings.append(float(np.exp((1 - t) * np.log(m[a]) + t * np.log(m[nxt]))))
            first_i = a if first_i is None else first_i
            last_i = b
    if crossings:
        before, after = leader(diff[nonzero[0]]), leader(diff[nonzero[-1]])
        sep_before, sep_after = bool(sep[: first_i + 1].any()), bool(sep[last_i:].any())
    else:
        lead = leader(diff[nonzero[0]]) if len(nonzero) else None
        before = after = lead
        sep_before = sep_after = bool(sep.any())
    return Crossover(generative, discriminative, crossings[0] if crossings else None,
                     tuple(crossings), before, after, tuple(float(v) for v in m),
                     sep_before, sep_after)


def describe_crossover(cr: Crossover) -> str:
    """One plain sentence about a :class:`Crossover`.

    Examples
    --------
    >>> cr = Crossover("gaussian-nb", "logreg", 60.0, (60.0,), "gaussian-nb", "logreg",
    ...                (10.0, 100.0, 400.0), True, True)
    >>> describe_crossover(cr)
    'gaussian-nb is ahead below 60 training rows; logreg is ahead above.'
    """
    pair = f"{cr.generative} and {cr.discriminative}"
    if not cr.sizes:
        return f"{pair} have no training size in common."
    lo, hi = _rows(cr.sizes[0]), _rows(cr.sizes[-1])
    noise = " (the difference is within the 95 % intervals)"
    if cr.m is None:
        if cr.before is None:
            return f"{pair} have the same mean error at every training size from {lo} to {hi}."
        other = cr.discriminative if cr.before == cr.generative else cr.generative
        return (f"{cr.before} is ahead of {other} at every training size from {lo} to {hi}"
                f"{'' if cr.separated_before else noise}.")
    if len(cr.crossings) == 1:
        text = (f"{cr.before} is ahead below {_rows(cr.m)} training rows"
                f"{'' if cr.separated_before else noise}; {cr.after} is ahead above"
                f"{'' if cr.separated_after else noise}.")
    else:
        points = list(dict.fromkeys(_rows(m) for m in cr.crossings))  # no repeats once rounded
        where = (f"near {points[0]}" if len(points) == 1
                 else f"between {points[0]} and {points[-1]}")
        head = f"The curves of {pair} cross {len(cr.crossings)} times ({where} training rows)"
        if cr.before == cr.after:
            text = (f"{head}; {cr.before} is ahead at both ends"
                    f"{'' if cr.separated_before or cr.separated_after else noise}.")
        else:
            text = (f"{head}; {cr.before} is ahead below {points[0]}"
                    f"{'' if cr.separated_before else noise}, {cr.after} above {points[-1]}"
                    f"{'' if cr.separated_after else noise}.")
    return text


def _rows(m: float) -> str:
    return f"{m:.0f}" if m >= 10 or float(m).is_integer() else f"{m:.1f}"


#: Ng & Jordan's generative/discriminative pairs, compared whenever both are present.
CLASSIC_PAIRS = (
    ("gaussian-nb", "logreg-unreg"), ("gaussian-nb", "logreg"), ("lda", "logreg-unreg"),
)


def _pairs(summary: pd.DataFrame) -> list[tuple[str, str]]:
    """The generative/discriminative pairs the figure marks and the reading describes.

    Every pair would be many sentences (16 for 4 x 4 models); these are the
    classic Ng & Jordan pairs that are present, plus the generative and the
    discriminative model with the lowest mean error over all sizes.
    """
    fam = summary.drop_duplicates("model").set_index("model")["family"]
    mean_error = summary.groupby("model")["mean"].mean()
    gens = [m for m, f in fam.items() if f == "generative"]
    discs = [m for m, f in fam.items() if f == "discriminative"]
    if not gens or not discs:
        return []
    pairs = [(g, d) for g, d in CLASSIC_PAIRS if g in gens and d in discs]
    best = (min(gens, key=mean_error.get), min(discs, key=mean_error.get))
    if best not in pairs:
        pairs.append(best)
    return pairs


def _interp(summary: pd.DataFrame, model: str, m: float) -> float:
    c = _curve(summary, model)
    return float(np.interp(np.log(m), np.log(c.index.to_numpy(float)), c["mean"].to_numpy()))
