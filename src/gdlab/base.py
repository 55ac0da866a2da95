"""The generative-classifier contract: the mixins every model builds on, and ``ClassConditional``.

A generative classifier is a class prior times a class-conditional density;
Bayes' rule does the rest::

    log p(x, y=k) = log p(y=k) + log p(x | y=k)
    p(y=k | x)    = softmax_k log p(x, y=k)
    log p(x)      = logsumexp_k log p(x, y=k)

A model fills in a few private steps, each once:

``_log_likelihood(X)``
    (n_samples, n_classes) array of the class-conditional log p(x | y=k) for
    validated float data, NaN entries marginalized out (models with
    ``missing_features``). The mixin owns the class prior (given ``priors``,
    or estimated from the class counts by ``_set_class_prior``, which
    ``partial_fit`` calls again with the running counts) and adds its log in
    ``_log_joint``, the one place Bayes' rule meets the prior.
``_conditional_draw(X, y_idx, rng)``
    X with every NaN entry replaced by a draw from p(x_missing | x_observed,
    y=classes_[y_idx]). Sampling is the special case of an all-NaN X.
``_conditional_mean(X)``
    (n_samples, n_classes, n_features) array of E[x_j | x_observed, y=k]
    (only needed by models with ``missing_features``).

and :class:`GenerativeClassifierMixin` writes, once for every model,
``log_joint``, ``predict``, ``predict_proba``, ``predict_log_proba``,
``score_samples`` (log p(x)), ``sample``, ``impute`` and ``score``.
:class:`DensityMixin` does the same for unsupervised densities (``_log_density``
instead of ``_log_joint``), and :class:`ClassConditional` turns any density
into a generative classifier.

The capability vocabulary the mixins declare (:data:`CAPABILITIES`,
:func:`capabilities`, the input kinds) lives in :mod:`gdlab.capability_tags`,
the class-prior arithmetic (:func:`class_prior_from_counts`,
:func:`log_class_prior`, :func:`log_normalize`) in :mod:`gdlab.bayes`; both
are importable from here too.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.base import DensityMixin as _SkDensityMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_in, check_n_samples
from gdlab._sequence_checks import check_sequences, check_texts
from gdlab._validation import (
    check_feature_magnitude,
    check_labels,
    check_partial_fit_data,
    check_random_state,
    check_sample_weight,
    check_X,
    check_X_y,
)
from gdlab.bayes import (
    class_indices_for_sampling,
    class_prior_from_counts,
    log_class_prior,
    log_normalize,
)
from gdlab.capability_tags import (
    CAPABILITIES,
    DATA_KINDS,
    INPUT_KINDS,
    capabilities,
    input_kind,
    modality_input_kind,
)
from gdlab.distributions.discrete import sample_categorical

# CAPABILITIES ... modality_input_kind live in gdlab.capability_tags and the prior
# helpers in gdlab.bayes; they are listed here too, where users have long found them.
__all__ = [
    "CAPABILITIES",
    "capabilities",
    "input_kind",
    "DATA_KINDS",
    "INPUT_KINDS",
    "modality_input_kind",
    "CapabilityMixin",
    "TextInputMixin",
    "MagnitudeCheckedMixin",
    "SettingGroupsMixin",
    "class_indices_for_sampling",
    "class_prior_from_counts",
    "log_class_prior",
    "log_normalize",
    "GenerativeClassifierMixin",
    "DensityMixin",
    "ClassConditional",
]


class CapabilityMixin:
    """Capabilities as a class attribute, readable from an instance.

    A model lists its tags (keys of :data:`~gdlab.capability_tags.CAPABILITIES`) in
    ``_gdlab_capabilities``; :func:`capabilities` and the ``capabilities``
    property read them, scikit-learn's ``allow_nan`` tag follows
    ``missing_features``, and :meth:`_validate_X_predict` admits NaN exactly
    then. Base of every gdlab estimator, classifier or not.
    """

    _gdlab_capabilities: frozenset[str] = frozenset()

    def _capabilities(self) -> frozenset[str]:
        return frozenset(self._gdlab_capabilities)

    @property
    def capabilities(self) -> frozenset[str]:
        """frozenset of str: what this model can do (tags of :mod:`gdlab.capability_tags`)."""
        return capabilities(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = "missing_features" in self._capabilities()
        return tags

    def _validate_X_predict(self, X) -> np.ndarray:
        """Validate X for a fitted model; NaN allowed exactly with ``missing_features``.

        Models whose input is not a numeric array (DataFrames with categories)
        override this to encode X into floats.
        """
        return check_X(
            self, X, reset=False, allow_nan="missing_features" in self._capabilities()
        )

    def _check_imputable(self, method) -> None:
        """What ``impute`` checks first: ``method``, the fitted state, ``missing_features``."""
        check_in(method, "method", {"mean", "sample"})
        check_is_fitted(self)
        if "missing_features" not in self._capabilities():
            raise TypeError(f"{type(self).__name__} cannot impute: it has no missing_features.")


class TextInputMixin:
    """scikit-learn tags of an estimator whose ``X`` is a sequence of texts.

    ``X`` is a list (1-D array, Series or one-column DataFrame) of ``str``,
    not a 2-D numeric table, and holds no NaN (a missing text is refused).
    Used by every estimator that reads texts: the tokenizers
    (:mod:`gdlab.tokenizers`), ``TextColumn``, ``CharNGramLM`` and the neural
    text models.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        return tags


