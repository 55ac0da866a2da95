"""Gaussian class-conditional models: QDA / LDA (full, tied, diagonal, spherical).

:class:`GaussianClassifier` models p(x | y=k) = N(mu_k, S_k) with a class
prior; :class:`GaussianDensity` is one Gaussian, usable alone or per class
through :class:`gdlab.base.ClassConditional`. Both handle missing entries
(NaN) exactly: at predict time by marginalizing (the observed block of the
mean and covariance), at fit time by EM, and both impute and sample from the
conditional Gaussian p(x_missing | x_observed). The numbers are computed once,
in :mod:`gdlab.distributions.gaussian`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from gdlab._param_checks import check_em_params, check_in, check_priors
from gdlab._validation import check_feature_magnitude, check_sample_weight, check_X, check_X_y
from gdlab.base import DensityMixin, GenerativeClassifierMixin, MagnitudeCheckedMixin
from gdlab.distributions import gaussian as gm
from gdlab.inference.gaussian_em import fit_gaussians

__all__ = ["GaussianClassifier", "GaussianDensity"]

_CAPS_CLASSIFIER = frozenset(
    {"classify", "density", "sample", "conditional_sample", "missing_features"}
)
_CAPS_DENSITY = frozenset({"density", "sample", "missing_features"})


def _check_shrinkage(shrinkage, covariance):
    expected = f"shrinkage must be None, 'auto' or a float in [0, 1], got {shrinkage!r}."
    if shrinkage is None:
        return None
    if isinstance(shrinkage, str):
        if shrinkage != "auto":
            raise ValueError(expected)
    elif isinstance(shrinkage, bool) or not isinstance(shrinkage, numbers.Real):
        raise TypeError(expected)
    elif not 0.0 <= shrinkage <= 1.0:
        raise ValueError(expected)
    if covariance == "spherical":
        raise ValueError(
            "shrinkage has no effect on a spherical covariance (it is already a scaled "
            f"identity); leave shrinkage=None, got {shrinkage!r}."
        )
    if covariance == "diag":
        raise ValueError(
            "shrinkage has no effect on a diagonal covariance (shrinkage pulls the "
            "correlations towards zero on the standardized scale, and a diagonal "
            f"covariance has none); leave shrinkage=None, got {shrinkage!r}."
        )
    return shrinkage if isinstance(shrinkage, str) else float(shrinkage)


def _fit_settings(estimator, covariances, shrinkage=None):
    """Check ``estimator``'s covariance (one of ``covariances``), ``shrinkage`` and EM
    settings, in that order; returns them as the keyword arguments of
    :func:`gdlab.inference.gaussian_em.fit_gaussians`."""
    check_in(estimator.covariance, "covariance", covariances)
    shrinkage = _check_shrinkage(shrinkage, estimator.covariance)
    reg_covar, max_iter, tol = check_em_params(
        estimator.reg_covar, estimator.max_iter, estimator.tol
    )
    return dict(
        covariance=estimator.covariance, shrinkage=shrinkage, reg_covar=reg_covar,
        max_iter=max_iter, tol=tol,
    )


class GaussianClassifier(MagnitudeCheckedMixin, GenerativeClassifierMixin, BaseEstimator):
    """Gaussian class-conditional classifier (QDA, LDA and their restricted forms).

    Models log p(x, y=k) = log p(y=k) + log N(x; mu_k, S_k) and classifies by
    Bayes' rule. NaN entries are missing: at predict time they are marginalized
    exactly (x_obs ~ N(mu_k[obs], S_k[obs, obs])); at fit time the parameters are
    estimated by EM for a Gaussian with missing data, without dropping rows.

    Parameters
    ----------
    covariance : {"full", "tied", "diag", "spherical"}, default="full"
        "full": one covariance per class (QDA). "tied": one pooled within-class
        covariance for all classes (LDA). "diag": one diagonal covariance per
        class (Gaussian naive Bayes). "spherical": one variance per class.
    shrinkage : None, float in [0, 1] or "auto", default=None
        Shrink each class covariance on its standardized scale, as scikit-learn's
        ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage=...)`` does for
        "auto": with s the per-feature standard deviations and R = S / (s s^T)
        the correlation matrix, S <- s s^T * ((1 - a) R + a (tr(R) / d) I), so
        correlations shrink towards zero, variances stay, and the result does
        not depend on the units of the features. "auto" takes a as the
        Ledoit-Wolf intensity (:func:`sklearn.covariance.ledoit_wolf_shrinkage`)
        of each class's standardized complete rows (a class with fewer than two
        complete rows uses its mean-imputed rows); a float is that intensity for
        every class. For "tied", each class covariance is shrunk with its own
        intensity and the shrunk covariances are averaged by class counts. The
        intensities used are in ``shrinkage_``. Only for "full" and "tied" (a
        diagonal or spherical covariance has no correlations to shrink).
        Unlike scikit-learn's float shrinkage, which shrinks the raw covariance
        towards (tr(S) / d) I and so depends on the units (wine, 0.3: 0.71
        training accuracy), a float here uses the same standardized rule as "auto".
    priors : array-like of shape (n_classes,), default=None
        Class priors in the order of the sorted labels; non-negative, summing to
        one. None: the class frequencies in the training data.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance.
    max_iter : int, default=100
        Maximum EM iterations when the training data has NaN entries.
    tol : float, default=1e-6
        EM stops when the mean per-row observed-data log-likelihood changes by
        less than ``tol``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Training rows per class (including rows with missing entries); the sum
        of their weights when ``fit`` had ``sample_weight``.
    class_prior_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
    covariances_ : ndarray of shape (n_classes, n_features, n_features)
        Always full matrices (the tied matrix repeated; diagonal ones with zeros
        off the diagonal). Maximum-likelihood (divide by n, not n - 1).
    shrinkage_ : ndarray of shape (n_classes,)
        Shrinkage intensity applied to each class (zeros when ``shrinkage=None``).
    n_iter_ : int
        EM iterations run; 1 when the training data had no NaN (one M-step is
        the closed-form MLE).
    converged_ : bool
    log_likelihood_history_ : list of float
        Mean per-row observed-data log-likelihood, (1/n) sum_i log p(x_i,obs | y_i) with n the
        number of rows with an observed entry: entry 0 at the initial (mean-imputation) estimate,
        entry t after EM iteration t. A single entry (the MLE) on complete data.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names.

    Notes
    -----
    Without shrinkage or ``reg_covar`` each EM iteration never decreases the
    observed-data log-likelihood (Little & Rubin 2002, ch. 11). With
    shrinkage, or with ``reg_covar`` large against the data's variances (for
    example more features than rows in a class), the M-step is a penalized
    update and ``log_likelihood_history_`` may fall slightly.
    A covariance that is singular even after ``reg_covar`` (collinear or
    constant features on a large scale) raises ``ValueError`` asking for a
    larger ``reg_covar`` or shrinkage, rather than returning NaN.
    Rows whose entries are all missing are accepted at fit: their likelihood
    p(x_obs | y) is 1 under every parameter, so they count towards the class
    prior (p(x_empty, y) = p(y)) and leave the means, covariances and
    ``log_likelihood_history_`` exactly as without them.

    Entries with ``|x| > 1e150`` (whose squares overflow) are refused at fit
    and predict with a ``ValueError`` naming the column. For
    ``covariance="tied"``, ``predict`` and ``predict_proba`` apply Bayes' rule
    to the class-dependent (linear) part of log p(x, y) only, so the posterior
    stays exact for rows far from the data, where the shared quadratic term
    swamps it in floating point; ``log_joint`` itself is the full log joint.

    Against scikit-learn: with the default priors, ``covariance="tied"`` gives
    the covariance and posteriors of
    ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage=None or "auto")``
    (both maximum-likelihood, divided by n; set ``reg_covar=0`` to compare).
    With user ``priors`` scikit-learn also weights the class covariances by
    the priors; here they are weighted by the class counts (the
    maximum-likelihood pooled covariance) and the priors enter Bayes' rule only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from gdlab.models.gaussian import GaussianClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GaussianClassifier(covariance="tied").fit(X, y)
    >>> clf.predict(X[:2]).tolist()
    [0, 0]
    >>> X_miss = X.copy()
    >>> X_miss[0, 2:] = np.nan             # petal measurements missing
    >>> clf.predict_proba(X_miss[:1]).sum().round(6)
    np.float64(1.0)
    >>> clf.impute(X_miss[:1]).round(1).tolist()
    [[5.1, 3.5, 1.5, 0.3]]
    """

    _gdlab_capabilities = _CAPS_CLASSIFIER

    def __init__(
        self,
        *,
        covariance="full",
        shrinkage=None,
        priors=None,
        reg_covar=1e-6,
        max_iter=100,
        tol=1e-6,
    ):
        self.covariance = covariance
        self.shrinkage = shrinkage
        self.priors = priors
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit the class priors and the class Gaussians (EM when X has NaN).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights: weighted class counts (the prior), weighted
            means and covariances, and with NaN weighted EM (the history is the
            weighted mean log-likelihood), so integer weights give the fit of the
            rows repeated that many times. Rows of weight 0 are left out; a class
            whose weights are all 0 is a ``ValueError``; ``shrinkage="auto"``
            takes the weighted Ledoit-Wolf intensity. None: every weight 1.
            (scikit-learn's LDA / QDA take no sample_weight.)

        Returns
        -------
        self
        """
        settings = _fit_settings(self, set(gm.COVARIANCE_TYPES), self.shrinkage)
        X, _, classes, y_idx = check_X_y(self, X, y, allow_nan=True)
        check_feature_magnitude(self, X)
        w = check_sample_weight(sample_weight, X.shape[0])
        priors = check_priors(self.priors, len(classes))
        result = fit_gaussians(X, y_idx, len(classes), sample_weight=w, **settings)
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, weights=w, minlength=len(classes)), priors)
        self.means_ = result.means
        self.covariances_ = result.covariances
        self.shrinkage_ = result.shrinkage
        result.em.record(self, self.tol)
        return self

    # -- contract hooks ----------------------------------------------------
    @property
    def _diagonal(self) -> bool:
        return gm.is_diagonal(self.covariances_)

    def _log_likelihood(self, X):
        if self._diagonal:
            variances = np.diagonal(self.covariances_, axis1=1, axis2=2)
            return gm.diagonal_log_prob(X, self.means_, variances)
        patterns = gm.missing_patterns(X)
        return np.column_stack(
            [
                gm.log_density(X, m, S, patterns=patterns)
                for m, S in zip(self.means_, self.covariances_, strict=True)
            ]
        )

    def _bayes_log_likelihood(self, X):
        """log p(x | y=k) up to a term that depends on the row only (for Bayes' rule).

        For a tied covariance the class-independent quadratic term is left out
        (see :func:`gdlab.distributions.gaussian.shared_covariance_discriminant`),
        so posteriors stay exact for rows far from the data, where that term
        swamps the class-dependent one; otherwise this is the log-likelihood.
        """
        if self.covariance != "tied":
            return self._log_likelihood(X)
        return gm.shared_covariance_discriminant(X, self.means_, self.covariances_[0])

    def _no_posterior_message(self, rows):
        """A Gaussian is never zero: a row with no finite log p(x, y=k) overflowed."""
        return (
            f"rows {rows} of X are too far from every class for float64: log p(x, y) "
            "overflows (the squared distance in standard deviations exceeds 1e308); rescale "
            "X (e.g. StandardScaler) or mark wrong values as missing."
        )

    def _conditional_mean(self, X):
        patterns = None if self._diagonal else gm.missing_patterns(X)
        return np.stack(
            [
                gm.conditional_mean(X, m, S, diagonal=self._diagonal, patterns=patterns)
                for m, S in zip(self.means_, self.covariances_, strict=True)
            ],
            axis=1,
        )

    def _conditional_draw(self, X, y_idx, rng):
        out = X.copy()
        for k in np.unique(y_idx):
            rows = y_idx == k
            out[rows] = gm.conditional_draw(
                X[rows], self.means_[k], self.covariances_[k], rng, diagonal=self._diagonal
            )
        return out


