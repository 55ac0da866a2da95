"""Generative data augmentation: a classifier trained on real rows plus rows drawn from p(x | y).

:class:`GenerativeAugmentation` is a hybrid: a generative model (any estimator
with the ``conditional_sample`` capability) is fitted on the training rows,
draws synthetic rows of each class from its p(x | y = k), and a discriminative
classifier is fitted on the real and synthetic rows together. The generative
model only supplies data; predictions are the classifier's.

:class:`SMOTESampler` puts SMOTE (imbalanced-learn's, Chawla et al. 2002) behind
the same ``sample(n, y=k)`` call, so the non-generative baseline runs through
the same wrapper: a synthetic row of class k lies on the segment between a row
of class k and one of its nearest neighbours of that class. It has no density.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from gdlab.models import GaussianNB
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(-2, 1, (20, 2)), rng.normal(2, 1, (20, 2))])
>>> y = np.repeat([0, 1], 20)
>>> aug = GenerativeAugmentation(GaussianNB(), LogisticRegression(), ratio=2.0, random_state=0)
>>> aug.fit(X, y).n_synthetic_.tolist()
[40, 40]
>>> aug.predict([[-2.0, -2.0], [2.0, 2.0]]).tolist()
[0, 1]
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from gdlab.base import CapabilityMixin
from gdlab.bayes import class_indices_for_sampling
from gdlab.capability_tags import capabilities, input_kind

__all__ = ["GenerativeAugmentation", "SMOTESampler", "synthetic_counts"]


def synthetic_counts(class_count, ratio: float, balance: bool) -> np.ndarray:
    """How many synthetic rows each class gets.

    Parameters
    ----------
    class_count : array-like of int, shape (n_classes,)
        Real training rows per class, ``n_k``.
    ratio : float >= 0
    balance : bool
        False: ``round(ratio * n_k)`` rows for class k. True: enough for every
        class to reach ``(1 + ratio) * max_k n_k`` rows, real and synthetic
        together (``ratio=0``: the classes evened out at the largest one).

    Returns
    -------
    ndarray of int, shape (n_classes,)

    Examples
    --------
    >>> synthetic_counts([10, 30], 0.5, False).tolist()
    [5, 15]
    >>> synthetic_counts([10, 30], 0.0, True).tolist()
    [20, 0]
    >>> synthetic_counts([10, 30], 1.0, True).tolist()
    [50, 30]
    """
    counts = np.asarray(class_count, dtype=np.int64)
    if balance:
        target = int(np.round((1.0 + ratio) * counts.max()))
        return np.maximum(target - counts, 0)
    return np.round(ratio * counts).astype(np.int64)


def _concat(parts):
    """Rows of several parts stacked: arrays, DataFrames or lists (texts, sequences)."""
    first = parts[0]
    if isinstance(first, pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    if isinstance(first, list):
        return [item for part in parts for item in part]
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def _n_items(X) -> int:
    return len(X) if isinstance(X, (list, pd.DataFrame)) else np.asarray(X).shape[0]


def _check_finite_setting(value, name: str, *, allow_zero: bool) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0 (>= 0 with ``allow_zero``)."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")


def _weight_route(classifier) -> str | None:
    """The ``fit`` keyword that carries per-row weights to ``classifier``, or None.

    ``sample_weight`` for an estimator whose ``fit`` takes it; for a Pipeline,
    ``<last step>__sample_weight`` when its last step takes it (the earlier
    steps, e.g. a scaler, are fitted unweighted).
    """
    if isinstance(classifier, Pipeline):
        name, last = classifier.steps[-1]
        if last in (None, "passthrough"):
            return None
        return f"{name}__sample_weight" if _weight_route(last) == "sample_weight" else None
    return "sample_weight" if has_fit_parameter(classifier, "sample_weight") else None


class GenerativeAugmentation(MetaEstimatorMixin, CapabilityMixin, ClassifierMixin, BaseEstimator):
    """A classifier fitted on its training rows plus rows drawn from a generative model.

    ``fit`` fits a clone of ``generator`` on the training rows, draws synthetic
    rows of each class k from its p(x | y = k) (``ratio * n_k`` rows, or with
    ``balance=True`` enough to even out the classes), and fits a clone of
    ``classifier`` on the real and synthetic rows together, each synthetic row
    weighted ``synthetic_weight`` (a real row weighs 1). Predictions are the
    classifier's.

    Parameters
    ----------
    generator : estimator with the ``conditional_sample`` capability
        Fitted on ``(X, y)``; ``sample(n, y=k, random_state=...)`` must draw
        ``n`` rows of class k (any gdlab generative classifier, a conditional
        GAN or VAE, diffusion, :class:`SMOTESampler`).
    classifier : classifier
        Any scikit-learn compatible classifier taking the same kind of input
        as the generator (rows, sequences or texts).
    ratio : float >= 0, default=1.0
        Synthetic rows per real row of each class. ``ratio=0`` (without
        ``balance``) draws nothing: the classifier alone, fitted on the real
        rows exactly as it would be without the wrapper, and the generator is
        not fitted.
    balance : bool, default=False
        Draw for every class enough rows to reach ``(1 + ratio) * n_max``
        rows, real and synthetic together, ``n_max`` the largest class; with
        ``ratio=0`` this evens the classes out at the largest one (SMOTE's
        usual use). Needs at least two classes.
    synthetic_weight : float > 0, default=1.0
        ``sample_weight`` of every synthetic row. Any value but 1 needs a
        classifier whose ``fit`` takes ``sample_weight`` (for a Pipeline, its
        last step: the earlier steps are fitted unweighted).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws (the generator's and classifier's own seeds are
        their parameters).

    Attributes
    ----------
    generator_ : estimator or None
        The fitted generator (None when no row was drawn).
    classifier_ : classifier
        The fitted classifier.
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Real training rows per class.
    n_synthetic_ : ndarray of shape (n_classes,)
        Synthetic rows drawn per class.
    n_features_in_ : int
        When the classifier records it.

    Notes
    -----
    Capabilities: ``classify``, plus ``text`` or ``sequences`` when the
    classifier takes texts or sequences, and ``missing_features`` when the
    generator and the classifier both have it (NaN in X is otherwise refused
    before any fit). The wrapper does not score densities
    or sample: the generator is a means of training, reachable as
    ``generator_``.
    """

    def __init__(self, generator=None, classifier=None, *, ratio=1.0, balance=False,
                 synthetic_weight=1.0, random_state=None):
        self.generator = generator
        self.classifier = classifier
        self.ratio = ratio
        self.balance = balance
        self.synthetic_weight = synthetic_weight
        self.random_state = random_state

    # ------------------------------------------------------------------ contract

    def _capabilities(self) -> frozenset[str]:
        caps = {"classify"}
        if self.classifier is not None:
            inner = capabilities(self.classifier)
            caps |= inner & {"text", "sequences"}
            if self.generator is not None and "missing_features" in (
                    inner & capabilities(self.generator)):
                caps.add("missing_features")
        return frozenset(caps)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.classifier is not None:
            from sklearn.utils import get_tags

            inner = get_tags(self.classifier).input_tags
            tags.input_tags.string = inner.string
            tags.input_tags.two_d_array = inner.two_d_array
        return tags

    # ------------------------------------------------------------------ checks

    def _draws(self) -> bool:
        """Whether fit draws synthetic rows at all."""
        return bool(self.balance) or self.ratio > 0

    def _check_params(self, y) -> np.ndarray:
        """Every parameter and the labels checked before any fit; returns the classes."""
        if self.classifier is None or self.generator is None:
            missing = "classifier" if self.classifier is None else "generator"
            raise ValueError(f"GenerativeAugmentation needs a {missing}, got None.")
        if isinstance(self.classifier, type) or isinstance(self.generator, type):
            raise TypeError("generator and classifier must be estimator instances, not classes.")
        if not hasattr(self.classifier, "fit") or not hasattr(self.classifier, "predict"):
            raise TypeError(f"classifier must be a classifier with fit and predict, got "
                            f"{type(self.classifier).__name__}.")
        _check_finite_setting(self.ratio, "ratio", allow_zero=True)
        weight = self.synthetic_weight
        _check_finite_setting(weight, "synthetic_weight", allow_zero=False)
        if not isinstance(self.balance, (bool, np.bool_)):
            raise ValueError(f"balance must be True or False, got {self.balance!r}.")
        gen_caps = capabilities(self.generator)
        if "conditional_sample" not in gen_caps:
            raise ValueError(
                f"generator {type(self.generator).__name__} cannot draw rows of a given class: "
                f"it lacks the conditional_sample capability (it has "
                f"{', '.join(sorted(gen_caps)) or 'none'}). Use a model with "
                "conditional_sample (naive Bayes, Gaussian, GMM, KDE, CVAE, cGAN, diffusion, "
                "SMOTESampler).")
        gen_kind, clf_kind = input_kind(self.generator), input_kind(self.classifier)
        if gen_kind != clf_kind:
            raise ValueError(
                f"generator {type(self.generator).__name__} takes {gen_kind} input but "
                f"classifier {type(self.classifier).__name__} takes {clf_kind}: the synthetic "
                "items must be what the classifier reads.")
        if weight != 1 and _weight_route(self.classifier) is None:
            raise ValueError(
                f"synthetic_weight={weight!r} needs a classifier whose fit takes sample_weight; "
                f"{type(self.classifier).__name__} does not. Use synthetic_weight=1.")
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}.")
        if y.shape[0] == 0:
            raise ValueError("GenerativeAugmentation needs training rows, got 0 samples (empty "
                             "y).")
        classes = np.unique(y)
        if self.balance and len(classes) < 2:
            raise ValueError(f"balance=True needs at least 2 classes to even out, but y "
                             f"contains only {len(classes)}: {classes.tolist()!r}.")
        return classes

    def _check_missing(self, X) -> None:
        """Refuse NaN in numeric rows unless generator and classifier both take it."""
        if "missing_features" in self._capabilities() or isinstance(X, list):
            return
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):  # not all numbers (categories): the models check
            return
        if np.isnan(values).any():
            raise ValueError(
                "X contains NaN, but GenerativeAugmentation takes missing values only when "
                "both the generator and the classifier have the missing_features capability "
                f"({type(self.generator).__name__}: "
                f"{'missing_features' in capabilities(self.generator)}, "
                f"{type(self.classifier).__name__}: "
                f"{'missing_features' in capabilities(self.classifier)}).")

    # ------------------------------------------------------------------ fit

    def fit(self, X, y):
        """Fit the generator, draw synthetic rows per class, fit the classifier on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a list of texts / sequences
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        classes = self._check_params(y)
        y = np.asarray(y)
        if _n_items(X) != y.shape[0]:
            raise ValueError(f"X has {_n_items(X)} items but y has {y.shape[0]} labels.")
        self._check_missing(X)
        counts = np.array([np.count_nonzero(y == k) for k in classes])
        n_new = synthetic_counts(counts, float(self.ratio), bool(self.balance))
        self.class_count_ = counts
        self.generator_ = None
        X_fit, y_fit, weights = X, y, None
        if n_new.sum() > 0:
            rng = check_random_state(self.random_state)
            self.generator_ = clone(self.generator).fit(X, y)
            X_parts, y_parts = [X], [y]
            for k, m in zip(classes, n_new, strict=True):
                if m == 0:
                    continue
                X_k, y_k = self.generator_.sample(int(m), y=k, random_state=rng)
                y_k = np.asarray(y_k)
                if _n_items(X_k) != m or not np.all(y_k == k):
                    raise RuntimeError(
                        f"{type(self.generator_).__name__}.sample({m}, y={k!r}) returned "
                        f"{_n_items(X_k)} rows of labels {np.unique(y_k).tolist()!r}.")
                X_parts.append(X_k)
                y_parts.append(y_k.astype(y.dtype, copy=False))
            X_fit, y_fit = _concat(X_parts), np.concatenate(y_parts)
            if self.synthetic_weight != 1:
                weights = np.concatenate([np.ones(y.shape[0]),
                                          np.full(int(n_new.sum()), float(self.synthetic_weight))])
        self.n_synthetic_ = n_new
        self.classifier_ = clone(self.classifier)
        if weights is None:
            self.classifier_.fit(X_fit, y_fit)
        else:
            self.classifier_.fit(X_fit, y_fit, **{_weight_route(self.classifier): weights})
        self.classes_ = self.classifier_.classes_
        if hasattr(self.classifier_, "n_features_in_"):
            self.n_features_in_ = self.classifier_.n_features_in_
        return self

    # ------------------------------------------------------------------ predict

    def _delegate(self, method: str, X):
        """The fitted classifier's ``method`` on X."""
        check_is_fitted(self, "classifier_")
        return getattr(self.classifier_, method)(X)

    def predict(self, X):
        """Class of each row, the classifier's prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a list of texts / sequences

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._delegate("predict", X)

    def _classifier_has(attr):
        def check(self):
            inner = getattr(self, "classifier_", self.classifier)
            return hasattr(inner, attr)

        return check

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a list of texts / sequences

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._delegate("predict_proba", X)

    @available_if(_classifier_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a list of texts / sequences

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._delegate("predict_log_proba", X)

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X):
        """The classifier's decision function.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        return self._delegate("decision_function", X)