class MagnitudeCheckedMixin:
    """:meth:`CapabilityMixin._validate_X_predict`, then refuse entries too large to square.

    For models whose arithmetic squares the features (Gaussian densities and
    classifiers, Gaussian mixtures): X at predict goes through the class's
    own validation, then :func:`gdlab._validation.check_feature_magnitude`.
    Listed before the base that owns ``_validate_X_predict``.
    """

    def _validate_X_predict(self, X):
        return check_feature_magnitude(self, super()._validate_X_predict(X))


class SettingGroupsMixin:
    """``__init__`` settings that several estimators share, listed once per group.

    An estimator's ``__init__`` calls ``self._set_params(locals(), GROUP)`` for a
    tuple of setting names that a family shares (the torch training settings,
    a network family's settings, the blends' lambda and optimizer settings) and
    assigns its own settings one by one.
    """

    def _set_params(self, settings: dict, names) -> None:
        """Store the settings ``names`` found in ``settings`` as attributes, unchanged.

        Like every scikit-learn ``__init__`` it only stores; the values are
        checked in ``fit``.

        Parameters
        ----------
        settings : dict
            The ``__init__``'s ``locals()``; every name of ``names`` must be a key.
        names : sequence of str
        """
        for name in names:
            setattr(self, name, settings[name])



def _as_output(model, Xv, like):
    """Convert an internal float array back to the user's representation."""
    return model._from_internal(Xv, like) if hasattr(model, "_from_internal") else Xv




