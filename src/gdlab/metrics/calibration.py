"""Calibration of predicted class probabilities: ECE, Brier score, reliability curve.

All three take the true labels as *column indices* into ``proba`` (``y[i] = k``
means the true class of row ``i`` is the class of column ``k``), the
convention of ``classes_`` in scikit-learn.

Binning (ECE and the reliability curve): a row's *confidence* is its largest
predicted probability and it is *correct* when that column is its true class
(ties go to the first column, like ``argmax``). ``n_bins`` equal-width bins
cover [0, 1], closed on the right: bin ``b`` holds confidences in
``(b / n_bins, (b + 1) / n_bins]`` and bin 0 also holds 0.

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
>>> y = np.array([0, 1, 1, 1])
>>> round(expected_calibration_error(y, proba, n_bins=2), 4)  # one bin: 0.75 vs 3/4 right
0.0
>>> round(expected_calibration_error(y, proba, n_bins=10), 4)  # (0.1 + 0.8 + 0.3 + 0.4) / 4
0.4
>>> round(brier_score(y, proba), 4)
0.45
"""

from __future__ import annotations

import numpy as np

from gdlab._param_checks import check_int

__all__ = ["expected_calibration_error", "brier_score", "reliability_curve"]


def _check(y, proba) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-d (n_samples, n_classes), got shape {proba.shape}.")
    if y.ndim != 1 or y.shape[0] != proba.shape[0]:
        raise ValueError(
            f"y must have shape ({proba.shape[0]},) to match proba, got shape {y.shape}."
        )
    if y.shape[0] == 0:
        raise ValueError("y is empty.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= proba.shape[1]:
        raise ValueError(
            f"y must hold integer column indices in [0, {proba.shape[1]}) of proba."
        )
    if not np.isfinite(proba).all():
        raise ValueError("proba contains NaN or infinite values.")
    return y, proba


def reliability_curve(y, proba, *, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Mean confidence, accuracy and row count per equal-width confidence bin.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        True class of each row as a column index of ``proba``.
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.
    n_bins : int, default=10
        Number of equal-width bins on [0, 1] (right-closed, see the module docstring).

    Returns
    -------
    dict of ndarray, each of shape (n_bins,)
        ``"confidence"`` (mean confidence of the bin's rows), ``"accuracy"``
        (fraction of them correct) and ``"count"`` (number of rows).
        Confidence and accuracy are NaN for empty bins.

    Examples
    --------
    >>> import numpy as np
    >>> curve = reliability_curve([0, 1], [[0.9, 0.1], [0.8, 0.2]], n_bins=2)
    >>> curve["confidence"].round(4).tolist(), curve["accuracy"].tolist(), curve["count"].tolist()
    ([nan, 0.85], [nan, 0.5], [0, 2])
    """
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    y, proba = _check(y, proba)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(bins, weights=confidence, minlength=n_bins) / count
        acc = np.bincount(bins, weights=correct, minlength=n_bins) / count
    return {"confidence": conf, "accuracy": acc, "count": count}


def expected_calibration_error(y, proba, *, n_bins: int = 10) -> float:
    """Expected calibration error with equal-width confidence bins.

    ``ECE = sum_b (n_b / n) |accuracy_b - confidence_b|`` over the non-empty
    bins of :func:`reliability_curve`: 0 for a perfectly calibrated model.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        True class of each row as a column index of ``proba``.
    proba : array-like of shape (n_samples, n_classes)
    n_bins : int, default=10

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> expected_calibration_error([0, 0], [[0.75, 0.25], [0.75, 0.25]], n_bins=4)
    0.25
    """
    curve = reliability_curve(y, proba, n_bins=n_bins)
    seen = curve["count"] > 0
    weights = curve["count"][seen] / curve["count"].sum()
    gaps = np.abs(curve["accuracy"][seen] - curve["confidence"][seen])
    return float(np.sum(weights * gaps))


def brier_score(y, proba) -> float:
    """Multi-class Brier score: mean over rows of ``sum_k (p_k - [y = k])^2``.

    Ranges from 0 (certain and right) to 2 (certain and wrong); for two
    classes it is twice scikit-learn's binary ``brier_score_loss``.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        True class of each row as a column index of ``proba``.
    proba : array-like of shape (n_samples, n_classes)

    Returns
    -------
    float

    Examples
    --------
    >>> brier_score([1], [[0.5, 0.5]])
    0.5
    """
    y, proba = _check(y, proba)
    onehot = np.zeros_like(proba)
    onehot[np.arange(y.shape[0]), y] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
