"""Stratified splits and nested subsamples, deterministic by seed.

- :func:`train_test_split`: one stratified train/test split of a
  :class:`~gdlab.data.Dataset` (whole sequences for sequence datasets) or of
  ``X, y`` (wraps scikit-learn).
- :func:`nested_subsamples`: stratified training subsets of growing sizes,
  each containing the previous one, for learning curves.
- :func:`repeated_splits`: ``n_repeats`` stratified random (train, test)
  index pairs.

Examples
--------
>>> import numpy as np
>>> from gdlab.data.splits import nested_subsamples
>>> y = np.array([0] * 30 + [1] * 10)
>>> subsets = nested_subsamples(y, [4, 8, 20])
>>> [np.bincount(y[s]).tolist() for s in subsets]
[[3, 1], [6, 2], [15, 5]]
>>> set(subsets[0]) <= set(subsets[1]) <= set(subsets[2])
True
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.model_selection import train_test_split as _sk_train_test_split

from gdlab._param_checks import check_int
from gdlab._validation import check_random_state

__all__ = ["train_test_split", "nested_subsamples", "repeated_splits"]


def _check_y(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"expected y of shape (n_samples,), got shape {y.shape}.")
    if y.shape[0] == 0:
        raise ValueError("y is empty.")
    return y


def _check_test_size(test_size, n: int):
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a float in (0, 1) or an int, got {test_size!r}.")
    if isinstance(test_size, numbers.Integral):
        if not 1 <= test_size < n:
            raise ValueError(f"test_size must be in [1, {n}) as a count, got {test_size}.")
        return int(test_size)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1) as a fraction, got {test_size!r}.")
    return float(test_size)


def _check_stratifiable(y: np.ndarray, test_size, n: int) -> None:
    labels, counts = np.unique(y, return_counts=True)
    if (counts < 2).any():
        rare = labels[counts < 2].tolist()
        raise ValueError(
            f"a stratified split needs at least 2 samples of every class; class(es) {rare!r} "
            "have 1. Drop them or pass stratify=False."
        )
    n_test = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))
    if n_test < len(labels) or n - n_test < len(labels):
        raise ValueError(
            f"a stratified split of {n} samples with test_size={test_size!r} leaves "
            f"{n_test} test and {n - n_test} train samples, fewer than the {len(labels)} classes."
        )


def train_test_split(data, y=None, *, test_size=0.25, stratify: bool = True, random_state=0):
    """Stratified train/test split of a Dataset or of ``X, y``.

    Parameters
    ----------
    data : Dataset or array-like of shape (n_samples, n_features)
        A :class:`~gdlab.data.Dataset` (then ``y`` must be None) or features.
        A sequence dataset (``modality="sequence"``, stacked frames with
        ``metadata["lengths"]``) is split by whole sequences.
    y : array-like of shape (n_samples,), default=None
        Labels, when ``data`` is X.
    test_size : float in (0, 1) or int, default=0.25
        Fraction (or number) of samples (sequences) in the test part.
    stratify : bool, default=True
        Keep the class proportions equal in both parts.
    random_state : int, RandomState or None, default=0

    Returns
    -------
    (train, test) : tuple of Dataset
        For a Dataset: two Datasets named ``"<name>[train]"``/``"<name>[test]"``
        whose ``metadata["indices"]`` are the rows (sequences) taken from the
        parent, sorted.
    X_train, X_test, y_train, y_test
        For ``X, y`` (scikit-learn's order).

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(40.0).reshape(20, 2), np.array([0, 1] * 10)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y)
    >>> X_test.shape, np.bincount(y_test).tolist()
    ((5, 2), [3, 2])
    """
    from gdlab.data import Dataset

    if isinstance(data, Dataset):
        if y is not None:
            raise TypeError("pass either a Dataset or X, y, not a Dataset and y.")
        return _split_dataset(data, test_size, stratify, random_state)
    if y is None:
        raise TypeError("train_test_split needs y when data is not a Dataset.")
    y = _check_y(y)
    if len(data) != len(y):
        raise ValueError(f"X has {len(data)} rows but y has {len(y)} labels.")
    test_size = _check_test_size(test_size, len(y))
    if stratify:
        _check_stratifiable(y, test_size, len(y))
    return _sk_train_test_split(
        data, y, test_size=test_size, stratify=y if stratify else None,
        random_state=check_random_state(random_state),
    )


def _split_dataset(ds, test_size, stratify, random_state):
    y = _check_y(ds.y)
    idx = np.arange(len(y))
    train, test = train_test_split(idx, y, test_size=test_size, stratify=stratify,
                                   random_state=random_state)[:2]
    return _subset(ds, np.sort(train), "train"), _subset(ds, np.sort(test), "test")


def _subset(ds, idx: np.ndarray, part: str):
    meta = dict(ds.metadata)
    if ds.modality == "sequence" and "lengths" in meta:
        from gdlab.data.sequences import PER_FRAME_KEYS, check_lengths

        lengths = check_lengths(ds.X, meta["lengths"])
        ends = np.cumsum(lengths)
        rows = np.concatenate(
            [np.arange(e - n, e) for e, n in zip(ends[idx], lengths[idx], strict=True)]
        )
        meta["lengths"] = lengths[idx]
        for key in PER_FRAME_KEYS:  # per-frame arrays (e.g. hidden states) follow the frames
            if key in meta:
                meta[key] = np.asarray(meta[key])[rows]
    else:
        rows = idx
    X = ds.X.iloc[rows] if hasattr(ds.X, "iloc") else ds.X[rows]
    meta["indices"] = idx
    return dataclasses.replace(ds, name=f"{ds.name}[{part}]", X=X, y=ds.y[idx], metadata=meta)


def nested_subsamples(y, sizes, *, random_state=0) -> list[np.ndarray]:
    """Nested stratified subsamples of sizes m1 < m2 < ... (for learning curves).

    One random order of all rows is built so that every prefix is as close to
    the class proportions of ``y`` as possible: the first ``n_classes`` rows
    hold one row of each class, after which each next row comes from the
    class furthest below its share (``m * p_k - count_k``, ties broken at
    random). The subsample of size ``m`` is the first ``m`` rows, so each
    contains the previous one and every class is present once
    ``m >= n_classes``. No class exceeds ``max(1, ceil(m * p_k))`` rows;
    once every ``m * p_k >= 1`` each class count is within one of
    ``m * p_k``; before that, the rows given to rare classes by the minimum of
    one are taken from the classes furthest above theirs.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sizes : sequence of int
        Strictly increasing, each in [1, n_samples].
    random_state : int, RandomState or None, default=0

    Returns
    -------
    list of ndarray of int
        Sorted row indices, one array per size.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    >>> [len(s) for s in nested_subsamples(y, [3, 6])]
    [3, 6]
    """
    y = _check_y(y)
    n = len(y)
    sizes_list = list(np.atleast_1d(np.asarray(sizes, dtype=object)))
    if not sizes_list:
        raise ValueError("sizes is empty; give at least one subsample size.")
    sizes_int = [check_int(s, "each size") for s in sizes_list]
    if any(b <= a for a, b in zip(sizes_int, sizes_int[1:], strict=False)):
        raise ValueError(f"sizes must be strictly increasing, got {sizes_int}.")
    if sizes_int[-1] > n:
        raise ValueError(f"size {sizes_int[-1]} exceeds the number of samples, {n}.")

    rng = check_random_state(random_state)
    labels, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    K = len(labels)
    pools = [rng.permutation(np.flatnonzero(y_idx == k)) for k in range(K)]
    share = counts / n
    tie = rng.permutation(K) * 1e-9  # random but fixed tie-break between classes
    taken = np.zeros(K, dtype=np.int64)
    order = []
    for k in rng.permutation(K):  # one of each class first
        if len(order) >= sizes_int[-1]:
            break
        order.append(pools[k][0])
        taken[k] = 1
    for m in range(len(order) + 1, sizes_int[-1] + 1):
        lag = m * share - taken + tie
        lag[taken >= counts] = -np.inf
        k = int(np.argmax(lag))
        order.append(pools[k][taken[k]])
        taken[k] += 1
    order = np.asarray(order, dtype=np.int64)
    return [np.sort(order[:m]) for m in sizes_int]


def repeated_splits(y, n_repeats: int = 10, *, test_size=0.25, stratify: bool = True,
                    random_state=0):
    """Yield ``n_repeats`` random (train, test) index pairs, stratified by ``y``.

    Arguments are checked when called (before iteration starts).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_repeats : int, default=10
    test_size : float in (0, 1) or int, default=0.25
    stratify : bool, default=True
    random_state : int, RandomState or None, default=0
        The same seed gives the same splits; different seeds differ.

    Yields
    ------
    train, test : ndarray of int
        Sorted row indices.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1] * 10)
    >>> [len(test) for _, test in repeated_splits(y, 3)]
    [5, 5, 5]
    """
    y = _check_y(y)
    n_repeats = check_int(n_repeats, "n_repeats")
    test_size = _check_test_size(test_size, len(y))
    if stratify:
        _check_stratifiable(y, test_size, len(y))
    cls = StratifiedShuffleSplit if stratify else ShuffleSplit
    splitter = cls(n_splits=n_repeats, test_size=test_size,
                   random_state=check_random_state(random_state))
    return _sorted_pairs(splitter.split(np.zeros((len(y), 1)), y))


def _sorted_pairs(pairs):
    for train, test in pairs:
        yield np.sort(train), np.sort(test)
