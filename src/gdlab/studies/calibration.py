"""Calibration: do a model's predicted probabilities match observed frequencies?

One cell per (model, seed): a stratified train/test split of the dataset's
complete rows (rows with a missing feature are dropped: missing data is the
``missing_data`` study's subject), a fresh model fit on the training part and
its ``predict_proba`` scored on the test part.

Tidy encoding
-------------
Scalar metrics, at the cell's own ``setting="none"``, ``setting_value=NaN``:

- ``"ece"``: expected calibration error, ``n_bins`` equal-width bins
  (:func:`gdlab.metrics.calibration.expected_calibration_error`);
- ``"brier"``: multi-class Brier score, in [0, 2];
- ``"error"``: test error rate, 1 - accuracy of ``predict``.

Reliability curve, one group of rows per *non-empty* confidence bin, at
``setting="bin"``, ``setting_value`` = bin index ``b`` (bin ``b`` covers
confidences ``(b / n_bins, (b + 1) / n_bins]``):

- ``"reliability_confidence"``: mean confidence (largest probability) of the bin's rows,
- ``"reliability_accuracy"``: fraction of them predicted right,
- ``"reliability_count"``: how many test rows fell in the bin.

:func:`pooled_reliability` pools the bins over seeds (count-weighted);
:func:`confidence_gap` reads off it whether a model is over-confident
(confidence above accuracy) or under-confident.

Examples
--------
>>> from gdlab.data import load
>>> from gdlab.models.registry import make
>>> study = Calibration(n_bins=5)
>>> cell = study.cells(load("iris"), ["gaussian-nb"], seeds=[0])[0]
>>> rows = study.run_cell(cell, load("iris"), lambda: make("gaussian-nb"))
>>> sorted({r["metric"] for r in rows if r["setting"] == "none"})
['brier', 'ece', 'error']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab._param_checks import check_int
from gdlab.capability_tags import DATA_KINDS, modality_input_kind
from gdlab.metrics import align_proba, error_rate
from gdlab.metrics.calibration import brier_score, expected_calibration_error, reliability_curve
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.prepare import inputs, numeric

__all__ = ["Calibration", "complete_numeric", "split_indices", "curve_row",
           "pooled_reliability", "confidence_gap"]

_CURVE = ("reliability_confidence", "reliability_accuracy", "reliability_count")


def complete_numeric(dataset) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~gdlab.studies.prepare.numeric` features and labels, rows with NaN dropped.

    Sequence and text datasets come back as :func:`~gdlab.studies.prepare.inputs`
    gives them (a missing frame is the model's business, not the study's).

    Raises
    ------
    ValueError
        When fewer than two complete rows per class would remain for some class.
    """
    if modality_input_kind(dataset.modality) != "tabular":
        X, y = inputs(dataset)
    else:
        X, y = numeric(dataset)
        keep = ~np.isnan(X).any(axis=1)
        X, y = X[keep], y[keep]
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2 or counts.min() < 2:
        raise ValueError(
            f"dataset {dataset.name!r} has too few complete rows (no missing feature) per class "
            "for this study."
        )
    return X, y


def split_indices(y, seed: int, test_size=0.25) -> tuple[np.ndarray, np.ndarray]:
    """Sorted row indices ``(train, test)`` of one stratified split, deterministic by seed."""
    return _common.split_rows(np.asarray(y), _common.derived_seeds(seed, 1)[0], test_size)


def curve_row(cell: Cell, family: str, setting: str, setting_value: float, metric: str,
              value: float, fit_seconds: float) -> dict:
    """A row of ``cell`` for one point of a curve, at its own ``setting``/``setting_value``."""
    row = make_row(cell, family, metric, value, fit_seconds)
    row.update(setting=setting, setting_value=float(setting_value))
    return row


def pooled_reliability(rows: pd.DataFrame) -> pd.DataFrame:
    """Reliability curves pooled over seeds, one row per (dataset, model, bin).

    Each bin's confidence and accuracy are averaged over seeds weighted by the
    bin's row count, i.e. computed as if every seed's test rows were one set.

    Parameters
    ----------
    rows : DataFrame of calibration rows (ROW_COLUMNS)

    Returns
    -------
    DataFrame with columns ``dataset, model, family, bin, confidence, accuracy, count``.
    """
    cols = ["dataset", "model", "family", "bin", "confidence", "accuracy", "count"]
    curve = rows[(rows["setting"] == "bin") & rows["metric"].isin(_CURVE)]
    if curve.empty:
        return pd.DataFrame(columns=cols)
    wide = curve.pivot_table(index=["dataset", "model", "family", "seed", "setting_value"],
                             columns="metric", values="value", aggfunc="first").reset_index()
    wide = wide.dropna(subset=list(_CURVE))
    wide["_conf"] = wide["reliability_confidence"] * wide["reliability_count"]
    wide["_acc"] = wide["reliability_accuracy"] * wide["reliability_count"]
    g = wide.groupby(["dataset", "model", "family", "setting_value"], sort=True)[
        ["_conf", "_acc", "reliability_count"]].sum().reset_index()
    out = pd.DataFrame({
        "dataset": g["dataset"], "model": g["model"], "family": g["family"],
        "bin": g["setting_value"].astype(int),
        "confidence": g["_conf"] / g["reliability_count"],
        "accuracy": g["_acc"] / g["reliability_count"],
        "count": g["reliability_count"].astype(int),
    })
    return out[cols].reset_index(drop=True)


