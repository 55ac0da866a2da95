"""The Gaussian distribution, with missing entries marginalized exactly.

One owner for the Gaussian math of every model (the Gaussian classifier and
density, the mixture, HMM emissions, naive Bayes features, synthetic data). For
one mean vector ``mean`` (d,) and covariance ``cov`` (d, d) at a time:

- :func:`log_density` -- log N(x_o; mu_o, S_oo) of each row, the missing
  entries marginalized exactly (an all-missing row gives 0);
- :func:`conditional_mean` -- E[x | x_o] with
  E[x_m | x_o] = mu_m + S_mo S_oo^{-1} (x_o - mu_o);
- :func:`conditional_draw` -- missing entries drawn from
  N(E[x_m | x_o], S_mm - S_mo S_oo^{-1} S_om);
- :func:`expected_statistics` -- the E-step of EM for a Gaussian with missing
  data (Little & Rubin 2002, ch. 11; Ghahramani & Jordan 1994);

for K Gaussians at once:

- :func:`diagonal_log_prob` -- the (n, K) log-densities of K diagonal (or
  spherical) Gaussians, by matrix products, NaN entries marginalized; its
  weights :func:`diagonal_weights` serve callers that keep the data's
  features (the HMM's diagonal emissions);
- :func:`shared_covariance_discriminant` -- the class-dependent part of K
  Gaussians sharing one covariance (LDA);
- :func:`~gdlab.distributions.gaussian_patterns.stacked_pattern_moments` and
  :class:`~gdlab.distributions.gaussian_patterns.PatternGroups` -- the
  missing-pattern algebra of K full Gaussians (log-densities and conditional
  moments, every pattern and Gaussian in stacked calls), in
  :mod:`gdlab.distributions.gaussian_patterns`, which builds on this module;
- :func:`sample_gaussian` -- one draw per row from its Gaussian among K
  (naive Bayes features, HMM emissions, synthetic data);
- :class:`GaussianSummaries`, :func:`summarize` -- the weighted sufficient
  statistics of K Gaussians (complete rows; rows with missing entries:
  :meth:`~gdlab.distributions.gaussian_patterns.PatternGroups.summarize`);
  :func:`summarize_labelled` streams :func:`summarize` over blocks of rows
  for Gaussians each fitted to its own labelled rows (the per-class fit);
- :func:`from_summaries` -- the M-step: means and covariances from the
  statistics, with optional shrinkage (:func:`shrink_covariance`) and the
  covariance structure and ``reg_covar`` floor of
  :func:`constrain_covariances`; shared by the per-class fit, the mixture and
  the full-covariance HMM emissions;

The fit of one Gaussian per class by EM with missing entries, which uses
these, is :func:`gdlab.inference.gaussian_em.fit_gaussians`.

Rows are grouped by missing pattern (``np.unique`` on the mask rows), so each
distinct pattern costs one Cholesky factorisation of its observed block and
all rows sharing it are handled in vectorised triangular solves; complete
data is a single pattern. Diagonal covariances take the matrix-product path of
:func:`diagonal_log_prob`, with no factorisation.

Functions that read every row of X (:func:`diagonal_log_prob`,
:func:`log_density`, :func:`shared_covariance_discriminant`,
:func:`summarize_labelled`) work through it in blocks of :func:`block_rows`
rows, so their temporaries (centred, solved, squared copies) take about
:data:`BLOCK_BYTES` whatever the size of X, and X itself is never copied whole.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from threadpoolctl import ThreadpoolController

__all__ = [
    "COVARIANCE_TYPES",
    "constrain_covariances",
    "sample_gaussian",
    "GaussianSummaries",
    "summarize",
    "summarize_labelled",
    "BLOCK_BYTES",
    "block_rows",
    "from_summaries",
    "shrink_covariance",
    "standard_scale",
    "Pattern",
    "missing_patterns",
    "log_density",
    "diagonal_log_prob",
    "diagonal_weights",
    "is_diagonal",
    "shared_covariance_discriminant",
    "conditional_mean",
    "conditional_draw",
    "expected_statistics",
    "LOG_2PI",
    "one_blas_thread",
    "single_threaded_blas",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

LOG_2PI = np.log(2.0 * np.pi)  #: log(2 pi), the Gaussian normalizing constant per dimension

#: Bytes of float64 data in one block of rows, for the functions that stream over X:
#: small against any data worth measuring, large enough that BLAS calls stay efficient.
BLOCK_BYTES = 4 * 2**20


def block_rows(n_features: int) -> int:
    """Rows per block for float64 data of ``n_features`` columns (:data:`BLOCK_BYTES`).

    Parameters
    ----------
    n_features : int

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> block_rows(20)
    26214
    """
    return max(1, BLOCK_BYTES // (8 * max(1, int(n_features))))


class Pattern(NamedTuple):
    """Rows of X that share one missing pattern."""

    observed: np.ndarray  # (n_obs,) column indices
    missing: np.ndarray  # (n_miss,) column indices
    rows: np.ndarray  # (n_rows,) row indices


def missing_patterns(X: np.ndarray) -> list[Pattern]:
    """Group the rows of ``X`` by their pattern of NaN entries.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    list of Pattern
        One entry per distinct pattern; together the ``rows`` cover every row once.
    """
    n, d = X.shape
    mask = np.isnan(X)
    if not mask.any():
        return [Pattern(np.arange(d), np.arange(0), np.arange(n))]
    patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    splits = np.cumsum(np.bincount(inverse, minlength=len(patterns)))[:-1]
    return [
        Pattern(np.flatnonzero(~pat), np.flatnonzero(pat), rows)
        for pat, rows in zip(patterns, np.split(order, splits), strict=True)
    ]


def _psd_sqrt(C: np.ndarray) -> np.ndarray:
    """A factor L with L @ L.T == C for a symmetric positive semi-definite C."""
    try:
        return np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh((C + C.T) / 2)
        return V * np.sqrt(np.clip(w, 0.0, None))


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_threaded_blas(func):
    """Decorator: run ``func`` with one BLAS thread.

    The per-pattern linear algebra is on tiny (observed-block) matrices, where
    multi-threaded OpenBLAS gains nothing and, when the CPUs are busy, a single
    triangular solve was measured at ~8 ms instead of ~15 us (EM fits 100x slower).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)

    return wrapper


