"""Naive Bayes classifiers: features independent given the class.

log p(x, y=k) = log p(y=k) + sum_j log p(x_j | y=k)

Because the class-conditional density factorizes over features, a missing
feature (NaN) is marginalized exactly by dropping its factor, at fit (each
feature's statistics use its observed entries only) and at predict. A row
with every entry missing has likelihood 1 under every parameter, so every
model here accepts it at fit: it counts toward the class prior and adds
nothing to the feature statistics; at predict its posterior is the prior.

One implementation per feature distribution, each a small stateless helper
working on sufficient statistics (``new_summaries`` / ``summarize`` /
``from_summaries``) and on fitted parameters (``log_prob`` / ``sample`` /
``mean`` / ``impute``), in :mod:`gdlab.distributions`:

- :class:`~gdlab.distributions.gaussian_features.GaussianFeatures`  (:class:`GaussianNB`,
  MixedNB "gaussian")
- :class:`~gdlab.distributions.discrete.Bernoulli`    (:class:`BernoulliNB`, MixedNB "bernoulli")
- :class:`~gdlab.distributions.discrete.Categorical`  (:class:`CategoricalNB`, MixedNB
  "categorical")
- :class:`~gdlab.distributions.discrete.Poisson`      (MixedNB "poisson")
- :class:`~gdlab.distributions.discrete.Multinomial`  (:class:`MultinomialNB`; a joint over
  all features)

:class:`~gdlab.models._naive_bayes_base.BaseNB` owns ``fit`` / ``partial_fit``
(fit = reset the statistics, one update, finalize), the class prior and the
hooks of :class:`gdlab.base.GenerativeClassifierMixin`, and
:class:`~gdlab.models._naive_bayes_base.DiscreteNB` the smoothing checks of
the discrete models; each estimator here fills in which helper handles which
columns.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.metaestimators import available_if

from gdlab._param_checks import check_bool, check_in, check_positive
from gdlab._validation import (
    check_feature_magnitude,
    check_magnitude,
    check_nonnegative,
    check_partial_fit_data,
    check_X,
    check_X_y,
)
from gdlab.distributions.common import check_finite_parameters, raise_first_bad
from gdlab.distributions.discrete import (
    MAX_CATEGORY_CODE,
    Bernoulli,
    Categorical,
    Multinomial,
    Poisson,
)
from gdlab.distributions.gaussian_features import GaussianFeatures
from gdlab.models._mixed_columns import DISTRIBUTIONS, MixedColumnsMixin, numeric_dtype
from gdlab.models._naive_bayes_base import BaseNB, DiscreteNB, check_dense, smoothing

__all__ = ["GaussianNB", "BernoulliNB", "MultinomialNB", "ComplementNB", "CategoricalNB",
           "MixedNB"]


# ---------------------------------------------------------------------------
# the estimators
# ---------------------------------------------------------------------------
class GaussianNB(BaseNB):
    """Gaussian naive Bayes, with missing features marginalized.

    x_j | y=k ~ N(theta_kj, var_kj), features independent given the class.

    Parameters
    ----------
    priors : array-like of shape (n_classes,), optional
        Class prior probabilities; when None, the class frequencies.
    var_smoothing : float, default=1e-9
        ``epsilon_ = var_smoothing * (largest feature variance)`` is added to
        every variance, as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Training rows per class.
    class_prior_ : ndarray of shape (n_classes,)
    class_log_prior_ : ndarray of shape (n_classes,)
        ``log(class_prior_)``, scikit-learn's name for the log prior.
    theta_ : ndarray of shape (n_classes, n_features)
        Per-class feature means.
    var_ : ndarray of shape (n_classes, n_features)
        Per-class feature variances, ``epsilon_`` included.
    epsilon_ : float
    observed_count_ : ndarray of shape (n_classes, n_features)
        Observed (non-NaN) training values per class and feature.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    NaN entries are ignored per feature at fit: a feature's mean and variance
    in a class come from the rows where it is observed. A class with no
    observed value of a feature raises ``ValueError`` at ``fit`` (with
    ``partial_fit``: at predict or sample time, so later batches may still
    bring it); nothing is filled in. A zero variance (a feature constant
    within a class, with ``var_smoothing=0``) raises ``ValueError`` naming
    the (class, feature) in the same way, instead of NaN probabilities.
    ``epsilon_`` uses the variance of all data seen so far, so
    ``partial_fit`` over batches equals ``fit`` (scikit-learn instead fixes
    it at the first batch).

    Values of magnitude above 1e150 (:data:`gdlab._validation.MAX_ABS_SQUARED`)
    raise ``ValueError`` naming the column, at fit and at predict: their
    squares overflow float64, so the variances (at fit) or the log-densities
    (at predict) would not be finite. A fitted mean or variance that is not
    finite all the same raises ``ValueError`` naming the (class, feature).

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.naive_bayes import GaussianNB
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> clf = GaussianNB().fit(X, [0, 0, 1, 1])
    >>> clf.predict([[-0.8, np.nan]])
    array([0])
    """

    _distribution = GaussianFeatures

    def __init__(self, *, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def _prior_param(self):
        return self.priors, True

    def _check_params(self):
        check_positive(self.var_smoothing, "var_smoothing", allow_zero=True)

    def _check_values(self, X):
        # squares of larger values overflow: refuse them at fit and at predict alike
        check_feature_magnitude(self, X)

    def _finalize(self):
        p = GaussianFeatures.from_summaries(self._stats, var_smoothing=self.var_smoothing)
        self.theta_, self.var_, self.epsilon_, self._shift = (
            p["theta"],
            p["var"],
            p["epsilon"],
            p["shift"],
        )
        self.observed_count_ = self._stats["count"]

    def _check_defined(self):
        GaussianFeatures.check_defined(self.observed_count_, self.theta_, self.var_,
                                       self.classes_, self._feature_labels(), "GaussianNB")

    def _params(self):
        return {"theta": self.theta_, "var": self.var_, "shift": self._shift}


class BernoulliNB(DiscreteNB):
    """Bernoulli naive Bayes for binary features, with missing features marginalized.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing, >= 0; a vector gives each
        feature its own (a vector of another length than X's features raises
        ``ValueError``).
    force_alpha : bool, default=False
        As scikit-learn's: when False, alpha values below 1e-10 are raised to
        1e-10 (with a ``UserWarning``) so that log-probabilities stay finite;
        when True they are used as given (alpha=0 is no smoothing, and a
        probability may be 0). scikit-learn's default is True; with the
        default alpha=1.0 both give the same model.
    binarize : float or None, default=0.0
        Threshold: values > binarize are 1, others 0; NaN stays missing. None
        means X is already binary (values other than 0, 1 and NaN raise).
    fit_prior : bool, default=True
        Learn the class prior; when False, uniform (unless ``class_prior``).
    class_prior : array-like of shape (n_classes,), optional
        Fixed class prior probabilities.

    Attributes
    ----------
    classes_, class_count_, class_prior_, class_log_prior_, n_features_in_ : as in GaussianNB
    feature_count_ : ndarray of shape (n_classes, n_features)
        Ones per class and feature (observed entries).
    observed_count_ : ndarray of shape (n_classes, n_features)
        Observed entries per class and feature.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        log P(x_j = 1 | y = k) = log((ones + alpha) / (observed + 2 alpha)).

    Notes
    -----
    ``sample`` and ``impute`` return binary 0/1 values (not on the scale of
    the un-binarized input). X may be a scipy.sparse matrix (CSR, CSC or
    another format, taken as CSR), in ``fit``, ``partial_fit`` and predict,
    without being made dense; its implicit zeros are *observed* zeros, not
    missing entries (NaN marks missing entries in dense X only; NaN stored in
    a sparse matrix raises ``ValueError``), so missing-feature
    marginalization does not apply to them. With sparse X, ``binarize`` must
    be >= 0 (a negative threshold would turn every implicit zero into 1).

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.naive_bayes import BernoulliNB
    >>> X = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 0], [0, 1, 0]])
    >>> clf = BernoulliNB().fit(X, [1, 1, 0, 0])
    >>> clf.predict([[1, np.nan, np.nan]])
    array([1])
    """

    _distribution = Bernoulli
    _sparse_ok = True

    def __init__(self, *, alpha=1.0, force_alpha=False, binarize=0.0, fit_prior=True,
                 class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _check_params(self):
        super()._check_params()
        if self.binarize is not None and (
            isinstance(self.binarize, bool) or not isinstance(self.binarize, numbers.Real)
        ):
            raise TypeError(f"binarize must be a real number or None, got {self.binarize!r}.")

    def _check_values(self, X):
        if sp.issparse(X):
            if self.binarize is not None and self.binarize < 0:
                raise ValueError(
                    f"BernoulliNB cannot binarize a sparse matrix at binarize={self.binarize!r} "
                    "< 0: every implicit zero would become 1; use binarize >= 0 or dense X."
                )
            if self.binarize is None:
                Bernoulli.check_support(X.tocoo().data[None], type(self).__name__)
        elif self.binarize is None:
            Bernoulli.check_support(X, type(self).__name__)

    def _prepare(self, X):
        """X binarized at ``binarize`` (NaN stays missing), as the distribution reads it."""
        if self.binarize is None:
            return X
        if sp.issparse(X):  # binarize >= 0 (checked): implicit zeros stay 0
            Xb = X.copy()
            Xb.data = (Xb.data > self.binarize).astype(np.float64)
            Xb.eliminate_zeros()
            return Xb
        return np.where(np.isnan(X), np.nan, (X > self.binarize).astype(np.float64))

    def _finalize(self):
        p = Bernoulli.from_summaries(self._stats, alpha=self._alpha())
        self.feature_log_prob_, self._log_prob_neg = p["log_prob"], p["log_prob_neg"]
        self.feature_count_ = self._stats["ones"]
        self.observed_count_ = self._stats["count"]

    def _params(self):
        return {"log_prob": self.feature_log_prob_, "log_prob_neg": self._log_prob_neg}

class MultinomialNB(DiscreteNB):
    """Multinomial naive Bayes for counts, with missing features marginalized.

    log p(x | y=k, n) is the multinomial log-probability of the counts given
    their row total n, the multinomial coefficient included, so
    ``score_samples`` is a true log-probability of the counts given their
    total. Posteriors equal scikit-learn's (the coefficient cancels).

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing, >= 0; a vector gives each
        feature its own (a vector of another length than X's features raises
        ``ValueError``).
    force_alpha : bool, default=False
        As scikit-learn's: when False, alpha values below 1e-10 are raised to
        1e-10 (with a ``UserWarning``) so that log-probabilities stay finite;
        when True they are used as given (alpha=0 is no smoothing, and a
        probability may be 0). scikit-learn's default is True; with the
        default alpha=1.0 both give the same model.
    fit_prior : bool, default=True
    class_prior : array-like of shape (n_classes,), optional

    Attributes
    ----------
    classes_, class_count_, class_prior_, class_log_prior_, n_features_in_ : as in GaussianNB
    feature_count_ : ndarray of shape (n_classes, n_features)
        Summed observed counts per class and feature.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        log theta_kj = log((count_kj + alpha) / (sum_j count_kj + alpha n_features)).
    observed_count_ : ndarray of shape (n_classes, n_features)
        Training rows per class in which each feature is observed (not NaN).
    mean_total_ : ndarray of shape (n_classes,)
        Expected row total per class (the length model for sampling):
        ``feature_count_.sum(1) / (observed_count_ * theta).sum(1)``, the
        maximum-likelihood estimate under Poisson splitting; without NaN it
        is the mean row total, and missing entries do not bias it down.

    Notes
    -----
    With missing features the observed counts, given their own total, are
    multinomial with theta_k restricted to the observed features and
    renormalized: that likelihood is used (exact). A row with every feature
    missing has log p = 0, so its posterior is the prior. Sampling draws the
    row total from Poisson(``mean_total_[k]``), then a multinomial split
    (equivalently, independent Poisson(mean_total_k theta_kj) counts, which is
    how missing counts are drawn by ``impute(method="sample")``;
    ``impute(method="mean")`` gives posterior @ (mean_total_ theta), not
    rounded). X may be a scipy.sparse matrix (CSR, CSC or another format,
    taken as CSR), in ``fit``, ``partial_fit`` and predict, without being made
    dense: memory grows with the non-zeros. Its implicit zeros are *observed*
    zero counts, not missing entries (NaN marks missing entries in dense X
    only; NaN stored in a sparse matrix raises ``ValueError``), so
    missing-feature marginalization does not apply to them.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.naive_bayes import MultinomialNB
    >>> X = np.array([[5, 1, 0], [4, 2, 0], [0, 1, 6], [1, 0, 5]])
    >>> clf = MultinomialNB().fit(X, ["a", "a", "b", "b"])
    >>> clf.predict([[3, np.nan, 0]])
    array(['a'], dtype='<U1')
    """

    _distribution = Multinomial
    _sparse_ok = True

    def __init__(self, *, alpha=1.0, force_alpha=False, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check_values(self, X):
        check_nonnegative(X, type(self).__name__)

    def _bayes_log_likelihood(self, X):
        # sparse X: the multinomial coefficient depends on the row only, so Bayes' rule
        # does without it (dense X keeps the full term: with NaN it renormalizes theta)
        if sp.issparse(X):
            return np.asarray(X @ self.feature_log_prob_.T)
        return super()._bayes_log_likelihood(X)

    def _finalize(self):
        p = Multinomial.from_summaries(self._stats, alpha=self._alpha())
        self.feature_log_prob_, self.mean_total_ = p["log_prob"], p["mean_total"]
        self.feature_count_ = self._stats["count"]
        self.observed_count_ = self._stats["observed"]

    def _params(self):
        return {"log_prob": self.feature_log_prob_, "mean_total": self.mean_total_}


def _no_density(estimator):
    """available_if check of ComplementNB's density methods: it has none."""
    raise AttributeError(
        f"{type(estimator).__name__} has no density: its class scores (log_joint) are "
        "complement-class weights, not log p(x, y), so it cannot score_samples, sample or "
        "impute; use MultinomialNB for those."
    )


