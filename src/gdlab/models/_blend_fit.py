"""The blended objective of :mod:`gdlab.models.blend` and its fit.

:class:`BlendMixin` fits a generative classifier's parameters by full-batch
L-BFGS (:func:`scipy.optimize.minimize`, L-BFGS-B) on lambda log p(x, y) +
(1 - lambda) log p(y | x), the class prior as softmax logits when it is
learned, from the closed-form generative fit, with lambda given or chosen by
stratified cross-validation among a grid (:func:`check_blend_weight`,
:func:`check_lambda_grid`, :data:`DEFAULT_LAMBDA_GRID`). It is the engine the
four blend estimators of :mod:`gdlab.models.blend` share; each estimator
supplies its family's pieces (design arrays, start, bounds, log-likelihood and
its gradient, the fitted attributes) and stays in that module, whose path
saved models name. The ``blend`` study reads the grid and the weight check
through :mod:`gdlab.models.blend`, which re-exports them.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.metaestimators import available_if

from gdlab._param_checks import check_int, check_positive
from gdlab.base import SettingGroupsMixin
from gdlab.bayes import log_normalize
from gdlab.models._naive_bayes_base import NB_CAPABILITIES

__all__ = ["DEFAULT_LAMBDA_GRID", "BLEND_CAPABILITIES", "BLEND_PARAMS", "check_blend_weight",
           "check_lambda_grid", "BlendMixin"]

#: The lambdas ``lambda_="cv"`` chooses among (and the ``blend`` study's default curves).
DEFAULT_LAMBDA_GRID = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)

#: What every blend can do: naive Bayes' tags but partial_fit (one full-batch fit), plus
#: "blend"; the same as GaussianClassifier's tags plus "blend".
BLEND_CAPABILITIES = (NB_CAPABILITIES - {"partial_fit"}) | {"blend"}

#: The settings every blend takes (its ``__init__`` stores them with ``_set_params``).
BLEND_PARAMS = ("lambda_", "lambda_grid", "cv", "max_iter", "tol", "random_state")


def check_blend_weight(value, name: str = "lambda_"):
    """Validate a blend weight: a real number in [0, 1], or ``"cv"``.

    Parameters
    ----------
    value : float or str
    name : str, default="lambda_"
        The parameter's name, for the message.

    Returns
    -------
    float or "cv"

    Examples
    --------
    >>> check_blend_weight(0.3), check_blend_weight("cv")
    (0.3, 'cv')
    >>> check_blend_weight(1.5)
    Traceback (most recent call last):
    ...
    ValueError: lambda_ must be a number in [0, 1] or 'cv', got 1.5.
    """
    if isinstance(value, str):
        if value != "cv":
            raise ValueError(f"{name} must be a number in [0, 1] or 'cv', got {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1] or 'cv', got {value!r}.")
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"{name} must be a number in [0, 1] or 'cv', got {value!r}.")
    return float(value)


def check_lambda_grid(grid):
    """Validate ``lambda_grid``: a non-empty sequence of numbers in [0, 1].

    Parameters
    ----------
    grid : sequence of float

    Returns
    -------
    list of float

    Examples
    --------
    >>> check_lambda_grid((0, 0.5, 1))
    [0.0, 0.5, 1.0]
    """
    if isinstance(grid, str) or not hasattr(grid, "__iter__"):
        raise TypeError(f"lambda_grid must be a sequence of numbers in [0, 1], got {grid!r}.")
    values = [check_blend_weight(v, "each lambda_grid value") for v in grid]
    if not values or "cv" in values:
        raise ValueError(f"lambda_grid must hold at least one number in [0, 1], got {grid!r}.")
    return values


def _never(_self) -> bool:
    return False


class BlendMixin(SettingGroupsMixin):
    """Fit by L-BFGS on lambda log p(x, y) + (1 - lambda) log p(y | x).

    The objective and its gradient are described in :mod:`gdlab.models.blend`.

    A subclass (listed before its naive Bayes parent) supplies the family's
    pieces: ``_design(X)`` (the arrays the gradients read, computed once per
    fit), ``_initial_parameters()`` (a flat vector from the closed-form fit),
    ``_bounds()``, ``_family_terms(v, data, W)`` (the (n, K) log-likelihood
    when ``W`` is None; else the gradient of sum_ik W_ik log p(x_i | k) plus
    any parameter prior, with that prior's value) and ``_store(v, data)``
    (fitted attributes from the optimum).
    """

    _gdlab_capabilities = BLEND_CAPABILITIES

    def __sklearn_is_fitted__(self) -> bool:
        # ``lambda_`` ends in "_" but is a hyper-parameter: fitted means classes_ exists
        return hasattr(self, "classes_")

    @available_if(_never)
    def partial_fit(self, X, y, classes=None):
        """Not available: the blend is fitted in one full-batch optimization."""
        raise AttributeError("partial_fit")  # pragma: no cover

    def _check_blend_params(self):
        lam = check_blend_weight(self.lambda_)
        check_lambda_grid(self.lambda_grid)
        check_int(self.cv, "cv", minimum=2)
        check_int(self.max_iter, "max_iter")
        check_positive(self.tol, "tol")
        return lam

    def fit(self, X, y):
        """Fit the parameters by L-BFGS on the blended objective.

        With ``lambda_="cv"`` the weight is first chosen among ``lambda_grid``
        by stratified ``cv``-fold cross-validation (lowest held-out log-loss;
        ties go to the larger lambda), then the model is refitted on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry (marginalized in both terms).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        lam = self._check_blend_params()
        self._check_params()
        X, classes, y_idx = self._validate_fit(X, y)
        if lam == "cv":
            lam, scores = self._choose_lambda(X, classes[y_idx])
            self.cv_log_loss_ = scores
        # the closed-form generative fit: the statistics, the lambda = 1 optimum and the start
        self._fit_validated(X, classes, y_idx)
        self.blend_lambda_ = lam
        self._optimize(X, y_idx, lam)
        self._check_defined()
        return self

    def _choose_lambda(self, X, y):
        counts = np.unique(y, return_counts=True)[1]
        if counts.min() < 2:
            raise ValueError(
                f"lambda_='cv' needs at least 2 training rows of every class for "
                f"cross-validation, got a class with {counts.min()}; give lambda_ a number."
            )
        folds = StratifiedKFold(n_splits=min(self.cv, int(counts.min())), shuffle=True,
                                random_state=self.random_state)
        grid = check_lambda_grid(self.lambda_grid)
        losses = np.zeros(len(grid))
        classes = np.unique(y)
        for train, test in folds.split(X, y):
            for g, lam in enumerate(grid):
                model = clone(self).set_params(lambda_=lam)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X[train], y[train])
                proba = model.predict_proba(X[test])
                truth = np.searchsorted(classes, y[test])
                col = np.searchsorted(model.classes_, classes[truth])
                p = np.clip(proba[np.arange(len(test)), col], 1e-15, 1.0)
                losses[g] += -np.log(p).sum() / len(y)
        # the lowest loss; among (near) ties the largest lambda, the more generative fit
        best = max((g for g in range(len(grid)) if losses[g] <= losses.min() + 1e-12),
                   key=lambda g: grid[g])
        return grid[best], dict(zip(grid, losses.tolist(), strict=True))

    # -- the objective ------------------------------------------------------
    def _learns_prior(self) -> bool:
        priors, fit_prior = self._prior_param()
        return priors is None and fit_prior

    def _split(self, v):
        K = len(self.classes_)
        if self._learns_prior():
            logits = v[:K]
            return logits - logsumexp(logits), v[K:]
        return self._log_prior(), v

    def _objective(self, v, data, y_idx, lam):
        """(-L / n, -grad / n) of the blended objective at the flat parameters ``v``."""
        n = y_idx.shape[0]
        log_prior, family = self._split(v)
        with np.errstate(divide="ignore"):
            J = self._family_terms(family, data, None) + log_prior  # (n, K)
        log_post = log_normalize(J)
        value = J[np.arange(n), y_idx].sum() - (1.0 - lam) * (
            J[np.arange(n), y_idx] - log_post[np.arange(n), y_idx]).sum()
        W = -(1.0 - lam) * np.exp(log_post)
        W[np.arange(n), y_idx] += 1.0
        penalty, grad_family = self._family_terms(family, data, W)
        value += penalty
        if self._learns_prior():
            prior = np.exp(log_prior)
            grad = np.concatenate([W.sum(axis=0) - W.sum() * prior, grad_family.ravel()])
        else:
            grad = grad_family.ravel()
        if not np.isfinite(value):
            return np.inf, np.zeros_like(v)
        return -value / n, -grad / n

    def _optimize(self, X, y_idx, lam):
        data = self._design(X)
        K = len(self.classes_)
        start = self._initial_parameters(data)
        if self._learns_prior():
            start = np.concatenate([np.log(np.maximum(self.class_prior_, 1e-300)), start])
        bounds = self._bounds(data)
        if bounds is not None and self._learns_prior():
            bounds = [(None, None)] * K + bounds
        result = minimize(self._objective, start, args=(data, y_idx, lam), jac=True,
                          method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 0.0,
                                   "maxcor": 20})
        if not np.isfinite(result.x).all():
            raise ValueError(
                f"{type(self).__name__} (lambda_={lam}): the optimization left the range of "
                "float64 (parameters not finite); rescale X."
            )
        self.n_iter_ = int(result.nit)
        # a line search that cannot improve on a point whose gradient is already at the
        # tolerance's scale (the closed form at lambda = 1) has converged as well
        self.converged_ = bool(result.success or np.abs(result.jac).max() <= 100 * self.tol)
        self.objective_ = float(-result.fun)
        if not result.success and result.nit >= self.max_iter:
            warnings.warn(
                f"{type(self).__name__} (lambda_={lam}) did not reach tol={self.tol} in "
                f"max_iter={self.max_iter} L-BFGS iterations; with lambda_ near 0 on separable "
                "data the discriminative fit has no finite optimum.",
                ConvergenceWarning, stacklevel=3,
            )
        log_prior, family = self._split(result.x)
        if self._learns_prior():
            prior = np.exp(log_prior)
            self._set_class_prior(self.class_count_, prior / prior.sum())
        self._store(family, data)
