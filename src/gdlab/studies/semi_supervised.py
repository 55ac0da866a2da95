"""Learning from unlabelled rows: test error against the number of labelled rows.

For each seed the dataset gets one stratified train/test split. Of the
training part, ``k`` rows of each class keep their label (the first ``k`` of
one seeded order per class, so the labelled rows of a smaller ``k`` are among
those of a larger one) and the rest are unlabelled (``y = -1``); ``"all"``
labels every training row. One cell per (model, number of labelled rows,
seed):

- a model with the ``semi_supervised`` tag is fit on every training row, the
  unlabelled ones included, and, for comparison, again on the labelled rows
  only (metric ``error_labelled_only``); ``gain`` is the difference, the
  error the unlabelled rows took away (positive: they helped);
- every other model is fit on the labelled rows only (the rule lives in
  :func:`gdlab.studies._common.training_rows`).

Both are scored on the whole test part. Tidy encoding: ``setting =
"n_labelled"``, ``setting_value`` = labelled training rows (``k`` times the
number of classes, or every training row for ``"all"``); metrics ``"error"``,
``"log_loss"`` and, for semi-supervised models when some rows are unlabelled,
``"error_labelled_only"`` and ``"gain"`` (left out where the labelled rows
alone are too few for the model, e.g. fewer than label spreading's
neighbours). A model without
``missing_features`` on data that has NaN gets mean imputation in front, as in
the learning curves.

Examples
--------
>>> from gdlab.data import load
>>> study = SemiSupervised(labels_per_class=(2, 5, "all"))
>>> [c.setting_value for c in study.cells(load("iris"), ["label-spreading"], seeds=[0])]
[6.0, 15.0, 112.0]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab.capability_tags import DATA_KINDS, capabilities
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.prepare import inputs

__all__ = ["SemiSupervised", "SETTING"]

SETTING = "n_labelled"
#: ``family`` of the labels-only curves of semi-supervised models in the figure.
_LABELS_ONLY = "labels only"


class SemiSupervised(Study):
    """Error vs number of labelled rows, the other training rows unlabelled, over splits.

    Parameters
    ----------
    labels_per_class : sequence of int or "all", default=(2, 5, 10, 25, "all")
        Labelled training rows per class (spread evenly over the classes; a
        class with fewer training rows has all of them labelled); ``"all"``
        labels the whole training part.
    test_size : float in (0, 1) or int, default=0.25
        Held-out part of each split.
    n_splits : int, default=5
        Repeated splits (seeds ``0 .. n_splits - 1``) when :meth:`cells` is
        given no seeds.
    """

    name = "semi_supervised"
    requires = frozenset({"classify"})
    modalities = frozenset(DATA_KINDS)
    default_model_tags = frozenset({"semi_supervised"})
    headlines = (
        Headline("ss_error", "error", "ss error", settings=(SETTING,),
                 at="smallest", at_format="{:.0f}", at_name="n_labelled",
                 legend="ss error: test error in the semi_supervised study with its fewest "
                        "labelled rows ({at}; the other training rows unlabelled)"),
        Headline("ss_gain", "gain", "ss gain", better="higher",
                 settings=(SETTING,), at="smallest", at_format="{:.0f}",
                 legend="ss gain: a semi-supervised model's test error on the labelled rows "
                        "alone minus its error with the unlabelled rows too, at {at} labelled "
                        "rows (> 0: they help)"),
    )

    def __init__(self, *, labels_per_class=(2, 5, 10, 25, "all"), test_size=0.25,
                 n_splits: int = 5):
        self.labels_per_class = labels_per_class
        self.test_size = test_size
        self.n_splits = n_splits

    @staticmethod
    def setting_label(value) -> str:
        """How a number of labelled rows reads in a table header."""
        return f"{float(value):.0f} labelled"

    # ------------------------------------------------------------------ grid

    def _per_class(self) -> list:
        given = self.labels_per_class
        if isinstance(given, (str, numbers.Number)):
            given = [given]
        out = []
        for k in given:
            if isinstance(k, str) and k == "all":
                out.append("all")
            elif isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 1:
                out.append(int(k))
            else:
                raise ValueError(f"each entry of labels_per_class must be a positive int or "
                                 f"'all', got {k!r}.")
        if not out:
            raise ValueError("labels_per_class is empty.")
        return out

    def label_counts(self, dataset) -> list[int]:
        """Labelled training rows of each setting on ``dataset``, increasing, no repeats."""
        y = np.asarray(dataset.y)
        n_classes = len(np.unique(y))
        n_train = _common.n_train(len(y), self.test_size)
        counts = {min(n_train, n_train if k == "all" else k * n_classes)
                  for k in self._per_class()}
        return sorted(counts)

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, number of labelled rows, seed)."""
        seeds = range(self.n_splits) if seeds is None else seeds
        counts = self.label_counts(dataset)
        return [Cell(self.name, dataset.name, model, SETTING, float(n), int(seed))
                for model in models for n in counts for seed in seeds]

    def split(self, dataset, seed: int, n_labelled: int):
        """Row indices ``(train, test)`` and the training labels, -1 where unlabelled.

        Deterministic by seed; the labelled rows of a smaller ``n_labelled``
        are among those of a larger one (per class, a prefix of one seeded order).

        Returns
        -------
        train, test : ndarray of int
        y_train : ndarray of shape (len(train),)
            The class of each labelled training row, -1 for the others.
        """
        y = np.asarray(dataset.y)
        split_seed, label_seed = _common.derived_seeds(seed, 2)
        train, test = _common.split_rows(y, split_seed, self.test_size)
        y_train = y[train].copy()
        if n_labelled >= len(train):
            return train, test, y_train
        classes = np.unique(y)
        per_class = max(1, round(n_labelled / len(classes)))
        rng = np.random.default_rng(label_seed)
        keep = np.zeros(len(train), dtype=bool)
        for k in classes:
            rows = np.flatnonzero(y_train == k)
            keep[rng.permutation(rows)[:per_class]] = True
        partial = np.where(keep, y_train, -1)
        return train, test, partial

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit as the rule says (unlabelled rows for semi-supervised models only), score on the
        test part; a semi-supervised model is fit a second time on its labelled rows only."""
        X, y = inputs(dataset)
        classes = np.unique(y)
        train, test, y_train = self.split(dataset, cell.seed, int(cell.setting_value))
        has_nan = X.dtype != object and (np.isnan(X[train]).any() or np.isnan(X[test]).any())

        def fresh():
            model = make_model()
            if has_nan and "missing_features" not in capabilities(model):
                model = _common.with_imputation(model, "mean")
            return model

        model = fresh()
        semi = "semi_supervised" in capabilities(model)
        unlabelled = y_train == -1
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y_train, classes=classes)
            scores = _common.evaluate(model, X[test], y[test], classes)
            if semi and unlabelled.any():
                scores.update(self._labelled_only(fresh(), X[train][~unlabelled],
                                                  y_train[~unlabelled], X[test], y[test],
                                                  classes, scores["error"]))
        family = _common.family_of(cell.model)
        return [make_row(cell, family, metric, value, seconds) for metric, value in scores.items()]

    @staticmethod
    def _labelled_only(model, X, y, X_test, y_test, classes, error) -> dict[str, float]:
        """``error_labelled_only`` and ``gain`` of a semi-supervised model refit on its
        labelled rows alone; none when those rows are too few for it (label spreading
        needs more rows than neighbours): the cell's own result stands."""
        try:
            _common.fit_timed(model, X, y, classes=classes)
            alone = _common.evaluate(model, X_test, y_test, classes)["error"]
        except ValueError:
            return {}
        return {"error_labelled_only": alone, "gain": alone - error}

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds per dataset, model, number of labelled rows and
        metric (:data:`gdlab.studies._common.SUMMARY_COLUMNS`)."""
        return _common.summarize_rows(rows, self.name)

    def figures(self, rows: pd.DataFrame) -> list:
        """Per dataset: test error vs labelled rows (log x, 95 % bands), each semi-supervised
        model also as a dotted "labels only" curve in its color."""
        from gdlab.studies.plots import curves_figure

        summary = self.summarize(rows)
        figs = []
        for dataset, d in summary.groupby("dataset", sort=True):
            err = d[d["metric"] == "error"].assign(series=lambda f: f["model"])
            alone = d[d["metric"] == "error_labelled_only"]
            alone = alone.assign(series=alone["model"] + " (labels only)", family=_LABELS_ONLY)
            curves = pd.concat([err, alone], ignore_index=True)
            if curves.empty:
                continue
            figs.append(curves_figure(
                curves, title=f"Learning from unlabelled rows: {dataset}",
                x_title="labelled training rows", y_title="test error", log_x=True,
                y_range=(0.0, 1.0), percent=True, series="series"))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain sentences: who is ahead with few labels, what the unlabelled rows gave."""
        summary = self.summarize(rows)
        out = []
        for dataset, d in summary.groupby("dataset", sort=True):
            prefix = f"On {dataset}: " if summary["dataset"].nunique() > 1 else ""
            err = d[d["metric"] == "error"]
            if err.empty:
                continue
            counts = np.sort(err["setting_value"].unique())
            semi = set(d.loc[d["metric"] == "error_labelled_only", "model"])
            scarce = [n for n in counts if n < counts[-1]] or list(counts)
            for n in (scarce[0], scarce[-1]) if len(scarce) > 1 else (scarce[0],):
                at = err[err["setting_value"] == n].sort_values("mean")
                best = at.iloc[0]
                text = (f"{prefix}With {n:.0f} labelled rows the lowest test error is "
                        f"{best['model']}'s ({_common.percent(best['mean'])})")
                sup = at[~at["model"].isin(semi)]
                if best["model"] in semi and len(sup):
                    other = sup.iloc[0]
                    text += (f"; the best model of the labelled rows alone is "
                             f"{other['model']} ({_common.percent(other['mean'])})")
                out.append(text + ".")
            if not semi:
                out.append(f"{prefix}No model here learns from unlabelled rows; add one "
                           "with the semi_supervised tag (e.g. label-spreading, "
                           "self-training-logreg) to see what they are worth.")
            gain = d[d["metric"] == "gain"]
            for model, g in gain.groupby("model", sort=True):
                first = g.sort_values("setting_value").iloc[0]
                n, mean, lo, hi = first["setting_value"], first["mean"], first["lo"], first["hi"]
                if np.isfinite(lo) and lo > 0:
                    verdict = "the unlabelled rows helped"
                elif np.isfinite(hi) and hi < 0:
                    verdict = "the unlabelled rows hurt"
                else:
                    verdict = "within the noise of the splits"
                out.append(f"{prefix}{model} with {n:.0f} labelled rows: test error "
                           f"{_signed_points(-mean)} with the unlabelled rows than on the "
                           f"labelled rows alone ({verdict}).")
        out += _common.failure_sentences(
            rows, self.name,
            lambda counts: f"{', '.join(f'{n:.0f}' for n in counts)} labelled rows")
        return out


def _signed_points(delta: float) -> str:
    """A change of error rate in percentage points: ``-0.052 -> "5.2 points lower"``."""
    points = 100 * abs(float(delta))
    if points == 0:
        return "no different"
    return f"{points:.1f} points {'lower' if delta < 0 else 'higher'}"