class ComplementNB(MultinomialNB):
    """Complement naive Bayes (Rennie et al. 2003) for counts, as scikit-learn's.

    Each class is scored by the counts of every *other* class (its
    complement), which is steadier than the multinomial on unbalanced
    classes: with theta~_kj = (sum_{c != k} N_cj + alpha_j) / sum_j (...),
    the weights are w_kj = -log theta~_kj (``norm=False``) or
    log theta~_kj / sum_j log theta~_kj (``norm=True``, the paper's weight
    normalization), and a row's score for class k is sum_j x_j w_kj.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive smoothing of the complement counts (as in
        :class:`MultinomialNB`).
    force_alpha : bool, default=False
        As in :class:`MultinomialNB` (scikit-learn's default is True).
    fit_prior : bool, default=True
        Only used, as in scikit-learn, when the scores need a prior: the
        class prior does not enter the scores of two or more classes.
    class_prior : array-like of shape (n_classes,), optional
    norm : bool, default=False
        Normalize the weights (Rennie et al.'s second normalization).

    Attributes
    ----------
    classes_, class_count_, class_prior_, class_log_prior_, n_features_in_ : as in GaussianNB
    feature_count_ : ndarray of shape (n_classes, n_features)
        Summed counts per class and feature.
    feature_all_ : ndarray of shape (n_features,)
        Summed counts per feature over every class.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        The weights w_kj (scikit-learn's name and values).

    Notes
    -----
    This is not a generative model: the scores ``log_joint`` (and
    ``predict_joint_log_proba``, scikit-learn's name) are scikit-learn's
    class scores X @ w.T, not log p(x, y) — they hold no class prior and are
    not normalized over x. Hence the capability tags are ``classify`` and
    ``partial_fit`` only: ``score_samples``, ``sample`` and ``impute`` do not
    exist (``AttributeError``), and NaN in X raises ``ValueError`` (a missing
    count cannot be marginalized out of a complement weight). Posteriors are
    the softmax of the scores, as scikit-learn's ``predict_proba``. X may be
    a scipy.sparse matrix, as in :class:`MultinomialNB` (its zeros are
    observed zero counts).

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.naive_bayes import ComplementNB
    >>> X = np.array([[5, 1, 0], [4, 2, 0], [0, 1, 6], [1, 0, 5]])
    >>> clf = ComplementNB().fit(X, ["a", "a", "b", "b"])
    >>> clf.predict([[3, 1, 0]])
    array(['a'], dtype='<U1')
    """

    _gdlab_capabilities = frozenset({"classify", "partial_fit"})
    _allow_nan = False
    _sparse_ok = True

    def __init__(self, *, alpha=1.0, force_alpha=False, fit_prior=True, class_prior=None,
                 norm=False):
        super().__init__(alpha=alpha, force_alpha=force_alpha, fit_prior=fit_prior,
                         class_prior=class_prior)
        self.norm = norm

    def _check_params(self):
        super()._check_params()
        check_bool(self.norm, "norm")

    def _finalize(self):
        count = self._stats["count"]
        self.feature_count_ = count
        self.feature_all_ = count.sum(axis=0)
        # the other classes' counts, then alpha: exact for counts of any size (adding alpha
        # to feature_all_ first, as scikit-learn, loses it beside counts of 1e300)
        with np.errstate(divide="ignore", invalid="ignore"):
            complement = (self.feature_all_ - count) + self._alpha()
            logged = np.log(complement / complement.sum(axis=1, keepdims=True))
        self.feature_log_prob_ = (logged / logged.sum(axis=1, keepdims=True) if self.norm
                                  else -logged)
        if np.isfinite(self.feature_all_).all() and np.isfinite(complement.sum(axis=1)).all():
            return  # (alpha=0 with force_alpha may leave infinite weights, as scikit-learn)
        # counts whose sums overflow float64: say which instead of NaN scores
        overflow = ~np.isfinite(complement) | ~np.isfinite(complement.sum(axis=1, keepdims=True))
        check_finite_parameters({"complement weight": np.where(overflow, np.inf, 0.0)},
                                self.classes_, self._feature_labels(), type(self).__name__)

    def _log_likelihood(self, X):
        # the class scores of scikit-learn's ComplementNB (X may be sparse)
        return np.asarray(X @ self.feature_log_prob_.T)

    def _with_prior(self, class_scores):
        # as scikit-learn: no prior in the scores (scikit-learn adds one only for a single
        # class, which every gdlab classifier refuses)
        return class_scores

    score_samples = available_if(_no_density)(MultinomialNB.score_samples)
    sample = available_if(_no_density)(MultinomialNB.sample)
    impute = available_if(_no_density)(MultinomialNB.impute)