class SMOTESampler(CapabilityMixin, BaseEstimator):
    """SMOTE behind ``sample(n, y=k)``: synthetic rows of a class by interpolation, no density.

    ``fit`` keeps the training rows. ``sample(n, y=k)`` runs imbalanced-learn's
    :class:`~imblearn.over_sampling.SMOTE` asking for ``n`` more rows of class
    k: each new row is ``x + u (x' - x)``, ``x`` a random row of class k,
    ``x'`` one of its ``k_neighbors`` nearest neighbours of class k and
    ``u ~ U(0, 1)``. The non-generative baseline of
    :class:`GenerativeAugmentation` (``balance=True, ratio=0`` is classic
    SMOTE oversampling).

    Parameters
    ----------
    k_neighbors : int >= 1, default=5
        Neighbours of the same class to interpolate towards (fewer when a
        class has fewer rows).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [9.0, 9.0], [8.0, 9.0]])
    >>> s = SMOTESampler().fit(X, [0, 0, 0, 1, 1])
    >>> Xs, ys = s.sample(4, y=1, random_state=0)
    >>> ys.tolist(), bool(((Xs >= 8) & (Xs <= 9)).all())
    ([1, 1, 1, 1], True)
    """

    _gdlab_capabilities = frozenset({"sample", "conditional_sample"})

    def __init__(self, *, k_neighbors=5):
        self.k_neighbors = k_neighbors

    def fit(self, X, y):
        """Keep the training rows and their classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numbers.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        from gdlab._validation import check_X

        k = self.k_neighbors
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k_neighbors must be an int >= 1, got {k!r}.")
        X = check_X(self, X, reset=True, allow_nan=False)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}.")
        self.classes_, self.class_count_ = np.unique(y, return_counts=True)
        self.X_, self.y_ = X, y
        return self

    def sample(self, n_samples=None, y=None, random_state=None):
        """Draw synthetic rows of the given classes (of the class frequencies when ``y`` is None).

        Parameters
        ----------
        n_samples : int, optional
            Number of rows; defaults to 1, or to ``len(y)`` for an array ``y``.
        y : label or array-like of shape (n_samples,), optional
        random_state : int, RandomState instance or None

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            For a class with a single training row (nothing to interpolate towards).
        """
        from imblearn.over_sampling import SMOTE

        check_is_fitted(self, "X_")
        rng = check_random_state(random_state)
        prior = self.class_count_ / self.class_count_.sum()
        idx = class_indices_for_sampling(self.classes_, prior, n_samples, y, rng)
        X_out = np.empty((idx.shape[0], self.X_.shape[1]))
        for j in np.unique(idx):
            label, have = self.classes_[j].item(), int(self.class_count_[j])
            want = np.flatnonzero(idx == j)
            if have < 2:
                raise ValueError(f"SMOTE needs at least 2 training rows of class {label!r} to "
                                 f"interpolate between, got {have}.")
            # SMOTE interpolates within the class only, so it is given the rows of class k
            # (label 1) and one placeholder row of another label (it needs two labels)
            rows = self.X_[self.y_ == label]
            X_k = np.vstack([rows, rows[:1]])
            target = np.r_[np.ones(have, dtype=int), 0]
            smote = SMOTE(sampling_strategy={1: have + len(want)},
                          k_neighbors=min(int(self.k_neighbors), have - 1),
                          random_state=rng.randint(2**31 - 1))
            X_res, y_res = smote.fit_resample(X_k, target)
            X_out[want] = X_res[len(X_k):]
        return X_out, self.classes_[idx]