def one_blas_thread():
    """Context manager: one BLAS thread, for loops over many tiny per-pattern matrices."""
    return _blas_controller().limit(limits=1, user_api="blas")


def _check_patterns(X, patterns):
    return missing_patterns(X) if patterns is None else patterns


# -- diagonal Gaussians: K at once, by matrix products ---------------------
def diagonal_log_prob(X, means, variances, shift=None) -> np.ndarray:
    """log N(x_o; mu_k,o, diag(var_k,o)) of each row under K diagonal Gaussians.

    The squared distance is expanded, (x - mu)^2 / var = x^2 / var - 2 x mu / var
    + mu^2 / var, so all K log-densities are three matrix products of the data
    with (K, d) parameter matrices; NaN entries are marginalized by zeroing them
    and summing the constant terms over each row's observed entries only (one
    more product with the observed-indicator matrix). Data and means are first
    centred by ``shift``, which limits the cancellation of the expansion.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing entry.
    means : ndarray of shape (n_components, n_features)
    variances : ndarray of shape (n_components, n_features)
        Positive; a spherical Gaussian repeats its variance along the row.
    shift : ndarray of shape (n_features,), optional
        The centre the expansion is taken about: a point near the data (the
        mean of the training data, say). None: the mean of ``means``, which for
        one Gaussian makes the expansion exact ((x - mu)^2 / var elementwise).

    Returns
    -------
    ndarray of shape (n_samples, n_components)
        0 for a row with every entry missing; -inf where the squared distance
        is beyond float64.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [np.nan, 2.0]])
    >>> diagonal_log_prob(X, np.array([[0.0, 0.0]]), np.array([[1.0, 4.0]])).round(4)
    array([[-2.656 ],
           [-2.1121]])
    """
    if shift is None:
        shift = means.mean(axis=0)
    n, d = X.shape
    W = diagonal_weights(means, variances, shift)
    has_missing = bool(np.isnan(np.add.reduce(X, axis=None)))
    out = np.empty((n, W.shape[0]))
    step = block_rows(d)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: -inf
        for start in range(0, n, step):
            X0 = X[start : start + step] - shift  # (b, d), a fresh block
            block = out[start : start + step]
            if has_missing:
                missing = np.isnan(X0)
                np.copyto(X0, 0.0, where=missing)
                np.matmul(np.logical_not(missing).astype(np.float64), W[:, 2 * d :].T,
                          out=block)
            else:
                block[:] = W[:, 2 * d :].sum(axis=1)
            block += X0 @ W[:, d : 2 * d].T
            np.square(X0, out=X0)
            block += X0 @ W[:, :d].T
    return out


