"""The skeleton every naive Bayes model shares, and the checks of its settings.

:class:`BaseNB` owns ``fit`` / ``partial_fit`` by sufficient statistics (fit =
reset the statistics, one update, finalize), the class prior and the hooks of
:class:`gdlab.base.GenerativeClassifierMixin`; :class:`DiscreteNB` adds the
checks of the smoothed discrete models (``alpha``, ``force_alpha``,
``fit_prior``). The estimators of :mod:`gdlab.models.naive_bayes` subclass
them and say which distribution of :mod:`gdlab.distributions` handles which
columns; the blends of :mod:`gdlab.models.blend` subclass those estimators and
read the smoothing through :func:`smoothing`. The estimators stay in
:mod:`gdlab.models.naive_bayes`, whose module path saved models name.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from gdlab._param_checks import check_bool, check_positive
from gdlab._validation import check_partial_fit_data, check_sample_weight, check_X, check_X_y
from gdlab.base import GenerativeClassifierMixin
from gdlab.distributions.common import group_indicator
from gdlab.distributions.gaussian import block_rows

__all__ = [
    "NB_CAPABILITIES",
    "ALPHA_FLOOR",
    "takes_sparse",
    "check_dense",
    "smoothing",
    "check_alpha",
    "BaseNB",
    "DiscreteNB",
]

#: the capability tags of the naive Bayes models (see :data:`gdlab.capability_tags.CAPABILITIES`)
NB_CAPABILITIES = frozenset(
    {"classify", "density", "sample", "conditional_sample", "missing_features", "partial_fit"}
)
#: smallest smoothing used for discrete distributions, so log-probabilities stay finite
ALPHA_FLOOR = 1e-10


# ---------------------------------------------------------------------------
# small shared helpers
# ---------------------------------------------------------------------------
def takes_sparse(estimator) -> bool:
    """Whether the estimator's own class opts in to scipy.sparse input.

    The opt-in is ``_sparse_ok = True`` in the class body itself: a subclass,
    such as a blend, must opt in itself.

    Parameters
    ----------
    estimator : estimator instance

    Returns
    -------
    bool
    """
    return bool(type(estimator).__dict__.get("_sparse_ok", False))


def check_dense(estimator, X):
    """Refuse sparse input, except for the models that take it (:func:`takes_sparse`).

    NaN marks a missing entry, and a sparse matrix's implicit zeros are
    observed values, so the other models take dense arrays only.

    Parameters
    ----------
    estimator : estimator instance
        Named in the message.
    X : array-like or scipy.sparse matrix

    Raises
    ------
    TypeError
        When X is sparse and the estimator does not take sparse input.
    """
    if sp.issparse(X) and not takes_sparse(estimator):
        raise TypeError(
            f"{type(estimator).__name__} accepts dense arrays only (NaN marks missing "
            f"entries), got a sparse {type(X).__name__}; convert it with X.toarray() (or use "
            "MultinomialNB, BernoulliNB or ComplementNB, which take sparse counts)."
        )


def smoothing(alpha) -> float:
    """Validated smoothing parameter, floored at 1e-10 so that log-probabilities stay finite.

    The scalar ``alpha`` of MixedNB and of the discrete blends.

    Parameters
    ----------
    alpha : float
        >= 0.

    Returns
    -------
    float

    Examples
    --------
    >>> smoothing(0.5), smoothing(0.0)
    (0.5, 1e-10)
    """
    return max(check_positive(alpha, "alpha", allow_zero=True), ALPHA_FLOOR)


def check_alpha(alpha, force_alpha, n_features=None):
    """Validated ``alpha`` of a discrete model: a float, or one value per feature.

    As scikit-learn: values below 1e-10 are raised to 1e-10 (so that
    log-probabilities stay finite) unless ``force_alpha`` is True, when they
    are used as given (alpha=0: no smoothing, log-probabilities may be -inf).

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,)
    force_alpha : bool
    n_features : int, optional
        Features of the training X: a vector alpha must have this length.

    Returns
    -------
    float or ndarray of shape (n_features,)
    """
    check_bool(force_alpha, "force_alpha")
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        value = check_positive(alpha, "alpha", allow_zero=True)
        return value if force_alpha else max(value, ALPHA_FLOOR)
    if isinstance(alpha, (str, bytes, bool)) or not hasattr(alpha, "__len__"):
        raise TypeError(
            f"alpha must be a non-negative float or an array-like of one per feature, got "
            f"{alpha!r}."
        )
    values = np.asarray(alpha)
    if values.ndim != 1 or values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        raise TypeError(
            f"alpha must be a float or a 1-D array of real numbers (one per feature), got "
            f"an array of shape {values.shape} and dtype {values.dtype}."
        )
    values = values.astype(np.float64)
    if n_features is not None and values.shape[0] != n_features:
        raise ValueError(
            f"alpha has {values.shape[0]} values, but X has {n_features} features: a vector "
            "alpha needs one value per feature."
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(f"alpha must hold finite values >= 0, got {values.tolist()!r}.")
    return values if force_alpha else np.maximum(values, ALPHA_FLOOR)


# ---------------------------------------------------------------------------
# the shared estimator skeleton
# ---------------------------------------------------------------------------
class BaseNB(GenerativeClassifierMixin, BaseEstimator):
    """fit / partial_fit by sufficient statistics, shared by every naive Bayes model.

    Subclasses fill in the named steps: ``_check_params`` (hyper-parameters),
    ``_check_values`` (model-specific checks of validated X, at fit and
    predict), ``_check_training_values`` (checks of training batches only,
    before any statistic changes), ``_finalize`` (fitted attributes from the
    statistics) and ``_params`` (the fitted attributes as the distribution's
    keyword arguments). A single-kind model names its per-feature
    distribution in ``_distribution``, which the defaults of ``_init_stats``,
    ``_update_stats``, ``_log_likelihood`` (n_samples, n_classes) without
    the prior, ``_draw`` (values for every feature), ``_class_means``
    (n_classes, n_features) and ``_impute_values`` (posterior ->
    (n_samples, n_features)) call; ``_prepare`` maps X to the values the
    distribution reads. MixedNB overrides them, one distribution per kind.
    """

    _gdlab_capabilities = NB_CAPABILITIES
    #: the per-feature distribution of a single-kind model (gdlab.distributions)
    _distribution = None
    #: whether NaN marks a missing entry at fit (models without missing_features: False)
    _allow_nan = True

    # -- hooks with defaults ------------------------------------------------
    def _prepare(self, X):
        """X as the distribution reads it (BernoulliNB binarizes); unchanged by default."""
        return X

    def _init_stats(self, n_classes, n_features):
        return self._distribution.new_summaries(n_classes, n_features)

    def _update_stats(self, X, y_idx, onehot):
        self._distribution.summarize(self._stats, self._prepare(X), y_idx, onehot)

    def _log_likelihood(self, X):
        return self._distribution.log_prob(self._prepare(X), **self._params())

    def _draw(self, y_idx, rng):
        return self._distribution.sample(y_idx, rng, **self._params())

    def _class_means(self):
        return self._distribution.mean(**self._params())

    def _impute_values(self, posterior):
        return self._distribution.impute(posterior, **self._params())

    def _check_params(self):
        """Check hyper-parameters in fit; models with none to check keep this default."""

    def _check_values(self, X):
        """Check the values a distribution allows (counts, binary, magnitudes), at fit,
        partial_fit and predict."""

    def _check_training_values(self, X):
        """Check what only training data must satisfy (before any statistic is touched)."""

    def _check_defined(self):
        """Raise when a parameter has no data to be estimated from (smoothed kinds never)."""

    def _feature_labels(self):
        """Feature labels for messages: ``feature_names_in_``, or positions."""
        return getattr(self, "feature_names_in_", np.arange(self.n_features_in_))

    def _prior_param(self):
        """(priors or None, fit_prior): the user's class-prior settings."""
        return getattr(self, "class_prior", None), getattr(self, "fit_prior", True)

    def _training_input(self, X):
        """The validation options of training X (``check_dense`` first): sparse X only
        for the models that take it, where NaN is no missing marker (refused)."""
        check_dense(self, X)
        sparse = sp.issparse(X)
        return {"allow_nan": self._allow_nan and not sparse, "accept_sparse": sparse}

    def _validate_fit(self, X, y):
        X, _, classes, y_idx = check_X_y(self, X, y, **self._training_input(X))
        return X, classes, y_idx

    def _validate_partial_fit(self, X, y, classes):
        return check_partial_fit_data(self, X, y, classes, **self._training_input(X))

    def _validate_X_predict(self, X):
        check_dense(self, X)
        if sp.issparse(X):
            X = check_X(self, X, reset=False, allow_nan=False, accept_sparse=True)
        else:
            X = super()._validate_X_predict(X)
        self._check_values(X)
        self._check_defined()
        return X

    # -- scikit-learn's names -------------------------------------------------
    @property
    def class_log_prior_(self):
        """ndarray of shape (n_classes,): log of ``class_prior_`` (scikit-learn's name)."""
        return self._log_prior()

    def predict_joint_log_proba(self, X):
        """log p(x, y=k) of each row and class: :meth:`log_joint`, scikit-learn's name.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self.log_joint(X)

    # -- fitting --------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the class prior and the per-class feature distributions.

        NaN entries of X are missing: each feature's statistics use its
        observed entries only. A row with every entry missing is exact to
        include: it counts toward the class prior and nothing else.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each row in every statistic (class counts, feature
            counts, means, variances): a row of weight 2 counts as the row
            twice. Finite, >= 0, not all 0. None: every row weighs 1.

        Returns
        -------
        self
        """
        self._check_params()
        X, classes, y_idx = self._validate_fit(X, y)
        return self._fit_validated(X, classes, y_idx, check_sample_weight(sample_weight,
                                                                           len(y_idx)))

    def _fit_validated(self, X, classes, y_idx, sample_weight=None):
        """The closed-form fit of validated X (``_validate_fit``'s output); returns self."""
        self._learn(X, classes, y_idx, sample_weight, start=True)
        self._check_defined()
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one batch; a sequence of batches equals one ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            Every label that will ever appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional
            As in :meth:`fit`, for this batch's rows.

        Returns
        -------
        self
        """
        self._check_params()
        X, classes, y_idx, first = self._validate_partial_fit(X, y, classes)
        self._learn(X, classes, y_idx, check_sample_weight(sample_weight, len(y_idx)),
                    start=first)
        return self

    def _learn(self, X, classes, y_idx, sample_weight, start):
        """Check validated training X, then add it to the statistics; ``start``: reset
        them first (``fit``, or the first ``partial_fit``)."""
        self._check_values(X)
        self._check_training_values(X)
        if start:
            self._start(classes, X.shape[1])
        self._add_batch(X, y_idx, sample_weight)

    def _start(self, classes, n_features):
        self.classes_ = classes
        self.class_count_ = np.zeros(len(classes))
        self._stats = self._init_stats(len(classes), n_features)

    def _add_batch(self, X, y_idx, sample_weight=None):
        n_classes = len(self.classes_)
        priors, fit_prior = self._prior_param()
        counts = np.bincount(y_idx, weights=sample_weight, minlength=n_classes)
        self._set_class_prior(self.class_count_ + counts, priors, fit_prior=fit_prior)
        # statistics merge across batches (as partial_fit), so stream the rows in blocks: the
        # distributions' temporaries (deviations, masks, binarized copies) stay block-sized;
        # a row's weight is its entry of the class indicator, so every statistic is weighted
        if sp.issparse(X):
            # one block, unsliced (slicing a sparse matrix copies it): its products are as
            # sparse as X
            self._update_stats(X, y_idx, group_indicator(y_idx, n_classes, sample_weight))
        else:
            step = block_rows(X.shape[1])
            for start in range(0, X.shape[0], step):
                rows = slice(start, start + step)
                weights = None if sample_weight is None else sample_weight[rows]
                self._update_stats(X[rows], y_idx[rows],
                                   group_indicator(y_idx[rows], n_classes, weights))
        self._finalize()

    def impute(self, X, method="mean", random_state=None):
        """Fill missing (NaN) entries; see :meth:`gdlab.base.GenerativeClassifierMixin.impute`.

        A sparse X raises ``TypeError``: its implicit zeros are observed, so it has no
        missing entry to fill.
        """
        if sp.issparse(X):
            raise TypeError(
                f"{type(self).__name__}.impute got a sparse {type(X).__name__}, but sparse X has "
                "no missing entries (implicit zeros are observed zeros); pass a dense array "
                "with NaN for the entries to fill."
            )
        return super().impute(X, method=method, random_state=random_state)

    # -- the contract's hooks (the mixin adds the prior to _log_likelihood) --
    def _conditional_draw(self, X, y_idx, rng):
        self._check_defined()
        # features are independent given the class: draw them all, keep the observed ones
        return np.where(np.isnan(X), self._draw(y_idx, rng), X)

    def _conditional_mean(self, X):
        means = self._class_means()
        return np.broadcast_to(means[None], (X.shape[0],) + means.shape)

    def _impute_mean(self, X, posterior):
        return self._impute_values(posterior)


class DiscreteNB(BaseNB):
    """Shared parameter checks of the smoothed discrete models."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # as scikit-learn's discrete NBs: not meant for the checks' real-valued blobs
        tags.classifier_tags.poor_score = True
        tags.input_tags.sparse = takes_sparse(self)
        return tags

    def _check_params(self):
        force = getattr(self, "force_alpha", False)
        check_alpha(self.alpha, force)
        if not force and np.min(np.asarray(self.alpha, dtype=np.float64)) < ALPHA_FLOOR:
            warnings.warn(
                f"alpha below {ALPHA_FLOOR:.0e} is raised to {ALPHA_FLOOR:.0e} so that "
                "log-probabilities stay finite; use force_alpha=True to keep it unchanged.",
                UserWarning, stacklevel=3,
            )
        check_bool(self.fit_prior, "fit_prior")

    def _check_training_values(self, X):
        # a vector alpha must have one value per feature: refused before any statistic
        self._alpha(X.shape[1])

    def _alpha(self, n_features=None):
        """The smoothing in use: ``alpha`` floored at 1e-10 unless ``force_alpha``, checked
        against ``n_features`` (default ``n_features_in_``)."""
        if n_features is None:
            n_features = self.n_features_in_
        return check_alpha(self.alpha, getattr(self, "force_alpha", False), n_features)
