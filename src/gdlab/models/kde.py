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
meaning as scikit-learn's ``KernelDensity`` bandwidth).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold

from gdlab._validation import (
    check_feature_magnitude,
    check_in,
    check_positive,
    check_sample_weight,
    check_X,
    check_X_y,
)
from gdlab.base import ClassConditional, DensityMixin, SettingGroupsMixin
from gdlab.distributions.discrete import sample_categorical

__all__ = ["KERNELS", "KernelDensity", "KDEClassifier"]

#: :class:`KernelDensity`'s settings, which :class:`KDEClassifier` takes too and
#: passes to each class's density (both store them with ``_set_params``).
_KDE_PARAMS = ("kernel", "bandwidth", "cv", "bandwidths", "scale_floor", "random_state", "geometry")

# -- the 1-D kernels ------------------------------------------------------------------------


def _log_gaussian(u):
    return -0.5 * u * u - 0.5 * np.log(2.0 * np.pi)


def _log_tophat(u):
    return np.where(np.abs(u) <= 1.0, np.log(0.5), -np.inf)


def _log_epanechnikov(u):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(u) < 1.0, np.log(0.75) + np.log1p(-u * u), -np.inf)


def _log_exponential(u):
    return -np.abs(u) - np.log(2.0)


def _log_linear(u):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(u) < 1.0, np.log1p(-np.abs(u)), -np.inf)


def _log_cosine(u):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            np.abs(u) < 1.0, np.log(np.pi / 4.0) + np.log(np.cos(0.5 * np.pi * u)), -np.inf
        )


def _draw_epanechnikov(rng, size):
    # the median of three U(-1, 1) has density 3/4 (1 - u^2): the Beta(2, 2) on [-1, 1]
    return np.median(rng.uniform(-1.0, 1.0, size=(3, *size)), axis=0)


def _draw_cosine(rng, size):
    # inverse CDF: F(u) = (1 + sin(pi u / 2)) / 2
    return (2.0 / np.pi) * np.arcsin(rng.uniform(-1.0, 1.0, size=size))


@dataclass(frozen=True)
class _Kernel:
    """A normalized, symmetric 1-D kernel in standard form."""

    name: str
    log_pdf: object  # u -> log K(u), -inf outside the support
    draw: object  # (rng, size) -> draws from K
    roughness: float  # R(K) = int K^2
    variance: float  # mu_2(K) = int u^2 K
    finite_support: bool

    def rule_factor(self, n_features: int) -> float:
        """Ratio of this kernel's AMISE-optimal bandwidth to the gaussian kernel's.

        For a d-dimensional product kernel with bandwidths h * scale_j, the
        asymptotic MISE is R(K)^d / (n h^d prod scale) + h^4 mu_2(K)^2 C / 4,
        with C depending only on the density; its minimizer scales as
        (R(K)^d / mu_2(K)^2)^(1 / (d + 4)).
        """
        g = KERNELS["gaussian"]
        d = n_features
        ratio = (self.roughness / g.roughness) ** d * (g.variance / self.variance) ** 2
        return float(ratio ** (1.0 / (d + 4)))


#: The kernels, by name.
KERNELS: dict[str, _Kernel] = {
    k.name: k
    for k in (
        _Kernel(
            "gaussian", _log_gaussian, lambda rng, size: rng.standard_normal(size),
            1.0 / (2.0 * np.sqrt(np.pi)), 1.0, False,
        ),
        _Kernel(
            "tophat", _log_tophat, lambda rng, size: rng.uniform(-1.0, 1.0, size=size),
            0.5, 1.0 / 3.0, True,
        ),
        _Kernel("epanechnikov", _log_epanechnikov, _draw_epanechnikov, 0.6, 0.2, True),
        _Kernel(
            "exponential", _log_exponential, lambda rng, size: rng.laplace(0.0, 1.0, size=size),
            0.25, 2.0, False,
        ),
        _Kernel(
            "linear", _log_linear,
            lambda rng, size: rng.uniform(size=size) - rng.uniform(size=size),
            2.0 / 3.0, 1.0 / 6.0, True,
        ),
        _Kernel(
            "cosine", _log_cosine, _draw_cosine,
            np.pi**2 / 16.0, 1.0 - 8.0 / np.pi**2, True,
        ),
    )
}