def confidence_gap(pooled: pd.DataFrame) -> pd.Series:
    """Count-weighted mean of (confidence - accuracy) per (dataset, model).

    Positive: over-confident (probabilities too close to 1); negative:
    under-confident.

    Examples
    --------
    >>> curve = pd.DataFrame({"dataset": "d", "model": "m", "confidence": [0.9, 0.6],
    ...                       "accuracy": [0.7, 0.6], "count": [3, 1]})
    >>> round(float(confidence_gap(curve).iloc[0]), 3)
    0.15
    """
    gap = (pooled["confidence"] - pooled["accuracy"]) * pooled["count"]
    frame = pooled.assign(_gap=gap)
    g = frame.groupby(["dataset", "model"], sort=True)
    return g["_gap"].sum() / g["count"].sum()


class Calibration(Study):
    """Expected calibration error, Brier score and reliability curves.

    Parameters
    ----------
    n_bins : int, default=10
        Equal-width confidence bins of the ECE and the reliability curve.
    test_size : float in (0, 1) or int, default=0.25
        Held-out part of each stratified split.
    """

    name = "calibration"
    headlines = (
        # the test error of the whole training part, for a comparison without a learning curve
        Headline("error", "error", "error", legend="error: on the test part (calibration study)"),
        Headline("ece", "ece", "ECE", legend="ECE: expected calibration error"),
    )
    requires = frozenset({"classify"})
    modalities = frozenset(DATA_KINDS)

    def __init__(self, *, n_bins: int = 10, test_size=0.25):
        self.n_bins = n_bins
        self.test_size = test_size

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, seed), at ``setting="none"``."""
        return self.per_model_seed_cells(dataset, models, seeds)

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit on the training part; ECE, Brier, error and reliability curve on the test part."""
        n_bins = check_int(self.n_bins, "n_bins", minimum=1)
        X, y = complete_numeric(dataset)
        train, test = split_indices(y, cell.seed, self.test_size)
        labels = np.unique(y)
        model = make_model()
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train])
            proba = align_proba(model.predict_proba(X[test]), model.classes_, labels)
            predicted = model.predict(X[test])
        y_idx = np.searchsorted(labels, y[test])
        family = _common.family_of(cell.model)
        rows = [
            make_row(cell, family, "ece",
                     expected_calibration_error(y_idx, proba, n_bins=n_bins), seconds),
            make_row(cell, family, "brier", brier_score(y_idx, proba), seconds),
            make_row(cell, family, "error", error_rate(y[test], predicted), seconds),
        ]
        curve = reliability_curve(y_idx, proba, n_bins=n_bins)
        for b in np.flatnonzero(curve["count"] > 0):
            for metric, key in zip(_CURVE, ("confidence", "accuracy", "count"), strict=True):
                rows.append(curve_row(cell, family, "bin", b, metric, curve[key][b], seconds))
        return rows

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds of ``ece``, ``brier`` and ``error`` per model.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS`. The reliability
        curve rows are left out (see :func:`pooled_reliability`).
        """
        out = _common.summarize_rows(rows, self.name)
        return out[out["metric"].isin(["ece", "brier", "error"])].reset_index(drop=True)

    def figures(self, rows: pd.DataFrame) -> list:
        """One interactive reliability diagram per dataset (pooled over seeds): at most six
        models per panel, the diagonal of perfect calibration, each model's ECE on hover."""
        from gdlab.studies.plots import curves_figure

        rows = rows[rows["study"] == self.name]
        pooled = pooled_reliability(rows)
        ece = self._ece(rows)
        figs = []
        for dataset, d in pooled.groupby("dataset", sort=True):
            d = d.assign(mean=d["accuracy"], lo=d["accuracy"], hi=d["accuracy"])
            labels = {m: f"{m} ({d.loc[d['model'] == m, 'family'].iloc[0]}), ECE "
                         f"{ece.get((dataset, m), np.nan):.3f}" for m in d["model"].unique()}
            figs.append(curves_figure(
                d, title=f"Reliability: {dataset}",
                x_title="predicted confidence (largest probability)",
                y_title="observed accuracy", x="confidence", y_range=(0.0, 1.0),
                diagonal=True, diagonal_name="perfectly calibrated", x_format="{:.2f}",
                hover_label=labels))
        return figs

    def _ece(self, rows) -> dict:
        e = rows[(rows["metric"] == "ece") & rows["value"].notna()]
        return e.groupby(["dataset", "model"])["value"].mean().to_dict()

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Which model is best calibrated, which worst, and in which direction it errs."""
        rows = rows[rows["study"] == self.name]
        ece = self._ece(rows)
        gaps = confidence_gap(pooled_reliability(rows)) if len(rows) else pd.Series(dtype=float)
        out = []
        for dataset in sorted({d for d, _ in ece}):
            ranked = sorted((v, m) for (d, m), v in ece.items() if d == dataset)
            if not ranked:
                continue
            best_v, best = ranked[0]
            text = f"On {dataset}, {best} is best calibrated (ECE {best_v:.3f})"
            if len(ranked) > 1:
                worst_v, worst = ranked[-1]
                gap = gaps.get((dataset, worst), np.nan)
                text += f"; {worst} is the least calibrated (ECE {worst_v:.3f})"
                if np.isfinite(gap) and abs(gap) >= 0.005:
                    kind = "over-confident" if gap > 0 else "under-confident"
                    text += (f" and {kind}: its confidence is {abs(gap):.2f} "
                             f"{'above' if gap > 0 else 'below'} its accuracy on average")
            out.append(text + ".")
        return out