def diagonal_weights(means, variances, shift, *, per_feature_constant=True) -> np.ndarray:
    """The (K, 3 d) weights of K diagonal Gaussians' log-densities as a linear map.

    With x0 = x - shift and o the indicator of the observed entries (missing
    entries of x0 set to 0), ``W @ [x0**2, x0, o]`` is log N(x_o; mu_k,o,
    diag(var_k,o)) for each k: the expansion of :func:`diagonal_log_prob`, for
    callers that keep the features of their data (the HMM computes them once per
    fit and reuses them every EM iteration).

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
    variances : ndarray of shape (n_components, n_features)
        Positive.
    shift : ndarray of shape (n_features,)
        The centre of the expansion (near the data).
    per_feature_constant : bool, default=True
        False: the last block is the (K, 1) sum of the constants, for features
        ``[x0**2, x0, 1]`` of data without missing entries.

    Returns
    -------
    ndarray of shape (n_components, 3 * n_features) or (n_components, 2 * n_features + 1)
        Blocks ``-1 / (2 var)``, ``mu0 / var`` and the constants
        ``-(log(2 pi var) + mu0**2 / var) / 2`` (mu0 = means - shift).
    """
    inv_var = 1.0 / variances  # (K, d)
    mu0 = means - shift
    constant = -0.5 * (np.log(2.0 * np.pi * variances) + mu0 * mu0 * inv_var)  # (K, d)
    if not per_feature_constant:
        constant = constant.sum(axis=1, keepdims=True)
    return np.hstack([-0.5 * inv_var, mu0 * inv_var, constant])


def is_diagonal(covariances) -> bool:
    """Whether every matrix in ``covariances`` is diagonal (read off the matrices).

    Parameters
    ----------
    covariances : ndarray of shape (..., n_features, n_features)

    Returns
    -------
    bool
    """
    S = np.asarray(covariances)
    return not np.any(S - S * np.eye(S.shape[-1]))


def _diag_log_density(X, mean, var):
    return diagonal_log_prob(X, mean[None], var[None], shift=mean)[:, 0]


# -- public numeric core -----------------------------------------------------
@single_threaded_blas
def log_density(X, mean, cov, *, diagonal=False, patterns=None) -> np.ndarray:
    """Log density of each row under N(mean, cov), NaN entries marginalized out.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing entry.
    mean : ndarray of shape (n_features,)
    cov : ndarray of shape (n_features, n_features)
        Symmetric positive definite.
    diagonal : bool, default=False
        Whether ``cov`` is diagonal (elementwise fast path, no factorisation).
    patterns : list of Pattern, optional
        ``missing_patterns(X)``, when the caller already has it.

    Returns
    -------
    ndarray of shape (n_samples,)
        log N(x_o; mean_o, cov_oo); 0 for a row with every entry missing.
    """
    if diagonal:
        return _diag_log_density(X, mean, np.diag(cov))
    out = np.zeros(X.shape[0])
    step = block_rows(X.shape[1])
    for obs, _, rows in _check_patterns(X, patterns):
        if obs.size == 0:
            continue
        L = np.linalg.cholesky(cov[np.ix_(obs, obs)])
        half_logdet = np.log(np.diag(L)).sum()
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            centred = (X[np.ix_(block, obs)] - mean[obs]).T  # (o, b)
            z = solve_triangular(L, centred, lower=True, check_finite=False)
            with np.errstate(over="ignore"):  # beyond float64: -inf, reported by the caller
                out[block] = (
                    -0.5 * (z * z).sum(axis=0) - half_logdet - 0.5 * obs.size * LOG_2PI
                )
    return out


