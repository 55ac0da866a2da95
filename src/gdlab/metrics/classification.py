"""Classification metrics: error rate, balanced error, recall of one class, (clipped) log loss.

Examples
--------
>>> import numpy as np
>>> error_rate([0, 1, 1, 0], [0, 1, 0, 0])
0.25
>>> proba = np.array([[0.5, 0.5], [0.0, 1.0]])
>>> round(log_loss([0, 1], proba), 6)  # (-log 0.5 - log 1) / 2
0.346574
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, recall_score

__all__ = ["error_rate", "balanced_error_rate", "class_recall", "log_loss", "align_proba"]

#: Smallest probability :func:`log_loss` takes the log of.
EPS = 1e-15


def error_rate(y_true, y_pred) -> float:
    """Fraction of wrong predictions, ``1 - accuracy``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> round(error_rate([0, 1, 2], [0, 2, 2]), 4)
    0.3333
    """
    return float(1.0 - accuracy_score(y_true, y_pred))


def balanced_error_rate(y_true, y_pred) -> float:
    """Mean over the classes present in ``y_true`` of each class's error rate.

    ``1 - balanced accuracy`` (:func:`sklearn.metrics.balanced_accuracy_score`):
    every class weighs the same however few rows it has, so a classifier that
    ignores a small class scores badly here even when its error rate is low.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> balanced_error_rate([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    return float(1.0 - balanced_accuracy_score(y_true, y_pred))


def class_recall(y_true, y_pred, label) -> float:
    """Fraction of the rows of class ``label`` predicted as ``label``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    label
        A class present in ``y_true``.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        When ``y_true`` has no row of ``label``.

    Examples
    --------
    >>> class_recall([0, 1, 1, 1], [0, 1, 0, 0], 1)
    0.3333333333333333
    """
    y_true = np.asarray(y_true)
    if not np.any(y_true == label):
        raise ValueError(f"y_true has no row of class {label!r}: its recall is undefined.")
    return float(recall_score(y_true, y_pred, labels=[label], average=None)[0])


def log_loss(y_true, proba, *, labels=None, eps: float = EPS) -> float:
    """Mean negative log probability of the true class, clipped below at ``eps``.

    ``-mean_i log(max(proba[i, y_i], eps))``: a confident wrong answer costs
    ``-log(eps)`` (34.5 for the default), not infinity. Rows are used as
    given (not renormalized). For probabilities away from 0 this equals
    :func:`sklearn.metrics.log_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : array-like of shape (n_samples, n_classes)
        Column ``j`` is the probability of ``labels[j]``.
    labels : array-like of shape (n_classes,), default=None
        The class of each column; default ``0, 1, ..., n_classes - 1``
        (gdlab's integer class indices).
    eps : float, default=1e-15

    Returns
    -------
    float >= 0

    Raises
    ------
    ValueError
        When a true label is not among ``labels`` or the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> round(log_loss(["a", "b"], np.array([[0.8, 0.2], [0.4, 0.6]]), labels=["a", "b"]), 6)
    0.366985
    """
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"expected proba of shape ({y_true.shape[0]}, n_classes), got {proba.shape}."
        )
    labels = np.arange(proba.shape[1]) if labels is None else np.asarray(labels)
    if labels.shape != (proba.shape[1],):
        raise ValueError(f"proba has {proba.shape[1]} columns but {labels.size} labels were given.")
    order = np.argsort(labels, kind="stable")
    pos = np.searchsorted(labels[order], y_true)
    pos = np.minimum(pos, len(labels) - 1)
    known = labels[order][pos] == y_true
    if not known.all():
        raise ValueError(f"y_true holds labels {np.unique(y_true[~known]).tolist()} not in labels.")
    p_true = proba[np.arange(len(y_true)), order[pos]]
    return float(-np.mean(np.log(np.clip(p_true, eps, 1.0))))


def align_proba(proba, classes, labels) -> np.ndarray:
    """Spread a model's ``predict_proba`` columns over the full label set.

    A model fitted on a subsample may have seen only some classes; its
    columns follow ``classes`` (its ``classes_``). Classes it never saw get
    probability 0.

    Parameters
    ----------
    proba : array-like of shape (n_samples, len(classes))
    classes : array-like
        The model's ``classes_``.
    labels : array-like
        Every class, in the order of the output columns.

    Returns
    -------
    ndarray of shape (n_samples, len(labels))

    Examples
    --------
    >>> import numpy as np
    >>> align_proba(np.array([[0.3, 0.7]]), classes=[0, 2], labels=[0, 1, 2])
    array([[0.3, 0. , 0.7]])
    """
    proba = np.asarray(proba, dtype=np.float64)
    labels = list(np.asarray(labels).tolist())
    out = np.zeros((proba.shape[0], len(labels)))
    for j, c in enumerate(np.asarray(classes).tolist()):
        if c not in labels:
            raise ValueError(f"the model's class {c!r} is not among the labels {labels}.")
        out[:, labels.index(c)] = proba[:, j]
    return out