class GenerativeClassifierMixin(CapabilityMixin, ClassifierMixin):
    """The class prior, Bayes' rule, density scores, sampling and imputation.

    A subclass sets ``classes_`` in ``fit`` and the prior with
    :meth:`_set_class_prior` (the one place ``class_count_`` and
    ``class_prior_`` are set), and implements ``_log_likelihood`` (the
    class-conditional log p(x | y=k); the mixin adds the log prior in
    ``_log_joint``), ``_conditional_draw`` and (for models with
    ``missing_features``) ``_conditional_mean``; see the module docstring.
    """

    _gdlab_capabilities = frozenset({"classify", "density", "sample", "conditional_sample"})

    def _capabilities(self) -> frozenset[str]:
        return frozenset(self._gdlab_capabilities) | {"classify"}

    # -- the class prior ---------------------------------------------------
    def _set_class_prior(self, class_count, priors=None, *, fit_prior=True):
        """Set ``class_count_`` and ``class_prior_`` from the class counts.

        Parameters
        ----------
        class_count : array-like of shape (n_classes,)
            Training rows per class so far (``partial_fit`` passes the running
            total).
        priors : array-like of shape (n_classes,), optional
            The user's priors, validated by :func:`gdlab._param_checks.check_priors`;
            None estimates them.
        fit_prior : bool, default=True
            With ``priors=None``: the class frequencies when True, uniform when False.
        """
        class_prior = class_prior_from_counts(class_count, priors, fit_prior=fit_prior)
        self.class_count_ = np.asarray(class_count, dtype=np.float64)  # after the checks
        self.class_prior_ = class_prior

    def _log_prior(self) -> np.ndarray:
        """log p(y=k), shape (n_classes,); -inf for a class of prior zero."""
        return log_class_prior(self.class_prior_)

    def _log_likelihood(self, X) -> np.ndarray:
        """(n_samples, n_classes) class-conditional log p(x | y=k) of validated X."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _log_likelihood "
                                  "nor _log_joint.")

    def _log_joint(self, X) -> np.ndarray:
        """log p(x, y=k) = log p(x | y=k) + log p(y=k) of validated X."""
        return self._with_prior(self._log_likelihood(X))

    def _with_prior(self, class_scores: np.ndarray) -> np.ndarray:
        """Add log p(y=k) to per-class scores: the one place a model adds the log prior."""
        return class_scores + self._log_prior()

    def _bayes_log_likelihood(self, X) -> np.ndarray:
        """log p(x | y=k) of validated X up to a term that depends on the row only.

        Bayes' rule's input before the prior. The default is
        :meth:`_log_likelihood`; a model whose class-conditional density
        carries a class-independent term that can swamp the class-dependent
        one far from the data (a shared covariance's quadratic form) overrides
        this to leave that term out, so posteriors stay exact there.
        """
        return self._log_likelihood(X)

    # -- Bayes' rule -------------------------------------------------------
    def _supported_log_joint(self, log_joint: np.ndarray, *, imputing: bool = False):
        """Check that every row has a posterior: p(x, y=k) > 0 for some class.

        A row of zero density under every class (outside the support of a
        finite-support density) has no posterior; it raises rather than
        returning NaN. Models with a documented fallback for classification
        override this; ``imputing=True`` (from ``impute``) must still raise,
        since such a row has no conditional distribution for its missing entries.
        """
        bad = ~np.isfinite(log_joint.max(axis=1))
        if bad.any():
            raise ValueError(self._no_posterior_message(np.flatnonzero(bad)[:10].tolist()))
        return log_joint

    def _no_posterior_message(self, rows: list) -> str:
        """Why ``rows`` of X have no posterior (the error of :meth:`_supported_log_joint`)."""
        return (
            f"rows {rows} of X have zero probability under every class of "
            f"{type(self).__name__}, so p(y | x) is undefined for them (outside the support "
            "of the class densities)."
        )

    def log_joint(self, X) -> np.ndarray:
        """Log joint probability log p(x, y=k) of each row and class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN entries are missing and are marginalized out (models with the
            ``missing_features`` capability).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self)
        return self._log_joint(self._validate_X_predict(X))

    def _bayes_scores(self, X) -> np.ndarray:
        """log p(x, y=k) up to a term that depends on the row only: Bayes' rule's input.

        :meth:`_bayes_log_likelihood` plus the log prior.
        """
        check_is_fitted(self)
        return self._with_prior(self._bayes_log_likelihood(self._validate_X_predict(X)))

    def predict_log_proba(self, X) -> np.ndarray:
        """Log posterior log p(y=k | x) by Bayes' rule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_normalize(self._supported_log_joint(self._bayes_scores(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Posterior p(y=k | x) by Bayes' rule; each row sums to one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class under the posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self._supported_log_joint(self._bayes_scores(X))  # checks fitted state first
        return self.classes_[np.argmax(scores, axis=1)]

    def score_samples(self, X) -> np.ndarray:
        """Log marginal density log p(x) = logsumexp_k log p(x, y=k).

        Low values flag anomalies / out-of-distribution rows. For models with
        ``density_bound`` instead of ``density`` this is a lower bound.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return logsumexp(self.log_joint(X), axis=1)

    # -- sampling --------------------------------------------------------
    def _class_indices_for_sampling(self, n_samples, y, rng) -> np.ndarray:
        return class_indices_for_sampling(self.classes_, self.class_prior_, n_samples, y, rng)

    def sample(self, n_samples=None, y=None, random_state=None):
        """Draw rows from p(x, y), or from p(x | y) when ``y`` is given.

        Parameters
        ----------
        n_samples : int, optional
            Number of rows. Defaults to 1, or to ``len(y)`` when ``y`` is an array.
        y : label or array-like of shape (n_samples,), optional
            Class to sample from: one label for all rows, or one per row. When
            None, labels are drawn from the class prior.
        random_state : int, RandomState instance or None
            Seed for this call (the estimator's own ``random_state`` is not reused,
            so repeated calls give new draws).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        empty = np.full((y_idx.shape[0], self.n_features_in_), np.nan)
        X = self._conditional_draw(empty, y_idx, rng)
        return _as_output(self, X, None), self.classes_[y_idx]

    # -- imputation ------------------------------------------------------
    def _impute_mean(self, X, posterior) -> np.ndarray:
        """Posterior-weighted conditional means (override for modes of categories)."""
        return np.einsum("nk,nkd->nd", posterior, self._conditional_mean(X))

    def impute(self, X, method="mean", random_state=None):
        """Fill missing (NaN) entries from the model's conditional distribution.

        With ``method="mean"`` each missing entry becomes
        E[x_j | x_observed] = sum_k p(y=k | x_observed) E[x_j | x_observed, y=k]
        (the mode for categorical features); with ``method="sample"`` a class is
        drawn from p(y | x_observed) and the missing entries from
        p(x_missing | x_observed, y). Observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.
        method : {"mean", "sample"}, default="mean"
        random_state : int, RandomState instance or None
            Seed for ``method="sample"``.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        self._check_imputable(method)
        if {"sequences", "text"} & self._capabilities():
            raise TypeError(f"{type(self).__name__} imputes tabular rows only; it takes "
                            "sequences or texts.")
        Xv = self._validate_X_predict(X)
        missing = np.isnan(Xv)
        if not missing.any():
            return _as_output(self, Xv.copy(), X)
        log_joint = self._supported_log_joint(self._log_joint(Xv), imputing=True)
        posterior = np.exp(log_normalize(log_joint))
        if method == "mean":
            filled = self._impute_mean(Xv, posterior)
        else:
            rng = check_random_state(random_state)
            # one class per row from its posterior (never a class of probability 0)
            y_idx = sample_categorical(posterior, rng)
            filled = self._conditional_draw(Xv, y_idx, rng)
        return _as_output(self, np.where(missing, filled, Xv), X)


