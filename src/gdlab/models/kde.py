"""Kernel density estimation with product kernels: a density and a classifier.

:class:`KernelDensity` is a non-parametric density,
p(x) = (1/n) sum_i prod_j K((x_j - x_ij) / h_j) / h_j, with one bandwidth per
feature and a product of normalized 1-D kernels. Because every factor
integrates to one, a missing (NaN) coordinate is marginalized exactly by
dropping its factor, sampling is "pick a training row, add kernel noise", and
the conditional distribution of missing coordinates given observed ones is the
same mixture re-weighted by the observed factors. :class:`KDEClassifier` is
:class:`gdlab.base.ClassConditional` with one :class:`KernelDensity` per class.

The 1-D kernels, in their standard form (``u = (x - x_i) / h``):

=============  ===============================  =========================
kernel         K(u)                             sampler
=============  ===============================  =========================
gaussian       exp(-u^2 / 2) / sqrt(2 pi)       normal
tophat         1/2 on [-1, 1]                   uniform
epanechnikov   3/4 (1 - u^2) on [-1, 1]         median of 3 uniforms
exponential    exp(-|u|) / 2                    Laplace
linear         1 - |u| on [-1, 1]               difference of 2 uniforms
cosine         pi/4 cos(pi u / 2) on [-1, 1]    (2/pi) arcsin(2v - 1)
=============  ===============================  =========================

so ``h`` is the standard deviation of the gaussian kernel, the scale of the
Laplace one, and the half-width of the support of the finite ones (the same
meaning as scikit-learn's ``KernelDensity`` bandwidth). The kernels and the
density arithmetic (product and radial kernels, chunking, the posterior over
training rows) live in :mod:`gdlab.distributions.kernels`; this module holds the
estimators and the checks of their settings.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from gdlab._param_checks import check_in, check_positive
from gdlab._validation import check_feature_magnitude, check_sample_weight, check_X, check_X_y
from gdlab.base import ClassConditional, DensityMixin, SettingGroupsMixin
from gdlab.distributions.discrete import sample_categorical
from gdlab.distributions.kernels import (
    BANDWIDTH_RULES,
    KERNELS,
    Kernel,
    chunks,
    column_marginals,
    log_components,
    log_density,
    posterior_weights,
    radial_draw,
    radial_log_components,
)

__all__ = ["KERNELS", "KernelDensity", "KDEClassifier"]

#: :class:`KernelDensity`'s settings, which :class:`KDEClassifier` takes too and
#: passes to each class's density (both store them with ``_set_params``).
_KDE_PARAMS = ("kernel", "bandwidth", "cv", "bandwidths", "scale_floor", "random_state", "geometry")


# -- the density ----------------------------------------------------------------------------


class _KernelInputCheckMixin:
    """Refuse entries too large to square: always at fit (the bandwidth rules take
    variances), and at predict for the gaussian kernel (it squares (x - x_i) / h).
    At predict, also refuse NaN for a radial kernel other than the gaussian. (Not
    :class:`gdlab.base.MagnitudeCheckedMixin`: the magnitude check here depends on
    the kernel.)"""

    def _validate_X_predict(self, X):
        X = super()._validate_X_predict(X)
        if (
            getattr(self, "geometry", "product") == "radial"
            and self.kernel != "gaussian"
            and np.isnan(X).any()
        ):
            raise ValueError(
                f"geometry='radial' with kernel={self.kernel!r} cannot marginalize missing "
                "(NaN) entries (only the radial gaussian's marginal is a radial kernel); "
                "use kernel='gaussian' or geometry='product'."
            )
        return check_feature_magnitude(self, X) if self.kernel == "gaussian" else X


def _check_bandwidth(bandwidth):
    if isinstance(bandwidth, str):
        check_in(bandwidth, "bandwidth", {"scott", "silverman", "cv"})
        return bandwidth
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, numbers.Real):
        raise TypeError(
            "bandwidth must be 'scott', 'silverman', 'cv' or a positive float, "
            f"got {bandwidth!r}."
        )
    return check_positive(bandwidth, "bandwidth")


def _check_candidates(bandwidths, bandwidth):
    if bandwidths is None:
        return None
    if bandwidth != "cv":
        raise ValueError(
            f"bandwidths (the candidates for cross-validation) is only used with "
            f"bandwidth='cv', got bandwidth={bandwidth!r}."
        )
    arr = np.asarray(bandwidths, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"bandwidths must be a non-empty 1-D array of floats, got {bandwidths!r}.")
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise ValueError(f"bandwidths must all be finite and > 0, got {arr.tolist()!r}.")
    return arr


def _check_cv(cv):
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral):
        raise TypeError(f"cv must be an int >= 2 (the number of folds), got {cv!r}.")
    if cv < 2:
        raise ValueError(f"cv must be an int >= 2 (the number of folds), got {cv!r}.")
    return int(cv)


class KernelDensity(_KernelInputCheckMixin, SettingGroupsMixin, DensityMixin, BaseEstimator):
    """Kernel density estimate with a product kernel and one bandwidth per feature.

    p(x) = (1/n) sum_i prod_j K((x_j - x_ij) / h_j) / h_j, where K is a normalized
    1-D kernel and h_j = bandwidth_factor * scale_j, scale_j the standard
    deviation (ddof=1) of column j. NaN entries at predict are marginalized
    exactly (their factor integrates to one and is dropped).

    Parameters
    ----------
    kernel : {"gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"}, \
