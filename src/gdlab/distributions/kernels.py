"""Smoothing kernels and the kernel-density computations built on them.

What lives here: the six normalized 1-D kernels (:data:`KERNELS`, each a
:class:`Kernel` with its log-density, sampler and the moments the bandwidth rules
need), the rules of thumb (:data:`BANDWIDTH_RULES`), and the arithmetic of a kernel
density estimate as plain functions of (query rows, training rows, bandwidths): the
product kernel with missing coordinates marginalized (:func:`log_components`,
:func:`log_density`), scikit-learn's radial kernels (:func:`radial_log_components`,
:func:`radial_draw`) and the posterior over training rows (:func:`posterior_weights`).
:mod:`gdlab.models.kde` builds :class:`~gdlab.models.kde.KernelDensity` and
:class:`~gdlab.models.kde.KDEClassifier` on them; nothing here is an estimator or is
stored on one (a fitted density keeps only the kernel's name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Kernel",
    "KERNELS",
    "BANDWIDTH_RULES",
    "CHUNK_ELEMENTS",
    "log_components",
    "logsumexp_rows",
    "log_marginal",
    "column_marginals",
    "chunks",
    "log_density",
    "radial_log_norm",
    "radial_log_profile",
    "radial_log_components",
    "radial_draw",
    "posterior_weights",
]

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
class Kernel:
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
KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in (
        Kernel(
            "gaussian", _log_gaussian, lambda rng, size: rng.standard_normal(size),
            1.0 / (2.0 * np.sqrt(np.pi)), 1.0, False,
        ),
        Kernel(
            "tophat", _log_tophat, lambda rng, size: rng.uniform(-1.0, 1.0, size=size),
            0.5, 1.0 / 3.0, True,
        ),
        Kernel("epanechnikov", _log_epanechnikov, _draw_epanechnikov, 0.6, 0.2, True),
        Kernel(
            "exponential", _log_exponential, lambda rng, size: rng.laplace(0.0, 1.0, size=size),
            0.25, 2.0, False,
        ),
        Kernel(
            "linear", _log_linear,
            lambda rng, size: rng.uniform(size=size) - rng.uniform(size=size),
            2.0 / 3.0, 1.0 / 6.0, True,
        ),
        Kernel(
            "cosine", _log_cosine, _draw_cosine,
            np.pi**2 / 16.0, 1.0 - 8.0 / np.pi**2, True,
        ),
    )
}

#: Bandwidth rules of thumb: the factor on each column's standard deviation
#: for the gaussian kernel, as a function of (n_samples, n_features).
BANDWIDTH_RULES = {
    "scott": lambda n, d: n ** (-1.0 / (d + 4)),
    "silverman": lambda n, d: (n * (d + 2) / 4.0) ** (-1.0 / (d + 4)),
}

#: Query rows x training rows held in memory at once (a few float64 arrays of this size).
CHUNK_ELEMENTS = 2**20


# -- the computation, as functions of (training rows, bandwidths) ---------------------------


def log_components(Q, T, h, kernel, marginals):
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
            term[:, miss_t] = log_marginal(qs, *marginals[j], h[j], kernel)[:, None]
        if seen.all():
            out += term
        else:
            out[seen] += term
    return out


def logsumexp_rows(L):
    """logsumexp along axis 1, -inf (not NaN, no warning) for rows of -inf."""
    m = L.max(axis=1)
    finite = np.isfinite(m)
    out = np.full(L.shape[0], -np.inf)
    if finite.any():
        Lf = L[finite]
        out[finite] = m[finite] + np.log(np.exp(Lf - m[finite, None]).sum(axis=1))
    return out


def log_marginal(q, values, log_w, h, kernel):
    """1-D KDE of ``values`` (normalized log weights ``log_w``, None: equal) at ``q`` (log)."""
    L = kernel.log_pdf((q[:, None] - values[None, :]) / h) - np.log(h)
    if log_w is None:
        return logsumexp_rows(L) - np.log(values.shape[0])
    return logsumexp_rows(L + log_w)


def column_marginals(T, w=None):
    """Observed values of each training column that has a NaN, with their normalized log
    weights (None when the rows are unweighted)."""
    out = {}
    for j in range(T.shape[1]):
        seen = ~np.isnan(T[:, j])
        if not seen.all():
            out[j] = (T[seen, j], None if w is None else np.log(w[seen] / w[seen].sum()))
    return out


def chunks(n_query, n_train):
    """Slices of the query rows, each small enough that (rows x ``n_train``) stays
    within :data:`CHUNK_ELEMENTS`."""
    step = max(1, CHUNK_ELEMENTS // max(n_train, 1))
    for start in range(0, n_query, step):
        yield slice(start, min(start + step, n_query))


def log_density(Q, T, h, kernel, marginals, log_w=None, radial=False):
    """log p(q) of each query row under the KDE of T, in chunks of query rows.

    ``log_w``: normalized log weights of the training rows (None: equal weights);
    ``radial``: the radial kernel of bandwidth ``h[0]`` (:func:`radial_log_components`).
    """
    out = np.empty(Q.shape[0])
    for s in chunks(Q.shape[0], T.shape[0]):
        if radial:
            L = radial_log_components(Q[s], T, h[0], kernel)
        else:
            L = log_components(Q[s], T, h, kernel, marginals)
        if log_w is not None:
            L += log_w
        out[s] = logsumexp_rows(L)
    return out if log_w is not None else out - np.log(T.shape[0])


# -- radial kernels (scikit-learn's KernelDensity) ------------------------------------------


def radial_log_norm(kernel_name, d):
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


def radial_log_profile(kernel_name, u2):
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


def radial_log_components(Q, T, h, kernel):
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
            radial_log_profile(kernel.name, u2) + radial_log_norm(kernel.name, k) - k * np.log(h)
        )
    return out


def radial_draw(kernel_name, rng, m, d):
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
        keep = np.log(rng.uniform(size=r.size)) < radial_log_profile(kernel_name, r * r)
        r = r[keep][:need]
        out[filled : filled + r.size] = direction[filled : filled + r.size] * r[:, None]
        filled += r.size
    return out


def posterior_weights(L):
    """Normalized weights exp(L) row-wise; rows of all -inf give NaN."""
    m = L.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        w = np.exp(L - m)
        return w / w.sum(axis=1, keepdims=True)
