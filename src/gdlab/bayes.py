"""Bayes' rule's arithmetic: the class prior, its log, class draws and log-normalization.

The class prior is estimated in one place (:func:`class_prior_from_counts`),
its log taken in one place (:func:`log_class_prior`), labels of a conditional
``sample`` drawn or checked in one place (:func:`class_indices_for_sampling`),
and log joints normalized into log posteriors by :func:`log_normalize`, exact
at any scale. Used by the contract (:class:`gdlab.base.GenerativeClassifierMixin`)
and by what needs a prior without being such a classifier: the data module's
Bayes classifiers with known parameters, a conditional GAN, the neural and
blended classifiers' posteriors. ``gdlab.base`` re-exports these names.
"""

from __future__ import annotations

import numpy as np

from gdlab._param_checks import check_n_samples, check_priors

__all__ = [
    "log_normalize",
    "log_class_prior",
    "class_prior_from_counts",
    "class_indices_for_sampling",
]


def log_normalize(log_weights: np.ndarray, axis: int = 1) -> np.ndarray:
    """Log of ``softmax(log_weights)`` along ``axis``, exact for any finite scale.

    The maximum is subtracted *before* anything is added to it, so rows whose
    log weights are huge (log p(x, y) of -1e34 for a point 1e17 standard
    deviations out) still normalize: ``x - logsumexp(x)`` would lose the
    ``log(n_classes)`` to rounding and return probabilities of 1 for every
    class.

    Parameters
    ----------
    log_weights : ndarray
        Unnormalized log probabilities; each slice along ``axis`` must have a
        finite maximum.
    axis : int, default=1

    Returns
    -------
    ndarray of the same shape; ``exp`` of it sums to one along ``axis``.
    """
    shifted = log_weights - log_weights.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))



def log_class_prior(class_prior) -> np.ndarray:
    """log p(y=k) of a class prior: the one place Bayes' rule takes the prior's log.

    A class of prior zero gets ``-inf`` without a divide-by-zero warning (it
    is then never predicted). Used by :class:`~gdlab.base.GenerativeClassifierMixin` and by
    the data module's Bayes classifiers with known parameters.

    Parameters
    ----------
    class_prior : array-like of shape (n_classes,)

    Returns
    -------
    ndarray of shape (n_classes,)

    Examples
    --------
    >>> log_class_prior([0.5, 0.5, 0.0]).round(4)
    array([-0.6931, -0.6931,    -inf])
    """
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(class_prior, dtype=np.float64))


def class_prior_from_counts(class_count, priors=None, *, fit_prior=True) -> np.ndarray:
    """p(y=k): the user's ``priors``, else estimated from the class counts.

    The one place a class prior is estimated; used by
    :class:`~gdlab.base.GenerativeClassifierMixin` (``_set_class_prior``) and by models
    that draw labels from a prior without being classifiers (a conditional
    GAN).

    Parameters
    ----------
    class_count : array-like of shape (n_classes,)
        Training rows per class.
    priors : array-like of shape (n_classes,), optional
        The user's priors, validated by :func:`gdlab._param_checks.check_priors`.
    fit_prior : bool, default=True
        With ``priors=None``: the class frequencies when True, uniform when False.

    Returns
    -------
    ndarray of shape (n_classes,)

    Examples
    --------
    >>> class_prior_from_counts([3, 1])
    array([0.75, 0.25])
    >>> class_prior_from_counts([3, 1], fit_prior=False)
    array([0.5, 0.5])
    """
    class_count = np.asarray(class_count, dtype=np.float64)
    n_classes = class_count.shape[0]
    priors = check_priors(priors, n_classes)
    if priors is not None:
        return priors
    if fit_prior:
        return class_count / class_count.sum()
    return np.full(n_classes, 1.0 / n_classes)


def class_indices_for_sampling(classes, class_prior, n_samples, y, rng) -> np.ndarray:
    """Class index of every draw of a conditional ``sample(n_samples, y)`` call.

    ``y=None`` draws classes from ``class_prior``; a single label repeats it
    ``n_samples`` times (default 1); an array gives one label per draw. Labels
    not in ``classes`` raise ``ValueError``. Shared by every model with
    ``conditional_sample``, classifiers or not (a conditional GAN).

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    class_prior : ndarray of shape (n_classes,)
    n_samples : int or None
    y : label, array-like of shape (n_samples,) or None
    rng : numpy.random.RandomState
        Consumed only when ``y`` is None.

    Returns
    -------
    ndarray of int of shape (n_draws,)
        Indices into ``classes``.
    """
    if y is None:
        n = check_n_samples(1 if n_samples is None else n_samples)
        return rng.choice(len(classes), size=n, p=class_prior)
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        n = check_n_samples(1 if n_samples is None else n_samples)
        y_arr = np.repeat(y_arr, n)
    elif y_arr.ndim != 1:
        raise ValueError(
            f"y must be a label or a 1-D array of labels, got shape {y_arr.shape}."
        )
    elif n_samples is not None and check_n_samples(n_samples) != y_arr.shape[0]:
        raise ValueError(
            f"y has {y_arr.shape[0]} labels but n_samples={n_samples}; give one label per "
            "sample, a single label, or leave n_samples out."
        )
    if y_arr.shape[0] == 0:
        raise ValueError("y is empty: nothing to sample.")
    idx = np.searchsorted(classes, y_arr)
    idx_clip = np.clip(idx, 0, len(classes) - 1)
    bad = (idx >= len(classes)) | (classes[idx_clip] != y_arr)
    if bad.any():
        raise ValueError(
            f"y contains labels not seen in fit: {np.unique(y_arr[bad]).tolist()!r}; "
            f"known classes are {classes.tolist()!r}."
        )
    return idx_clip