@single_threaded_blas
def shared_covariance_discriminant(X, means, cov, *, patterns=None) -> np.ndarray:
    """log N(x_o; mean_k,o, cov_oo) up to a term that depends on the row only.

    With one covariance for every class, log N(x; mu_k, S) =
    -x'S^{-1}x / 2 + x'S^{-1}mu_k - mu_k'S^{-1}mu_k / 2 + const; only the last
    two terms differ between classes. Far from the data the first term (~|x|^2)
    swamps the second (~|x|) in floating point, so Bayes' rule must be applied to
    the class-dependent part alone, which is what this returns (with
    w = L^{-1} x_o and m_k = L^{-1} mu_k,o for L the Cholesky factor of cov_oo:
    w . m_k - |m_k|^2 / 2). NaN entries are marginalized (a row with every entry
    missing gives 0 for every class).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_classes, n_features)
    cov : ndarray of shape (n_features, n_features)
        The shared covariance, symmetric positive definite.
    patterns : list of Pattern, optional

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    out = np.zeros((X.shape[0], means.shape[0]))
    step = block_rows(X.shape[1])
    for obs, _, rows in _check_patterns(X, patterns):
        if obs.size == 0:
            continue
        L = np.linalg.cholesky(cov[np.ix_(obs, obs)])
        m = solve_triangular(L, means[:, obs].T, lower=True, check_finite=False)  # (o, K)
        half_m2 = 0.5 * (m * m).sum(axis=0)
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            w = solve_triangular(L, X[np.ix_(block, obs)].T, lower=True, check_finite=False)
            out[block] = w.T @ m - half_m2
    return out


def _conditional_blocks(x_obs_centred, mean, cov, obs, miss):
    """Conditional mean (r, m), conditional covariance (m, m) and Cholesky of S_oo."""
    factor = cho_factor(cov[np.ix_(obs, obs)], lower=True, check_finite=False)
    # S_oo^{-1} S_om, (o, m)
    coef = cho_solve(factor, cov[np.ix_(obs, miss)], check_finite=False)
    cmean = mean[miss] + x_obs_centred @ coef
    ccov = cov[np.ix_(miss, miss)] - cov[np.ix_(miss, obs)] @ coef
    return cmean, (ccov + ccov.T) / 2, factor


@single_threaded_blas
def conditional_mean(X, mean, cov, *, diagonal=False, patterns=None) -> np.ndarray:
    """E[x | x_observed] under N(mean, cov): observed entries copied, missing ones filled.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)
    cov : ndarray of shape (n_features, n_features)
    diagonal : bool, default=False
    patterns : list of Pattern, optional

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    if diagonal:
        return np.where(np.isnan(X), mean, X)
    out = X.copy()
    for obs, miss, rows in _check_patterns(X, patterns):
        if miss.size == 0:
            continue
        if obs.size == 0:
            out[np.ix_(rows, miss)] = mean
            continue
        centred = X[np.ix_(rows, obs)] - mean[obs]
        out[np.ix_(rows, miss)] = _conditional_blocks(centred, mean, cov, obs, miss)[0]
    return out


