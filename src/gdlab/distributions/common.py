"""Helpers shared by the per-feature distributions.

Missing entries (NaN) of a data matrix, the group indicator that turns
per-row data into per-group sums (``indicator @ X``), and the messages that
name the offending value or (group, feature) pair when a distribution (or a
model) refuses its input or cannot estimate a parameter.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "group_indicator",
    "row_weights",
    "missing_mask",
    "first_bad",
    "raise_first_bad",
    "describe_pairs",
    "check_finite_parameters",
]


def group_indicator(y_idx: np.ndarray, n_groups: int, weights=None) -> sp.csr_matrix:
    """Sparse indicator of each row's group: ``indicator @ X`` sums the rows of each group.

    Parameters
    ----------
    y_idx : ndarray of shape (n_samples,)
        Group (class) index of each row, in 0 .. n_groups - 1.
    n_groups : int
    weights : ndarray of shape (n_samples,), optional
        Each row's weight (``sample_weight``): the entries of the indicator, so
        ``indicator @ X`` sums the weighted rows and ``row_weights`` reads them
        back. None: every weight 1.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_groups, n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> group_indicator(np.array([0, 1, 0]), 2) @ np.array([1.0, 2.0, 3.0])
    array([4., 2.])
    """
    n = y_idx.shape[0]
    data = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    return sp.csr_matrix((data, y_idx, np.arange(n + 1)), shape=(n, n_groups)).T.tocsr()


def row_weights(indicator) -> np.ndarray:
    """The weight of each row in a :func:`group_indicator` (1 unless weights were given).

    Examples
    --------
    >>> import numpy as np
    >>> row_weights(group_indicator(np.array([0, 1, 0]), 2, np.array([2.0, 1.0, 0.5])))
    array([2. , 1. , 0.5])
    """
    return np.asarray(indicator.sum(axis=0), dtype=np.float64).ravel()


def missing_mask(X: np.ndarray):
    """Boolean mask of the NaN entries of X, or None when there is none (one fast sum).

    Parameters
    ----------
    X : ndarray of float

    Returns
    -------
    ndarray of bool, same shape as X, or None
    """
    if not np.isnan(np.add.reduce(X, axis=None)):
        return None
    missing = np.isnan(X)
    return missing if missing.any() else None


def _plain(value):
    """A numpy scalar as the Python value it holds, for messages (1.5, not np.float64(1.5))."""
    return value.item() if isinstance(value, np.generic) else value


def first_bad(bad, X, names):
    """(value, row, column label) of the first True entry of ``bad``, for messages.

    Parameters
    ----------
    bad : ndarray of bool of shape (n_samples, n_features)
    X : ndarray of shape (n_samples, n_features)
    names : sequence of column labels, or None for positions
    """
    row, col = np.argwhere(bad)[0]
    return _plain(X[row, col]), int(row), _plain(col if names is None else names[col])


def raise_first_bad(bad, X, names, before, after="."):
    """Raise ``ValueError`` naming the first True entry of ``bad``, if any.

    The message is ``before``, then "got <value> at row <row>, column <label>"
    (see :func:`first_bad`), then ``after``. Used by the discrete
    distributions' support checks and by the models that refuse values
    (``CategoricalNB(unseen="error")``).

    Parameters
    ----------
    bad : ndarray of bool of shape (n_samples, n_features)
    X : ndarray of shape (n_samples, n_features)
    names : sequence of column labels, or None for positions
    before : str
        The start of the message, up to "got ...".
    after : str, default="."
        The end of the message.

    Raises
    ------
    ValueError
        When ``bad`` has a True entry.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 2.0]])
    >>> raise_first_bad(X > 1, X, ["a", "b"], "expects 0/1, ")
    Traceback (most recent call last):
    ...
    ValueError: expects 0/1, got 2.0 at row 0, column 'b'.
    """
    if bad.any():
        value, row, col = first_bad(bad, X, names)
        raise ValueError(f"{before}got {value!r} at row {row}, column {col!r}{after}")


def describe_pairs(where, classes, names):
    """The first five (class, feature) pairs of ``where`` (an argwhere result), for messages.

    Parameters
    ----------
    where : ndarray of shape (n_pairs, 2)
        (class index, feature index) rows, as ``np.argwhere`` gives them.
    classes : ndarray of class labels
    names : ndarray of feature labels
    """
    found = [(_plain(classes[k]), _plain(names[j])) for k, j in where[:5]]
    more = f" and {len(where) - 5} more" if len(where) > 5 else ""
    return f"{found}{more}"


def check_finite_parameters(parameters, classes, names, estimator):
    """Raise when a fitted (class, feature) parameter is inf or NaN (float64 overflow).

    Parameters
    ----------
    parameters : dict of str to ndarray of shape (n_classes, n_features)
        Parameter arrays by the name used in the message.
    classes : ndarray of class labels
    names : ndarray of feature labels
    estimator : str
        Name of the model, for the message.

    Raises
    ------
    ValueError
        Naming the parameter and the first (class, feature) pairs that are not finite.
    """
    for what, values in parameters.items():
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            raise ValueError(
                f"{estimator} has a non-finite fitted {what} for (class, feature) "
                f"{describe_pairs(bad, classes, names)}: the feature's values are too large "
                "for float64 sums (they overflow); rescale the column (e.g. StandardScaler or "
                "a log transform) or mark wrong values as missing."
            )