#: Bandwidth rules of thumb: the factor on each column's standard deviation
#: for the gaussian kernel, as a function of (n_samples, n_features).
_RULES = {
    "scott": lambda n, d: n ** (-1.0 / (d + 4)),
    "silverman": lambda n, d: (n * (d + 2) / 4.0) ** (-1.0 / (d + 4)),
}

#: Query rows x training rows held in memory at once (a few float64 arrays of this size).
_CHUNK_ELEMENTS = 2**20


# -- the computation, as functions of (training rows, bandwidths) ---------------------------


def _log_components(Q, T, h, kernel, marginals):
    """log of each training row's product kernel at each query row.

    Parameters
    ----------
    Q : ndarray of shape (c, d)
        Query rows; NaN coordinates are marginalized (their factor is 1).
    T : ndarray of shape (n, d)
        Training rows; a NaN coordinate's factor is the column's marginal KDE.
    h : ndarray of shape (d,)
    marginals : dict
        column -> observed training values of that column (columns with NaN in T).

    Returns
    -------
    ndarray of shape (c, n)
    """
    c, n = Q.shape[0], T.shape[0]
    if kernel.name == "gaussian" and not marginals and not np.isnan(Q).any():
        # complete rows: -|q - t|^2 / 2 in bandwidth units by one matrix product
        Qs, Ts = Q / h, T / h
        sq = (Qs * Qs).sum(axis=1)[:, None] + (Ts * Ts).sum(axis=1)[None, :] - 2.0 * Qs @ Ts.T
        const = -Q.shape[1] * 0.5 * np.log(2.0 * np.pi) - np.log(h).sum()
        return const - 0.5 * np.maximum(sq, 0.0)
    out = np.zeros((c, n))
    for j in range(Q.shape[1]):
        q = Q[:, j]
        seen = ~np.isnan(q)
        if not seen.any():
            continue
        qs = q[seen]
        term = kernel.log_pdf((qs[:, None] - T[None, :, j]) / h[j]) - np.log(h[j])
        if j in marginals:
            miss_t = np.isnan(T[:, j])
            term[:, miss_t] = _log_marginal(qs, *marginals[j], h[j], kernel)[:, None]
        if seen.all():
            out += term
        else:
            out[seen] += term
    return out


def _logsumexp_rows(L):
    """logsumexp along axis 1, -inf (not NaN, no warning) for rows of -inf."""
    m = L.max(axis=1)
    finite = np.isfinite(m)
    out = np.full(L.shape[0], -np.inf)
    if finite.any():
        Lf = L[finite]
        out[finite] = m[finite] + np.log(np.exp(Lf - m[finite, None]).sum(axis=1))
    return out


def _log_marginal(q, values, log_w, h, kernel):
    """1-D KDE of ``values`` (normalized log weights ``log_w``, None: equal) at ``q`` (log)."""
    L = kernel.log_pdf((q[:, None] - values[None, :]) / h) - np.log(h)
    if log_w is None:
        return _logsumexp_rows(L) - np.log(values.shape[0])
    return _logsumexp_rows(L + log_w)


def _marginals(T, w=None):
    """Observed values of each training column that has a NaN, with their normalized log
    weights (None when the rows are unweighted)."""
    out = {}
    for j in range(T.shape[1]):
        seen = ~np.isnan(T[:, j])
        if not seen.all():
            out[j] = (T[seen, j], None if w is None else np.log(w[seen] / w[seen].sum()))
    return out


