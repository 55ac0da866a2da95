"""Generative-discriminative blends: naive Bayes and Gaussian classifiers fitted between
log p(x, y) and log p(y | x).

Bouchard & Triggs (2004) fit the parameters theta of one generative model by
maximizing

    L_lambda(theta) = lambda * sum_i log p(x_i, y_i) + (1 - lambda) * sum_i log p(y_i | x_i)
                    = sum_i log p(y_i | x_i) + lambda * sum_i log p(x_i)

lambda = 1 is the usual generative fit (the closed-form naive Bayes
estimates); lambda = 0 the discriminative fit of the same family (for Gaussian
naive Bayes with one variance per feature shared by the classes, the linear
logistic model; with per-class variances a quadratic one; for multinomial and
Bernoulli naive Bayes, a linear model on the counts or bits). Between the two
the log p(x) term is a data-dependent regularizer that pulls the parameters
towards the generative fit: at small training sizes an interior lambda is often
best, and the best lambda moves towards 0 as the training set grows.

Whatever lambda, the fitted parameters are those of a proper naive Bayes model:
``score_samples`` is a normalized log p(x), ``sample`` draws from p(x, y), and
NaN entries are marginalized exactly, through the same code as
:class:`~gdlab.models.naive_bayes.GaussianNB`, :class:`~gdlab.models.naive_bayes.MultinomialNB`
and :class:`~gdlab.models.naive_bayes.BernoulliNB` (each blend is a subclass
that keeps its parent's predict-time hooks and replaces ``fit`` only).

How it is fitted: full-batch L-BFGS (:func:`scipy.optimize.minimize`, L-BFGS-B)
on analytic gradients. The gradient of L_lambda with respect to the (n, K)
matrix J of log p(x_i, y=k) is W = onehot(y) - (1 - lambda) p(y | x), so every
family needs only the gradient of its log-density weighted by W: weighted
sufficient statistics, the same matrix products the closed-form fit uses. The
log-densities themselves come from :mod:`gdlab.distributions` (one owner).
L-BFGS rather than gdlab's torch training loop because the objective is a
smooth full-batch function of a few hundred parameters: a quasi-Newton method
converges to a gradient tolerance in a few dozen steps, deterministically,
which the lambda = 1 check against the closed form needs, and the models stay
torch-free like the rest of naive Bayes. It starts from the closed-form
generative fit. Variances are parameterized by their logarithm (on features
standardized inside the fit, so one tolerance suits every scale), full
covariances (:class:`BlendGaussianClassifier`) by their Cholesky factor with a
log diagonal, multinomial probabilities by a softmax, Bernoulli probabilities
by a logistic.

The objective, its L-BFGS fit and the choice of lambda by cross-validation are
:class:`~gdlab.models._blend_fit.BlendMixin`'s, in :mod:`gdlab.models._blend_fit`;
each estimator here supplies its family's pieces (design, start, bounds,
log-likelihood and gradient, fitted attributes).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import log_expit, logsumexp

from gdlab._param_checks import check_em_params, check_in, check_priors
from gdlab._validation import check_feature_magnitude, check_X_y
from gdlab.distributions import gaussian as gm
from gdlab.distributions.common import missing_mask
from gdlab.distributions.discrete import Bernoulli, Multinomial
from gdlab.distributions.gaussian_features import GaussianFeatures
from gdlab.inference.gaussian_em import fit_gaussians
from gdlab.models._blend_fit import (
    BLEND_PARAMS,
    DEFAULT_LAMBDA_GRID,
    BlendMixin,
    check_blend_weight,
)
from gdlab.models._naive_bayes_base import smoothing
from gdlab.models.gaussian import GaussianClassifier
from gdlab.models.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

__all__ = ["BlendGaussianNB", "BlendGaussianClassifier", "BlendMultinomialNB",
           "BlendBernoulliNB", "DEFAULT_LAMBDA_GRID", "check_blend_weight"]

#: Bounds of a log-variance on the standardized scale: wide enough never to bind on
#: data, narrow enough that exp() never overflows when lambda = 0 drives a fit apart.
_LOG_VAR_BOUNDS = (-60.0, 60.0)
#: Bounds of the log of a Cholesky diagonal entry, on the standardized scale: a standard
#: deviation between e^-12 and e^12 (narrower would bind on data, wider loses precision).
_LOG_CHOL_BOUNDS = (-12.0, 12.0)
#: EM settings of the closed-form start of BlendGaussianClassifier when X has NaN.
_EM_MAX_ITER, _EM_TOL = 500, 1e-10


def _standardize(X):
    """Standardize by the pooled moments of the observed entries, for the Gaussian blends.

    The Gaussian models are equivariant under this map, so the fit is the same up
    to the map back, and one L-BFGS tolerance suits every scale. A column with no
    observed entry, or a constant one, keeps center 0 / scale 1.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing entry.

    Returns
    -------
    Z : ndarray of shape (n_samples, n_features)
        ``(X - center) / scale`` (NaN stays NaN).
    center, scale : ndarray of shape (n_features,)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmean(X, axis=0)
        scale = np.nanstd(X, axis=0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    center = np.where(np.isfinite(center), center, 0.0)
    return (X - center) / scale, center, scale


class BlendGaussianNB(BlendMixin, GaussianNB):
    """Gaussian naive Bayes fitted between the generative and the discriminative objective.

    Maximizes lambda * sum log p(x, y) + (1 - lambda) * sum log p(y | x)
    over the class prior, the means and the (log) variances (Bouchard &
    Triggs 2004). ``lambda_=1`` is :class:`~gdlab.models.naive_bayes.GaussianNB`;
    ``lambda_=0`` with ``covariance="shared"`` is linear logistic regression
    written as a Gaussian model (posteriors of the unregularized logistic
    regression), with ``covariance="diag"`` its quadratic counterpart.

    Parameters
    ----------
    lambda_ : float in [0, 1] or "cv", default="cv"
        Weight of log p(x, y); ``"cv"`` chooses it among ``lambda_grid`` by
        stratified cross-validation (held-out log-loss).
    covariance : {"diag", "shared"}, default="diag"
        "diag": one variance per class and feature (naive Bayes). "shared":
        one variance per feature, the same in every class (the Gaussian model
        behind linear logistic regression).
    priors : array-like of shape (n_classes,), optional
        Fixed class priors; None learns them with the other parameters.
    var_smoothing : float, default=1e-9
        ``epsilon_ = var_smoothing * (largest feature variance)``, as in
        GaussianNB, enters the objective as the prior term
        ``-N_kj epsilon_ / (2 var_kj)`` (N_kj: observed values of feature j in
        class k), whose optimum at lambda = 1 is GaussianNB's ``var_`` = MLE +
        ``epsilon_`` exactly; at every lambda it keeps a variance from
        collapsing to zero.
    lambda_grid : sequence of float, default=DEFAULT_LAMBDA_GRID
        Candidates for ``lambda_="cv"``.
    cv : int, default=5
        Folds for ``lambda_="cv"`` (fewer when a class has fewer rows).
    max_iter : int, default=1000
        L-BFGS iterations.
    tol : float, default=1e-8
        L-BFGS stops when every gradient entry of the per-row objective is below ``tol``.
    random_state : int, RandomState instance or None
        Shuffling of the cross-validation folds.

    Attributes
    ----------
    classes_, class_count_, class_prior_, theta_, var_, epsilon_, observed_count_ :
        As in :class:`~gdlab.models.naive_bayes.GaussianNB` (``class_prior_``
        is fitted by the blended objective unless ``priors`` is given; with
        "shared", every row of ``var_`` is the same).
    blend_lambda_ : float
        The lambda used (``lambda_``, or the one cross-validation chose).
    cv_log_loss_ : dict of float to float
        Held-out log-loss of each grid lambda (``lambda_="cv"`` only).
    objective_ : float
        lambda log p(x, y) + (1 - lambda) log p(y | x) summed over the training rows, at the fit.
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int

    Notes
    -----
    Missing entries (NaN) drop their factor from both terms, at fit and at
    predict. At ``lambda_=0`` the parameters are determined only as far as
    p(y | x) determines them (the logistic weights mean / variance, not the
    means and variances separately): any optimum is returned, and it is still
    a proper density, but its log p(x) means little. On separable data the
    discriminative end has no finite optimum: L-BFGS stops at ``max_iter``
    with a ``ConvergenceWarning``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdlab.models.blend import BlendGaussianNB
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BlendGaussianNB(lambda_=0.5).fit(X, y)
    >>> clf.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    >>> clf.sample(2, y=0, random_state=0)[0].shape
    (2, 4)
    """

    def __init__(self, *, lambda_="cv", covariance="diag", priors=None, var_smoothing=1e-9,
                 lambda_grid=DEFAULT_LAMBDA_GRID, cv=5, max_iter=1000, tol=1e-8,
                 random_state=None):
        self.covariance = covariance
        self.priors = priors
        self.var_smoothing = var_smoothing
        self._set_params(locals(), BLEND_PARAMS)

    def _check_params(self):
        super()._check_params()
        check_in(self.covariance, "covariance", {"diag", "shared"})

    def _design(self, X):
        Z, center, scale = _standardize(X)
        missing = missing_mask(Z)
        Z0 = Z if missing is None else np.where(missing, 0.0, Z)
        obs = None if missing is None else np.logical_not(missing).astype(np.float64)
        # GaussianNB's smoothing epsilon_ as a prior: -N_kj epsilon / (2 var_kj) per class and
        # feature, whose maximum with the likelihood is GaussianNB's var_ = MLE + epsilon_
        weight = self.observed_count_ * (self.epsilon_ / scale**2)
        if self.covariance == "shared":
            weight = weight.sum(axis=0, keepdims=True)
        return {"Z": Z, "Z0": Z0, "Z2": Z0 * Z0, "obs": obs, "center": center, "scale": scale,
                "smoothing": weight}

    def _n_variances(self) -> int:
        return 1 if self.covariance == "shared" else len(self.classes_)

    def _initial_parameters(self, data):
        mu = (self.theta_ - data["center"]) / data["scale"]
        var = self.var_ / data["scale"] ** 2
        if self.covariance == "shared":
            # the pooled within-class variance (+ epsilon): the shared optimum at lambda = 1
            weights = self.observed_count_ / self.observed_count_.sum(axis=0)
            var = (weights * var).sum(axis=0, keepdims=True)
        log_var = np.log(np.maximum(var, 1e-300))
        return np.concatenate([mu.ravel(), np.clip(log_var, *_LOG_VAR_BOUNDS).ravel()])

    def _bounds(self, data):
        K, d = self.theta_.shape
        return [(None, None)] * (K * d) + [_LOG_VAR_BOUNDS] * (self._n_variances() * d)

    def _unpack(self, v, data):
        K, d = self.theta_.shape
        mu = v[: K * d].reshape(K, d)
        log_var = v[K * d:].reshape(self._n_variances(), d)
        return mu, np.broadcast_to(np.exp(log_var), (K, d)), log_var

    def _family_terms(self, v, data, W):
        mu, var, log_var = self._unpack(v, data)
        if W is None:
            return GaussianFeatures.log_prob(data["Z"], theta=mu, var=var,
                                             shift=np.zeros(mu.shape[1]))
        Wo = (W.T @ data["obs"] if data["obs"] is not None
              else np.broadcast_to(W.sum(axis=0)[:, None], mu.shape))
        W1 = W.T @ data["Z0"]
        W2 = W.T @ data["Z2"]
        g_mu = (W1 - Wo * mu) / var
        g_log_var = 0.5 * (W2 - 2.0 * mu * W1 + mu * mu * Wo) / var - 0.5 * Wo  # d/dlog var
        if self.covariance == "shared":
            g_log_var = g_log_var.sum(axis=0, keepdims=True)
        inv_var = np.exp(-log_var)
        penalty = -0.5 * (data["smoothing"] * inv_var).sum()
        g_log_var = g_log_var + 0.5 * data["smoothing"] * inv_var
        return penalty, np.concatenate([g_mu.ravel(), g_log_var.ravel()])

    def _store(self, v, data):
        mu, var, _ = self._unpack(v, data)
        self.theta_ = data["center"] + data["scale"] * mu
        self.var_ = np.array(var * data["scale"] ** 2)


class BlendGaussianClassifier(BlendMixin, GaussianClassifier):
    """Gaussian classifier with full covariances fitted between the generative and the
    discriminative objective.

    Maximizes lambda * sum log p(x, y) + (1 - lambda) * sum log p(y | x) over
    the class prior, the means and the covariances of
    :class:`~gdlab.models.gaussian.GaussianClassifier` (Bouchard & Triggs
    2004). Each covariance is parameterized by its Cholesky factor L (S = L
    L^T, the log of L's diagonal free), so every step of the optimizer is a
    positive-definite covariance and the gradient is taken through L.
    ``lambda_=1`` is :class:`~gdlab.models.gaussian.GaussianClassifier` with
    the same ``covariance`` and ``reg_covar`` (QDA for "full", LDA for
    "tied"); ``lambda_=0`` is the discriminative fit of the same family: a
    quadratic logistic model for "full", linear (multinomial) logistic
    regression for "tied".

    Parameters
    ----------
    lambda_ : float in [0, 1] or "cv", default="cv"
        Weight of log p(x, y); ``"cv"`` chooses it among ``lambda_grid`` by
        stratified cross-validation (held-out log-loss).
    covariance : {"full", "tied"}, default="full"
        "full": one covariance per class. "tied": one covariance shared by
        the classes.
    priors : array-like of shape (n_classes,), optional
        Fixed class priors; None learns them with the other parameters.
    reg_covar : float, default=1e-6
        As in :class:`~gdlab.models.gaussian.GaussianClassifier`: enters the
        objective as the prior term ``-N_k reg_covar tr(S_k^{-1}) / 2`` (N_k:
        training rows of class k; all rows for "tied"), whose optimum at
        lambda = 1 is the maximum-likelihood covariance + ``reg_covar`` on the
        diagonal, exactly the closed form; at every lambda it keeps a
        covariance from collapsing.
    max_iter : int, default=300
        L-BFGS iterations (fewer than the naive Bayes blends' 1000: each costs
        O(K d^3), and a well-posed fit converges in well under 300 (iris, 4
        features: about 60 at lambda = 0.5); where it does not, lambda is near 0
        on (nearly) separable data or a class is degenerate, and more iterations
        only drift).
    lambda_grid, cv, tol, random_state :
        As in :class:`BlendGaussianNB` (``tol`` is the L-BFGS gradient
        tolerance; the closed-form start with NaN in X runs EM with at most 500
        iterations to a 1e-10 tolerance).

    Attributes
    ----------
    classes_, class_count_, class_prior_, means_, covariances_, n_features_in_ :
        As in :class:`~gdlab.models.gaussian.GaussianClassifier`
        (``covariances_`` always full, one per class; for "tied" all equal).
    blend_lambda_, cv_log_loss_, objective_, n_iter_, converged_ :
        As in :class:`BlendGaussianNB`.

    Notes
    -----
    NaN entries are marginalized in both terms, at fit and predict (the
    observed block of each mean and covariance). As for the other blends,
    at ``lambda_=0`` the parameters are determined only as far as p(y | x)
    determines them, and on separable data the discriminative end has no
    finite optimum (``ConvergenceWarning`` at ``max_iter``). A fit costs
    O(n d^2 + d^3) per class and L-BFGS step, with K d (d + 3) / 2
    parameters: meant for tens of features, not thousands.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdlab.models.blend import BlendGaussianClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BlendGaussianClassifier(lambda_=0.5).fit(X, y)
    >>> clf.covariances_.shape
    (3, 4, 4)
    >>> clf.predict_proba(X[:1]).sum().round(6)
    np.float64(1.0)
    """

    def __init__(self, *, lambda_="cv", covariance="full", priors=None, reg_covar=1e-6,
                 lambda_grid=DEFAULT_LAMBDA_GRID, cv=5, max_iter=300, tol=1e-8,
                 random_state=None):
        self.covariance = covariance
        self.priors = priors
        self.reg_covar = reg_covar
        self._set_params(locals(), BLEND_PARAMS)

    # -- the pieces BlendMixin.fit reads ------------------------------------
    def _check_params(self):
        check_in(self.covariance, "covariance", {"full", "tied"})
        check_em_params(self.reg_covar, self.max_iter, self.tol)

    def _prior_param(self):
        return self.priors, True

    def _check_defined(self):
        """Every parameter is defined once a class has a row (a Gaussian is never empty)."""

    def _validate_fit(self, X, y):
        X, _, classes, y_idx = check_X_y(self, X, y, allow_nan=True)
        check_feature_magnitude(self, X)
        return X, classes, y_idx

    def _fit_validated(self, X, classes, y_idx):
        """The closed-form fit (:class:`GaussianClassifier`'s): the lambda = 1 optimum."""
        priors = check_priors(self.priors, len(classes))
        result = fit_gaussians(X, y_idx, len(classes), covariance=self.covariance,
                               shrinkage=None, reg_covar=float(self.reg_covar),
                               max_iter=_EM_MAX_ITER, tol=_EM_TOL)
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)).astype(float), priors)
        self.means_ = result.means
        self.covariances_ = result.covariances
        self.shrinkage_ = np.zeros(len(classes))
        return self

    def _n_factors(self) -> int:
        return 1 if self.covariance == "tied" else len(self.classes_)

    def _design(self, X):
        Z, center, scale = _standardize(X)
        # reg_covar as the prior term -N reg tr(S^-1 / (s s^T)) / 2 on the standardized scale
        counts = self.class_count_[:, None]
        if self.covariance == "tied":
            counts = counts.sum(axis=0, keepdims=True)
        d = X.shape[1]
        return {"Z": Z, "patterns": gm.missing_patterns(Z), "center": center, "scale": scale,
                "prior": counts * (float(self.reg_covar) / scale**2)[None, :],
                "tril": np.tril_indices(d)}

    def _initial_parameters(self, data):
        scale = data["scale"]
        mu = (self.means_ - data["center"]) / scale
        S = self.covariances_[: self._n_factors()] / np.outer(scale, scale)
        L = np.linalg.cholesky(S)
        return np.concatenate([mu.ravel(), self._pack(L, data)])

    @staticmethod
    def _pack(L, data):
        r, c = data["tril"]
        values = L[:, r, c].copy()
        on = r == c
        values[:, on] = np.log(values[:, on])
        return values.ravel()

    def _bounds(self, data):
        K, d = self.means_.shape
        r, c = data["tril"]
        per = [_LOG_CHOL_BOUNDS if i == j else (None, None) for i, j in zip(r, c, strict=True)]
        return [(None, None)] * (K * d) + per * self._n_factors()

    def _unpack(self, v, data):
        K, d = self.means_.shape
        mu = v[: K * d].reshape(K, d)
        r, c = data["tril"]
        values = v[K * d:].reshape(self._n_factors(), len(r))
        L = np.zeros((self._n_factors(), d, d))
        on = r == c
        L[:, r[~on], c[~on]] = values[:, ~on]
        L[:, r[on], c[on]] = np.exp(values[:, on])
        return mu, L

    def _family_terms(self, v, data, W):
        mu, L = self._unpack(v, data)
        K, d = mu.shape
        S = L @ L.transpose(0, 2, 1)
        factor = [0] * K if self.covariance == "tied" else list(range(K))
        Z, patterns = data["Z"], data["patterns"]
        try:
            if W is None:
                return self._log_densities(Z, patterns, mu, L, S, factor)
            return self._gradient(Z, patterns, mu, L, S, factor, W, data)
        except np.linalg.LinAlgError:  # a step to a numerically singular covariance:
            nan = np.full((Z.shape[0], K), np.nan)  # the objective is then not finite and
            return nan if W is None else (np.nan, np.zeros_like(v))  # L-BFGS steps back

    @staticmethod
    def _log_densities(Z, patterns, mu, L, S, factor):
        """(n, K) log N(z_i; mu_k, S_k), straight from the Cholesky factors on complete data."""
        K, d = mu.shape
        if len(patterns) == 1 and patterns[0][0].size == d:  # no NaN: no refactorization
            out = np.empty((Z.shape[0], K))
            for k in range(K):
                Lk = L[factor[k]]
                sol = solve_triangular(Lk, (Z - mu[k]).T, lower=True)  # (d, n)
                out[:, k] = (-0.5 * (sol * sol).sum(axis=0) - np.log(np.diag(Lk)).sum()
                             - 0.5 * d * np.log(2.0 * np.pi))
            return out
        return np.column_stack([gm.log_density(Z, mu[k], S[factor[k]], patterns=patterns)
                                for k in range(K)])

    def _gradient(self, Z, patterns, mu, L, S, factor, W, data):
        """The prior term and the gradient of sum_ik W_ik log N(z_i,obs; mu_k,obs, S_k,obs)
        plus the prior term, with respect to the flat (mu, log-Cholesky) parameters."""
        K, d = mu.shape
        L_inv = np.stack([solve_triangular(Lj, np.eye(d), lower=True) for Lj in L])
        S_inv = L_inv.transpose(0, 2, 1) @ L_inv
        # gradient of sum_ik W_ik log N(z_i,obs; mu_k,obs, S_k,obs) with respect to mu and S
        g_mu = np.zeros((K, d))
        g_S = np.zeros_like(S)
        for obs, _, rows in patterns:
            if obs.size == 0:
                continue  # a row with nothing observed has likelihood 1 under every parameter
            Zo = Z[np.ix_(rows, obs)]
            Wr = W[rows]
            s0 = Wr.sum(axis=0)
            s1 = Wr.T @ Zo
            for k in range(K):
                block = np.ix_(obs, obs)
                P = (S_inv[factor[k]] if obs.size == d
                     else np.linalg.inv(S[factor[k]][block]))
                m = mu[k, obs]
                s2 = Zo.T @ (Wr[:, k:k + 1] * Zo)
                scatter = (s2 - np.outer(s1[k], m) - np.outer(m, s1[k])
                           + s0[k] * np.outer(m, m))
                g_mu[k, obs] += P @ (s1[k] - s0[k] * m)
                g_S[factor[k]][block] += 0.5 * (P @ scatter @ P - s0[k] * P)
        # the reg_covar prior term, -sum_j prior_j . diag(S_j^-1) / 2
        prior = data["prior"]
        penalty = -0.5 * (np.diagonal(S_inv, axis1=1, axis2=2) * prior).sum()
        g_S += 0.5 * S_inv @ (prior[:, :, None] * S_inv)
        g_L = 2.0 * g_S @ L  # d f(L L^T) / dL for a symmetric gradient g_S
        r, c = data["tril"]
        g_values = g_L[:, r, c]
        on = r == c
        g_values[:, on] *= L[:, r[on], c[on]]  # through log L_jj
        return penalty, np.concatenate([g_mu.ravel(), g_values.ravel()])

    def _store(self, v, data):
        mu, L = self._unpack(v, data)
        scale = data["scale"]
        S = (L @ L.transpose(0, 2, 1)) * np.outer(scale, scale)
        self.means_ = data["center"] + scale * mu
        self.covariances_ = np.array(np.broadcast_to(S, (len(self.classes_), *S.shape[1:])))