class DensityMixin(CapabilityMixin, _SkDensityMixin):
    """``score_samples``, ``score``, ``sample`` and ``impute`` from ``_log_density``.

    A subclass implements ``_log_density(X)`` (n_samples,), ``_draw(X, rng)``
    (X with NaN entries replaced by draws from p(x_missing | x_observed); an
    all-NaN X gives unconditional samples) and, with ``missing_features``,
    ``_conditional_mean(X)`` (n_samples, n_features).
    """

    _gdlab_capabilities = frozenset({"density", "sample"})

    def score_samples(self, X) -> np.ndarray:
        """Log density log p(x) of each row, NaN entries marginalized out.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self._log_density(self._validate_X_predict(X))

    def score(self, X, y=None) -> float:
        """Mean log density of the rows of X (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` rows from the density.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        n = check_n_samples(n_samples)
        rng = check_random_state(random_state)
        return self._draw(np.full((n, self.n_features_in_), np.nan), rng)

    def impute(self, X, method="mean", random_state=None) -> np.ndarray:
        """Fill NaN entries with E[x_missing | x_observed] or a draw from that conditional.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        method : {"mean", "sample"}, default="mean"
        random_state : int, RandomState instance or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        self._check_imputable(method)
        Xv = self._validate_X_predict(X)
        missing = np.isnan(Xv)
        if method == "mean":
            filled = self._conditional_mean(Xv)
        else:
            filled = self._draw(Xv, check_random_state(random_state))
        return np.where(missing, filled, Xv)


def _call_sample(density, n, rng):
    """Draw n rows from a density, gdlab's or scikit-learn's, as an array."""
    params = inspect.signature(density.sample).parameters
    out = density.sample(n, random_state=rng) if "random_state" in params else density.sample(n)
    if isinstance(out, tuple):  # sklearn's GaussianMixture returns (X, component)
        out = out[0]
    return np.asarray(out, dtype=np.float64).reshape(n, -1)


class ClassConditional(MetaEstimatorMixin, GenerativeClassifierMixin, BaseEstimator):
    """Generative classifier from one density per class and a class prior.

    Fits a clone of ``density`` on the rows of each class, then classifies by
    Bayes' rule: log p(x, y=k) = log p(y=k) + density_k.score_samples(x).
    Any estimator with ``fit(X)``, ``score_samples(X)`` and ``sample(n)``
    works: gdlab densities, or scikit-learn's ``KernelDensity`` and
    ``GaussianMixture``. Densities over sequences (tag ``sequences``, e.g.
    :class:`gdlab.models.HMM`) or texts (tag ``text``, e.g. a character
    language model) make a sequence or text classifier: X is then a list of
    sequences (or stacked frames with ``lengths`` in ``fit``) or a list of
    strings, with one label per item.

    Parameters
    ----------
    density : estimator
        Unfitted density estimator, cloned once per class.
    priors : array-like of shape (n_classes,), optional
        Class prior probabilities in the order of the sorted labels. When
        None, the class frequencies of the training data.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Training rows per class (the sums of their weights when ``fit`` had
        ``sample_weight``).
    densities_ : list of estimators
        The fitted density of each class.
    n_features_in_ : int

    Notes
    -----
    The ``missing_features`` and ``partial_fit`` capabilities hold exactly
    when the density has them; ``density`` becomes ``density_bound`` when the
    density's score is a bound.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdlab.base import ClassConditional
    >>> from gdlab.models import GaussianDensity
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ClassConditional(GaussianDensity()).fit(X, y)
    >>> clf.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    """

    def __init__(self, density=None, *, priors=None):
        self.density = density
        self.priors = priors

    def _default_density(self):
        """The density used when ``density=None`` (subclasses such as HMMClassifier set one)."""
        return None

    def _density(self):
        """The unfitted density (override hook: HMMClassifier gives it the whole alphabet)."""
        return self.density if self.density is not None else self._default_density()

    def class_density(self):
        """The unfitted density each class gets a clone of.

        ``density``, or the subclass's default when it is None, as adjusted
        for this data (an ``HMMClassifier`` fitted on symbols gives a
        categorical HMM the alphabet of all the training data). Callers read
        it, e.g. to see which arguments the densities' ``sample`` takes.

        Returns
        -------
        estimator or None
            None when ``density=None`` and there is no default.

        Examples
        --------
        >>> from gdlab.base import ClassConditional
        >>> from gdlab.models import GaussianDensity
        >>> type(ClassConditional(GaussianDensity()).class_density()).__name__
        'GaussianDensity'
        """
        return self._density()

    def _density_capabilities(self) -> frozenset[str]:
        if self._density() is None:
            return frozenset()
        return capabilities(self._density())

    def _capabilities(self) -> frozenset[str]:
        inner = self._density_capabilities()
        caps = {"classify", "sample", "conditional_sample"}
        caps |= inner & {"density", "density_bound", "missing_features", "partial_fit",
                         "sequences", "text"}
        if not inner & {"density", "density_bound"}:
            # scikit-learn densities (KernelDensity, GaussianMixture) return exact log p(x)
            caps.add("density")
        return frozenset(caps)

    def _check_density(self):
        if self._density() is None:
            raise TypeError(f"{type(self).__name__} needs a density estimator, got density=None.")
        density = self._density()
        missing = [m for m in ("fit", "score_samples", "sample") if not hasattr(density, m)]
        if missing:
            raise TypeError(
                f"density must have fit, score_samples and sample; "
                f"{type(self._density()).__name__} lacks {missing}."
            )

    def _kind(self) -> str:
        return "tabular" if self._density() is None else input_kind(self._density())

    def _validate_X_predict(self, X):
        kind = self._kind()
        if kind == "tabular":
            return super()._validate_X_predict(X)
        return self._check_items(X, None, reset=False)

    def _check_items(self, X, lengths, *, reset):
        """Sequences or texts as a list (the non-tabular kinds)."""
        if self._kind() == "sequence":
            allow_nan = "missing_features" in self._density_capabilities()
            return check_sequences(self, X, lengths, allow_nan=allow_nan, reset=reset)
        # an empty text is a valid string to score (log p("") is the stop's probability),
        # but a class cannot learn from one
        return check_texts(self, X, allow_empty=not reset)

    def fit(self, X, y, lengths=None, sample_weight=None):
        """Fit one density per class and the class prior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), list of sequences or list of str
            Rows for tabular densities; for a sequence density a list of
            sequences (or stacked frames with ``lengths``); for a text density
            a list of strings.
        y : array-like of shape (n_samples,)
            One label per row, sequence or text.
        lengths : array-like of int, optional
            Sequence lengths of stacked frames (sequence densities only).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each row (or item): the class prior comes
            from the weighted class counts (``class_count_`` holds them) and
            each class density is fitted with its rows' weights, so integer
            weights give the fit of the rows repeated that many times wherever
            the density's own weighted fit does. Needs a density whose ``fit``
            takes ``sample_weight`` (else ``TypeError``); a class whose weights
            are all 0 is a ``ValueError``. None: every weight 1.

        Returns
        -------
        self
        """
        self._check_density()
        kind = self._kind()
        if kind == "tabular":
            if lengths is not None:
                raise ValueError(f"lengths is only for sequence densities; "
                                 f"{type(self._density()).__name__} takes rows.")
            allow_nan = "missing_features" in self._density_capabilities()
            X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=allow_nan)

            def rows_of(k):
                return X[y_idx == k]
        else:
            items = self._check_items(X, lengths, reset=True)
            y, classes, y_idx = check_labels(self, y, len(items))

            def rows_of(k):
                return [items[i] for i in np.flatnonzero(y_idx == k)]
        w = self._check_class_weights(sample_weight, y_idx, classes, "fit")
        if w is None:
            counts = np.bincount(y_idx, minlength=len(classes))
            fit_kw = [{} for _ in classes]
        else:
            counts = np.bincount(y_idx, weights=w, minlength=len(classes))
            fit_kw = [{"sample_weight": w[y_idx == k]} for k in range(len(classes))]
        self._set_class_prior(counts, self.priors)
        self.classes_ = classes
        self.densities_ = [clone(self._density()).fit(rows_of(k), **fit_kw[k])
                           for k in range(len(classes))]
        return self

    def _check_class_weights(self, sample_weight, y_idx, classes, method, *, batch=False):
        """``sample_weight`` checked (None stays None): the density's ``method`` must take it,
        and (unless ``batch``) every class needs a positive total weight."""
        w = check_sample_weight(sample_weight, y_idx.shape[0])
        if w is None:
            return None
        density = self._density()
        if "sample_weight" not in inspect.signature(getattr(density, method)).parameters:
            raise TypeError(f"sample_weight needs a density whose {method} takes "
                            f"sample_weight; {type(density).__name__}.{method} does not.")
        if not batch:
            total = np.bincount(y_idx, weights=w, minlength=len(classes))
            if (total <= 0).any():
                empty = classes[total <= 0].tolist()
                raise ValueError(f"every sample_weight of class(es) {empty!r} is 0: such a "
                                 "class has nothing to fit; drop it or give it weight.")
        return w

    @staticmethod
    def from_densities(densities, classes, class_count, *, priors=None):
        """A ClassConditional from known class densities, ready to predict (not fitted).

        The Bayes classifier of a distribution whose class densities are known
        (e.g. built with :meth:`gdlab.models.HMM.from_params`): the prior and
        Bayes' rule are the same as after ``fit``.

        Parameters
        ----------
        densities : list of estimators
            One fitted density per class, in the order of ``classes``, all of
            one kind (``density`` is set to an unfitted clone of the first).
        classes : array-like of shape (n_classes,)
            The labels, sorted and distinct.
        class_count : array-like of shape (n_classes,)
            Rows per class, every one positive; the prior is their frequencies
            unless ``priors`` is given.
        priors : array-like of shape (n_classes,), optional
            Class prior probabilities.

        Returns
        -------
        ClassConditional
            With ``classes_``, ``class_count_``, ``class_prior_``,
            ``densities_`` (the given objects) and ``n_features_in_`` (that of
            the first density) set.
        """
        densities = list(densities)
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(classes) < 2 or not np.array_equal(np.unique(classes),
                                                                        classes):
            raise ValueError(f"classes must be at least 2 sorted distinct labels, got "
                             f"{classes.tolist()!r}.")
        counts = np.asarray(class_count, dtype=np.float64)
        if len(densities) != len(classes) or counts.shape != classes.shape:
            raise ValueError(f"give one density and one count per class: {len(classes)} "
                             f"classes, {len(densities)} densities, counts of shape "
                             f"{counts.shape}.")
        if not (np.isfinite(counts).all() and (counts > 0).all()):
            raise ValueError(f"class_count must be positive, got {counts.tolist()}.")
        model = ClassConditional(clone(densities[0]), priors=priors)
        model._check_density()
        model._set_class_prior(counts, priors)
        model.classes_ = classes
        model.densities_ = densities
        model.n_features_in_ = densities[0].n_features_in_
        return model

    def _density_has_partial_fit(self):
        return hasattr(self._density(), "partial_fit")

    @available_if(_density_has_partial_fit)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update each class density with a batch (densities with ``partial_fit``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            All labels; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights, as in :meth:`fit` (the density's ``partial_fit`` must
            take them); a class whose rows in this batch all weigh 0 is left
            as it was.

        Returns
        -------
        self
        """
        self._check_density()
        if self._kind() != "tabular":
            raise TypeError("partial_fit takes tabular rows; sequence and text densities are "
                            "fitted with fit.")
        allow_nan = "missing_features" in self._density_capabilities()
        X, classes, y_idx, first = check_partial_fit_data(self, X, y, classes, allow_nan=allow_nan)
        w = self._check_class_weights(sample_weight, y_idx, classes, "partial_fit", batch=True)
        if first:
            self.classes_ = classes
            self.class_count_ = np.zeros(len(classes))
            self.densities_ = [clone(self._density()) for _ in classes]
        for k in np.unique(y_idx):
            rows = y_idx == k
            if w is None:
                self.densities_[k].partial_fit(X[rows])
            elif w[rows].sum() > 0:
                self.densities_[k].partial_fit(X[rows], sample_weight=w[rows])
        counts = np.bincount(y_idx, weights=w, minlength=len(self.classes_))
        self._set_class_prior(self.class_count_ + counts, self.priors)
        return self

    def _fitted_densities(self):
        unfitted = [c for c, n in zip(self.classes_, self.class_count_, strict=True) if n == 0]
        if unfitted:
            raise ValueError(f"classes {unfitted!r} have no training rows yet; fit them first.")
        return self.densities_

    def _log_likelihood(self, X):
        return np.column_stack([d.score_samples(X) for d in self._fitted_densities()])

    def _conditional_mean(self, X):
        return np.stack([d._conditional_mean(X) for d in self._fitted_densities()], axis=1)

    def add_class(self, X, label, *, prior=None):
        """Add a class, fitting only its density; the other classes are left untouched.

        Per-class generative classifiers need no retraining of the existing
        classes to learn a new one (Yogatama et al., 2017): only a new density
        is fitted and the prior is extended.

        Parameters
        ----------
        X : array-like, list of sequences or list of str
            Training items of the new class (same kind as in ``fit``).
        label : label
            Must not be one of ``classes_`` and must sort with them.
        prior : float in (0, 1), optional
            Prior probability of the new class; the old priors are scaled by
            ``1 - prior``. When None: with ``priors=None`` the class
            frequencies including the new rows, else the new class gets the
            mean prior ``1 / n_classes`` and the old ones are rescaled. The
            ``priors`` hyper-parameter itself is not changed (a refit uses it).

        Returns
        -------
        self
        """
        check_is_fitted(self)
        if any(label == c for c in self.classes_.tolist()):
            raise ValueError(f"class {label!r} already exists; classes are "
                             f"{self.classes_.tolist()!r}.")
        new = np.asarray([label])
        kind = {"U": "U", "S": "S", "O": "O"}.get(self.classes_.dtype.kind, "number")
        new_kind = {"U": "U", "S": "S", "O": "O"}.get(new.dtype.kind, "number")
        if kind != new_kind or (kind == "number" and np.result_type(
                self.classes_, new) != self.classes_.dtype):
            raise TypeError(f"label {label!r} ({new.dtype}) does not match the classes' type "
                            f"{self.classes_.dtype}: {self.classes_.tolist()!r}.")
        try:
            classes = np.concatenate([self.classes_, new.astype(self.classes_.dtype)
                                      if kind == "number" else new])
            order = np.argsort(classes, kind="stable")
        except TypeError as err:
            raise TypeError(f"label {label!r} does not sort with the classes "
                            f"{self.classes_.tolist()!r}.") from err
        if prior is not None and not (isinstance(prior, numbers.Real) and 0.0 < prior < 1.0):
            raise ValueError(f"prior must be a number in (0, 1), got {prior!r}.")
        items = self._validate_X_predict(X)
        density = clone(self._density()).fit(items)
        n_new = len(items)
        counts = np.append(self.class_count_, float(n_new))
        if prior is None and self.priors is None:
            priors = None  # the class frequencies, the new rows included
        elif prior is None:
            k = len(classes)
            priors = np.append(self.class_prior_ * (k - 1) / k, 1.0 / k)
        else:
            priors = np.append(self.class_prior_ * (1.0 - prior), prior)
        densities = [*self.densities_, density]
        self._set_class_prior(counts[order], None if priors is None else priors[order])
        self.classes_ = classes[order]
        self.densities_ = [densities[i] for i in order]
        return self

    def sample(self, n_samples=None, y=None, random_state=None, **kwargs):
        """Draw items from p(x, y), or from p(x | y) when ``y`` is given.

        For tabular densities see :meth:`GenerativeClassifierMixin.sample`.
        For sequence and text densities the draws are a list (of arrays or
        strings) and extra keyword arguments (e.g. ``length`` for an HMM,
        ``max_length`` for a language model) go to each density's ``sample``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), or list
        y : ndarray of shape (n_samples,)
        """
        if self._kind() == "tabular":
            if kwargs:
                raise TypeError(f"unexpected arguments {sorted(kwargs)} for a tabular density.")
            return super().sample(n_samples, y=y, random_state=random_state)
        check_is_fitted(self)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        dens = self._fitted_densities()
        out = [None] * len(y_idx)
        for k in np.unique(y_idx):
            rows = np.flatnonzero(y_idx == k)
            draws = dens[k].sample(len(rows), random_state=rng, **kwargs)
            for i, d in zip(rows, draws, strict=True):
                out[i] = d
        return out, self.classes_[y_idx]

    def _conditional_draw(self, X, y_idx, rng):
        dens = self._fitted_densities()
        out = X.copy()
        for k in np.unique(y_idx):
            rows = y_idx == k
            if hasattr(dens[k], "_draw"):
                out[rows] = dens[k]._draw(X[rows], rng)
            elif np.isnan(X[rows]).all():
                out[rows] = _call_sample(dens[k], int(rows.sum()), rng)
            else:
                raise TypeError(
                    f"{type(dens[k]).__name__} cannot draw missing entries given observed ones."
                )
        return out
