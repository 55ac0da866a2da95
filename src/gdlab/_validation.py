"""Input checks shared by every gdlab estimator.

Every model validates data through the functions here, so that the same bad
input gives the same clear error everywhere, before any work starts. The
numeric path wraps scikit-learn's public :func:`sklearn.utils.validation.validate_data`
(one place to adapt if that API moves) and adds what gdlab needs on top:
a missing-value policy tied to the ``missing_features`` capability, a
two-class minimum, and checks on ``random_state``/``n_samples`` arguments.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

__all__ = [
    "check_X",
    "check_X_y",
    "check_n_samples",
    "check_random_state",
    "check_positive",
    "check_nonnegative",
    "check_in",
    "check_priors",
    "check_partial_fit_data",
    "check_int",
    "check_fraction",
]


def _finite_policy(allow_nan: bool) -> bool | str:
    return "allow-nan" if allow_nan else True


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


def check_X(estimator, X, *, reset: bool, allow_nan: bool) -> np.ndarray:
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

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    """
    with _numeric_expected(estimator):
        return validate_data(
            estimator,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_all_finite=_finite_policy(allow_nan),
        )


def check_X_y(estimator, X, y, *, allow_nan: bool, min_classes: int = 2):
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
        X, y = validate_data(
            estimator,
            X,
            y,
            reset=True,
            dtype=np.float64,
            ensure_all_finite=_finite_policy(allow_nan),
            y_numeric=False,
        )
    check_classification_targets(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least {min_classes} classes, "
            f"but y contains only {classes.shape[0]} class: {classes.tolist()!r}."
        )
    return X, y, classes, y_idx


def check_n_samples(n_samples) -> int:
    """Check the ``n_samples`` argument of ``sample``: a positive integer."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be a positive int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples}.")
    return int(n_samples)


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Check that a hyper-parameter is a real number > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return float(value)


def check_nonnegative(X: np.ndarray, estimator_name: str, what: str = "X") -> None:
    """Raise ``ValueError`` when a count or frequency array has negative entries."""
    neg = np.nan_to_num(X, nan=0.0) < 0
    if neg.any():
        row, col = np.argwhere(neg)[0]
        raise ValueError(
            f"Negative values in data passed to {estimator_name}, which expects non-negative "
            f"counts in {what}: got {X[row, col]!r} at row {row}, column {col}."
        )


def check_in(value, name: str, options) -> None:
    """Raise ``ValueError`` when a string option is not one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)!r}, got {value!r}.")


def check_partial_fit_data(estimator, X, y, classes, *, allow_nan: bool):
    """Validate one batch of ``partial_fit``.

    On the first call (``estimator`` has no ``classes_`` yet) ``classes`` must
    list every label (at least two) and ``n_features_in_`` is recorded; later
    calls must agree with them, and ``classes`` (if given again) must not change.

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
            estimator, X, y, reset=first, dtype=np.float64,
            ensure_all_finite=_finite_policy(allow_nan),
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


def check_priors(priors, n_classes: int) -> np.ndarray | None:
    """Validate user-given class priors: shape (n_classes,), non-negative, summing to one.

    Returns None when ``priors`` is None (use the class frequencies).
    """
    if priors is None:
        return None
    priors = np.asarray(priors, dtype=np.float64)
    if priors.shape != (n_classes,):
        raise ValueError(f"priors must have shape ({n_classes},), got {priors.shape}.")
    if not np.isfinite(priors).all() or (priors < 0).any() or not np.isclose(priors.sum(), 1.0):
        raise ValueError(f"priors must be non-negative and sum to 1, got {priors.tolist()}.")
    return priors


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """Check that an argument is an int >= ``minimum`` (bools are not ints here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}.")
    return int(value)


def check_fraction(value, name: str, *, allow_zero: bool = True, allow_one: bool = False) -> float:
    """Check that an argument is a real number in [0, 1) (which ends are allowed as asked)."""
    interval = ("[" if allow_zero else "(") + "0, 1" + ("]" if allow_one else ")")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a real number in {interval}, got {value!r}.")
    low_ok = value > 0 or (allow_zero and value == 0)
    high_ok = value < 1 or (allow_one and value == 1)
    if not (low_ok and high_ok):
        raise ValueError(f"{name} must be in {interval}, got {value!r}.")
    return float(value)


def check_em_params(reg_covar, max_iter, tol) -> tuple[float, int, float]:
    """EM settings shared by the Gaussian models: reg_covar >= 0, max_iter >= 1, tol >= 0."""
    return (
        check_positive(reg_covar, "reg_covar", allow_zero=True),
        check_int(max_iter, "max_iter"),
        check_positive(tol, "tol", allow_zero=True),
    )
