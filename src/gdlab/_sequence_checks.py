"""Input checks of the models that take sequences or texts instead of a feature matrix.

What lives here: :func:`check_sequences` (a list of frame arrays, or stacked frames
with ``lengths``), :func:`check_lengths` and :func:`check_length_range` (the
``lengths`` of stacked frames and a generator's ``length`` argument) and
:func:`check_texts` (a list of str). Who uses it: the HMMs and recurrent networks
(sequences), the text models and tokenizers (texts), the sequence data sets, and
:class:`gdlab.base` through its ``sequences`` / ``text`` capabilities.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet

import numpy as np

from gdlab._param_checks import check_int

__all__ = [
    "check_lengths",
    "check_length_range",
    "check_sequences",
    "check_texts",
]


def check_lengths(X, lengths) -> np.ndarray:
    """Validate ``lengths`` against the stacked frames ``X``.

    Parameters
    ----------
    X : array-like of shape (n_frames, ...)
        Stacked frames.
    lengths : array-like of int, shape (n_sequences,), or None
        Positive integers summing to ``n_frames``; None means one sequence.

    Returns
    -------
    ndarray of int64, shape (n_sequences,)

    Raises
    ------
    ValueError
        For lengths that are not 1-D, not positive integers, or do not sum
        to ``len(X)``.

    Examples
    --------
    >>> check_lengths(np.zeros((5, 1)), [2, 3]).tolist()
    [2, 3]
    """
    n_frames = len(X)
    if lengths is None:
        if n_frames == 0:
            raise ValueError("X has no frames.")
        return np.array([n_frames], dtype=np.int64)
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D array of ints, got shape {arr.shape}.")
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"lengths must be integers, got dtype {arr.dtype}: {arr[:5].tolist()}.")
    if (arr < 1).any():
        bad = int(np.flatnonzero(arr < 1)[0])
        raise ValueError(f"lengths must be positive, got lengths[{bad}] = {int(arr[bad])}.")
    if int(arr.sum()) != n_frames:
        raise ValueError(
            f"lengths sum to {int(arr.sum())} but X has {n_frames} frames (rows); "
            "they must be equal."
        )
    return arr.astype(np.int64)


def check_length_range(length) -> tuple[int, int]:
    """Check a sequence ``length`` argument: an int, or inclusive ``(low, high)`` int bounds.

    Parameters
    ----------
    length : int or (int, int)
        A fixed length, or the bounds of a uniform random length (both >= 1).

    Returns
    -------
    (low, high) : tuple of int
        ``(n, n)`` for a fixed length ``n``.

    Examples
    --------
    >>> check_length_range(5), check_length_range((2, 4))
    ((5, 5), (2, 4))
    """
    if isinstance(length, numbers.Integral) and not isinstance(length, bool):
        n = check_int(length, "length")
        return n, n
    if isinstance(length, (tuple, list)) and len(length) == 2:
        low, high = (check_int(v, "length bounds") for v in length)
        if low > high:
            raise ValueError(f"length=(low, high) needs low <= high, got {tuple(length)}.")
        return low, high
    raise TypeError(f"length must be an int or a (low, high) pair of ints, got {length!r}.")


def check_sequences(estimator, X, lengths=None, *, allow_nan: bool, reset: bool,
                    dtype=np.float64) -> list[np.ndarray]:
    """Validate sequences given as a list of arrays or as stacked frames plus ``lengths``.

    Parameters
    ----------
    estimator : estimator
        ``n_features_in_`` (the number of features per frame) is recorded on it
        when ``reset`` and checked otherwise.
    X : list of array-like of shape (length_i, n_features) or (length_i,), or array-like
        A list (or 1-D object array) of sequences, or the stacked frames
        ``(sum(lengths), n_features)`` of the ``lengths`` convention.
    lengths : array-like of int, optional
        Only with stacked frames; None means one sequence.
    allow_nan : bool
        Whether NaN entries (missing observations) are allowed.
    reset : bool
        True in ``fit``.
    dtype : numpy dtype, default=float64

    Returns
    -------
    list of ndarray of shape (length_i, n_features)

    Raises
    ------
    ValueError
        Empty input, a zero-length sequence, frames with zero features, lengths
        that do not sum to the number of frames, mismatched feature counts, NaN
        where not allowed, inf.
    TypeError
        Non-numeric frames.
    """
    name = type(estimator).__name__
    if isinstance(X, str):
        raise TypeError(f"{name} expects sequences of numeric frames, got a str.")
    is_list = isinstance(X, (list, tuple)) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1)
    check_each = True  # inf / NaN sequence by sequence (the message names the first)
    if is_list:
        if lengths is not None:
            raise ValueError("lengths is only for stacked frames; X is already a list of "
                             "sequences.")
        seqs = list(X)
    else:
        try:
            arr = np.asarray(X)
        except ValueError as err:
            raise ValueError(f"{name} could not read X as stacked frames: {err}") from err
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"{name} expects stacked frames of shape (n_frames, n_features) "
                             f"or a list of sequences, got an array of shape {arr.shape}.")
        seqs = np.split(arr, np.cumsum(check_lengths(arr, lengths))[:-1])
        if arr.dtype.kind in "biu":  # integers: neither inf nor NaN
            check_each = False
        elif arr.dtype.kind == "f":  # once over the stacked frames; each only to name one
            check_each = bool(np.isinf(arr).any() or (not allow_nan and np.isnan(arr).any()))
    if not seqs:
        raise ValueError(f"{name} got no sequences (an empty list).")
    out = []
    for i, s in enumerate(seqs):
        if isinstance(s, str):
            raise TypeError(f"{name} expects numeric frames; sequence {i} is a str {s[:20]!r}.")
        a = np.asarray(s)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name} expects numeric frames; sequence {i} has dtype {a.dtype}.")
        a = a.astype(dtype, copy=False)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"sequence {i} must be 1-D or 2-D, got shape {a.shape}.")
        if a.shape[0] == 0:
            raise ValueError(f"sequence {i} has zero length; every sequence needs a frame.")
        if a.shape[1] == 0:
            raise ValueError(f"sequence {i} has 0 features per frame; {name} needs at least "
                             "one feature per frame.")
        if out and a.shape[1] != out[0].shape[1]:
            raise ValueError(f"sequence {i} has {a.shape[1]} features but sequence 0 has "
                             f"{out[0].shape[1]}.")
        if check_each and np.isinf(a).any():
            raise ValueError(f"sequence {i} contains inf; {name} needs finite values.")
        if check_each and not allow_nan and np.isnan(a).any():
            raise ValueError(f"sequence {i} contains NaN, and {name} does not take missing "
                             "observations.")
        out.append(a)
    n_features = out[0].shape[1]
    if reset:
        estimator.n_features_in_ = n_features
    elif getattr(estimator, "n_features_in_", n_features) != n_features:
        raise ValueError(f"X has {n_features} features per frame, but {name} was fitted with "
                         f"{estimator.n_features_in_}.")
    return out


def check_texts(estimator, X, *, allow_empty: bool = False) -> list[str]:
    """Validate text input: a list / 1-D array / Series of str (or a one-column DataFrame).

    Parameters
    ----------
    estimator : estimator
        Named in error messages.
    X : list, tuple, 1-D array or Series of str, or a one-column DataFrame
    allow_empty : bool, default=False
        Whether empty strings are allowed.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        A bare str, items that are not str (numbers, bytes, None), or a
        container without a fixed order or a second pass: an iterator or
        generator, a dict, a set.
    ValueError
        No texts, or an empty string where not allowed.
    """
    name = type(estimator).__name__
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} expects a list of texts, got a single {type(X).__name__}; "
                        "wrap it in a list.")
    if hasattr(X, "columns"):  # a DataFrame: must have exactly one (text) column
        if X.shape[1] != 1:
            raise ValueError(f"{name} expects one text column, got a DataFrame with columns "
                             f"{list(X.columns)}.")
        X = X.iloc[:, 0]
    if isinstance(X, np.ndarray) and X.ndim != 1:
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        else:
            raise ValueError(f"{name} expects a 1-D sequence of texts, got shape {X.shape}.")
    if isinstance(X, (Iterator, Mapping, AbstractSet)):
        why = ("it is read once, so a second pass (fit, then transform) finds it empty"
               if isinstance(X, Iterator) else "it has no order that matches y")
        raise TypeError(f"{name} expects a list of texts (list, tuple, 1-D array or Series), "
                        f"got {type(X).__name__}: {why}. Pass list(X) in the order of y.")
    try:
        texts = list(X)
    except TypeError as err:
        raise TypeError(f"{name} expects a list of texts, got {type(X).__name__}.") from err
    if not texts:
        raise ValueError(f"{name} got no texts (an empty list).")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name} expects str texts; item {i} is {type(t).__name__} "
                            f"({t!r:.40}).")
        if not allow_empty and not t:
            raise ValueError(f"text {i} is an empty string; {name} needs at least one "
                             "character per text.")
    return texts