def _chunks(n_query, n_train):
    step = max(1, _CHUNK_ELEMENTS // max(n_train, 1))
    for start in range(0, n_query, step):
        yield slice(start, min(start + step, n_query))


def _log_density(Q, T, h, kernel, marginals, log_w=None, radial=False):
    """log p(q) of each query row under the KDE of T, in chunks of query rows.

    ``log_w``: normalized log weights of the training rows (None: equal weights);
    ``radial``: the radial kernel of bandwidth ``h[0]`` (:func:`_radial_log_components`).
    """
    out = np.empty(Q.shape[0])
    for s in _chunks(Q.shape[0], T.shape[0]):
        if radial:
            L = _radial_log_components(Q[s], T, h[0], kernel)
        else:
            L = _log_components(Q[s], T, h, kernel, marginals)
        if log_w is not None:
            L += log_w
        out[s] = _logsumexp_rows(L)
    return out if log_w is not None else out - np.log(T.shape[0])


# -- radial kernels (scikit-learn's KernelDensity) ------------------------------------------


def _radial_log_norm(kernel_name, d):
    """log of the constant that makes k(|u|) a density on R^d: -log int k(|u|) du.

    With S = 2 pi^(d/2) / Gamma(d/2) the area of the unit sphere and V = S / d the
    volume of the unit ball: gaussian (2 pi)^(d/2); tophat V; epanechnikov
    2 V / (d + 2); exponential S Gamma(d); linear V / (d + 1); cosine
    S int_0^1 r^(d-1) cos(pi r / 2) dr (by quadrature). scikit-learn's cosine
    constant (a series that integrates by parts) is this one for odd d only: for even
    d its density does not integrate to one (d = 2: to 0.36; d = 4: NaN).
    """
    from scipy.integrate import quad
    from scipy.special import gammaln

    log_s = np.log(2.0) + 0.5 * d * np.log(np.pi) - gammaln(0.5 * d)
    log_v = log_s - np.log(d)
    integral = {
        "gaussian": 0.5 * d * np.log(2.0 * np.pi),
        "tophat": log_v,
        "epanechnikov": log_v + np.log(2.0 / (d + 2.0)),
        "exponential": log_s + gammaln(d),
        "linear": log_v - np.log(d + 1.0),
    }.get(kernel_name)
    if integral is None:  # cosine
        value = quad(lambda r: r ** (d - 1) * np.cos(0.5 * np.pi * r), 0.0, 1.0,
                     epsabs=0.0, epsrel=1e-13, limit=200)[0]
        integral = log_s + np.log(value)
    return -float(integral)


def _radial_log_profile(kernel_name, u2):
    """log k(u) of the radial kernels at squared scaled distances ``u2`` (scikit-learn's
    shapes: exp(-u^2/2), 1, 1 - u^2, exp(-u), 1 - u, cos(pi u / 2); finite ones on u < 1)."""
    if kernel_name == "gaussian":
        return -0.5 * u2
    if kernel_name == "exponential":
        return -np.sqrt(u2)
    inside = u2 < 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel_name == "tophat":
            value = np.zeros_like(u2)
        elif kernel_name == "epanechnikov":
            value = np.log1p(-u2)
        elif kernel_name == "linear":
            value = np.log1p(-np.sqrt(u2))
        else:  # cosine
            value = np.log(np.cos(0.5 * np.pi * np.sqrt(u2)))
    return np.where(inside, value, -np.inf)


def _radial_log_components(Q, T, h, kernel):
    """(c, n) log of each training row's radial kernel K(|q - t| / h) / h^d at each query.

    Distances are Euclidean, from differences (no cancellation near a training row).
    A NaN coordinate of a query row is marginalized, which only the gaussian kernel
    allows (callers refuse NaN with the others): the marginal of a radial gaussian
    is the radial gaussian of the observed coordinates.
    """
    from scipy.spatial.distance import cdist

    c, d = Q.shape
    out = np.empty((c, T.shape[0]))
    missing = np.isnan(Q)
    if not missing.any():
        groups = [(np.arange(c), np.ones(d, dtype=bool))]
    else:
        patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
        groups = [(np.flatnonzero(inverse.ravel() == p), ~pat) for p, pat in enumerate(patterns)]
    for rows, seen in groups:
        k = int(seen.sum())
        if k == 0:
            out[rows] = 0.0
            continue
        u2 = cdist(Q[np.ix_(rows, seen)], T[:, seen], "sqeuclidean") / (h * h)
        out[rows] = (
            _radial_log_profile(kernel.name, u2) + _radial_log_norm(kernel.name, k) - k * np.log(h)
        )
    return out


def _radial_draw(kernel_name, rng, m, d):
    """(m, d) draws from the radial kernel of bandwidth 1 in R^d."""
    if kernel_name == "gaussian":
        return rng.standard_normal((m, d))
    direction = rng.standard_normal((m, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    if kernel_name == "exponential":  # the radius has density r^(d-1) e^(-r): Gamma(d)
        return direction * rng.gamma(d, size=m)[:, None]
    # finite kernels: a uniform point of the unit ball, kept with probability k(r) <= 1
    out = np.empty((m, d))
    filled = 0
    while filled < m:
        need = m - filled
        r = rng.uniform(size=2 * need + 8) ** (1.0 / d)
        keep = np.log(rng.uniform(size=r.size)) < _radial_log_profile(kernel_name, r * r)
        r = r[keep][:need]
        out[filled : filled + r.size] = direction[filled : filled + r.size] * r[:, None]
        filled += r.size
    return out


def _posterior_weights(L):
    """Normalized weights exp(L) row-wise; rows of all -inf give NaN."""
    m = L.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        w = np.exp(L - m)
        return w / w.sum(axis=1, keepdims=True)


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
            default = _RULES["scott"](n, d) * float(np.sqrt(np.mean(scale**2)))
            scale = np.ones(d)
        else:
            default = _RULES["scott"](n, d) * kern.rule_factor(d)
        self.sample_weight_ = w
        self.X_train_ = X  # (the cross-validation reads sample_weight_ and geometry)
        if bandwidth == "cv":
            factor = self._cross_validate(X, scale, kern, cv, candidates, default)
        elif isinstance(bandwidth, str):
            factor = _RULES[bandwidth](n, d) * (1.0 if radial else kern.rule_factor(d))
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
                ll = _log_density(
                    X[test], T, b * scale, kern, _marginals(T, w_t), log_w, radial=radial
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
    def _kernel(self) -> _Kernel:
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
        return _log_density(
            X, self.X_train_, self.bandwidth_, self._kernel,
            _marginals(self.X_train_, getattr(self, "sample_weight_", None)),
            self._log_w, radial=self._radial,
        )

    def _components(self, X):
        """(c, n) log of each training row's weighted kernel at the rows X (a chunk)."""
        T = self.X_train_
        if self._radial:
            L = _radial_log_components(X, T, self.bandwidth_[0], self._kernel)
        else:
            marg = _marginals(T, getattr(self, "sample_weight_", None))
            L = _log_components(X, T, self.bandwidth_, self._kernel, marg)
        log_w = self._log_w
        return L if log_w is None else L + log_w

    def _weights(self, X):
        """Posterior over training rows given each row's observed entries (NaN rows: no support)."""
        T = self.X_train_
        w = np.empty((X.shape[0], T.shape[0]))
        for s in _chunks(X.shape[0], T.shape[0]):
            w[s] = _posterior_weights(self._components(X[s]))
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
        for s in _chunks(X.shape[0], T.shape[0]):
            out[s] = _posterior_weights(self._components(X[s])) @ T
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
        for j, (seen, log_w) in _marginals(T, sw).items():
            # a missing training entry: its factor is the column's marginal KDE
            lost = np.isnan(centre[:, j])
            p = None if log_w is None else np.exp(log_w)
            centre[lost, j] = seen[rng.choice(seen.shape[0], size=int(lost.sum()), p=p)]
        if self._radial:
            drawn = centre + _radial_draw(kern.name, rng, *centre.shape) * h[0]
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