default="gaussian"
        The 1-D kernel, each a probability density (see the module docstring).
    bandwidth : {"scott", "silverman", "cv"} or float, default="scott"
        How the bandwidth factor is set:

        - "scott": n^(-1/(d+4)) times the kernel's rule factor;
        - "silverman": (n (d+2) / 4)^(-1/(d+4)) times the kernel's rule factor;
        - a positive float: the factor itself, i.e. the kernel's scale on
          standardized features (h_j = bandwidth * scale_j), in the kernel's own
          units (no rule factor);
        - "cv": the candidate of ``bandwidths`` (factors, as for a float) with
          the highest ``cv``-fold held-out log-likelihood.

        The rule factor, (R(K)^d / mu_2(K)^2 / (R(phi)^d / mu_2(phi)^2))^(1/(d+4))
        with R(K) = int K^2 and mu_2(K) = int u^2 K, converts the gaussian rule of
        thumb into the bandwidth of equal asymptotic optimality for kernel K
        (it is 1 for the gaussian kernel; 2.214 for epanechnikov in 1-D), so a
        rule gives comparable smoothing whatever the kernel.
    cv : int, default=5
        Number of folds for ``bandwidth="cv"`` (at least 2, at most the number of
        rows).
    bandwidths : array-like of shape (n_candidates,), default=None
        Candidate factors for ``bandwidth="cv"``; only allowed with it. None:
        the Scott factor times ``np.geomspace(0.2, 2.0, 10)``.
    scale_floor : float, default=1e-6
        Each column's scale is at least ``scale_floor`` times the largest column
        scale, so a constant column gets a narrow, not a zero, bandwidth.
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into folds for ``bandwidth="cv"`` (nothing else).
    geometry : {"product", "radial"}, default="product"
        "product": the product kernel above, one bandwidth per standardized
        feature. "radial": scikit-learn's ``KernelDensity`` kernel,
        p(x) = (1/n) sum_i K(|x - x_i| / h) / h^d with the Euclidean distance, the
        kernel's radial profile (gaussian exp(-u^2/2), tophat 1, epanechnikov
        1 - u^2, exponential exp(-u), linear 1 - u, cosine cos(pi u / 2); the
        finite ones on u < 1) normalized in d dimensions, and ONE bandwidth h in
        data units: a float is h itself, "scott" is n^(-1/(d+4)) and
        "silverman" (n (d+2) / 4)^(-1/(d+4)) (scikit-learn's rules, which do not
        look at the data's spread), "cv" picks among ``bandwidths`` in data units
        (default: the Scott value times the root-mean-square column standard
        deviation, times ``np.geomspace(0.2, 2.0, 10)``). ``score_samples``
        equals scikit-learn's for every kernel (to 1e-10 in the tests). Training
        rows must be complete; at predict, NaN entries are marginalized for the
        gaussian kernel (whose marginal is the radial gaussian of the observed
        coordinates) and refused with a ``ValueError`` for the others.

    Attributes
    ----------
    bandwidth_ : ndarray of shape (n_features,)
        The per-feature bandwidths h_j (with ``geometry="radial"``: h repeated).
    bandwidth_factor_ : float
        h_j / scale_j.
    scale_ : ndarray of shape (n_features,)
        The column standard deviations used (after ``scale_floor``).
    X_train_ : ndarray of shape (n_train, n_features)
        The training rows (NaN where missing; rows with every entry missing are
        not kept).
    cv_bandwidths_ : ndarray of shape (n_candidates,)
        Only with ``bandwidth="cv"``: the candidate factors.
    cv_scores_ : ndarray of shape (n_candidates,)
        Only with ``bandwidth="cv"``: mean held-out log-likelihood per row of
        each candidate (-inf when a held-out row fell outside a finite kernel's
        support); weighted by ``sample_weight`` when given.
    sample_weight_ : ndarray of shape (n_train,) or None
        The weights of the rows in ``X_train_``; None when ``fit`` had none.
    n_features_in_ : int

    Notes
    -----
    **Finite support.** The tophat, epanechnikov, linear and cosine kernels are
    zero outside [-1, 1], so ``score_samples`` is -inf for a row farther than
    h_j from every training row in some observed coordinate; this is the
    estimate, not an error. ``impute`` raises ``ValueError`` for such a row (its
    conditional distribution is undefined).

    **Missing values at fit.** A NaN in training row i, column j is allowed:
    that row's factor for column j is the 1-D KDE of the observed values of
    column j (the column's marginal), instead of a kernel around an unknown
    value. Each row's component stays a product of normalized densities, so
    p(x) is a proper density and marginalization stays exact. This is the
    same as imputing the missing entry by every observed value of its column
    (averaged hot-deck imputation): it keeps the column's marginal right but,
    for that row, drops the dependence between the missing and the observed
    coordinates, so it is sensible for values missing completely at random and
    biased towards independence otherwise. (Treating the factor as 1 instead
    would not integrate: the result is not a density.) Rows with every entry
    missing carry no information and are dropped; a column with fewer than two
    observed values raises ``ValueError``. Bandwidth rules use the number of
    rows kept and each column's observed values.

    **Magnitudes.** Entries with ``|x| > 1e150`` (whose squares overflow) are
    refused at fit with a ``ValueError`` naming the column (the bandwidth rules
    take variances), and at predict for the gaussian kernel only (it squares
    (x - x_i) / h; the other kernels take any finite value).

    Cost: ``score_samples`` is O(n_query n_train d) time and
    O(chunk x n_train) memory.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.kde import KernelDensity
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> kde = KernelDensity(kernel="epanechnikov").fit(X)
    >>> kde.bandwidth_.shape
    (2,)
    >>> bool(np.isfinite(kde.score_samples([[0.0, 0.0]])).all())
    True
    >>> kde.score_samples([[np.nan, np.nan]]).tolist()   # nothing observed: log 1
    [0.0]
    >>> kde.sample(5, random_state=0).shape
    (5, 2)
    >>> kde.impute([[0.5, np.nan]]).shape
    (1, 2)
    """

    _gdlab_capabilities = frozenset({"density", "sample", "missing_features"})

    def __init__(
        self,
        *,
        kernel="gaussian",
        bandwidth="scott",
        cv=5,
        bandwidths=None,
        scale_floor=1e-6,
        random_state=None,
        geometry="product",
    ):
        self._set_params(locals(), _KDE_PARAMS)

    def fit(self, X, y=None, sample_weight=None):
        """Store the training rows and set the bandwidths.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry (see Notes).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights, as scikit-learn's ``KernelDensity``: row i's
            kernel gets weight w_i / sum(w) (and ``sample`` draws rows with those
            probabilities); the bandwidth rules and column scales use the rows as
            given (unweighted), so integer weights equal repeated rows at a fixed
            bandwidth. Rows of weight 0 are left out. None: every weight 1.

        Returns
        -------
        self
        """
        check_in(self.kernel, "kernel", set(KERNELS))
        check_in(self.geometry, "geometry", {"product", "radial"})
        bandwidth = _check_bandwidth(self.bandwidth)
        candidates = _check_candidates(self.bandwidths, bandwidth)
        cv = _check_cv(self.cv)
        floor = check_positive(self.scale_floor, "scale_floor", allow_zero=True)
        X = check_X(self, X, reset=True, allow_nan=True)
        w = check_sample_weight(sample_weight, X.shape[0])
        check_feature_magnitude(self, X)
        radial = self.geometry == "radial"
        if radial and np.isnan(X).any():
            raise ValueError(
                "geometry='radial' needs training rows without NaN (a radial kernel around "
                "a partly unknown row is not defined); use geometry='product'."
            )
        keep = ~np.isnan(X).all(axis=1)
        if w is not None:
            keep &= w > 0
            w = w[keep]
        X = X[keep]
        name = type(self).__name__
        if X.shape[0] < 2:
            raise ValueError(
                f"{name} needs at least 2 rows with an observed entry to set its bandwidths, "
                f"got {X.shape[0]} sample(s)."
            )
        n_seen = (~np.isnan(X)).sum(axis=0)
        if (n_seen < 2).any():
            cols = np.flatnonzero(n_seen < 2).tolist()
            raise ValueError(
                f"{name} needs at least 2 observed values in every column; columns {cols} "
                f"have {n_seen[cols].tolist()}."
            )
        scale = np.nanstd(X, axis=0, ddof=1)
        if not scale.max() > 0:
            raise ValueError(
                f"{name}: every column of X is constant; there is no spread to smooth."
            )
        scale = np.maximum(scale, floor * scale.max())
        kern = KERNELS[self.kernel]
        n, d = X.shape
        if radial:  # one bandwidth in data units; the rules are scikit-learn's (no rule factor)
            default = BANDWIDTH_RULES["scott"](n, d) * float(np.sqrt(np.mean(scale**2)))
            scale = np.ones(d)
        else:
            default = BANDWIDTH_RULES["scott"](n, d) * kern.rule_factor(d)
        self.sample_weight_ = w
        self.X_train_ = X  # (the cross-validation reads sample_weight_ and geometry)
        if bandwidth == "cv":
            factor = self._cross_validate(X, scale, kern, cv, candidates, default)
        elif isinstance(bandwidth, str):
            factor = BANDWIDTH_RULES[bandwidth](n, d) * (1.0 if radial else kern.rule_factor(d))
        else:
            factor = bandwidth
        self.scale_ = scale
        self.bandwidth_factor_ = float(factor)
        self.bandwidth_ = factor * scale
        return self

    def _cross_validate(self, X, scale, kern, cv, candidates, default):
        n, d = X.shape
        if n < cv:
            raise ValueError(
                f"bandwidth='cv' with cv={cv} folds needs at least {cv} rows, got {n}."
            )
        if candidates is None:
            candidates = default * np.geomspace(0.2, 2.0, 10)
        w = self.sample_weight_
        radial = self.geometry == "radial"
        folds = list(KFold(cv, shuffle=True, random_state=self.random_state).split(X))
        for train, _ in folds:
            if ((~np.isnan(X[train])).sum(axis=0) == 0).any():
                raise ValueError(
                    f"with cv={cv}, a training fold has a column with no observed value; "
                    "use fewer folds."
                )
        scores = np.empty(candidates.shape[0])
        for c, b in enumerate(candidates):
            total = 0.0
            for train, test in folds:
                T = X[train]
                w_t = None if w is None else w[train]
                log_w = None if w is None else np.log(w_t / w_t.sum())
                ll = log_density(
                    X[test], T, b * scale, kern, column_marginals(T, w_t), log_w, radial=radial
                )
                total += ll.sum() if w is None else ll @ w[test]
            scores[c] = total / (n if w is None else w.sum())
        if not np.isfinite(scores).any():
            raise ValueError(
                f"every candidate bandwidth leaves some held-out row outside the support of "
                f"the {kern.name} kernel; give larger bandwidths or a kernel of infinite "
                "support (gaussian, exponential)."
            )
        self.cv_bandwidths_ = candidates
        self.cv_scores_ = scores
        return candidates[int(np.argmax(scores))]

    # -- contract hooks ---------------------------------------------------------------------
    @property
    def _kernel(self) -> Kernel:
        return KERNELS[self.kernel]

    @property
    def _radial(self) -> bool:
        return getattr(self, "geometry", "product") == "radial"

    @property
    def _log_w(self):
        """Normalized log weights of the training rows; None for equal weights."""
        w = getattr(self, "sample_weight_", None)
        return None if w is None else np.log(w / w.sum())

    def _log_density(self, X):
        return log_density(
            X, self.X_train_, self.bandwidth_, self._kernel,
            column_marginals(self.X_train_, getattr(self, "sample_weight_", None)),
            self._log_w, radial=self._radial,
        )

    def _components(self, X):
        """(c, n) log of each training row's weighted kernel at the rows X (a chunk)."""
        T = self.X_train_
        if self._radial:
            L = radial_log_components(X, T, self.bandwidth_[0], self._kernel)
        else:
            marg = column_marginals(T, getattr(self, "sample_weight_", None))
            L = log_components(X, T, self.bandwidth_, self._kernel, marg)
        log_w = self._log_w
        return L if log_w is None else L + log_w

    def _weights(self, X):
        """Posterior over training rows given each row's observed entries (NaN rows: no support)."""
        T = self.X_train_
        w = np.empty((X.shape[0], T.shape[0]))
        for s in chunks(X.shape[0], T.shape[0]):
            w[s] = posterior_weights(self._components(X[s]))
        return w

    def _raise_outside_support(self, X, bad):
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"rows {rows[:10].tolist()} of X lie outside the support of the {self.kernel} "
            "kernel around every training row (zero density), so their conditional "
            "distribution is undefined; use a larger bandwidth or a kernel of infinite "
            "support (gaussian, exponential)."
        )

    def _train_filled(self):
        """Training rows with each missing entry replaced by its column's observed mean."""
        T = self.X_train_
        return np.where(np.isnan(T), np.nanmean(T, axis=0), T)

    def _conditional_mean_or_nan(self, X):
        """E[x | x_observed] (kernels are symmetric, mean 0); NaN rows where p(x_obs) = 0."""
        T = self._train_filled()
        out = np.empty_like(X)
        for s in chunks(X.shape[0], T.shape[0]):
            out[s] = posterior_weights(self._components(X[s])) @ T
        return out

    def _conditional_mean(self, X):
        out = self._conditional_mean_or_nan(X)
        bad = np.isnan(out).any(axis=1)
        if bad.any():
            self._raise_outside_support(X, bad)
        return out

    def _draw(self, X, rng):
        T, h, kern = self.X_train_, self.bandwidth_, self._kernel
        n, d = T.shape
        missing = np.isnan(X)
        out = X.copy()
        todo = np.flatnonzero(missing.any(axis=1))
        if todo.size == 0:
            return out
        # the training row of each row to fill: uniform (or by sample_weight_) when
        # nothing is observed, else drawn from the posterior given the observed entries
        sw = getattr(self, "sample_weight_", None)
        if sw is None:
            idx = rng.randint(n, size=todo.size)
        else:
            idx = rng.choice(n, size=todo.size, p=sw / sw.sum())
        partial = ~missing[todo].all(axis=1)
        if partial.any():
            rows = todo[partial]
            w = self._weights(X[rows])
            bad = np.isnan(w).any(axis=1)
            if bad.any():
                self._raise_outside_support(X[rows], bad)
            idx[partial] = sample_categorical(w, rng)
        centre = T[idx]  # (m, d)
        for j, (seen, log_w) in column_marginals(T, sw).items():
            # a missing training entry: its factor is the column's marginal KDE
            lost = np.isnan(centre[:, j])
            p = None if log_w is None else np.exp(log_w)
            centre[lost, j] = seen[rng.choice(seen.shape[0], size=int(lost.sum()), p=p)]
        if self._radial:
            drawn = centre + radial_draw(kern.name, rng, *centre.shape) * h[0]
        else:
            drawn = centre + kern.draw(rng, centre.shape) * h
        out[todo] = np.where(missing[todo], drawn, X[todo])
        return out


class KDEClassifier(_KernelInputCheckMixin, SettingGroupsMixin, ClassConditional):
    """Kernel density classifier: one :class:`KernelDensity` per class and Bayes' rule.

    ``ClassConditional(KernelDensity(...))`` with a flat constructor: the
    density's parameters are this classifier's, so ``GridSearchCV`` reaches
    ``bandwidth`` directly. NaN entries are marginalized at predict and allowed
    at fit (as :class:`KernelDensity` documents).

    Parameters
    ----------
    kernel : {"gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"}, \
default="gaussian"
    bandwidth : {"scott", "silverman", "cv"} or float, default="scott"
        Set per class (each class's rows, scales and rule); see :class:`KernelDensity`.
    cv : int, default=5
    bandwidths : array-like of shape (n_candidates,), default=None
    scale_floor : float, default=1e-6
    random_state : int, RandomState instance or None, default=None
    priors : array-like of shape (n_classes,), default=None
        Class priors in the order of the sorted labels; None: class frequencies.
    outside_support : {"raise", "prior"}, default="raise"
        What ``predict``, ``predict_proba`` and ``predict_log_proba`` do with a
        row whose density is zero under every class (possible only with a
        finite-support kernel), where Bayes' rule is 0/0: raise ``ValueError``,
        or answer with the class prior (the data say nothing; ``score_samples``
        still returns -inf for such rows, so they can be found).
    geometry : {"product", "radial"}, default="product"
        The kernel's form in each class (see :class:`KernelDensity`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    densities_ : list of KernelDensity
    n_features_in_ : int

    Notes
    -----
    With a finite-support kernel a row can have zero density under every class
    (a product kernel needs *every* observed coordinate within h_j of one
    training row; on iris, even h_j = 2 standard deviations leaves some test
    rows outside). ``score_samples`` then returns -inf, ``impute`` raises
    ``ValueError``, and ``predict`` / ``predict_proba`` follow
    ``outside_support``: never NaN and never an arbitrary class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from gdlab.models.kde import KDEClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = KDEClassifier(kernel="epanechnikov").fit(X, y)
    >>> clf.predict(X[[0, 50, 100]]).tolist()
    [0, 1, 2]
    >>> clf.predict_proba([[5.0, np.nan, 1.4, np.nan]]).round(3).tolist()
    [[1.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        *,
        kernel="gaussian",
        bandwidth="scott",
        cv=5,
        bandwidths=None,
        scale_floor=1e-6,
        random_state=None,
        priors=None,
        outside_support="raise",
        geometry="product",
    ):
        self._set_params(locals(), _KDE_PARAMS)
        self.priors = priors
        self.outside_support = outside_support

    def fit(self, X, y, sample_weight=None):
        """Fit one :class:`KernelDensity` per class and the class prior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights: weighted class counts (the prior,
            ``class_count_``) and weighted kernels in each class's density
            (see :meth:`KernelDensity.fit`; as there, the bandwidth rules and
            the product kernel's column scales count rows, so weights equal
            repeated rows with ``geometry="radial"`` at a fixed bandwidth). A
            class whose weights are all 0 is a ``ValueError``.

        Returns
        -------
        self
        """
        check_in(self.outside_support, "outside_support", {"raise", "prior"})
        check_feature_magnitude(self, check_X_y(self, X, y, allow_nan=True)[0])
        return super().fit(X, y, sample_weight=sample_weight)

    @property
    def density(self) -> KernelDensity:
        """KernelDensity: the unfitted per-class density these parameters describe."""
        return KernelDensity(**{name: getattr(self, name) for name in _KDE_PARAMS})

    def _supported_log_joint(self, log_joint, *, imputing=False):
        """Rows of zero density under every class: the prior (``outside_support="prior"``)
        or a ``ValueError`` (``"raise"``, and always when imputing), never NaN."""
        bad = ~np.isfinite(log_joint.max(axis=1))
        if bad.any() and self.outside_support == "prior" and not imputing:
            log_joint = log_joint.copy()
            log_joint[bad] = self._log_prior()
            return log_joint
        return super()._supported_log_joint(log_joint, imputing=imputing)

    def _no_posterior_message(self, rows):
        return (
            f"rows {rows} of X have zero density under every class (outside the support of "
            f"the {self.kernel} kernel around every training row), so their posterior is "
            "undefined; use a larger bandwidth or a kernel of infinite support (gaussian, "
            "exponential), or outside_support='prior'."
        )

    def _conditional_mean(self, X):
        # a class of zero density at x_obs has posterior 0: any finite mean will do
        means = np.stack([d._conditional_mean_or_nan(X) for d in self._fitted_densities()], axis=1)
        return np.nan_to_num(means, nan=0.0)
