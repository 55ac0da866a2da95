"""Checks of an estimator's settings and of a function's scalar arguments.

What lives here: the checks that turn a hyper-parameter or an argument into the
value the code uses, or raise the error every gdlab model gives for it: a bool, an
int with a lower bound, a finite positive (or non-negative) real, a fraction, one
of a set of options, ``n_samples`` of ``sample``, class priors, and the EM settings
of the Gaussian models. Who uses it: every estimator's parameter checks, the
data generators and the studies. The checks of data are :mod:`gdlab._validation`'s.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_bool",
    "check_int",
    "check_positive",
    "check_fraction",
    "check_in",
    "check_n_samples",
    "check_priors",
    "check_em_params",
]


def check_bool(value, name: str) -> bool:
    """Check that an argument is a bool (``numpy.bool_`` too; ints such as 0 and 1 are not).

    Parameters
    ----------
    value : object
        The argument.
    name : str
        Its name, for the message.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        When ``value`` is not a bool: ``"<name> must be a bool, got <value!r>."``.

    Examples
    --------
    >>> check_bool(np.True_, "warm_start")
    True
    >>> check_bool(1, "warm_start")
    Traceback (most recent call last):
    ...
    TypeError: warm_start must be a bool, got 1.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}.")
    return bool(value)


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """Check that an argument is an int >= ``minimum`` (bools are not ints here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}.")
    return int(value)


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Check that a hyper-parameter is a real number > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return float(value)


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


def check_in(value, name: str, options) -> None:
    """Raise ``ValueError`` when a string option is not one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)!r}, got {value!r}.")


def check_n_samples(n_samples) -> int:
    """Check the ``n_samples`` argument of ``sample``: a positive integer."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be a positive int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples}.")
    return int(n_samples)


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


def check_em_params(reg_covar, max_iter, tol) -> tuple[float, int, float]:
    """EM settings shared by the Gaussian models: reg_covar >= 0, max_iter >= 1, tol >= 0."""
    return (
        check_positive(reg_covar, "reg_covar", allow_zero=True),
        check_int(max_iter, "max_iter"),
        check_positive(tol, "tol", allow_zero=True),
    )
