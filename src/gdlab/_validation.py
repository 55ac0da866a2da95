"""Input checks shared by every gdlab estimator.

Every model validates data through the functions here, so that the same bad
input gives the same clear error everywhere, before any work starts. The
numeric path wraps scikit-learn's public :func:`sklearn.utils.validation.validate_data`
(one place to adapt if that API moves) and adds what gdlab needs on top:
a missing-value policy tied to the ``missing_features`` capability, a
two-class minimum, magnitudes the arithmetic can square, sample weights, and
class labels (``-1`` for an unlabelled row in semi-supervised fits). The checks
of settings and scalar arguments (:mod:`gdlab._param_checks`) and of sequences
and texts (:mod:`gdlab._sequence_checks`) live in their own modules.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

__all__ = [
    "check_X",
    "check_X_y",
    "check_magnitude",
    "check_feature_magnitude",
    "MAX_ABS_SQUARED",
    "check_random_state",
    "check_nonnegative",
    "check_partial_fit_data",
    "check_labels",
    "UNLABELLED",
    "unlabelled_mask",
    "check_semi_supervised_labels",
    "semi_supervised_class_indices",
]


def _array_options(allow_nan: bool, accept_sparse: bool, dtype=np.float64) -> dict:
    """``validate_data``'s ``dtype``, ``ensure_all_finite`` and ``accept_sparse`` from the
    arguments of :func:`check_X`, :func:`check_X_y` and :func:`check_partial_fit_data`."""
    return {
        "dtype": list(dtype) if isinstance(dtype, tuple) else dtype,
        "ensure_all_finite": "allow-nan" if allow_nan else True,
        "accept_sparse": ["csr", "csc"] if accept_sparse else False,
    }


@contextlib.contextmanager
def _numeric_expected(estimator):
    """Say what was expected when numpy cannot turn X into floats."""
    try:
        yield
    except ValueError as err:
        if not str(err).startswith("could not convert"):
            raise
        raise ValueError(
            f"{type(estimator).__name__} expects numeric X (float64), but {err}. Encode "
            "categorical columns first, or use MixedNB with a DataFrame (categories allowed) "
            "or CategoricalNB with integer codes."
        ) from err


def check_X(estimator, X, *, reset: bool, allow_nan: bool, dtype=np.float64,
            accept_sparse: bool = False) -> np.ndarray:
    """Validate a 2-D numeric feature array for ``estimator``.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator the data is for. With ``reset=True`` its
        ``n_features_in_`` (and ``feature_names_in_`` for DataFrames) is
        recorded; with ``reset=False`` the data must agree with them.
    X : array-like of shape (n_samples, n_features)
        Numeric data. Strings, infinities, wrong dimensionality and empty
        arrays raise ``ValueError``.
    reset : bool
        True in ``fit``, False in every method that uses a fitted model.
    allow_nan : bool
        Whether NaN marks a missing entry (models with the
        ``missing_features`` capability) or is an error.
    dtype : numpy dtype or tuple of dtypes, default=float64
        Torch models pass ``(np.float32, np.float64)`` so float32 input is
        not copied to float64 (a tuple keeps any listed dtype as it is).
    accept_sparse : bool, default=False
        Whether a scipy.sparse matrix is kept sparse (CSR and CSC as they
        are, other formats as CSR); otherwise it raises ``TypeError``.

    Returns
    -------
    X : ndarray or sparse matrix of shape (n_samples, n_features), float64 (or a listed dtype)
    """
    with _numeric_expected(estimator):
        return validate_data(
            estimator, X, reset=reset, **_array_options(allow_nan, accept_sparse, dtype)
        )


def _classes_of(estimator, y, min_classes: int):
    """Sorted labels of ``y`` and the index of each, refusing fewer than ``min_classes``."""
    check_classification_targets(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least {min_classes} classes, "
            f"but y contains only {classes.shape[0]} class: {classes.tolist()!r}."
        )
    return classes, y_idx


def check_X_y(estimator, X, y, *, allow_nan: bool, min_classes: int = 2, dtype=np.float64,
              accept_sparse: bool = False):
    """Validate training data for a classifier.

    Parameters
    ----------
    estimator : BaseEstimator
        The classifier being fitted; ``n_features_in_`` is recorded on it.
    X : array-like of shape (n_samples, n_features)
        Numeric features; NaN allowed only when ``allow_nan``.
    y : array-like of shape (n_samples,)
        Class labels (any hashable, sortable type; not continuous values).
    allow_nan : bool
        Whether NaN entries of X are missing values.
    min_classes : int, default=2
        Fewer distinct labels than this raise ``ValueError``.
    dtype : numpy dtype or tuple of dtypes, default=float64
        See :func:`check_X`.
    accept_sparse : bool, default=False
        See :func:`check_X`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
    classes : ndarray of shape (n_classes,)
        Sorted unique labels.
    y_idx : ndarray of shape (n_samples,), int
        Index of each label in ``classes``.
    """
    with _numeric_expected(estimator):
        X, y = validate_data(estimator, X, y, reset=True, y_numeric=False,
                             **_array_options(allow_nan, accept_sparse, dtype))
    classes, y_idx = _classes_of(estimator, y, min_classes)
    return X, y, classes, y_idx


#: Largest magnitude accepted by models whose math squares the inputs (variances,
#: quadratic forms, squared distances): its square, summed over many rows and
#: features, stays far from float64 overflow (1.8e308).
MAX_ABS_SQUARED = 1e150


def check_feature_magnitude(estimator, X):
    """:func:`check_magnitude` of X with the columns named as the estimator was fitted.

    The check of every model whose arithmetic squares the features (Gaussian
    densities, mixtures, kernel densities, standardization): the message names
    a column by ``estimator.feature_names_in_`` when the model was fitted on a
    DataFrame.

    Parameters
    ----------
    estimator : object
    X : ndarray of shape (n_samples, n_features)
        Validated numeric data; NaN entries are ignored.

    Returns
    -------
    X : ndarray
        Unchanged.

    Raises
    ------
    ValueError
        As :func:`check_magnitude`.
    """
    check_magnitude(estimator, X, feature_names=getattr(estimator, "feature_names_in_", None))
    return X


def check_magnitude(estimator, X, *, limit: float = MAX_ABS_SQUARED, feature_names=None,
                    what: str = "X") -> None:
    """Refuse entries too large for the model's arithmetic, before any work.

    Parameters
    ----------
    estimator : object or str
        The model (its class name goes into the message) or a name.
    X : ndarray or sparse matrix of shape (n_samples, n_features), or ndarray of shape (n_samples,)
        Validated numeric data; NaN entries (missing values) are ignored.
    limit : float, default=MAX_ABS_SQUARED
        Largest accepted ``|x|``.
    feature_names : sequence of str, optional
        Column names for the message (a DataFrame's columns).
    what : str, default="X"
        What the array is called in the message.

    Raises
    ------
    ValueError
        Naming the first offending column, its largest magnitude and the limit.
    """
    if sp.issparse(X):  # the stored entries; implicit zeros are small
        coo = X.tocoo()
        values, cols = coo.data, coo.col
    else:
        X = np.asarray(X)
        values, cols = X, None
    if values.size == 0 or values.dtype.kind not in "fiu":
        return
    if cols is None:
        if X.dtype.kind == "f" and X.flags.c_contiguous:
            # first the whole array at once (a reduction over contiguous memory is many
            # times faster than one per column); columns only to name an offender
            flat = X.reshape(-1)
            top = max(abs(float(np.fmax.reduce(flat))), abs(float(np.fmin.reduce(flat))))
            if not top > limit:  # also NaN: nothing observed
                return
        # the largest |x| of each column from its max and min (fmax / fmin skip NaN):
        # reductions, so no temporary the size of X
        axis = 0 if X.ndim == 2 else None
        extreme = np.fmax(np.abs(np.fmax.reduce(X, axis=axis).astype(np.float64)),
                          np.abs(np.fmin.reduce(X, axis=axis).astype(np.float64)))
        with np.errstate(invalid="ignore"):
            big = extreme > limit  # an all-NaN column is NaN here: not big
    else:
        with np.errstate(invalid="ignore"):
            big = np.abs(values) > limit
    if not big.any():
        return
    name = estimator if isinstance(estimator, str) else type(estimator).__name__
    if cols is not None:
        col = int(cols[big].min())
        worst = np.nanmax(np.abs(values[cols == col]))
    elif X.ndim == 1:
        col, worst = None, float(extreme)
    else:
        col = int(np.flatnonzero(big)[0])
        worst = extreme.flat[col]
    if col is None:
        where = what
    else:
        label = f" ({feature_names[col]!r})" if feature_names is not None else ""
        where = f"column {col}{label} of {what}"
    raise ValueError(
        f"{name} cannot take {where}: it holds a value of magnitude {worst:.3g}, beyond "
        f"the {limit:.0e} its arithmetic can square without overflow. Rescale the column "
        "(e.g. StandardScaler or a log transform) or mark wrong values as missing."
    )


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """Check ``sample_weight`` of a ``fit``: None, or n_samples finite weights >= 0, not all 0.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
    n_samples : int
        Rows of the X it goes with.

    Returns
    -------
    ndarray of shape (n_samples,), float64, or None
        None stands for every weight 1 (the unweighted fit, unchanged).

    Raises
    ------
    TypeError
        Weights that are not real numbers.
    ValueError
        Weights of another length than X's rows, not 1-D, not finite, negative,
        or all zero (nothing to fit).

    Examples
    --------
    >>> check_sample_weight([1, 0.5], 2)
    array([1. , 0.5])
    >>> check_sample_weight([1, -1], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be >= 0, got -1.0 at row 1.
    """
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"sample_weight must be real numbers, got {type(sample_weight).__name__}."
        ) from None
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X, "
            f"got shape {w.shape}."
        )
    bad = ~np.isfinite(w)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"sample_weight must be finite, got {float(w[row])!r} at row {row}.")
    if (w < 0).any():
        row = int(np.argmax(w < 0))
        raise ValueError(f"sample_weight must be >= 0, got {float(w[row])!r} at row {row}.")
    if n_samples and not w.any():
        raise ValueError("every sample_weight is zero: there is no row to fit.")
    return w


def check_nonnegative(X, estimator_name: str, what: str = "X") -> None:
    """Raise ``ValueError`` when a count or frequency matrix has negative entries.

    ``X`` is a 2-D array (NaN is not negative) or a ``scipy.sparse`` matrix, of
    which only the stored entries can be negative; the message names the first
    negative entry in row-major order, its value as a plain float.
    """
    if sp.issparse(X):
        if not X.nnz or not (X.data < 0).any():
            return
        coo = X.tocoo()
        neg = np.flatnonzero(coo.data < 0)
        i = neg[np.lexsort((coo.col[neg], coo.row[neg]))[0]]
        row, col, value = coo.row[i], coo.col[i], coo.data[i]
    else:
        neg = np.nan_to_num(X, nan=0.0) < 0
        if not neg.any():
            return
        row, col = np.argwhere(neg)[0]
        value = X[row, col]
    raise ValueError(
        f"Negative values in data passed to {estimator_name}, which expects non-negative "
        f"counts in {what}: got {float(value)!r} at row {int(row)}, column {int(col)}."
    )


def check_partial_fit_data(estimator, X, y, classes, *, allow_nan: bool,
                           accept_sparse: bool = False):
    """Validate one batch of ``partial_fit``.

    On the first call (``estimator`` has no ``classes_`` yet) ``classes`` must
    list every label (at least two) and ``n_features_in_`` is recorded; later
    calls must agree with them, and ``classes`` (if given again) must not change.
    ``accept_sparse`` is as in :func:`check_X`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    classes : ndarray of shape (n_classes,)
        Sorted labels (the given ones on the first call, ``classes_`` after).
    y_idx : ndarray of shape (n_samples,), int
        Index of each label in ``classes``.
    first : bool
        Whether this is the first call.
    """
    first = not hasattr(estimator, "classes_")
    if first:
        if classes is None:
            raise ValueError(
                f"classes must be given on the first call to {type(estimator).__name__}"
                ".partial_fit (all labels that will ever appear)."
            )
        known = np.unique(np.asarray(classes))
        if known.shape[0] < 2:
            raise ValueError(
                f"{type(estimator).__name__} needs at least 2 classes, got {known.tolist()!r}."
            )
    else:
        known = estimator.classes_
        if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), known):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()!r} differs from the classes of the first "
                f"call to partial_fit, {known.tolist()!r}."
            )
    with _numeric_expected(estimator):
        X, y = validate_data(
            estimator, X, y, reset=first, **_array_options(allow_nan, accept_sparse)
        )
    check_classification_targets(y)
    idx = np.clip(np.searchsorted(known, y), 0, known.shape[0] - 1)
    unknown = known[idx] != y
    if unknown.any():
        raise ValueError(
            f"y contains labels not in classes {known.tolist()!r}: "
            f"{np.unique(y[unknown]).tolist()!r}."
        )
    return X, known, idx, first


def check_labels(estimator, y, n_items: int, *, min_classes: int = 2):
    """Validate class labels given apart from X (one per sequence or text).

    Parameters
    ----------
    estimator : estimator
        Named in error messages.
    y : array-like of shape (n_items,)
    n_items : int
        Number of sequences / texts in X.
    min_classes : int, default=2

    Returns
    -------
    y : ndarray of shape (n_items,)
    classes : ndarray of shape (n_classes,)
    y_idx : ndarray of shape (n_items,), int
    """
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y (one label per item), got None.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per item), got shape {y.shape}.")
    if y.shape[0] != n_items:
        raise ValueError(
            f"X has {n_items} items (sequences or texts) but y has {y.shape[0]} labels; "
            "give one label per item."
        )
    classes, y_idx = _classes_of(estimator, y, min_classes)
    return y, classes, y_idx


#: The label of an unlabelled row (scikit-learn's convention for semi-supervised ``fit``).
UNLABELLED = -1


def unlabelled_mask(y) -> np.ndarray:
    """Which entries of ``y`` are :data:`UNLABELLED` (``-1``).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; a string array never holds ``-1`` (an object array may).

    Returns
    -------
    ndarray of shape (n_samples,), bool

    Examples
    --------
    >>> unlabelled_mask([0, -1, 2, -1]).tolist()
    [False, True, False, True]
    >>> unlabelled_mask(["a", "-1"]).tolist()
    [False, False]
    """
    y = np.asarray(y)
    if y.dtype.kind in "US":
        return np.zeros(y.shape, dtype=bool)
    if y.dtype == object:
        return np.array([isinstance(v, numbers.Real) and not isinstance(v, bool)
                         and v == UNLABELLED for v in y.ravel()], dtype=bool).reshape(y.shape)
    return np.asarray(y == UNLABELLED, dtype=bool)


def check_semi_supervised_labels(estimator, y, *, min_classes: int = 2) -> np.ndarray:
    """Refuse labels a semi-supervised ``fit`` cannot learn from; return the classes.

    ``-1`` marks an unlabelled row; every other value is a class. A model
    with the ``semi_supervised`` tag calls this before fitting, so that ``y``
    without a labelled row ("no class to learn") or with labelled rows of one
    class only raises a clear ``ValueError`` instead of failing part-way (or
    fitting a model that predicts one class).

    Parameters
    ----------
    estimator : estimator
        Named in error messages.
    y : array-like of shape (n_samples,)
    min_classes : int, default=2
        Fewer distinct labels among the labelled rows raise ``ValueError``.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted labels of the labelled rows (empty when ``y`` is empty: the
        caller's own check of ``X`` and ``y`` then names the problem).

    Raises
    ------
    ValueError
        NaN in ``y``, no labelled row, or fewer than ``min_classes`` classes
        among the labelled rows.

    Examples
    --------
    >>> check_semi_supervised_labels("model", [0, -1, 1, -1]).tolist()
    [0, 1]
    >>> check_semi_supervised_labels("model", [-1, -1])
    Traceback (most recent call last):
    ...
    ValueError: str has no labelled row: every entry of y is -1 (unlabelled), so there is ...
    """
    name = type(estimator).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.size == 0:
        return y[:0]
    if y.dtype.kind == "f" and np.isnan(y).any():
        rows = np.flatnonzero(np.isnan(y))
        raise ValueError(f"y holds NaN (row {int(rows[0])}, {rows.size} in all); give a class "
                         f"label, or -1 for an unlabelled row.")
    labelled = y[~unlabelled_mask(y)]
    if labelled.size == 0:
        raise ValueError(f"{name} has no labelled row: every entry of y is -1 (unlabelled), "
                         "so there is no class to learn. Label at least one row of each class.")
    check_classification_targets(labelled)
    classes = np.unique(labelled)
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"{name} needs labelled rows of at least {min_classes} classes, but the labelled "
            f"rows of y (those not -1) hold only {classes.shape[0]} class: {classes.tolist()!r}."
        )
    return classes


def semi_supervised_class_indices(estimator, y, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """The classes of a semi-supervised fit and each row's class index (-1: unlabelled).

    Runs :func:`check_semi_supervised_labels` on ``y``, then checks the
    ``classes`` a user listed, if any: a listed class with no labelled row
    cannot be learnt (a semi-supervised model cannot name a class it never
    sees labelled), a label outside the list is a mistake, and ``-1`` cannot be
    a class.

    Parameters
    ----------
    estimator : estimator
        Named in error messages.
    y : ndarray of shape (n_samples,)
        Validated labels; ``-1`` marks an unlabelled row (:func:`unlabelled_mask`).
    classes : array-like or None, default=None
        The labels to learn; None: those of the labelled rows.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted.
    y_idx : ndarray of shape (n_samples,), int64
        Index into ``classes`` of each labelled row, -1 for an unlabelled row.

    Raises
    ------
    ValueError
        As :func:`check_semi_supervised_labels`; a listed class without a
        labelled row (named), a label that is not listed (named), or ``-1``
        among ``classes``.

    Examples
    --------
    >>> classes, y_idx = semi_supervised_class_indices("model", np.array([5, -1, 3, -1]))
    >>> classes.tolist(), y_idx.tolist()
    ([3, 5], [1, -1, 0, -1])
    >>> semi_supervised_class_indices("model", np.array([5, -1, 3]), classes=[3, 5, 7])
    Traceback (most recent call last):
    ...
    ValueError: classes [7] have no labelled row in y; str cannot learn a class it never ...
    """
    y = np.asarray(y)
    seen = check_semi_supervised_labels(estimator, y)
    unlabelled = unlabelled_mask(y)
    if classes is None:
        classes_ = seen
    else:
        classes_ = np.unique(np.asarray(classes))
        if classes_.ndim != 1:
            raise ValueError(f"classes must be a 1-D list of labels, got {classes!r}.")
        if unlabelled_mask(classes_).any():
            raise ValueError("classes must not list -1: it marks unlabelled rows.")
        unknown = np.setdiff1d(seen, classes_)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()!r} that are not in classes="
                             f"{classes_.tolist()!r}.")
        never = np.setdiff1d(classes_, seen)
        if never.size:
            raise ValueError(f"classes {never.tolist()!r} have no labelled row in y; "
                             f"{type(estimator).__name__} cannot learn a class it never sees "
                             "labelled (give at least one labelled row of each class).")
    y_idx = np.full(y.shape[0], -1, dtype=np.int64)
    y_idx[~unlabelled] = np.searchsorted(classes_, y[~unlabelled])
    return classes_, y_idx
