"""Out-of-distribution detection: does log p(x) or the classifier's confidence flag odd inputs?

A model is trained on in-distribution data and scores two sets of rows: the
in-distribution test rows (label 0) and out-of-distribution rows (label 1).
Three kinds of OOD rows, each its own cell:

``held_out_class`` (kind 0)
    The model is trained without one class, ``classes[seed % n_classes]``
    (so seeds rotate through the classes); the OOD rows are every row of that
    class, the in-distribution rows the test rows of the other classes. Only
    for datasets with at least three classes (two are left to classify).
``noise`` (kind 1)
    As many rows as the test part, each feature drawn uniformly between its
    minimum and maximum on the training part; each categorical or bool column
    (:func:`~gdlab.studies.prepare.onehot_groups`) gets a category drawn
    uniformly, written as valid 0/1 indicators.
``low_contrast`` (kind 2)
    The test rows shrunk toward the training mean:
    ``x' = mean + contrast * (x - mean)`` (``contrast=0.2``); categorical and
    bool columns keep the row's category (an indicator of 0.2 would be a value
    no row can hold, found by any model that knows the column's type, not a
    low-contrast copy).

Rows with a missing feature are dropped first (see :mod:`gdlab.studies.calibration`).

Two detectors, each scored by AUROC (OOD rows are the positives):

- ``"auroc_density"``: the score ``-log p(x)`` (``score_samples``); only for
  models with the ``density``, ``density_bound`` or ``unnormalized_density``
  capability. For the last (an energy-based reading of a classifier, JEM) the
  score is the energy ``-log p~(x) = -log p(x) - log Z``: one constant off for
  every row, so its AUROC is that of ``-log p(x)`` itself, and the same
  network's max-softmax confidence is scored beside it;
- ``"auroc_confidence"``: the score ``1 - max_k p(y=k | x)``; every classifier.

Tidy encoding
-------------
One cell per (model, kind, seed) at ``setting="kind"``, ``setting_value`` the
kind's index in :data:`OOD_KINDS` (0 held_out_class, 1 noise, 2 low_contrast,
whatever order the study's ``kinds`` are given in). Its rows:

- ``"auroc_density"`` (density models only) and ``"auroc_confidence"``, at the
  cell's setting;
- ROC curves at fixed false-positive rates
  (:data:`gdlab.metrics.anomaly.FPR_GRID`): metric ``"roc_tpr_density"`` /
  ``"roc_tpr_confidence"`` = true-positive rate, ``setting = "fpr:<kind>"``
  (e.g. ``"fpr:noise"``), ``setting_value`` = the false-positive rate.

Examples
--------
>>> from gdlab.data import load
>>> [(c.setting, c.setting_value) for c in OOD().cells(load("iris"), ["qda"], seeds=[0])]
[('kind', 0.0), ('kind', 1.0), ('kind', 2.0)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab.capability_tags import capabilities
from gdlab.metrics.anomaly import FPR_GRID, auroc, roc_points
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.calibration import complete_numeric, curve_row, split_indices
from gdlab.studies.prepare import onehot_groups

__all__ = ["OOD", "OOD_KINDS", "KIND_LABELS", "DENSITY_SCORES", "ood_sets"]

#: The kinds of out-of-distribution rows; ``setting_value`` is the index in this tuple.
OOD_KINDS = ("held_out_class", "noise", "low_contrast")

#: How the report names each kind.
KIND_LABELS = {"held_out_class": "held-out classes", "noise": "noise inputs",
               "low_contrast": "low-contrast copies"}

_SCORES = ("density", "confidence")

#: Capabilities whose ``score_samples`` ranks rows as log p(x) does: exact, a bound, or up
#: to a constant (an unnormalized density; AUROC only ranks, so the constant drops out).
DENSITY_SCORES = frozenset({"density", "density_bound", "unnormalized_density"})


def ood_sets(X, y, kind: str, seed: int, *, test_size=0.25, contrast: float = 0.2,
             groups=()):
    """Training rows, in-distribution test rows and OOD rows of one cell.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), no NaN
    y : ndarray of shape (n_samples,)
    kind : one of :data:`OOD_KINDS`
    seed : int
        Chooses the split, the held-out class and the noise.
    test_size : float or int, default=0.25
    contrast : float, default=0.2
        Shrink factor of ``low_contrast`` copies.
    groups : sequence of sequences of int, default=()
        Positions of each categorical column's 0/1 indicators (one position for a
        bool column): they stay valid indicators in the OOD rows.

    Returns
    -------
    X_train, y_train, X_in, X_out : ndarrays

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(24.0).reshape(12, 2), np.repeat([0, 1, 2], 4)
    >>> X_train, y_train, X_in, X_out = ood_sets(X, y, "held_out_class", seed=1)
    >>> sorted(set(y_train.tolist())), X_out.shape
    ([0, 2], (4, 2))
    """
    if kind not in OOD_KINDS:
        raise ValueError(f"kind must be one of {list(OOD_KINDS)}, got {kind!r}.")
    split_seed, noise_seed = _common.derived_seeds(seed, 2)
    if kind == "held_out_class":
        labels = np.unique(y)
        if len(labels) < 3:
            raise ValueError("held_out_class needs at least 3 classes (2 stay to classify).")
        held = labels[seed % len(labels)]
        inside = np.flatnonzero(y != held)
        train, test = split_indices(y[inside], seed, test_size)
        return X[inside[train]], y[inside[train]], X[inside[test]], X[y == held]
    train, test = split_indices(y, seed, test_size)
    X_train, X_in = X[train], X[test]
    if kind == "noise":
        rng = np.random.default_rng(noise_seed)
        lo, hi = X_train.min(axis=0), X_train.max(axis=0)
        X_out = lo + rng.random(X_in.shape) * (hi - lo)
        for cols in groups:  # a category drawn uniformly, as valid indicators
            cols = np.asarray(cols)
            n_codes = 2 if cols.size == 1 else cols.size
            code = rng.integers(0, n_codes, len(X_out))
            X_out[:, cols] = (code[:, None] == np.arange(cols.size)) if cols.size > 1 \
                else code[:, None]
    else:
        mean = X_train.mean(axis=0)
        X_out = mean + contrast * (X_in - mean)
        for cols in groups:  # categories stay as they are
            X_out[:, cols] = X_in[:, cols]
    return X_train, y[train], X_in, X_out


#: The summary's legend of both AUROC columns.
_LEGEND = ("OOD noise / contrast: AUROC telling noise inputs / low-contrast copies from test "
           "rows by -log p(x) or by 1 - max probability")


class OOD(Study):
    """AUROC of ``-log p(x)`` and of max-softmax confidence for OOD rows of three kinds.

    Parameters
    ----------
    kinds : sequence of str, default=("held_out_class", "noise", "low_contrast")
        Which kinds of OOD rows (see the module docstring).
    test_size : float in (0, 1) or int, default=0.25
    contrast : float, default=0.2
        Shrink factor of the ``low_contrast`` copies.
    """

    name = "ood"
    # one column per kind and detector: noise inputs and low-contrast copies are never averaged
    # (held-out classes, which need 3 classes, are in the report's table and the verdict)
    headlines = tuple(
        Headline(f"ood_{column}_{detector}", f"auroc_{detector}",
                 f"OOD {short}\n{'-log p' if detector == 'density' else 'conf.'}",
                 better="higher", legend=_LEGEND, setting_value=float(OOD_KINDS.index(kind)))
        for kind, column, short in (("noise", "noise", "noise"),
                                    ("low_contrast", "contrast", "contr."))
        for detector in ("density", "confidence")
    )
    requires = frozenset({"classify"})

    def __init__(self, *, kinds=OOD_KINDS, test_size=0.25, contrast: float = 0.2):
        self.kinds = kinds
        self.test_size = test_size
        self.contrast = contrast

    def _kinds(self, dataset) -> list[str]:
        kinds = [self.kinds] if isinstance(self.kinds, str) else list(self.kinds)
        bad = [k for k in kinds if k not in OOD_KINDS]
        if bad or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {list(OOD_KINDS)}, got {kinds}.")
        if len(np.unique(np.asarray(dataset.y))) < 3:
            kinds = [k for k in kinds if k != "held_out_class"]
        return kinds

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, kind, seed); no ``held_out_class`` cells for two classes."""
        seeds = range(5) if seeds is None else seeds
        kinds = self._kinds(dataset)
        return [Cell(self.name, dataset.name, model, "kind", float(OOD_KINDS.index(k)), int(s))
                for model in models for k in kinds for s in seeds]

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit on the in-distribution training rows; AUROC and ROC points of each detector."""
        kind = OOD_KINDS[int(cell.setting_value)]
        X, y = complete_numeric(dataset)
        X_train, y_train, X_in, X_out = ood_sets(X, y, kind, cell.seed,
                                                 test_size=self.test_size,
                                                 contrast=self.contrast,
                                                 groups=onehot_groups(dataset))
        model = make_model()
        caps = capabilities(model)
        X_test = np.vstack([X_in, X_out])
        is_ood = np.r_[np.zeros(len(X_in), int), np.ones(len(X_out), int)]
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X_train, y_train)
            scores = {}
            if caps & DENSITY_SCORES:
                scores["density"] = -np.asarray(model.score_samples(X_test), dtype=np.float64)
            scores["confidence"] = 1.0 - np.asarray(model.predict_proba(X_test)).max(axis=1)
        family = _common.family_of(cell.model)
        rows = []
        for name, score in scores.items():
            rows.append(make_row(cell, family, f"auroc_{name}", auroc(is_ood, score), seconds))
        for name, score in scores.items():
            for fpr, tpr in zip(FPR_GRID, roc_points(is_ood, score), strict=True):
                rows.append(curve_row(cell, family, f"fpr:{kind}", fpr, f"roc_tpr_{name}",
                                      tpr, seconds))
        return rows

    # ------------------------------------------------------------------ results

    @staticmethod
    def _with_kind(rows: pd.DataFrame) -> pd.DataFrame:
        auc = rows[rows["metric"].isin(["auroc_density", "auroc_confidence"])
                   & (rows["setting"] == "kind")]
        kinds = auc["setting_value"].astype(int).map(dict(enumerate(OOD_KINDS)))
        return auc.assign(kind=kinds)

    @staticmethod
    def setting_label(value) -> str:
        """How the report names a ``setting_value`` of this study: the kind of anomaly."""
        return KIND_LABELS.get(OOD_KINDS[int(value)], str(value))

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds of both AUROCs, per model and kind.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS` plus ``kind``
        (the name of ``setting_value``); the ROC rows are left out.
        """
        out = _common.summarize_rows(rows, self.name)
        out = out[out["metric"].isin(["auroc_density", "auroc_confidence"])
                  & (out["setting"] == "kind")].reset_index(drop=True)
        out.insert(4, "kind", out["setting_value"].astype(int).map(dict(enumerate(OOD_KINDS))))
        return out

    def figures(self, rows: pd.DataFrame) -> list:
        """One interactive figure per (dataset, kind): mean ROC curves over seeds.

        Two panels, one per detector (``-log p(x)`` and max-softmax
        confidence), each with at most six models (more become further
        panels); the hover box gives each model's AUROCs.
        """
        from gdlab.studies.plots import curves_figure

        rows = rows[rows["study"] == self.name]
        roc = rows[rows["metric"].isin(["roc_tpr_density", "roc_tpr_confidence"])
                   & rows["setting"].astype(str).str.startswith("fpr:")]
        auc = self._with_kind(rows)
        mean_auc = auc.groupby(["dataset", "kind", "model", "metric"])["value"].mean().to_dict()
        figs = []
        for (dataset, setting), d in roc.groupby(["dataset", "setting"], sort=True):
            kind = setting.split(":", 1)[1]
            curves = (d.groupby(["model", "family", "metric", "setting_value"], sort=True)
                      ["value"].mean().reset_index())
            detector = curves["metric"].str.removeprefix("roc_tpr_")
            curves["detector"] = detector.map({"density": "-log p(x)",
                                               "confidence": "max-softmax confidence"})
            curves["mean"] = curves["lo"] = curves["hi"] = curves["value"]
            labels = {}
            for model in curves["model"].unique():
                parts = [f"{name} AUROC {mean_auc[key]:.2f}"
                         for name, key in (("-log p(x)", (dataset, kind, model, "auroc_density")),
                                           ("confidence",
                                            (dataset, kind, model, "auroc_confidence")))
                         if key in mean_auc and np.isfinite(mean_auc[key])]
                labels[model] = f"{model}: {', '.join(parts)}" if parts else model
            figs.append(curves_figure(
                curves, title=f"OOD detection, {KIND_LABELS.get(kind, kind)}: {dataset}",
                x_title="false-positive rate (in-distribution rows flagged)",
                y_title="true-positive rate (OOD rows flagged)", panel="detector",
                y_range=(0.0, 1.0), diagonal=True, x_format="{:.2f}", hover_label=labels))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Per kind: the best density detector and the best confidence detector."""
        auc = self._with_kind(rows[rows["study"] == self.name])
        auc = auc[auc["value"].notna()]
        out = []
        groups = sorted(auc.groupby(["dataset", "kind"]),
                        key=lambda item: (item[0][0], OOD_KINDS.index(item[0][1])))
        for (dataset, kind), d in groups:
            means = d.groupby(["metric", "model"])["value"].mean()
            parts = []
            if "auroc_density" in means.index.get_level_values(0):
                dens = means["auroc_density"]
                parts.append(f"log p(x) from {dens.idxmax()} detects "
                             f"{KIND_LABELS[kind]} with AUROC {dens.max():.2f}")
            if "auroc_confidence" in means.index.get_level_values(0):
                conf = means["auroc_confidence"]
                parts.append(f"the max-softmax confidence of {conf.idxmax()} reaches "
                             f"{conf.max():.2f}" + ("" if parts else f" on {KIND_LABELS[kind]}"))
            if parts:
                text = "; ".join(parts)
                out.append(f"On {dataset}, {text} (0.5 is chance).")
        return out