class GaussianDensity(MagnitudeCheckedMixin, DensityMixin, BaseEstimator):
    """A multivariate Gaussian density, fitted by MLE or, with NaN entries, by EM.

    ``ClassConditional(GaussianDensity())`` is a QDA that handles missing
    features; see :class:`GaussianClassifier` for the shared-covariance forms.

    Parameters
    ----------
    covariance : {"full", "diag", "spherical"}, default="full"
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of the covariance.
    max_iter : int, default=100
        Maximum EM iterations when the training data has NaN entries.
    tol : float, default=1e-6
        EM stops when the mean per-row observed-data log-likelihood changes by
        less than ``tol``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    covariance_ : ndarray of shape (n_features, n_features)
        Always a full matrix (zeros off the diagonal for "diag"/"spherical").
    n_iter_ : int
        EM iterations run; 1 when the training data had no NaN (one M-step is
        the closed-form MLE).
    converged_ : bool
    log_likelihood_history_ : list of float
        Mean per-row observed-data log-likelihood (over the rows with an
        observed entry): entry 0 at the initial (mean-imputation) estimate,
        entry t after EM iteration t. A single entry (the MLE) on complete data.
    n_features_in_ : int

    Notes
    -----
    Rows with every entry missing are accepted at fit (their likelihood is 1
    under every parameter, so the fit is exactly that of the other rows) and
    score 0; a column with no observed value raises ``ValueError``. Entries
    with ``|x| > 1e150`` are refused at fit and predict, naming the column.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.gaussian import GaussianDensity
    >>> rng = np.random.RandomState(0)
    >>> X = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=500)
    >>> X[::3, 1] = np.nan
    >>> dens = GaussianDensity().fit(X)
    >>> dens.covariance_.shape, bool(dens.converged_)
    ((2, 2), True)
    >>> dens.score_samples([[np.nan, np.nan]]).tolist()
    [0.0]
    >>> dens.sample(3, random_state=0).shape
    (3, 2)
    """

    _gdlab_capabilities = _CAPS_DENSITY

    def __init__(self, *, covariance="full", reg_covar=1e-6, max_iter=100, tol=1e-6):
        self.covariance = covariance
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y=None, sample_weight=None):
        """Fit the mean and covariance (EM when X has NaN).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights (weighted MLE or EM, as
            :meth:`GaussianClassifier.fit`). None: every weight 1.

        Returns
        -------
        self
        """
        settings = _fit_settings(self, {"full", "diag", "spherical"})
        X = check_X(self, X, reset=True, allow_nan=True)
        check_feature_magnitude(self, X)
        w = check_sample_weight(sample_weight, X.shape[0])
        one_group = np.zeros(X.shape[0], dtype=np.intp)
        result = fit_gaussians(X, one_group, 1, sample_weight=w, **settings)
        self.mean_ = result.means[0]
        self.covariance_ = result.covariances[0]
        result.em.record(self, self.tol)
        return self

    @property
    def _diagonal(self) -> bool:
        return gm.is_diagonal(self.covariance_)

    def _log_density(self, X):
        return gm.log_density(X, self.mean_, self.covariance_, diagonal=self._diagonal)

    def _conditional_mean(self, X):
        return gm.conditional_mean(X, self.mean_, self.covariance_, diagonal=self._diagonal)

    def _draw(self, X, rng):
        return gm.conditional_draw(X, self.mean_, self.covariance_, rng, diagonal=self._diagonal)