class _DiscreteBlendMixin(BlendMixin):
    """The Dirichlet (Beta) prior that the smoothing ``alpha`` stands for, in the objective.

    The discrete naive Bayes estimates with additive smoothing alpha are the
    maximum of log p(x, y) + alpha * sum log(probabilities); the blend keeps
    that term whatever lambda, so lambda = 1 gives exactly the smoothed
    closed form and the discriminative end stays finite on separable data.
    """

    def _design(self, X):
        X = self._prepare(X)
        missing = missing_mask(X)
        X0 = X if missing is None else np.where(missing, 0.0, X)
        obs = None if missing is None else np.logical_not(missing).astype(np.float64)
        return {"X": X, "X0": X0, "obs": obs, "alpha": smoothing(self.alpha)}

    def _bounds(self, data):
        return None


class BlendMultinomialNB(_DiscreteBlendMixin, MultinomialNB):
    """Multinomial naive Bayes fitted between the generative and the discriminative objective.

    Maximizes lambda * sum log p(x, y) + (1 - lambda) * sum log p(y | x) +
    alpha * sum_kj log theta_kj over the class prior and the word
    probabilities theta_k = softmax(beta_k). ``lambda_=1`` is
    :class:`~gdlab.models.naive_bayes.MultinomialNB` with the same ``alpha``;
    ``lambda_=0`` a linear softmax model on the counts (the log-probabilities
    are its weights), kept finite by the alpha term. Training counts above
    1e150 are refused (``ValueError``), as their products overflow the gradient.

    Parameters
    ----------
    lambda_ : float in [0, 1] or "cv", default="cv"
        Weight of log p(x, y); ``"cv"`` chooses it by cross-validation.
    alpha : float, default=1.0
        Smoothing: the weight of the Dirichlet log-prior term (>= 0, floored at 1e-10).
    fit_prior : bool, default=True
        Learn the class prior (with the other parameters); False: uniform.
    class_prior : array-like of shape (n_classes,), optional
        Fixed class prior.
    lambda_grid, cv, max_iter, tol, random_state :
        As in :class:`BlendGaussianNB`.

    Attributes
    ----------
    classes_, class_count_, class_prior_, feature_log_prob_, feature_count_,
    observed_count_, mean_total_ :
        As in :class:`~gdlab.models.naive_bayes.MultinomialNB` (``mean_total_``
        is recomputed for the fitted probabilities).
    blend_lambda_, cv_log_loss_, objective_, n_iter_, converged_, n_features_in_ :
        As in :class:`BlendGaussianNB`.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.blend import BlendMultinomialNB
    >>> X = np.array([[5, 1, 0], [4, 2, 0], [0, 1, 6], [1, 0, 5]])
    >>> clf = BlendMultinomialNB(lambda_=0.0).fit(X, ["a", "a", "b", "b"])
    >>> clf.predict([[3, np.nan, 0]])
    array(['a'], dtype='<U1')
    """

    def __init__(self, *, lambda_="cv", alpha=1.0, fit_prior=True, class_prior=None,
                 lambda_grid=DEFAULT_LAMBDA_GRID, cv=5, max_iter=1000, tol=1e-8,
                 random_state=None):
        self.alpha = alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self._set_params(locals(), BLEND_PARAMS)

    def _check_training_values(self, X):
        # the gradient multiplies counts by row totals and weights: counts whose squares
        # overflow would send L-BFGS to NaN, so they are refused at fit (predict takes them)
        super()._check_training_values(X)
        check_feature_magnitude(self, X)

    def _initial_parameters(self, data):
        return self.feature_log_prob_.ravel().copy()

    def _log_theta(self, v):
        beta = v.reshape(self.feature_log_prob_.shape)
        return beta - logsumexp(beta, axis=1, keepdims=True)

    def _family_terms(self, v, data, W):
        log_theta = self._log_theta(v)
        if W is None:
            return Multinomial.log_prob(data["X"], log_prob=log_theta)
        theta = np.exp(log_theta)
        X0, obs, alpha = data["X0"], data["obs"], data["alpha"]
        total = X0.sum(axis=1)
        if obs is None:
            g = W.T @ X0 - theta * (W.T @ total)[:, None]
        else:
            mass = obs @ theta.T  # (n, K): probability of each row's observed features
            with np.errstate(divide="ignore", invalid="ignore"):
                scaled = np.where(total[:, None] > 0, W * total[:, None] / mass, 0.0)
            g = W.T @ X0 - theta * (scaled.T @ obs)
        d = theta.shape[1]
        g += alpha * (1.0 - d * theta)
        return alpha * log_theta.sum(), g.ravel()

    def _store(self, v, data):
        log_theta = self._log_theta(v)
        stats = self._stats
        exposure = (stats["observed"] * np.exp(log_theta)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean_total_ = np.where(exposure > 0, stats["count"].sum(axis=1) / exposure, 0.0)
        self.feature_log_prob_ = log_theta


class BlendBernoulliNB(_DiscreteBlendMixin, BernoulliNB):
    """Bernoulli naive Bayes fitted between the generative and the discriminative objective.

    Maximizes lambda * sum log p(x, y) + (1 - lambda) * sum log p(y | x) +
    alpha * sum_kj [log p_kj + log(1 - p_kj)] over the class prior and the
    probabilities p_kj = sigmoid(b_kj). ``lambda_=1`` is
    :class:`~gdlab.models.naive_bayes.BernoulliNB` with the same ``alpha``;
    ``lambda_=0`` a linear logistic model on the bits, kept finite by the
    alpha term.

    Parameters
    ----------
    lambda_ : float in [0, 1] or "cv", default="cv"
    alpha : float, default=1.0
        Smoothing: the weight of the Beta log-prior term (>= 0, floored at 1e-10).
    binarize : float or None, default=0.0
        As in :class:`~gdlab.models.naive_bayes.BernoulliNB`.
    fit_prior : bool, default=True
    class_prior : array-like of shape (n_classes,), optional
    lambda_grid, cv, max_iter, tol, random_state :
        As in :class:`BlendGaussianNB`.

    Attributes
    ----------
    classes_, class_count_, class_prior_, feature_log_prob_, feature_count_, observed_count_ :
        As in :class:`~gdlab.models.naive_bayes.BernoulliNB`.
    blend_lambda_, cv_log_loss_, objective_, n_iter_, converged_, n_features_in_ :
        As in :class:`BlendGaussianNB`.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.blend import BlendBernoulliNB
    >>> X = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 0], [0, 1, 0]])
    >>> clf = BlendBernoulliNB(lambda_=0.5).fit(X, [1, 1, 0, 0])
    >>> clf.predict([[1, np.nan, np.nan]])
    array([1])
    """

    def __init__(self, *, lambda_="cv", alpha=1.0, binarize=0.0, fit_prior=True,
                 class_prior=None, lambda_grid=DEFAULT_LAMBDA_GRID, cv=5, max_iter=1000,
                 tol=1e-8, random_state=None):
        self.alpha = alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self._set_params(locals(), BLEND_PARAMS)

    def _initial_parameters(self, data):
        return (self.feature_log_prob_ - self._log_prob_neg).ravel()  # the logits

    def _family_terms(self, v, data, W):
        b = v.reshape(self.feature_log_prob_.shape)
        log_p, log_q = log_expit(b), log_expit(-b)
        if W is None:
            return Bernoulli.log_prob(data["X"], log_prob=log_p, log_prob_neg=log_q)
        p = np.exp(log_p)
        X0, obs, alpha = data["X0"], data["obs"], data["alpha"]
        Wo = W.T @ obs if obs is not None else W.sum(axis=0)[:, None]
        g = W.T @ X0 - p * Wo + alpha * (1.0 - 2.0 * p)
        return alpha * (log_p + log_q).sum(), g.ravel()

    def _store(self, v, data):
        b = v.reshape(self.feature_log_prob_.shape)
        self.feature_log_prob_, self._log_prob_neg = log_expit(b), log_expit(-b)
