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
- :func:`stacked_pattern_moments` -- log-densities and conditional moments of
  K full Gaussians for rows sharing one missing pattern;
- :class:`PatternGroups` -- the same for every row and pattern of a data set at
  once, prepared once for many EM iterations: log-densities, statistics for
  given weights (with the conditional moments of the missing entries), and a
  mixture's E-step (responsibilities and statistics), with the per-pattern
  algebra stacked over patterns and Gaussians and the per-row work two GEMMs
  on quadratic features (the NaN-aware EM of the mixture, of the Gaussian
  classifier with full or tied covariances, and of full-covariance HMM
  emissions);
- :func:`sample_gaussian` -- one draw per row from its Gaussian among K
  (naive Bayes features, HMM emissions, synthetic data);
- :class:`GaussianSummaries`, :func:`summarize` -- the weighted sufficient
  statistics of K Gaussians (complete rows; rows with missing entries:
  :meth:`PatternGroups.summarize`);
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
    "stacked_pattern_moments",
    "PatternGroups",
    "quadratic_size",
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


def _single_threaded_blas(func):
    """Run ``func`` with one BLAS thread.

    The per-pattern linear algebra is on tiny (observed-block) matrices, where
    multi-threaded OpenBLAS gains nothing and, when the CPUs are busy, a single
    triangular solve was measured at ~8 ms instead of ~15 us (EM fits 100x slower).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _blas_controller().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


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
@_single_threaded_blas
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


@_single_threaded_blas
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


@_single_threaded_blas
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


@_single_threaded_blas
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


@_single_threaded_blas
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


# -- fitting: MLE / EM for one Gaussian per class ----------------------------
# -- several Gaussians at once (mixtures) ------------------------------------
def one_blas_thread():
    """Context manager: one BLAS thread, for loops over many tiny per-pattern matrices."""
    return _blas_controller().limit(limits=1, user_api="blas")


def stacked_pattern_moments(X_obs, means, covs, obs, miss, *, moments=True):
    """Marginal log-density and conditional moments under K Gaussians, for one pattern.

    All rows share one missing pattern; every Gaussian is handled in the same
    batched calls (one stacked Cholesky of the K observed blocks), which is what
    a mixture's E-step needs.

    Parameters
    ----------
    X_obs : ndarray of shape (n_rows, n_obs)
        The observed entries of the rows (columns ``obs``).
    means : ndarray of shape (n_components, n_features)
    covs : ndarray of shape (n_components, n_features, n_features)
        Symmetric positive definite.
    obs, miss : ndarray of int
        Observed and missing column indices (a partition of the columns).
    moments : bool, default=True
        Whether to compute the conditional moments (False: log-densities only).

    Returns
    -------
    log_dens : ndarray of shape (n_rows, n_components)
        log N(x_o; mu_k,o, S_k,oo); 0 when nothing is observed.
    cond_mean : ndarray of shape (n_components, n_rows, n_miss) or None
        E[x_m | x_o, k] = mu_k,m + S_k,mo S_k,oo^{-1} (x_o - mu_k,o).
    cond_cov : ndarray of shape (n_components, n_miss, n_miss) or None
        Cov[x_m | x_o, k] = S_k,mm - S_k,mo S_k,oo^{-1} S_k,om (the same for every row).
    """
    n_rows, n_comp = X_obs.shape[0], means.shape[0]
    if obs.size == 0:
        log_dens = np.zeros((n_rows, n_comp))
        if not moments:
            return log_dens, None, None
        cmean = np.broadcast_to(means[:, None, miss], (n_comp, n_rows, miss.size))
        return log_dens, cmean, covs[:, miss[:, None], miss]
    L = np.linalg.cholesky(covs[:, obs[:, None], obs])  # (K, o, o)
    L_inv = np.linalg.inv(L)
    z = (X_obs[None] - means[:, None, obs]) @ L_inv.transpose(0, 2, 1)  # (K, r, o)
    half_logdet = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)  # (K,)
    log_dens = (-0.5 * np.einsum("kro,kro->rk", z, z) - half_logdet) - 0.5 * obs.size * LOG_2PI
    if not moments or miss.size == 0:
        empty = np.zeros((n_comp, n_rows, 0)) if moments else None
        return log_dens, empty, (np.zeros((n_comp, 0, 0)) if moments else None)
    W = L_inv @ covs[:, obs[:, None], miss]  # (K, o, m) = L^{-1} S_om
    cmean = means[:, None, miss] + z @ W  # (K, r, m)
    ccov = covs[:, miss[:, None], miss] - W.transpose(0, 2, 1) @ W
    return log_dens, cmean, (ccov + ccov.transpose(0, 2, 1)) / 2


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


def quadratic_size(n_features: int) -> int:
    """Length of the quadratic features ``[x_i x_j (i <= j), x, 1]`` of a d-vector."""
    return n_features * (n_features + 1) // 2 + n_features + 1


# phi entries (n_quad x rows) per row block of PatternGroups: about 1 MiB, in cache
_QUAD_BLOCK = 1 << 17
# per-pattern weights kept at once (patterns x n_quad) in one batch of PatternGroups
_PATTERN_BATCH = 1 << 18
# PatternGroups keeps every block's phi (they depend on the rows alone, and rebuilding them
# was ~13 % of an E-step) when they take at most this many bytes; else rebuilt per pass
_PHI_CACHE_BYTES = 1 << 28


def _lower_inverse(F):
    """The inverses of a stack of small lower-triangular matrices (forward substitution).

    One vectorised step per row over the whole stack: for the thousands of tiny
    blocks of an E-step this is several times faster than ``np.linalg.inv``,
    which calls LAPACK once per matrix.
    """
    m = F.shape[-1]
    F_inv = np.zeros_like(F)
    for i in range(m):
        row = -np.einsum("...l,...lc->...c", F[..., i, :i], F_inv[..., :i, :])
        row[..., i] += 1.0
        F_inv[..., i, :] = row / F[..., i, i][..., None]
    return F_inv


def _pattern_codes(mask):
    """Group the rows of a boolean matrix: (first row of each group, group of each row).

    The rows are packed into bits, so the grouping sorts integers (one per row
    up to 64 columns) instead of comparing rows of booleans.
    """
    n, d = mask.shape
    packed = np.packbits(mask, axis=1)  # (n, ceil(d / 8)) uint8
    width = -(-packed.shape[1] // 8) * 8
    if width != packed.shape[1]:
        packed = np.hstack([packed, np.zeros((n, width - packed.shape[1]), np.uint8)])
    words = np.ascontiguousarray(packed).view(np.uint64)  # (n, width // 8)
    if words.shape[1] == 1:
        _, first, inverse = np.unique(words[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(words, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


class _Group(NamedTuple):
    """Patterns of a batch with the same number of missing entries."""

    n_missing: int
    patterns: slice  # within the batch
    cols: np.ndarray  # (P, m) missing columns of each pattern
    obs: np.ndarray  # (P, o) observed columns of each pattern
    select: np.ndarray  # (d, P m) one-hot: column j of pattern p -> feature
    put: tuple  # fancy index of the missing columns in a (P, m, d) array
    put_obs: tuple  # fancy index of the observed columns in a (P, m, d) array
    quad: tuple  # fancy index, per pattern, of phi's y_i y_j (i <= j) in (P, o * o + 1)
    lin: tuple  # fancy index, per pattern, of phi's y_i in (P, o + 1)


class _Block(NamedTuple):
    """Rows of patterns of about the same size, padded to one size: one stacked GEMM."""

    patterns: np.ndarray  # (E,) pattern of each entry, within the batch (no repeats)
    Y: np.ndarray  # (E, d, r) shifted rows, missing entries and padding 0
    position: np.ndarray  # (E, r) index of each row in ``rows`` (0 for padding)
    valid: np.ndarray | None  # (E, r) bool: a row, not padding; None: no padding
    one: np.ndarray  # (E, r) 1.0 for a row, 0.0 for padding (whose features are all 0)
    phi: np.ndarray | None = None  # (E, n_quad, r) its features, when kept


class _Batch(NamedTuple):
    """Consecutive patterns of a :class:`PatternGroups`, and their rows."""

    patterns: slice  # pattern indices
    blocks: list  # of _Block
    groups: list  # of _Group, by number of missing entries


class PatternGroups:
    """Rows with missing entries, grouped by missing pattern, for many E-steps of K Gaussians.

    Exact EM for full-covariance Gaussians with missing entries needs, per row
    and Gaussian k, the marginal density of the observed block and the
    conditional moments of the missing one. Done row by row (or pattern by
    pattern in Python) that is the whole cost of a fit; here nothing per row is
    formed beyond the quadratic features phi(y) = [y_i y_j (i <= j), y, 1] of
    the shifted row y = x - shift with its missing entries set to 0:

    - log N(y_o; nu_o, S_oo) is phi(y) . w_pk for a weight vector w_pk of the
      pattern p and Gaussian k (the precision of the observed block, padded
      with zeros), so the K log-densities of a pattern's rows are one GEMM;
    - E[y_m | y_o, k] = D_pk y + e_pk is affine in y, so the weighted
      statistics a pattern adds to Gaussian k follow from its
      sum_i w_ik phi(y_i) (one GEMM per pattern for all K): sum w E[y] =
      s1 + D s1 + e s0 and sum w E[y y^T] = s2 + (D s2 + e s1^T) + (...)^T +
      (D s2 D^T + ... + s0 C) on the missing block, C the conditional covariance.

    The per-pattern matrices come from the Cholesky factor L of each observed
    block S_oo (as the per-pattern solves did; the Schur complement of the
    precision was measured far less accurate for an ill-conditioned S): its
    inverse Q = S_oo^{-1} (padded with zeros: the weights), log|S_oo|,
    B = S_mo Q (the regression of the missing entries on the observed ones) and
    C = S_mm - B S_om. They are computed for all patterns with the same number of
    missing entries, and all Gaussians, in a few stacked calls (LAPACK Cholesky
    and a vectorised triangular inverse).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing entry.
    shift : ndarray of shape (n_features,)
        A point near the data (its mean): every statistic is about it.
    rows : ndarray of int, optional
        The rows of ``X`` to take, in the order results refer to them; None: all.

    Attributes
    ----------
    n_rows : int
    n_patterns : int
        The number of distinct missing patterns.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 1.0]])
    >>> groups = PatternGroups(X, shift=np.zeros(2))
    >>> groups.n_patterns
    3
    >>> groups.log_prob(np.zeros((1, 2)), np.eye(2)[None]).round(4).ravel()
    array([-1.4189, -2.9189, -6.8379])
    """

    def __init__(self, X, shift, rows=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
        n, d = X.shape
        shift = np.asarray(shift, dtype=np.float64)
        if shift.shape != (d,):
            raise ValueError(f"shift must have shape ({d},), got {shift.shape}.")
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.intp)
        missing = np.isnan(X[rows])
        first, inverse = _pattern_codes(missing)
        patterns = missing[first]
        # patterns ordered by their number of missing entries: each group is a slice
        by_count = np.argsort(patterns.sum(axis=1), kind="stable")
        rank = np.empty_like(by_count)
        rank[by_count] = np.arange(by_count.size)
        patterns, inverse = patterns[by_count], rank[inverse]
        order = np.argsort(inverse, kind="stable")  # the entries of rows, pattern by pattern
        counts = np.bincount(inverse, minlength=len(patterns))
        starts = np.concatenate([[0], np.cumsum(counts)])
        Y = X[rows] - shift
        Y[missing] = 0.0  # (n_rows, d): shifted, missing entries 0
        self._shift = shift
        self._missing = patterns  # (n_patterns, d) bool
        self.n_rows, self.n_patterns, self._d = rows.size, len(patterns), d
        self._nq = quadratic_size(d)
        self._block = max(16, _QUAD_BLOCK // self._nq)
        per_batch = max(1, _PATTERN_BATCH // self._nq)
        self._batches = [
            self._make_batch(p, min(p + per_batch, len(patterns)), Y, order, starts)
            for p in range(0, len(patterns), per_batch)
        ]
        size = sum(b.Y.shape[0] * b.Y.shape[2] for batch in self._batches for b in batch.blocks)
        if size * self._nq * 8 <= _PHI_CACHE_BYTES:  # the features of every pass, made once
            for batch in self._batches:
                batch.blocks[:] = [
                    b._replace(phi=self._features(b, np.empty(b.Y.size // d * self._nq)))
                    for b in batch.blocks
                ]
        iu0, iu1 = np.triu_indices(d)
        self._iu = (iu0, iu1)
        self._mult = np.where(iu0 == iu1, 1.0, 2.0)
        sym = np.empty((d, d), dtype=np.intp)  # (i, j) -> position of y_i y_j in phi
        sym[iu0, iu1] = sym[iu1, iu0] = np.arange(iu0.size)
        self._sym = sym
        # (i, j) -> position in phi of the entries of [y; 1][y; 1]^T
        self._sym1 = np.block(
            [[sym, np.arange(iu0.size, iu0.size + d)[:, None]],
             [np.arange(iu0.size, iu0.size + d)[None, :], np.array([[self._nq - 1]])]]
        )

    def _make_batch(self, p0, p1, Y, order, starts):
        d = self._d
        # entries: whole patterns, or pieces of at most one block's rows of a large one
        entries = [
            (p - p0, a, min(a + self._block, starts[p + 1]))
            for p in range(p0, p1)
            for a in range(starts[p], starts[p + 1], self._block)
        ]
        entries.sort(key=lambda entry: entry[2] - entry[1])
        blocks, i = [], 0
        while i < len(entries):  # entries of about the same size, up to a block of rows
            smallest = entries[i][2] - entries[i][1]
            j = i + 1
            while j < len(entries):
                size = entries[j][2] - entries[j][1]
                if size > max(1.25 * smallest, smallest + 2) or (j - i + 1) * size > self._block:
                    break
                j += 1
            blocks.append(self._make_block(entries[i:j], Y, order))
            i = j
        n_miss = self._missing[p0:p1].sum(axis=1)  # non-decreasing
        groups = []
        for m in np.unique(n_miss):
            g0, g1 = np.searchsorted(n_miss, m), np.searchsorted(n_miss, m, side="right")
            cols = np.nonzero(self._missing[p0 + g0 : p0 + g1])[1].reshape(g1 - g0, m)
            select = np.zeros((d, cols.size))
            select[cols.ravel(), np.arange(cols.size)] = 1.0
            obs = np.nonzero(~self._missing[p0 + g0 : p0 + g1])[1].reshape(g1 - g0, d - m)
            # Xm[:, p, a, cols[p, b]] addresses the missing columns of each pattern
            at = np.arange(g1 - g0)
            put = (at[:, None, None], np.arange(m)[None, :, None], cols[:, None])
            put_obs = (at[:, None, None], np.arange(m)[None, :, None], obs[:, None])
            # where each entry of phi finds its weight in a pattern's observed block
            # (flattened, o * o) or in its observed vector (o); missing: the last, a 0
            o = d - m
            pos = np.full((g1 - g0, d), o)
            pos[at[:, None], obs] = np.arange(o)
            iu0, iu1 = np.triu_indices(d)
            a, b = pos[:, iu0], pos[:, iu1]
            quad = (at[:, None], np.where((a < o) & (b < o), a * o + b, o * o))
            groups.append(
                _Group(int(m), slice(g0, g1), cols, obs, select, put, put_obs, quad,
                       (at[:, None], pos))
            )
        return _Batch(slice(p0, p1), blocks, groups)

    def _make_block(self, entries, Y, order):
        r = max(b - a for _, a, b in entries)
        E = len(entries)
        position = np.zeros((E, r), dtype=np.intp)
        valid = np.zeros((E, r), dtype=bool)
        for e, (_, a, b) in enumerate(entries):
            position[e, : b - a] = order[a:b]
            valid[e, : b - a] = True
        Yb = Y[position].transpose(0, 2, 1) * valid[:, None, :]  # (E, d, r)
        patterns = np.array([p for p, _, _ in entries], dtype=np.intp)
        return _Block(patterns, np.ascontiguousarray(Yb), position,
                      None if valid.all() else valid, valid.astype(np.float64))

    # -- per-pattern matrices -------------------------------------------------------------
    def _factor(self, batch, prec, cov, nu, const, moments):
        """Weights (P, K, n_quad) of every pattern's log-densities, and per group ([D, e], C).

        ``prec`` serves the complete rows (if any); a pattern with missing entries
        has the weights of its observed block's precision, zero-padded, and
        E[y_m | y_o] = D y + e, Cov[y_m | y_o] = C.
        """
        K, d = nu.shape
        P = batch.patterns.stop - batch.patterns.start
        iu0, iu1 = self._iu
        half = 0.5 * self._mult
        prec_nu = np.einsum("kij,kj->ki", prec, nu)  # (K, d)
        base = np.empty((K, self._nq))  # the weights of the full precision
        base[:, : iu0.size] = -half * prec[:, iu0, iu1]
        base[:, iu0.size : -1] = prec_nu
        base[:, -1] = const - 0.5 * np.einsum("ki,ki->k", prec_nu, nu)
        W = np.empty((P, K, self._nq))
        cond = []
        for group in batch.groups:
            m, cols, sl = group.n_missing, group.cols, group.patterns
            Wg = W[sl].transpose(1, 0, 2)  # (K, Pg, n_quad) view
            Wg[...] = base[:, None]
            if m == 0:
                cond.append(None)
                continue
            if m == d:  # nothing observed: log-density 0, the conditional is the Gaussian
                Wg[...] = 0.0
                De = np.zeros((K, cols.shape[0], d, d + 1))
                De[..., d] = nu[:, None]
                cond.append((De, np.broadcast_to(cov[:, None], (K, cols.shape[0], d, d))))
                continue
            # the observed block: Q = S_oo^{-1} from its Cholesky factor (as accurate as
            # the per-pattern solves; the precision's Schur complement was not, for an
            # ill-conditioned S); its weights are Q padded with zeros
            Pg, o = cols.shape[0], d - m
            obs = group.obs
            L = np.linalg.cholesky(cov[:, obs[:, :, None], obs[:, None, :]])  # (K, Pg, o, o)
            L_inv = _lower_inverse(L)
            Q = L_inv.transpose(0, 1, 3, 2) @ L_inv
            nu_o = nu[:, obs]  # (K, Pg, o)
            Q_nu = np.einsum("kpij,kpj->kpi", Q, nu_o)
            padded = np.zeros((K, Pg, o * o + 1))
            padded[..., :-1] = Q.reshape(K, Pg, o * o)
            Wg[..., : iu0.size] = -half * padded[(slice(None), *group.quad)]
            padded = np.zeros((K, Pg, o + 1))
            padded[..., :-1] = Q_nu
            Wg[..., iu0.size : -1] = padded[(slice(None), *group.lin)]
            log_det_oo = 2.0 * np.log(np.diagonal(L, axis1=2, axis2=3)).sum(axis=2)
            Wg[..., -1] = -0.5 * (
                log_det_oo + o * LOG_2PI + np.einsum("kpi,kpi->kp", Q_nu, nu_o)
            )
            if moments:
                # E[y_m | y_o] = nu_m + B (y_o - nu_o) = D y + e, B = S_mo Q (D: B on the
                # observed columns, 0 on the missing ones, whose entries of y are 0)
                S_mo = cov[:, cols[:, :, None], obs[:, None, :]]  # (K, Pg, m, o)
                B = S_mo @ Q
                C = cov[:, cols[:, :, None], cols[:, None, :]] - B @ S_mo.transpose(0, 1, 3, 2)
                De = np.zeros((K, Pg, m, d + 1))
                De[(slice(None), *group.put_obs)] = B
                De[..., d] = nu[:, cols] - np.einsum("kpmo,kpo->kpm", B, nu_o)
                cond.append((De, C))
            else:
                cond.append(None)
        return W, cond

    def _features(self, block, buf):
        """phi (E, n_quad, r) of a block's rows, in ``buf``."""
        d = self._d
        P = d * (d + 1) // 2
        E, _, r = block.Y.shape
        phi = buf[: E * self._nq * r].reshape(E, self._nq, r)
        y = phi[:, P : P + d]
        y[...] = block.Y
        off = 0
        for i in range(d):
            np.multiply(y[:, i : i + 1], y[:, i:], out=phi[:, off : off + d - i])
            off += d - i
        phi[:, -1] = block.one  # padding: all features 0, so it adds nothing to statistics
        return phi

    def _moments(self, batch, T, cond, nu, total):
        """Add the batch's statistics (T: (P, K, n_quad) weighted features) to ``total``."""
        d = self._d
        P = d * (d + 1) // 2
        Tk = T.transpose(1, 0, 2)  # (K, P, n_quad)
        tot = T.sum(axis=0)  # (K, n_quad): the zero-filled rows' statistics
        total.weight[:] += tot[:, -1]
        total.first[:] += tot[:, P : P + d]
        total.second[:] += tot[:, self._sym]
        for group, dc in zip(batch.groups, cond, strict=True):
            if dc is None:
                continue
            De, C = dc  # [D, e] (K, Pg, m, d + 1) and C (K, Pg, m, m)
            t = Tk[:, group.patterns]  # (K, Pg, n_quad)
            # sum_i w_i [y; 1][y; 1]^T of each pattern, then sum w E[y_m] [y; 1]^T
            XE = De @ t[..., self._sym1]  # (K, Pg, m, d + 1): [sum w E[y_m] y^T, sum w E[y_m]]
            Mmm = XE @ De.transpose(0, 1, 3, 2)  # sum w E[y_m] E[y_m]^T
            Mmm += t[..., -1, None, None] * C  # + the conditional covariance: sum w E[y_m y_m^T]
            Xm = XE[..., :d]
            # the missing columns of Xm are 0 (so are y's): half of Mmm goes there, so that
            # Z + Z^T below adds Xm to the missing rows, Xm^T to the columns, Mmm once
            Xm[(slice(None), *group.put)] = 0.5 * Mmm
            K, Pg = t.shape[:2]
            Z = group.select @ Xm.reshape(K, Pg * group.n_missing, d)  # (K, d, d)
            total.second[:] += Z + Z.transpose(0, 2, 1)
            total.first[:] += XE[..., d].reshape(K, -1) @ group.select.T

    @_single_threaded_blas
    def _run(self, means, covariances, *, log_weights=None, weights=None, log_prob=False):
        """One pass over the rows: log-densities, responsibilities and/or statistics."""
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        K, d = means.shape
        if d != self._d or covariances.shape != (K, d, d):
            raise ValueError(
                f"means and covariances must have shapes (K, {self._d}) and (K, {self._d}, "
                f"{self._d}), got {means.shape} and {covariances.shape}."
            )
        L = np.linalg.cholesky(covariances)
        L_inv = np.linalg.inv(L)
        prec = L_inv.transpose(0, 2, 1) @ L_inv
        nu = means - self._shift
        const = -np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1) - 0.5 * d * LOG_2PI
        if log_weights is not None:  # added after the GEMM: -inf times a padding row's 0
            log_w = log_weights[None, :, None]  # would be NaN
        stats = log_weights is not None or weights is not None
        total = GaussianSummaries(np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d)))
        out = np.empty((self.n_rows, K)) if log_prob else None
        ll = 0.0
        buf = np.empty(self._nq * self._block)
        for batch in self._batches:
            W, cond = self._factor(batch, prec, covariances, nu, const, stats)
            T = np.zeros((W.shape[0], K, self._nq)) if stats else None
            for block in batch.blocks:
                phi = block.phi if block.phi is not None else self._features(block, buf)
                valid = block.valid
                if weights is not None:
                    resp = weights[:, block.position].transpose(1, 0, 2)  # (E, K, r)
                    if valid is not None:
                        resp = resp * valid[:, None, :]
                else:
                    lp = np.matmul(W[block.patterns], phi)  # (E, K, r)
                    if log_prob:
                        rows_lp = lp.transpose(0, 2, 1)
                        if valid is None:
                            out[block.position.ravel()] = rows_lp.reshape(-1, K)
                        else:
                            out[block.position[valid]] = rows_lp[valid]
                    if log_weights is None:
                        continue
                    lp += log_w
                    top = lp.max(axis=1, keepdims=True)
                    lp -= top
                    np.exp(lp, out=lp)
                    norm = lp.sum(axis=1, keepdims=True)
                    lp /= norm
                    row_ll = np.log(norm[:, 0]) + top[:, 0]  # (E, r)
                    ll += float(row_ll.sum() if valid is None else row_ll[valid].sum())
                    resp = lp
                T[block.patterns] += np.matmul(resp, phi.transpose(0, 2, 1))  # (E, K, n_quad)
            if stats:
                self._moments(batch, T, cond, nu, total)
        return ll, total, out
    def log_prob(self, means, covariances) -> np.ndarray:
        """log N(x_o; mu_k,o, S_k,oo) of each row under each of K Gaussians.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
            Symmetric positive definite.

        Returns
        -------
        ndarray of shape (n_rows, n_components)
            In the order of ``rows``; 0 (to rounding) for a row with nothing observed.
        """
        return self._run(means, covariances, log_prob=True)[2]

    def summarize(self, means, covariances, weights) -> GaussianSummaries:
        """Expected weighted statistics of the rows, missing entries by their conditional moments.

        Each row counts as its observed entries completed by their conditional
        mean under Gaussian k, and the conditional covariance of the missing
        block is added to the second moment (exact EM with missing entries;
        Ghahramani & Jordan 1994).

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
            The Gaussians the conditional moments are taken under.
        weights : ndarray of shape (n_components, n_rows)
            Weight of each row (in the order of ``rows``) for each Gaussian.

        Returns
        -------
        GaussianSummaries
            About ``shift``.
        """
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(means), self.n_rows):
            raise ValueError(
                f"weights must have shape ({len(means)}, {self.n_rows}), got {weights.shape}."
            )
        return self._run(means, covariances, weights=weights)[1]

    def responsibility_statistics(self, log_weights, means, covariances):
        """A mixture's E-step: log-likelihood and statistics weighted by the responsibilities.

        Parameters
        ----------
        log_weights : ndarray of shape (n_components,)
            log w_k of the mixture sum_k w_k N(mu_k, S_k).
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)

        Returns
        -------
        log_likelihood : float
            sum_i log sum_k w_k N(x_i,o; mu_k,o, S_k,oo).
        summaries : GaussianSummaries
            The statistics weighted by p(k | x_i,o), about ``shift``.
        """
        ll, total, _ = self._run(
            means, covariances, log_weights=np.asarray(log_weights, dtype=np.float64)
        )
        return ll, total


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