def _check_min_categories(min_categories, n_features):
    if min_categories is None:
        return None
    values = np.asarray(min_categories)
    if not (np.issubdtype(values.dtype, np.integer)) or values.dtype == bool:
        raise TypeError(f"min_categories must be an int or array of ints, got {min_categories!r}.")
    values = np.broadcast_to(values, (n_features,)) if values.ndim == 0 else values
    if values.shape != (n_features,):
        raise ValueError(
            f"min_categories must be an int or have shape ({n_features},), got shape "
            f"{values.shape}."
        )
    if (values < 0).any() or (values > MAX_CATEGORY_CODE).any():
        raise ValueError(
            f"min_categories must be >= 0 and at most {MAX_CATEGORY_CODE} (2**20), got "
            f"{values.tolist()}."
        )
    return values


class CategoricalNB(DiscreteNB):
    """Categorical naive Bayes for integer-coded features, with missing features marginalized.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing, >= 0; a vector gives each
        feature its own (a vector of another length than X's features raises
        ``ValueError``).
    force_alpha : bool, default=False
        As scikit-learn's: when False, alpha values below 1e-10 are raised to
        1e-10 (with a ``UserWarning``) so that log-probabilities stay finite;
        when True they are used as given (alpha=0 is no smoothing, and a
        probability may be 0). scikit-learn's default is True; with the
        default alpha=1.0 both give the same model.
    min_categories : int or array-like of shape (n_features,), optional
        Minimum number of categories per feature (codes 0 .. min - 1 are known
        even when absent from the training data).
    fit_prior : bool, default=True
    class_prior : array-like of shape (n_classes,), optional
    unseen : {"bucket", "error"}, default="bucket"
        "bucket" (gdlab's default) reserves a smoothed "unseen" category per
        feature, so a code never seen in training gets a probability at
        predict. "error" reserves none, which reproduces scikit-learn's
        CategoricalNB exactly (same ``feature_log_prob_``, same posteriors)
        and makes a code >= ``n_categories_[j]`` at predict a ``ValueError``.

    Attributes
    ----------
    classes_, class_count_, class_prior_, class_log_prior_, n_features_in_ : as in GaussianNB
    category_count_ : list of ndarray of shape (n_classes, n_categories_[j])
        Training rows per class and category of each feature.
    feature_log_prob_ : list of ndarray of shape (n_classes, n_categories_[j] (+ 1))
        Log-probabilities of each known category; with ``unseen="bucket"``
        the last column is the reserved "unseen" category.
    n_categories_ : ndarray of shape (n_features,)
        Known categories per feature: max(largest code seen + 1, min_categories).

    Notes
    -----
    X holds non-negative integer codes (NaN = missing); other values raise
    ``ValueError``. Training codes must be below 2**20 (1048576): code c
    makes a count table of c + 1 columns, so larger codes (ids, hashes) raise
    ``ValueError`` before any work; re-encode them to 0 .. C-1, or use
    :class:`MixedNB`, which takes any labels. With ``unseen="bucket"`` a code >=
    ``n_categories_[j]`` at predict (a category
    never seen in training) is not an error: the smoothing reserves one extra
    "unseen" bucket per feature, p = alpha / (N_kj + alpha (C_j + 1)), so every
    distribution still sums to one. Known categories get
    (N_kjc + alpha) / (N_kj + alpha (C_j + 1)). This equals scikit-learn's
    CategoricalNB with ``min_categories = n_categories_ + 1``; ``unseen="error"``
    equals scikit-learn's CategoricalNB with the same ``min_categories``
    (p = (N_kjc + alpha) / (N_kj + alpha C_j)). ``sample``
    draws only categories observed in training (in any class) or declared by
    ``min_categories``, with the fitted probabilities renormalized over them:
    codes below the largest one that training never saw (0 .. 2006 for data
    coded 2007 .. 2009) keep their smoothing mass in the likelihood but are
    never drawn, and neither is the "unseen" bucket. ``impute`` (mean) gives
    the mode of the posterior mixture, argmax_c sum_k p(y=k | x_obs) p_kjc
    over the same categories. A class with no observed value of a feature
    gets the smoothing prior alone (uniform). ``partial_fit`` grows the tables when a later
    batch brings a larger code. A feature with no known category (every
    training value NaN and no ``min_categories``) raises ``ValueError`` at
    ``fit`` (with ``partial_fit``: at predict or sample time).

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.naive_bayes import CategoricalNB
    >>> X = np.array([[0, 1], [0, 2], [1, 0], [2, 0]])
    >>> clf = CategoricalNB().fit(X, [0, 0, 1, 1])
    >>> clf.predict([[0, np.nan], [7, 0]])
    array([0, 1])
    """

    _distribution = Categorical

    def __init__(self, *, alpha=1.0, force_alpha=False, min_categories=None, fit_prior=True,
                 class_prior=None, unseen="bucket"):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.min_categories = min_categories
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.unseen = unseen

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.categorical = True  # integer category codes
        return tags

    def _check_params(self):
        super()._check_params()
        check_in(self.unseen, "unseen", ("bucket", "error"))

    def _check_values(self, X):
        Categorical.check_support(X, type(self).__name__)

    def _check_training_values(self, X):
        super()._check_training_values(X)
        Categorical.check_trainable(
            X, type(self).__name__, getattr(self, "feature_names_in_", None)
        )

    def _validate_X_predict(self, X):
        X = super()._validate_X_predict(X)
        if self.unseen == "error":
            # no mass is reserved for codes never seen in training: refuse them by name
            bad = X >= self.n_categories_  # NaN compares False
            if bad.any():
                raise_first_bad(
                    bad, X, getattr(self, "feature_names_in_", None),
                    "CategoricalNB(unseen='error') knows codes 0 .. n_categories_ - 1 of each "
                    f"feature ({self.n_categories_.tolist()}), ",
                    "; use unseen='bucket' to give unseen codes a smoothed probability, or "
                    "declare them with min_categories.",
                )
        return X

    def _check_defined(self):
        Categorical.check_defined(self.n_categories_, self._feature_labels(), "CategoricalNB")

    def _update_stats(self, X, y_idx, onehot):
        min_categories = _check_min_categories(self.min_categories, X.shape[1])
        Categorical.summarize(self._stats, X, y_idx, onehot, min_categories)

    def _finalize(self):
        p = Categorical.from_summaries(self._stats, alpha=self._alpha(),
                                       unseen_bucket=self.unseen == "bucket")
        self._log_probs, self.n_categories_ = p["log_probs"], p["n_categories"]
        # scikit-learn's layout without the bucket: the -inf "unseen" column is internal
        self.feature_log_prob_ = (self._log_probs if self.unseen == "bucket"
                                  else [lp[:, :-1] for lp in self._log_probs])
        self._offsets, self._flat_log_prob = p["offsets"], p["flat_log_prob"]
        self._drawable = p["drawable"]
        self.category_count_ = self._stats["counts"]

    def _params(self):
        return {
            "log_probs": self._log_probs,
            "n_categories": self.n_categories_,
            "drawable": self._drawable,
            "offsets": self._offsets,
            "flat_log_prob": self._flat_log_prob,
        }