@single_threaded_blas
def conditional_draw(X, mean, cov, rng, *, diagonal=False, patterns=None) -> np.ndarray:
    """Replace each NaN entry by a draw from p(x_missing | x_observed) under N(mean, cov).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        An all-NaN X gives unconditional draws from N(mean, cov).
    mean : ndarray of shape (n_features,)
    cov : ndarray of shape (n_features, n_features)
    rng : numpy.random.RandomState
    diagonal : bool, default=False
    patterns : list of Pattern, optional

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    if diagonal:
        noise = rng.standard_normal(X.shape) * np.sqrt(np.diag(cov))
        return np.where(np.isnan(X), mean + noise, X)
    out = X.copy()
    for obs, miss, rows in _check_patterns(X, patterns):
        if miss.size == 0:
            continue
        if obs.size == 0:
            cmean, ccov = np.broadcast_to(mean, (rows.size, miss.size)), cov
        else:
            centred = X[np.ix_(rows, obs)] - mean[obs]
            cmean, ccov, _ = _conditional_blocks(centred, mean, cov, obs, miss)
        z = rng.standard_normal((rows.size, miss.size))
        out[np.ix_(rows, miss)] = cmean + z @ _psd_sqrt(ccov).T
    return out


@single_threaded_blas
def expected_statistics(X, mean, cov, *, diagonal=False, patterns=None):
    """E-step of EM for one Gaussian with missing entries.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)
    cov : ndarray of shape (n_features, n_features)
    diagonal : bool, default=False
    patterns : list of Pattern, optional

    Returns
    -------
    log_likelihood : float
        Observed-data log-likelihood sum_i log N(x_i,o; mean_o, cov_oo).
    X_hat : ndarray of shape (n_samples, n_features)
        E[x_i | x_i,o]: observed entries copied, missing ones the conditional mean.
    cond_cov_sum : ndarray of shape (n_features, n_features)
        sum_i Cov[x_i | x_i,o] (zero outside each row's missing block), the term
        that turns sum_i X_hat_i X_hat_i^T into the expected second moment.
    """
    d = X.shape[1]
    if diagonal:
        missing = np.isnan(X)
        ll = float(_diag_log_density(X, mean, np.diag(cov)).sum())
        return ll, np.where(missing, mean, X), np.diag(missing.sum(axis=0) * np.diag(cov))
    ll = 0.0
    X_hat = X.copy()
    cond_cov_sum = np.zeros((d, d))
    for obs, miss, rows in _check_patterns(X, patterns):
        if obs.size == 0:
            X_hat[np.ix_(rows, miss)] = mean
            cond_cov_sum += rows.size * cov
            continue
        centred = X[np.ix_(rows, obs)] - mean[obs]
        if miss.size == 0:
            L = np.linalg.cholesky(cov[np.ix_(obs, obs)])
        else:
            cmean, ccov, (L, _) = _conditional_blocks(centred, mean, cov, obs, miss)
            X_hat[np.ix_(rows, miss)] = cmean
            cond_cov_sum[np.ix_(miss, miss)] += rows.size * ccov
            L = np.tril(L)
        z = solve_triangular(L, centred.T, lower=True, check_finite=False)
        ll += float(
            -0.5 * (z * z).sum()
            - rows.size * (np.log(np.diag(L)).sum() + 0.5 * obs.size * LOG_2PI)
        )
    return ll, X_hat, cond_cov_sum


# -- the covariance structure of K Gaussians ------------------------------------
def constrain_covariances(covs, weights, covariance: str, reg_covar: float) -> np.ndarray:
    """The maximum-likelihood covariances of K Gaussians under a covariance structure.

    The one M-step rule for every Gaussian fitted by (EM) maximum likelihood:
    ``"full"`` keeps each covariance, ``"tied"`` replaces them all by their
    average weighted by ``weights`` (the pooled within-component covariance),
    ``"diag"`` keeps the variances, ``"spherical"`` their mean; then each is
    symmetrized and ``reg_covar`` is added to its diagonal.

    Parameters
    ----------
    covs : ndarray of shape (K, d, d)
        Unconstrained covariances (e.g. weighted scatter over weight).
    weights : ndarray of shape (K,)
        Each component's (expected) number of rows; only ``"tied"`` uses them.
    covariance : {"full", "tied", "diag", "spherical"}
    reg_covar : float
        Non-negative floor added to every variance.

    Returns
    -------
    ndarray of shape (K, d, d)

    Examples
    --------
    >>> covs = np.array([np.diag([1.0, 3.0]), np.diag([3.0, 5.0])])
    >>> constrain_covariances(covs, np.array([1.0, 1.0]), "tied", 0.0)[0]
    array([[2., 0.],
           [0., 4.]])
    >>> constrain_covariances(covs, np.array([1.0, 1.0]), "spherical", 0.5)[1]
    array([[4.5, 0. ],
           [0. , 4.5]])
    """
    if covariance not in COVARIANCE_TYPES:
        raise ValueError(f"covariance must be one of {COVARIANCE_TYPES}, got {covariance!r}.")
    covs = np.asarray(covs, dtype=np.float64)
    K, d, _ = covs.shape
    if covariance == "tied":
        w = np.asarray(weights, dtype=np.float64)
        covs = np.broadcast_to(np.tensordot(w / w.sum(), covs, axes=1), (K, d, d))
    elif covariance == "diag":
        covs = np.diagonal(covs, axis1=1, axis2=2)[:, :, None] * np.eye(d)
    elif covariance == "spherical":
        covs = (np.trace(covs, axis1=1, axis2=2) / d)[:, None, None] * np.eye(d)
    return (covs + covs.transpose(0, 2, 1)) / 2 + reg_covar * np.eye(d)


# -- sufficient statistics and the M-step ------------------------------------
class GaussianSummaries(NamedTuple):
    """Weighted sufficient statistics of K Gaussians, relative to a shift vector.

    Statistics of disjoint sets of rows add up (``a + b``), so data can stream.
    Rows enter shifted (``x - shift``, ``shift`` near the data, e.g. its mean),
    which keeps ``second / weight - mean mean^T`` accurate; a missing entry
    enters through its conditional mean and covariance (exact EM).
    """

    weight: np.ndarray  # (K,) sum_i w_ik
    first: np.ndarray  # (K, d) sum_i w_ik E[x_i - shift]
    second: np.ndarray  # (K, d, d) sum_i w_ik E[(x_i - shift)(x_i - shift)^T]

    def __add__(self, other):
        return GaussianSummaries(*(a + b for a, b in zip(self, other, strict=True)))


def summarize(X, weights) -> GaussianSummaries:
    """Weighted statistics of complete (already shifted) rows for K Gaussians.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows without NaN, minus the shift.
    weights : ndarray of shape (n_components, n_samples)
        Weight of each row for each Gaussian (responsibilities, posteriors, or ones).

    Returns
    -------
    GaussianSummaries

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [-1.0, 2.0]])
    >>> s = summarize(X, np.array([[1.0, 1.0], [0.0, 2.0]]))
    >>> s.weight, s.first[1], s.second[1]
    (array([2., 2.]), array([-2.,  4.]), array([[ 2., -4.],
           [-4.,  8.]]))
    """
    K, d = weights.shape[0], X.shape[1]
    second = np.empty((K, d, d))
    for k in range(K):
        second[k] = (X.T * weights[k]) @ X
    return GaussianSummaries(weights.sum(axis=1), weights @ X, second)


def summarize_labelled(X, labels, n_components, *, shift=None):
    """Statistics of K Gaussians, Gaussian k from the rows labelled k, in blocks of rows.

    The statistics of a per-class fit (every row of weight 1 for its own
    Gaussian) without a copy of X: the rows of each block that belong to
    Gaussian k are shifted and go through :func:`summarize`, and the blocks'
    statistics add up, so the temporaries take about :data:`BLOCK_BYTES`
    whatever the size of X.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows without NaN wherever ``labels >= 0`` (other rows are never read).
    labels : ndarray of int of shape (n_samples,)
        The Gaussian of each row, in ``range(n_components)``; -1 leaves a row out.
    n_components : int
    shift : ndarray of shape (n_components, n_features), optional
        What each Gaussian's rows are taken relative to. None: the mean of its
        rows (computed in one more pass), which keeps the moment form
        ``second / weight - mean mean^T`` exact.

    Returns
    -------
    summaries : GaussianSummaries
        ``weight[k]`` is the number of rows labelled k.
    shift : ndarray of shape (n_components, n_features)
        The shift used (for :func:`from_summaries`).

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]])
    >>> s, shift = summarize_labelled(X, np.array([0, 0, -1]), 1)
    >>> shift, s.weight, s.second[0]
    (array([[2., 1.]]), array([2.]), array([[2., 2.],
           [2., 2.]]))
    """
    n, d = X.shape
    K = int(n_components)
    labels = np.asarray(labels)
    step = block_rows(d)
    blocks = range(0, n, step)
    if shift is None:
        totals, counts = np.zeros((K, d)), np.zeros(K)
        for start in blocks:
            X_block, lab = X[start : start + step], labels[start : start + step]
            for k in range(K):
                rows = X_block[lab == k]
                totals[k] += rows.sum(axis=0)
                counts[k] += rows.shape[0]
        shift = totals / np.maximum(counts, 1.0)[:, None]
    shift = np.asarray(shift, dtype=np.float64)
    weight, first, second = np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d))
    for start in blocks:
        X_block, lab = X[start : start + step], labels[start : start + step]
        for k in range(K):
            rows = X_block[lab == k]  # a fresh (b_k, d) array
            if rows.shape[0] == 0:
                continue
            rows -= shift[k]
            part = summarize(rows, np.ones((1, rows.shape[0])))
            weight[k] += part.weight[0]
            first[k] += part.first[0]
            second[k] += part.second[0]
    return GaussianSummaries(weight, first, second), shift


def from_summaries(
    summaries, covariance: str, reg_covar: float, *, shift=0.0, shrinkage=None
) -> tuple[np.ndarray, np.ndarray]:
    """The M-step: maximum-likelihood means and covariances from weighted statistics.

    mean_k = first_k / weight_k and S_k = second_k / weight_k - mean_k mean_k^T;
    each S_k is then shrunk by ``shrinkage[k]`` (:func:`shrink_covariance`) and
    constrained by :func:`constrain_covariances` (``"tied"`` pools them weighted
    by ``weight``).

    Parameters
    ----------
    summaries : GaussianSummaries
        Every ``weight`` must be positive (callers guard empty components).
    covariance : {"full", "tied", "diag", "spherical"}
    reg_covar : float
        Non-negative floor added to every variance.
    shift : float or ndarray of shape (n_features,) or (n_components, n_features)
        The shift the statistics are relative to; added back to the means.
    shrinkage : ndarray of shape (n_components,), optional
        Shrinkage intensity of each covariance, in [0, 1].

    Returns
    -------
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray of shape (n_components, n_features, n_features)

    Examples
    --------
    >>> s = summarize(np.array([[1.0, 0.0], [-1.0, 2.0]]), np.ones((1, 2)))
    >>> means, covs = from_summaries(s, "full", 0.0, shift=np.array([1.0, 1.0]))
    >>> means, covs[0]
    (array([[1., 2.]]), array([[ 1., -1.],
           [-1.,  1.]]))
    """
    nk = summaries.weight
    mu = summaries.first / nk[:, None]
    covs = summaries.second / nk[:, None, None] - mu[:, :, None] * mu[:, None, :]
    if shrinkage is not None:
        covs = np.stack([shrink_covariance(S, a) for S, a in zip(covs, shrinkage, strict=True)])
    return mu + shift, constrain_covariances(covs, nk, covariance, reg_covar)


def standard_scale(variances) -> np.ndarray:
    """Per-feature standard deviations, 1 for a constant feature (as ``StandardScaler``).

    Parameters
    ----------
    variances : ndarray of shape (n_features,)

    Returns
    -------
    ndarray of shape (n_features,)
    """
    scale = np.sqrt(np.maximum(variances, 0.0))
    return np.where(scale < 10 * np.finfo(np.float64).eps, 1.0, scale)


def shrink_covariance(S, a) -> np.ndarray:
    """Shrink S by ``a`` on the standardized scale (scikit-learn's LDA rule).

    With s_j the standard deviation of feature j and R = S / (s s^T), returns
    s s^T * ((1 - a) R + a (tr(R) / d) I): the correlations shrink towards zero and
    the variances stay (for non-constant features tr(R) / d = 1). The result does
    not depend on the units of the features.

    Parameters
    ----------
    S : ndarray of shape (n_features, n_features)
    a : float
        Intensity in [0, 1]; 0 returns ``S`` itself.

    Returns
    -------
    ndarray of shape (n_features, n_features)

    Examples
    --------
    >>> shrink_covariance(np.array([[4.0, 2.0], [2.0, 1.0]]), 0.5)
    array([[4., 1.],
           [1., 1.]])
    """
    if a == 0.0:
        return S
    d = S.shape[0]
    s = standard_scale(np.diag(S))
    R = S / np.outer(s, s)
    shrunk = (1.0 - a) * R + a * (np.trace(R) / d) * np.eye(d)
    return shrunk * np.outer(s, s)


# -- sampling ------------------------------------------------------------------
def sample_gaussian(means, covariances, component, rng) -> np.ndarray:
    """One draw from N(means[c], covariances[c]) for each entry c of ``component``.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray of shape (n_components, n_features) or \
(n_components, n_features, n_features)
        Variances (diagonal Gaussians) or symmetric positive definite matrices.
    component : ndarray of int of shape (n_samples,)
        The Gaussian of each draw.
    rng : numpy.random.RandomState
        Consumes ``n_samples * n_features`` standard normal draws, row by row.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        ``means[c] + sqrt(var[c]) * z``, or ``means[c] + z @ L_c.T`` with
        ``L_c`` the Cholesky factor of ``covariances[c]``.

    Examples
    --------
    >>> X = sample_gaussian(np.array([[0.0, 10.0]]), np.array([[1.0, 0.0]]),
    ...                     np.zeros(3, dtype=int), np.random.RandomState(0))
    >>> X[:, 1].tolist()
    [10.0, 10.0, 10.0]
    """
    component = np.asarray(component)
    z = rng.standard_normal((component.shape[0], means.shape[1]))
    if covariances.ndim == 2:
        return means[component] + np.sqrt(covariances[component]) * z
    L = np.linalg.cholesky(covariances)
    out = np.empty_like(z)
    for c in np.unique(component):
        rows = component == c
        out[rows] = means[c] + z[rows] @ L[c].T
    return out

