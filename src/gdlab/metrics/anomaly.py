"""Out-of-distribution detection scores: AUROC and ROC points on a fixed FPR grid.

Convention: ``is_ood`` is 1 for out-of-distribution rows (the positives) and
0 for in-distribution rows; ``score`` is larger for rows the detector finds
more anomalous (e.g. ``-log p(x)`` or ``1 - max_k p(y=k | x)``).

Examples
--------
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

__all__ = ["FPR_GRID", "auroc", "roc_points", "finite_scores"]

#: False-positive rates at which :func:`roc_points` reports the true-positive rate.
FPR_GRID = np.linspace(0.0, 1.0, 21)


def finite_scores(score) -> np.ndarray:
    """Scores with +inf/-inf replaced by finite values that keep the ranking.

    ``-log p(x)`` is +inf for a row outside the support of a density; AUROC
    only needs the order, so +inf becomes (largest finite score + 1) and -inf
    (smallest finite score - 1). NaN is left as is (and rejected downstream).

    Parameters
    ----------
    score : array-like of shape (n_samples,)

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> finite_scores([1.0, float("inf"), -float("inf"), 3.0]).tolist()
    [1.0, 4.0, 0.0, 3.0]
    """
    score = np.array(score, dtype=np.float64)
    finite = np.isfinite(score)
    if finite.all():
        return score
    lo, hi = (score[finite].min(), score[finite].max()) if finite.any() else (0.0, 0.0)
    score[score == np.inf] = hi + 1.0
    score[score == -np.inf] = lo - 1.0
    return score


def _check(is_ood, score):
    is_ood = np.asarray(is_ood)
    score = finite_scores(score)
    if is_ood.ndim != 1 or is_ood.shape != score.shape:
        raise ValueError(
            "is_ood and score must be 1-d of the same length, "
            f"got {is_ood.shape} and {score.shape}."
        )
    if np.isnan(score).any():
        raise ValueError("score contains NaN.")
    if set(np.unique(is_ood).tolist()) != {0, 1}:
        raise ValueError("is_ood must contain both 0 (in-distribution) and 1 (OOD) rows.")
    return is_ood.astype(int), score


def auroc(is_ood, score) -> float:
    """Area under the ROC curve of ``score`` separating OOD (1) from in-distribution (0) rows.

    The probability that a random OOD row scores higher than a random
    in-distribution row (ties count one half): 0.5 is chance, 1 is perfect.
    Computed by :func:`sklearn.metrics.roc_auc_score` after :func:`finite_scores`.

    Parameters
    ----------
    is_ood : array-like of {0, 1}, shape (n_samples,)
    score : array-like of shape (n_samples,)
        Larger means more anomalous.

    Returns
    -------
    float in [0, 1]
    """
    is_ood, score = _check(is_ood, score)
    return float(roc_auc_score(is_ood, score))


def roc_points(is_ood, score, fpr_grid=FPR_GRID) -> np.ndarray:
    """True-positive rate of the ROC curve at fixed false-positive rates.

    The ROC curve is the polyline through scikit-learn's ``roc_curve`` points
    (a tie between OOD and in-distribution scores is a diagonal segment),
    read at each grid FPR: where the curve is vertical (several TPRs at one
    FPR) the highest TPR, between points the straight segment joining them.
    Fixed grids let curves of different seeds be averaged point by point.

    Parameters
    ----------
    is_ood : array-like of {0, 1}, shape (n_samples,)
    score : array-like of shape (n_samples,)
        Larger means more anomalous.
    fpr_grid : array-like of float in [0, 1], default=:data:`FPR_GRID`

    Returns
    -------
    ndarray of shape (len(fpr_grid),)
        TPR at each grid FPR.

    Examples
    --------
    >>> roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [0.0, 0.25, 0.5, 1.0]).tolist()
    [0.5, 0.5, 1.0, 1.0]
    """
    is_ood, score = _check(is_ood, score)
    fpr, tpr, _ = roc_curve(is_ood, score, drop_intermediate=False)
    grid = np.asarray(fpr_grid, dtype=np.float64)
    # the last curve point at or left of each grid FPR (the top of a vertical run)
    j = np.searchsorted(fpr, grid, side="right") - 1
    j = np.clip(j, 0, len(fpr) - 1)
    nxt = np.minimum(j + 1, len(fpr) - 1)
    span = fpr[nxt] - fpr[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(span > 0, (grid - fpr[j]) / span, 0.0)
    return tpr[j] + np.clip(t, 0.0, 1.0) * (tpr[nxt] - tpr[j])