# ---------------------------------------------------------------------------
# mixed column types
# ---------------------------------------------------------------------------
class MixedNB(MixedColumnsMixin, BaseNB):
    """Naive Bayes over columns of different types, DataFrames included.

    One distribution per column: ``"gaussian"`` (real values),
    ``"categorical"`` (any labels), ``"poisson"`` (non-negative counts) or
    ``"bernoulli"`` (0/1). Each kind uses the same implementation as the
    single-kind models (:class:`GaussianNB`, :class:`CategoricalNB`, ...).

    Parameters
    ----------
    distributions : None, str, list or dict, default=None
        None infers each column's kind from its pandas dtype: float ->
        gaussian; category, object, string, bool -> categorical; integer ->
        by its values: poisson when count-like (no negative value and the
        smallest value at most half the largest, e.g. 0..7, 1..8, 3..40),
        else categorical when it has at most 32 distinct values (years
        1990..2010, ratings -2..2), else gaussian. Any other array-like
        follows the same rule by the dtype ``np.asarray(X)`` gives it (float
        arrays are all gaussian, the columns of integer arrays and nested
        lists of ints follow the integer rule). With ``partial_fit`` the
        first batch decides. A string gives every
        column that kind; a list gives one kind per column; a dict
        ``{column: kind}`` (column labels, or positions for arrays) sets some
        columns and infers the rest (in an object array, each remaining
        column by the dtype its values give it, as in a DataFrame: a column
        of floats is gaussian, of text categorical). An object array with
        text and ``distributions=None`` is refused: name its categorical
        columns, or pass a DataFrame.
    alpha : float, default=1.0
        Smoothing of categorical, Bernoulli and Poisson columns (>= 0).
    var_smoothing : float, default=1e-9
        Variance smoothing of Gaussian columns, as in :class:`GaussianNB`.
    priors : array-like of shape (n_classes,), optional
        Class prior probabilities; when None, the class frequencies.

    Attributes
    ----------
    classes_, class_count_, class_prior_, class_log_prior_, n_features_in_ : as in GaussianNB
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.
    distributions_ : ndarray of shape (n_features_in_,)
        Kind of each column.
    columns_ : dict of str to ndarray of int
        Column positions of each kind present.
    categories_ : list of ndarray or None
        Labels of each categorical column (position = code); None for others.
    parameters_ : dict of str to dict
        Fitted parameters per kind: gaussian ``theta``, ``var``, ``epsilon``;
        categorical ``log_probs``, ``n_categories``; poisson ``rate``;
        bernoulli ``log_prob`` (columns in the order of ``columns_[kind]``).

    Notes
    -----
    Missing values (NaN, None, pd.NA) are marginalized at predict and ignored
    per column at fit. Categorical labels are encoded to codes at fit; a label
    never seen in training gets the smoothed "unseen" probability of
    :class:`CategoricalNB` (``partial_fit`` adds new labels as known
    categories; a batch that is rejected adds none). A categorical column
    with no known label (every training value missing, no categorical dtype)
    raises ``ValueError`` at ``fit``: nothing could be sampled or imputed.
    Poisson rates are (sum + alpha) / (observed + alpha). Gaussian columns
    refuse values of magnitude above 1e150 (their squares overflow), at fit
    and at predict, and a fitted parameter that is not finite (a Poisson sum
    that overflows) raises ``ValueError`` naming the column.

    A model fit on a DataFrame checks that later DataFrames have the same
    columns in the same order (``ValueError`` otherwise), whatever the
    column labels are.

    ``sample`` returns a DataFrame with the training columns and dtypes when
    fit on a DataFrame or on a non-numeric array (columns 0 .. d-1; its labels
    cannot be held in a float array), and a float array when fit on a
    numeric array. ``impute`` returns the same kind of output; only the
    missing cells are filled and observed entries (unseen labels included)
    come back unchanged. Given a DataFrame it keeps that frame's dtypes; a
    categorical column whose categories lack a fitted label gets the missing
    fitted labels appended to its categories, so an imputed label is never
    lost. ``impute(method="mean")`` fills a Poisson column that held integers
    at fit (integer dtype) with the posterior mean rounded to the nearest
    integer (``np.rint``), whatever the dtype of the column given to
    ``impute``; a Poisson column that was float at fit gets the unrounded
    posterior mean. Draws (``method="sample"``, ``sample``) are integers.

    Examples
    --------
    >>> import pandas as pd
    >>> from gdlab.models.naive_bayes import MixedNB
    >>> df = pd.DataFrame({"height": [1.6, 1.7, 1.9, 2.0],
    ...                    "colour": ["red", "red", "blue", "blue"],
    ...                    "visits": [0, 1, 5, 4]})
    >>> clf = MixedNB().fit(df, [0, 0, 1, 1])
    >>> clf.distributions_.tolist()
    ['gaussian', 'categorical', 'poisson']
    >>> clf.predict(pd.DataFrame({"height": [None], "colour": ["red"], "visits": [None]}))
    array([0])
    """

    def __init__(self, *, distributions=None, alpha=1.0, var_smoothing=1e-9, priors=None):
        self.distributions = distributions
        self.alpha = alpha
        self.var_smoothing = var_smoothing
        self.priors = priors

    def _prior_param(self):
        return self.priors, True

    def _check_params(self):
        smoothing(self.alpha)
        check_positive(self.var_smoothing, "var_smoothing", allow_zero=True)
        self._check_distributions()

    def _encoded(self, X, mode, check):
        """Validate X with ``check`` and encode its labels to codes, in the order each path
        needs: a DataFrame (or non-numeric array) is encoded, then checked; a numeric
        array is checked, then encoded. ``check`` takes X and returns a tuple whose first
        item is the validated X; returns (that tuple with X encoded, the categories)."""
        check_dense(self, X)
        frame = self._as_frame(X, fitting=mode == "fit")
        if frame is not None:
            encoded, categories = self._encode_frame(frame, mode, isinstance(X, pd.DataFrame))
            return check(encoded), categories
        raw_dtype = numeric_dtype(X) if mode == "fit" else None
        checked, *rest = check(X)
        encoded, categories = self._encode_array(checked, mode, raw_dtype)
        return (encoded, *rest), categories

    def _validate_fit(self, X, y):
        (X, _, classes, y_idx), _ = self._encoded(
            X, "fit", lambda X: check_X_y(self, X, y, allow_nan=True)
        )
        return X, classes, y_idx

    def _validate_partial_fit(self, X, y, classes):
        mode = "partial" if hasattr(self, "classes_") else "fit"
        (X, classes, y_idx, first), categories = self._encoded(
            X, mode, lambda X: check_partial_fit_data(self, X, y, classes, allow_nan=True)
        )
        if mode == "partial":
            # the batch's new labels become known only once the whole batch is valid
            self._check_values(X)
            self.categories_ = categories
        return X, classes, y_idx, first

    def _validate_X_predict(self, X):
        (X,), _ = self._encoded(
            X, "predict", lambda X: (check_X(self, X, reset=False, allow_nan=True),)
        )
        self._check_values(X)
        self._check_defined()
        return X

    def _check_defined(self):
        labels = self._column_labels()
        names = np.arange(self.n_features_in_) if labels is None else labels
        cols = self.columns_.get("categorical")
        if cols is not None:
            Categorical.check_defined(
                [len(self.categories_[j]) for j in cols], names[cols], "MixedNB"
            )
        cols = self.columns_.get("gaussian")
        if cols is not None:
            GaussianFeatures.check_defined(
                self._stats["gaussian"]["count"],
                self.parameters_["gaussian"]["theta"],
                self.parameters_["gaussian"]["var"],
                self.classes_,
                names[cols],
                "MixedNB",
            )
        cols = self.columns_.get("poisson")
        if cols is not None:
            Poisson.check_defined(
                self.parameters_["poisson"]["rate"], self.classes_, names[cols], "MixedNB"
            )

    def _check_values(self, X):
        labels = self._column_labels()
        names = np.arange(X.shape[1]) if labels is None else labels
        for kind in ("poisson", "bernoulli"):
            cols = self.columns_.get(kind)
            if cols is not None:
                DISTRIBUTIONS[kind].check_support(
                    X[:, cols], f"{type(self).__name__} ({kind})", names[cols]
                )
        cols = self.columns_.get("gaussian")
        if cols is not None:
            # Gaussian columns are squared: refuse values whose squares overflow, at fit
            # and at predict alike (labels and counts are not squared)
            gaussian = X
            if len(cols) < X.shape[1]:
                gaussian = np.full_like(X, np.nan)
                gaussian[:, cols] = X[:, cols]
            check_magnitude(self, gaussian, feature_names=labels)

    # -- statistics and parameters, per kind ------------------------------------
    def _init_stats(self, n_classes, n_features):
        return {
            kind: DISTRIBUTIONS[kind].new_summaries(n_classes, len(cols))
            for kind, cols in self.columns_.items()
        }

    def _update_stats(self, X, y_idx, onehot):
        for kind, cols in self.columns_.items():
            if kind == "categorical":
                known = [len(self.categories_[j]) for j in cols]
                Categorical.summarize(self._stats[kind], X[:, cols], y_idx, onehot, known)
            else:
                DISTRIBUTIONS[kind].summarize(self._stats[kind], X[:, cols], y_idx, onehot)

    def _finalize(self):
        hyper = {"alpha": smoothing(self.alpha)}
        self.parameters_ = {
            kind: DISTRIBUTIONS[kind].from_summaries(
                self._stats[kind],
                **({"var_smoothing": self.var_smoothing} if kind == "gaussian" else hyper),
            )
            for kind in self.columns_
        }

    def _log_likelihood(self, X):
        out = np.zeros((X.shape[0], len(self.classes_)))
        for kind, cols in self.columns_.items():
            out += DISTRIBUTIONS[kind].log_prob(X[:, cols], **self.parameters_[kind])
        return out

    def _per_kind(self, method, n_rows, *args):
        out = np.empty((n_rows, self.n_features_in_))
        for kind, cols in self.columns_.items():
            out[:, cols] = getattr(DISTRIBUTIONS[kind], method)(*args, **self.parameters_[kind])
        return out

    def _draw(self, y_idx, rng):
        return self._per_kind("sample", y_idx.shape[0], y_idx, rng)

    def _class_means(self):
        return self._per_kind("mean", len(self.classes_))

    def _impute_values(self, posterior):
        out = self._per_kind("impute", posterior.shape[0], posterior)
        integer = getattr(self, "_integer_columns", None)
        cols = self.columns_.get("poisson")
        if integer is not None and cols is not None:
            # a count column that held integers at fit gets the nearest count to its
            # posterior mean (np.rint, half to even), whatever container X comes in
            rounded = cols[np.asarray(integer, dtype=bool)[cols]]
            out[:, rounded] = np.rint(out[:, rounded])
        return out
